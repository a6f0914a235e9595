/*
 * server.c - libmicrohttpd adapter (see server.h).
 *
 * Per request: the URI log callback copies the raw target (so we parse the
 * query ourselves and can see duplicate parameters), the access handler
 * collects the body into a bounded buffer, and the completed request goes
 * to the single handler. Bodies larger than the limit announced by
 * Content-Length get 413 before they are read; a chunked body is cut off
 * (the connection closed) as soon as it passes GH_MAX_BODY_LEN.
 *
 * An answer that must wait (a redemption, for the fsync that makes it
 * durable) is held with its connection suspended, not its thread (park()).
 *
 * Every connection is listed with the request deadline (deadline.h) from
 * open to close; it is told when a request is in whole (finish) and when
 * its answer has gone (on_completed), so a request that trickles in is cut
 * off however often its bytes reset libmicrohttpd's idle timeout.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "server.h"
#include "deadline.h"
#include "head.h"
#include "library_log.h"
#include "remote.h"
#include "reply.h"
#include "../util/cidr.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/str.h"

struct http_server {
	struct MHD_Daemon	*daemon;
	http_handler_fn		 fn;
	void			*ctx;
	unsigned		 port;
	atomic_int		 inflight;
	atomic_int		 parked;	/* connections suspended */
	atomic_int		 owed;	/* parked answers not yet sent */
	atomic_bool		 stopping;	/* http_stop() began: park no more */
	struct deadline		*deadline;	/* request receive deadline */
	/* CIDR list whose peers' X-Forwarded-For is read; "": none */
	char			 trusted[GH_MAX_NETWORKS];
};

/*
 * Per-connection state, in libmicrohttpd's socket_context slot and lent to
 * each request through con_cls. srv and dl live as long as the connection;
 * the rest, from uri_too_long on, is reset by on_uri for each request.
 */
struct conn_state {
	struct deadline_entry	 dl;	/* listed while the socket is open */
	struct http_server	*srv;
	struct MHD_Connection	*conn;
	char			 peer[INET6_ADDRSTRLEN];	/* TCP peer */
	bool			 uri_too_long;	/* first per-request field */
	/* an answer parked until its hold is done, with its request */
	struct http_response	*held;
	struct http_request	*held_req;
	bool			 started;
	bool			 too_large;
	bool			 counted;
	bool			 owed;	/* parked: counted in srv->owed */
	uint64_t		 dropped;	/* body bytes past the limit */
	const char		*bad_framing;	/* why the body is refused */
	uintptr_t		 target_end;	/* where the version must start */
	struct header_scan	 hs;
	struct buf		 body;
	double			 t0;
	char			 uri[GH_MAX_URI_LEN];	/* last: not zeroed */
};

/* A request is over (answered, or its connection closed): uncount it. */
static void
request_done(struct conn_state *st)
{
	if (st->counted)
		atomic_fetch_sub(&st->srv->inflight, 1);
	if (st->owed)
		atomic_fetch_sub(&st->srv->owed, 1);
	st->counted = false;
	st->owed = false;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http_server		*srv = cls;
	struct conn_state		*st = *socket_context;
	const union MHD_ConnectionInfo	*ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return;		/* on_uri refuses the request */
		st->srv = srv;
		st->conn = c;
		remote_peer(c, st->peer, sizeof(st->peer));
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci != NULL)
			deadline_add(srv->deadline, &st->dl, ci->connect_fd);
		*socket_context = st;
		return;
	}
	if (st != NULL) {	/* closed: whatever a request left behind */
		/*
		 * libmicrohttpd 0.9.75 notifies CLOSED before it closes the
		 * socket (MHD_cleanup_connections, and the failed-setup path
		 * of new_connection_process_), so the deadline thread never
		 * sees a descriptor that could have been reused.
		 */
		deadline_remove(srv->deadline, &st->dl);
		if (st->held != NULL) {	/* closed by a stop, unsent */
			response_free(st->held);
			free(st->held);
			free(st->held_req);
		}
		request_done(st);
		buf_wipe_free(&st->body);
		free(st);
		*socket_context = NULL;
	}
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct conn_state *st;
	const char	*q;

	(void)cls;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (st = ci->socket_context) == NULL)
		return NULL;
	request_done(st);
	buf_wipe_free(&st->body);
	/*
	 * A new request: reset the per-request fields, but not the 8 KB URI,
	 * which str_copy() rewrites, nor the connection's srv and dl.
	 */
	memset(&st->uri_too_long, 0, offsetof(struct conn_state, uri) -
	    offsetof(struct conn_state, uri_too_long));
	st->t0 = clock_mono();
	buf_init(&st->body, GH_MAX_BODY_LEN);
	if (!str_copy(st->uri, sizeof(st->uri), uri))
		st->uri_too_long = true;
	else
		head_origin_form(st->uri);
	/*
	 * libmicrohttpd 0.9.75 ends the target by writing a NUL over the
	 * space before the version, which follows in the same line buffer:
	 * the version starts right after the target's end unless a NUL byte
	 * sent inside the target cut it short here (target_whole()).
	 */
	st->target_end = (uintptr_t)uri + strlen(uri) + 1;
	/*
	 * We parse the query ourselves from the copy above. Cut it off in
	 * the library's buffer so libmicrohttpd does not split it into
	 * arguments in its connection pool: thousands of tiny arguments
	 * exhaust that pool and 0.9.75 then stalls the connection until
	 * the timeout instead of answering. The buffer is the connection's
	 * own writable read buffer; only the const is cast away.
	 */
	q = strchr(uri, '?');
	if (q != NULL && q[1] != '\0')
		((char *)q)[1] = '\0';
	return st;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (st == NULL)
		return;
	deadline_waiting(&st->dl);	/* answered: the next may come */
	request_done(st);
	buf_wipe_free(&st->body);
	*con_cls = NULL;	/* the connection owns st (on_connection) */
}

static enum http_method
method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_GET;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	if (strcmp(m, "HEAD") == 0)
		return HTTP_HEAD;
	return HTTP_OTHER;
}

static void
simple_error(struct http_response *r, int status, const char *error,
    const char *desc)
{
	json_t *o = json_pack("{s:s, s:s}", "error", error,
	    "error_description", desc);

	if (reply_json(r, status, o) != GH_OK)
		reply_unavailable(r);
}

static bool
hdr(struct MHD_Response *mr, const char *name, const char *value)
{
	return MHD_add_response_header(mr, name, value) == MHD_YES;
}

/*
 * Every header or none: a reply that lost its Cache-Control: no-store (a
 * token response), its CSP or its Location must not go out. libmicrohttpd
 * refuses a header only when it cannot allocate it or the value is not
 * one line.
 */
static bool
add_headers(struct MHD_Response *mr, const struct http_response *r)
{
	bool	ok;
	size_t	i;

	ok = hdr(mr, "Content-Type", r->content_type);
	if (r->cache_control) {
		ok = ok && hdr(mr, "Cache-Control", r->cache_control);
	} else {
		ok = ok && hdr(mr, "Cache-Control", "no-store");
		ok = ok && hdr(mr, "Pragma", "no-cache");
	}
	ok = ok && hdr(mr, "X-Content-Type-Options", "nosniff");
	ok = ok && hdr(mr, "Referrer-Policy", "no-referrer");
	if (r->kind == REPLY_HTML) {
		/* no scripts at all; forms may only be framed by nobody */
		ok = ok && hdr(mr, "Content-Security-Policy",
		    "default-src 'none'; style-src 'self'; img-src 'self'; "
		    "frame-ancestors 'none'; base-uri 'none'");
		ok = ok && hdr(mr, "X-Frame-Options", "DENY");
	}
	for (i = 0; ok && i < r->nheaders; i++)
		ok = hdr(mr, r->headers[i].name, r->headers[i].value);
	return ok;
}

/* A response handed to libmicrohttpd, until it is done with it. */
struct handed {
	struct MHD_Response	*mr;
	char			*body;	/* ours; NULL: none */
};

/* the headers that carry a secret: a code, a session */
static enum MHD_Result
wipe_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(void)cls;
	(void)kind;
	if (value != NULL && key != NULL && (strcasecmp(key, "Location") == 0 ||
	    strcasecmp(key, "Set-Cookie") == 0))	/* freed right after */
		crypto_wipe((void *)(uintptr_t)value, strlen(value));
	return MHD_YES;
}

/*
 * libmicrohttpd is done with a response: the body is wiped and freed, and
 * so are the library's copies of the header values (a Location carries a
 * code, a Set-Cookie a session), which it frees right after this call.
 */
static void
handed_done(void *p)
{
	struct handed *h = p;

	if (h->mr != NULL)
		(void)MHD_get_response_headers(h->mr, wipe_header, NULL);
	if (h->body != NULL) {
		crypto_wipe(h->body, malloc_usable_size(h->body));
		free(h->body);
	}
	free(h);
}

/*
 * The body is handed over, not copied: a copy of libmicrohttpd's would be
 * freed with the tokens of a token response still in it.
 * MHD_NO closes the connection: nothing is sent rather than half a reply.
 */
static enum MHD_Result
send_response(struct MHD_Connection *c, struct http_response *r)
{
	struct MHD_Response	*mr;
	struct handed		*h;
	enum MHD_Result		 ret;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return MHD_NO;
	mr = MHD_create_response_from_buffer_with_free_callback_cls(
	    r->body.len, r->body.data, handed_done, h);
	if (mr == NULL) {
		free(h);
		return MHD_NO;
	}
	h->mr = mr;
	h->body = buf_take(&r->body);	/* the response owns it now */
	if (!add_headers(mr, r)) {
		MHD_destroy_response(mr);
		log_kv(LOG_ERROR, "response_dropped", "msg",
		    "a response header could not be added", NULL);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static void
log_request(const struct conn_state *st, const struct http_request *req,
    const char *method, int status)
{
	char ms[32], code[8];

	snprintf(ms, sizeof(ms), "%.3f", (clock_mono() - st->t0) * 1000.0);
	snprintf(code, sizeof(code), "%d", status);
	/*
	 * the path only: a query string may carry a code or state. The peer
	 * only when a trusted proxy named another client: its key is then
	 * not the NULL that ends the list.
	 */
	log_kv(LOG_INFO, "http", "method", method, "path", req->path,
	    "status", code, "ms", ms, "remote", req->remote_addr,
	    strcmp(st->peer, req->remote_addr) != 0 ? "peer" : NULL, st->peer,
	    NULL);
}

/* a connection closed without an answer, and why */
static void
log_closed(const struct conn_state *st, const char *method,
    const char *reason)
{
	char path[256];

	str_copy(path, sizeof(path), st->uri);
	path[strcspn(path, "?")] = '\0';	/* the path only, as above */
	/* the TCP peer: the headers of a request cut short are not read */
	log_kv(LOG_INFO, "http_closed", "reason", reason, "method", method,
	    "path", path, "remote", st->peer, NULL);
}

/* Log and send resp, then free it and req (the hold ended first). */
static enum MHD_Result
answer(struct conn_state *st, struct MHD_Connection *c,
    struct http_request *req, const char *method, struct http_response *resp)
{
	enum MHD_Result ret;

	if (resp->hold.h != NULL) {
		if (!resp->hold.end(resp->hold.h))
			reply_unavailable(resp);
		resp->hold.h = NULL;
	}
	log_request(st, req, method, resp->status);
	ret = send_response(c, resp);
	response_free(resp);
	free(req);
	return ret;
}

/*
 * The answer must wait (http_hold): a flow's token request waits for the
 * fsync that makes its redemption durable. The connection is suspended
 * and the thread goes back to its other connections; unpark() resumes
 * it, from the thread that finished the wait, and libmicrohttpd then
 * calls on_request() once more, which sends the held answer. The count
 * lets http_stop() wait for every parked connection before it stops the
 * daemon (libmicrohttpd aborts on a connection still suspended).
 */
static void
unpark(void *arg)
{
	struct conn_state	*st = arg;
	struct http_server	*srv = st->srv;

	/* once resumed, st may be gone: read it first */
	MHD_resume_connection(st->conn);
	atomic_fetch_sub(&srv->parked, 1);
}

/*
 * Count a parking unless the server is stopping: a keep-alive connection
 * still sends requests after MHD_quiesce_daemon(), and one parked after
 * http_stop() saw no parked connections would be suspended as the daemon
 * stops. Both sides are sequentially consistent, so either http_stop()
 * sees the count or this sees the flag; a request that sees it waits in
 * its thread, which the daemon's stop joins.
 */
static bool
may_park(struct http_server *srv)
{
	atomic_fetch_add(&srv->parked, 1);
	if (!atomic_load(&srv->stopping))
		return true;
	atomic_fetch_sub(&srv->parked, 1);
	return false;
}

static void
park(struct conn_state *st, struct MHD_Connection *c)
{
	struct http_hold *h = &st->held->hold;

	st->owed = true;
	atomic_fetch_add(&st->srv->owed, 1);
	MHD_suspend_connection(c);
	h->watch(h->h, unpark, st);
}

static enum MHD_Result
answer_held(struct conn_state *st, struct MHD_Connection *c,
    const char *method)
{
	struct http_response	*resp = st->held;
	struct http_request	*req = st->held_req;
	enum MHD_Result		 ret;

	st->held = NULL;
	st->held_req = NULL;
	ret = answer(st, c, req, method, resp);
	free(resp);
	return ret;
}

static enum MHD_Result
finish(struct conn_state *st, struct MHD_Connection *c, const char *method)
{
	struct http_request		*req;
	struct http_response		 resp;
	const struct header_scan	*hs = &st->hs;
	char				*q;

	deadline_received(&st->dl);	/* handling time does not count */
	if ((req = malloc(sizeof(*req))) == NULL)
		return MHD_NO;
	/* all but the 8 KB path, which str_copy() below rewrites */
	memset(req, 0, offsetof(struct http_request, path));
	response_init(&resp);
	req->method = method_of(method);
	remote_client(c, st->peer, st->srv->trusted, req->remote_addr,
	    sizeof(req->remote_addr));
	req->authorization = hs->authorization;
	req->cookie = hs->cookie;
	req->content_type = hs->content_type;
	/*
	 * attacker-chosen text that audit rows and alerts keep, as JSON, and
	 * that `gatehouse alert list` shows: UTF-8, without the control
	 * characters that would drive an operator's terminal
	 */
	if (hs->user_agent != NULL) {
		(void)str_copy_text(req->user_agent_buf,
		    sizeof(req->user_agent_buf), hs->user_agent);
		req->user_agent = req->user_agent_buf;
	}
	req->body = st->body;

	str_copy(req->path, sizeof(req->path), st->uri);
	if ((q = strchr(req->path, '?')) != NULL) {
		*q = '\0';
		req->query = st->uri + (q - req->path) + 1;
	} else {
		req->query = "";
	}
	req->query_len = strlen(req->query);

	if (st->uri_too_long)
		simple_error(&resp, 414, "invalid_request", "URI too long");
	else if (st->bad_framing)
		simple_error(&resp, 400, "invalid_request", st->bad_framing);
	else if (st->too_large)
		simple_error(&resp, 413, "invalid_request",
		    "request body too large");
	else if (hs->total > GH_MAX_HEADER_MEM)
		simple_error(&resp, 431, "invalid_request",
		    "request headers too large");
	else if (hs->dup)
		simple_error(&resp, 400, "invalid_request",
		    "repeated header");
	else
		st->srv->fn(st->srv->ctx, req, &resp);
	/* a body left unread, or unreadable, ends the connection */
	if (st->bad_framing || st->too_large)
		(void)response_header(&resp, "Connection", "close");
	if (resp.hold.h != NULL && may_park(st->srv)) {
		if ((st->held = malloc(sizeof(*st->held))) != NULL) {
			*st->held = resp;  /* moved: it owns what resp owned */
			st->held_req = req;
			park(st, c);
			return MHD_YES;
		}
		atomic_fetch_sub(&st->srv->parked, 1);
	}
	/* else answer() waits for the hold in this thread */
	return answer(st, c, req, method, &resp);
}

/*
 * Whether the request target is the whole of what was sent. A NUL byte
 * in it (RFC 9112 3.2 allows none) cuts every C string of it there, so
 * "/admin/action\0.css" would be routed as /admin/action while a front
 * proxy filtering on the whole target saw a stylesheet. Refused instead:
 * the version then starts past the target's end, within the line. Any
 * other place (a library that kept the version elsewhere) is taken as
 * whole, so that a change in the library can only turn this check off,
 * never refuse every request.
 */
static bool
target_whole(const struct conn_state *st, const char *version)
{
	uintptr_t v = (uintptr_t)version;

	return v <= st->target_end || v - st->target_end > GH_MAX_URI_LEN;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct conn_state	*st = *con_cls;
	const char		*cl;
	uint64_t		 n;

	(void)cls;
	(void)url;
	if (st == NULL)
		return MHD_NO;	/* allocation failed in on_uri */
	if (!st->started) {
		st->started = true;
		st->counted = true;
		atomic_fetch_add(&st->srv->inflight, 1);
		/* the headers are complete now; read them once */
		MHD_get_connection_values(c, MHD_HEADER_KIND, head_scan,
		    &st->hs);
		st->bad_framing = head_refused(&st->hs, version);
		if (st->bad_framing == NULL && !target_whole(st, version))
			st->bad_framing = "NUL byte in the request line";
		if (st->bad_framing != NULL)
			return finish(st, c, method);
		cl = st->hs.content_length;
		if (cl && (parse_u64(slice_cstr(cl), 0, GH_MAX_BODY_LEN, &n) !=
		    GH_OK)) {
			/* refuse before reading a byte of it */
			st->too_large = true;
			return finish(st, c, method);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/*
		 * A chunked body past GH_MAX_BODY_LEN. libmicrohttpd 0.9.75
		 * cannot queue a reply while a body is coming in
		 * (MHD_queue_response returns MHD_NO there, suspended or not),
		 * so the rest is read and dropped and answered 413 at its end,
		 * up to GH_MAX_BODY_DROPPED more bytes; a longer one closes
		 * the connection at once. request_deadline_seconds bounds how
		 * long a slow one may take.
		 */
		if (!st->too_large && buf_append(&st->body, upload_data,
		    *upload_data_size) != GH_OK)
			st->too_large = true;
		if (st->too_large) {
			st->dropped += *upload_data_size;
			if (st->dropped > GH_MAX_BODY_DROPPED) {
				log_closed(st, method, "body_too_large");
				return MHD_NO;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->held != NULL)
		return answer_held(st, c, method);	/* resumed */
	return finish(st, c, method);
}

enum gh_err
http_start(const struct http_config *cfg, http_handler_fn fn, void *ctx,
    struct http_server **out)
{
	struct http_server	*s;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	const struct sockaddr	*sa;
	const union MHD_DaemonInfo *di;
	unsigned		 threads = cfg->threads;
	enum gh_err		 rc;
	/*
	 * poll(), not epoll: libmicrohttpd 0.9.75 races MHD_quiesce_daemon()
	 * against its epoll workers and can MHD_PANIC (abort) on SIGTERM
	 * ("Failed to remove listen FD from epoll set"); seen here in CI.
	 * With poll() quiescing goes through the inter-thread channel only.
	 * Each worker polls its own share of at most max_connections.
	 */
	unsigned		 flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	    MHD_ALLOW_SUSPEND_RESUME;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, cfg->host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)cfg->port);
		sa = (const struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, cfg->host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)cfg->port);
		sa = (const struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		return GH_ERR_INVALID;
	}
	threads = http_threads(threads);
	if (cfg->trusted_proxies != NULL && cfg->trusted_proxies[0] != '\0' &&
	    !cidr_list_valid(cfg->trusted_proxies))
		return GH_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return GH_ERR_NOMEM;
	if (cfg->trusted_proxies != NULL &&
	    !str_copy(s->trusted, sizeof(s->trusted), cfg->trusted_proxies)) {
		free(s);
		return GH_ERR_INVALID;
	}
	/*
	 * The watch counts from the previous response (the first byte of
	 * the next request is not seen), so the idle timeout is added: a
	 * request that starts just before the connection would idle out
	 * still has request_deadline_seconds to arrive whole.
	 */
	if ((rc = deadline_start(cfg->request_deadline_seconds +
	    cfg->timeout_seconds, &s->deadline)) != GH_OK) {
		free(s);
		return rc;
	}
	MHD_set_panic_func(http_library_panic, NULL);
	s->fn = fn;
	s->ctx = ctx;
	atomic_init(&s->inflight, 0);
	atomic_init(&s->parked, 0);
	atomic_init(&s->owed, 0);
	atomic_init(&s->stopping, false);
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, http_library_log, NULL,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_seconds,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GH_MAX_HEADER_MEM +
	    (size_t)GH_MAX_URI_LEN + 8192,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
	    MHD_OPTION_END);
	if (s->daemon == NULL) {
		deadline_stop(s->deadline);
		free(s);
		return GH_ERR_IO;
	}
	di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : cfg->port;
	*out = s;
	return GH_OK;
}

/*
 * Four per core. A request waiting for durability is parked (park()), not
 * its thread, on both backends, but a worker still waits in its thread
 * for each of its reads and writes (on PostgreSQL a round trip each), and
 * introspection at c=32 measured a fifth faster with 8 threads than with
 * 3 on two cores (docs/PERFORMANCE.md, tenth pass).
 */
unsigned
http_threads(unsigned configured)
{
	long n;

	if (configured > 0)
		return configured;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n < 64 ? 4 * (unsigned)n : 8;
}

unsigned
http_port(const struct http_server *s)
{
	return s->port;
}

void
http_stop(struct http_server *s, unsigned drain_seconds)
{
	MHD_socket	fd;
	double		deadline = clock_mono() + drain_seconds;
	struct timespec	ts = { 0, 20 * 1000 * 1000 };

	if (s == NULL)
		return;
	fd = MHD_quiesce_daemon(s->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (atomic_load(&s->inflight) > 0 && clock_mono() < deadline)
		nanosleep(&ts, NULL);
	/*
	 * Past the drain too: a parked answer is resumed once its wait ends
	 * (the store's flusher ends every wait, with an error if the disk
	 * fails), and the daemon must not stop with one suspended.
	 */
	atomic_store(&s->stopping, true);	/* before the count is read */
	while (atomic_load(&s->parked) > 0)
		nanosleep(&ts, NULL);
	/*
	 * A resumed answer is sent by a daemon thread after unpark(): it is
	 * lost if the daemon closes its connection first, which a loaded
	 * machine showed (every answer of a stop cut). Wait until each is
	 * sent, or its client gone, for at most GH_STOP_SEND_SECONDS (a
	 * client that does not read).
	 */
	deadline = clock_mono() + GH_STOP_SEND_SECONDS;
	while (atomic_load(&s->owed) > 0 && clock_mono() < deadline)
		nanosleep(&ts, NULL);
	MHD_stop_daemon(s->daemon);	/* every connection closed... */
	deadline_stop(s->deadline);	/* ...and unlisted: stop watching */
	free(s);
}
