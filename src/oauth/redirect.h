/*
 * redirect.h - redirect URI rules (RFC 6749 3.1.2, RFC 9700 2.1 and 4.1):
 * registration-time validation, exact string matching at request time,
 * and building the redirect back to the client.
 */
#ifndef GH_REDIRECT_H
#define GH_REDIRECT_H

#include <stdbool.h>
#include "../store/store.h"
#include "../util/buf.h"

/*
 * Acceptable for registration: an absolute https URI; http only with a
 * loopback host (RFC 8252 7.3); or a private-use scheme with a dot in it
 * (RFC 8252 7.1). Only the bytes RFC 3986 allows (printable ASCII, '%'
 * only as %XX), never a fragment, userinfo or '*'; an http(s) host is a
 * DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address, and a
 * port is 1 to 65535. Checked when a client is registered: a URI stored
 * before these rules still matches exactly.
 */
bool		redirect_uri_acceptable(const char *uri);
/*
 * The registered URI to use: `requested` must equal one registered URI
 * byte for byte; NULL `requested` is allowed only with exactly one
 * registered. Returns NULL when nothing matches.
 */
const char     *redirect_match(const struct client_row *c,
		    const char *requested);
/* base + ('?' or '&') + k=v&...; pairs end with NULL; NULL values skipped */
enum gh_err	redirect_build(struct buf *out, const char *base, ...)
		    __attribute__((sentinel));

#endif
