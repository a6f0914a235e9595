/* client.c - see client.h. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "client.h"
#include "../util/str.h"
#include "../util/url.h"

#define MAX_REQ_HEAD	4096


/* milliseconds on the monotonic clock */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for fd to be ready for `events`, until the deadline. The deadline
 * is the whole exchange's (connect, TLS handshake, request, status line),
 * not each call's: a receiver that trickles a byte now and then must not
 * hold the webhook past its lease (another node would send the alert
 * again) or a shutdown, which waits for the delivery in hand.
 */
static bool
wait_ready(int fd, short events, int64_t deadline)
{
	struct pollfd	pfd = { fd, events, 0 };
	int64_t		left;
	int		r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return false;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return false;
	}
}

/* a non-blocking socket connected before the deadline, or -1 */
static int
dial(const struct url_target *t, int64_t deadline)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	socklen_t	 len;
	int		 fd = -1, err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(t->host, t->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		err = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			err = errno;
			if (err == EINPROGRESS) {
				len = sizeof(err);
				err = wait_ready(fd, POLLOUT, deadline) &&
				    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
				    &len) == 0 ? err : ETIMEDOUT;
			}
		}
		if (err == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

struct conn {
	int	 fd;
	SSL_CTX	*ctx;
	SSL	*ssl;
	int64_t	 deadline;	/* now_ms() */
};

/* after a TLS call returned r <= 0: wait as it asks, or give up */
static bool
tls_wait(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return wait_ready(c->fd, POLLIN, c->deadline);
	case SSL_ERROR_WANT_WRITE:
		return wait_ready(c->fd, POLLOUT, c->deadline);
	default:
		return false;
	}
}

static bool
tls_start(struct conn *c, const struct url_target *t)
{
	int r;

	if ((c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_default_verify_paths(c->ctx) != 1)
		return false;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if ((c->ssl = SSL_new(c->ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, t->host) != 1 ||
	    SSL_set1_host(c->ssl, t->host) != 1)
		return false;
	while ((r = SSL_connect(c->ssl)) != 1)
		if (!tls_wait(c, r))
			return false;
	return true;
}

static bool
send_all(struct conn *c, const char *p, size_t n)
{
	size_t	chunk;
	ssize_t	w;
	int	k;

	while (n > 0) {
		/* a retried SSL_write must repeat the same length */
		chunk = n > 65536 ? 65536 : n;
		if (c->ssl) {
			if ((k = SSL_write(c->ssl, p, (int)chunk)) <= 0) {
				if (!tls_wait(c, k))
					return false;
				continue;
			}
			w = k;
		} else if ((w = send(c->fd, p, chunk, MSG_NOSIGNAL)) < 0) {
			if ((errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) ||
			    !wait_ready(c->fd, POLLOUT, c->deadline))
				return false;
			continue;
		}
		if (w == 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* up to n bytes once some are in; 0 at the end, -1 on error or deadline */
static ssize_t
recv_some(struct conn *c, char *buf, size_t n)
{
	ssize_t	r;
	int	k;

	for (;;) {
		if (c->ssl) {
			if ((k = SSL_read(c->ssl, buf, (int)n)) > 0)
				return k;
			if (!tls_wait(c, k))
				return -1;
		} else {
			if ((r = recv(c->fd, buf, n, 0)) >= 0)
				return r;
			if ((errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) ||
			    !wait_ready(c->fd, POLLIN, c->deadline))
				return -1;
		}
	}
}

/* the status code of "HTTP/1.x NNN ..." */
static bool
read_status(struct conn *c, int *status)
{
	char	 buf[64];
	size_t	 got = 0;
	ssize_t	 r;

	while (got < 12) {
		if ((r = recv_some(c, buf + got, sizeof(buf) - 1 - got)) <= 0)
			return false;
		got += (size_t)r;
	}
	buf[got] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
	    strspn(buf + 9, "0123456789") < 3)
		return false;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	return true;
}

enum gh_err
http_post_json(const char *url, const char *body,
    const char *const *headers, unsigned timeout_seconds, int *status)
{
	struct url_target	 t;
	struct conn	 c = { -1, NULL, NULL, 0 };
	char		 head[MAX_REQ_HEAD];
	size_t		 blen = strlen(body), i;
	enum gh_err	 rc = GH_ERR_IO;
	int		 n, k;
	bool		 v6;

	*status = 0;
	if (!url_parse_http(url, &t))
		return GH_ERR_INVALID;
	v6 = strchr(t.host, ':') != NULL;	/* an IPv6 literal: [v6] */
	n = snprintf(head, sizeof(head),
	    "POST %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "User-Agent: gatehouse-webhook\r\n", t.path, v6 ? "[" : "",
	    t.host, v6 ? "]" : "",
	    strcmp(t.port, t.tls ? "443" : "80") ? ":" : "",
	    strcmp(t.port, t.tls ? "443" : "80") ? t.port : "", blen);
	for (i = 0; headers && headers[i] && n >= 0 &&
	    (size_t)n < sizeof(head); i++) {
		if (str_has_ctl(headers[i]))
			return GH_ERR_INVALID;
		k = snprintf(head + n, sizeof(head) - (size_t)n, "%s\r\n",
		    headers[i]);
		n = k < 0 ? -1 : n + k;
	}
	if (n >= 0 && (size_t)n < sizeof(head)) {
		k = snprintf(head + n, sizeof(head) - (size_t)n,
		    "Connection: close\r\n\r\n");
		n = k < 0 ? -1 : n + k;
	}
	if (n < 0 || (size_t)n >= sizeof(head))
		return GH_ERR_INVALID;
	/* from here: the name lookup counts too */
	c.deadline = now_ms() + (int64_t)timeout_seconds * 1000;
	if ((c.fd = dial(&t, c.deadline)) < 0)
		goto out;
	if (t.tls && !tls_start(&c, &t))
		goto out;
	if (send_all(&c, head, (size_t)n) && send_all(&c, body, blen) &&
	    read_status(&c, status))
		rc = GH_OK;
out:
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	SSL_CTX_free(c.ctx);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
