/*
 * server.h - the libmicrohttpd adapter: listens, enforces limits and
 * timeouts, builds a struct http_request, calls one handler, and sends the
 * struct http_response back with the security headers. It knows nothing
 * of OAuth.
 */
#ifndef GH_SERVER_H
#define GH_SERVER_H

#include "request.h"

typedef void	(*http_handler_fn)(void *ctx, const struct http_request *req,
		    struct http_response *resp);

struct http_config {
	const char	*host;		/* numeric IPv4 or IPv6 address */
	unsigned	 port;		/* 0: any free port */
	unsigned	 threads;	/* 0: http_threads(0) */
	unsigned	 max_connections;
	unsigned	 timeout_seconds;	/* idle: no byte for this long */
	unsigned	 per_ip_connections;	/* 0: unlimited */
	/* a whole request (line, headers, body) must arrive within this */
	unsigned	 request_deadline_seconds;	/* >= 1 */
	/*
	 * CIDR list (cidr.h) of the proxies whose X-Forwarded-For names the
	 * client (forwarded.h); NULL or "": the TCP peer is the client
	 */
	const char	*trusted_proxies;
};

struct http_server;

enum gh_err	http_start(const struct http_config *cfg, http_handler_fn fn,
		    void *ctx, struct http_server **out);
unsigned	http_port(const struct http_server *s);
/* The worker threads a configured count means (0: four per core). */
unsigned	http_threads(unsigned configured);
/*
 * Stop accepting, let in-flight requests finish (up to `drain_seconds`),
 * then stop and free the server.
 */
void		http_stop(struct http_server *s, unsigned drain_seconds);

#endif
