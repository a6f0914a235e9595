/*
 * request.h - the bounded request and response structs that handlers see.
 *
 * http/server.c fills a struct http_request from libmicrohttpd and turns a
 * struct http_response back into a reply; handlers never see the library,
 * so they can be unit-tested by filling these structs by hand.
 */
#ifndef GH_REQUEST_H
#define GH_REQUEST_H

#include <stdbool.h>
#include "../util/buf.h"
#include "../util/limits.h"

enum http_method {
	HTTP_GET = 1, HTTP_POST = 2, HTTP_HEAD = 4, HTTP_OTHER = 8
};

struct http_request {
	enum http_method method;
	const char	*query;			/* raw, after '?', or "" */
	size_t		 query_len;
	struct buf	 body;
	/* the headers handlers use, copied and bounded (NULL if absent) */
	const char	*authorization;
	const char	*cookie;
	const char	*content_type;
	const char	*user_agent;		/* UTF-8, GH_MAX_UA_LEN */
	char		 user_agent_buf[GH_MAX_UA_LEN + 1];
	char		 remote_addr[64];
	char		 path[GH_MAX_URI_LEN];	/* raw, without the query; last */
};

struct http_header {
	const char	*name;	/* static string */
	char		*value;	/* owned */
};

enum reply_kind { REPLY_API, REPLY_HTML };

/*
 * An answer that may go only once something else is done (routes.c: the
 * request's writes durable). h NULL: it may go at once. Otherwise the
 * server calls watch(h, wake, arg) and parks the connection, not the
 * thread, until wake(arg); then end(h), which frees h: false means the
 * answer must not go, and 503 goes instead. end() alone, without watch,
 * waits in the calling thread (response_free() does that).
 */
struct http_hold {
	void		*h;
	void		(*watch)(void *h, void (*wake)(void *), void *arg);
	bool		(*end)(void *h);
};

struct http_response {
	int		 status;
	enum reply_kind	 kind;		/* which security headers apply */
	const char	*content_type;	/* static string */
	const char	*cache_control;	/* NULL: no-store */
	char		 cache_buf[48];	/* storage for a computed policy */
	struct buf	 body;
	struct http_header headers[GH_MAX_HEADERS_OUT];
	size_t		 nheaders;
	struct http_hold hold;
};

void		response_init(struct http_response *r);
void		response_free(struct http_response *r);
/* Adds a header; the value is copied. */
enum gh_err	response_header(struct http_response *r, const char *name,
		    const char *value);
const char     *response_get_header(const struct http_response *r,
		    const char *name);

#endif
