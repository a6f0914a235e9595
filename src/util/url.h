/*
 * url.h - an http:// or https:// URL taken apart for an outbound request
 * (the alert webhook): host, port, and the request target to send. The
 * config is checked with the same reading the sender uses, so a URL that
 * `check-config` accepts is one that can be sent to.
 */
#ifndef GH_URL_H
#define GH_URL_H

#include <stdbool.h>

struct url_target {
	bool	 tls;		/* https */
	char	 host[256];	/* a name, an IPv4 address or a bare IPv6 one */
	char	 port[8];	/* digits; 443 or 80 when none was given */
	char	 path[2048];	/* the request target: path and query */
};

/*
 * Parse `url`: false (and *t unspecified) unless it is http:// or
 * https://, a host with an optional numeric port, no userinfo, and a
 * path and query without a fragment, whitespace or control characters,
 * each within its buffer.
 */
bool	url_parse_http(const char *url, struct url_target *t);

#endif
