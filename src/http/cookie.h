/*
 * cookie.h - reading one cookie out of a Cookie header (RFC 6265 5.4).
 *
 * Other cookies never make the lookup fail, however many or large: the
 * header may hold anything the site's other applications set, up to what
 * the server accepts for all headers (GH_MAX_COOKIE_HDR; a longer one is
 * GH_ERR_LIMIT).
 *
 * A name that appears twice is reported as GH_ERR_DUPLICATE rather than
 * guessing which one the browser meant, and the caller treats it as no
 * cookie at all. A second cookie of the same name is the signature of
 * cookie tossing (RFC 6265 8.4, 8.6): a sibling subdomain, or a plain http
 * page of the same host, can set one with a longer Path, which browsers
 * send first. Taking the first (or the last) would let that cookie pick
 * the session (login CSRF, session fixation); taking none signs the
 * browser out, which is safe. Under https our names carry the __Host-
 * prefix, which no other origin can set, so there it never happens.
 */
#ifndef GH_COOKIE_H
#define GH_COOKIE_H

#include <stddef.h>
#include "../util/err.h"

/*
 * Copies the value into out (NUL-terminated); GH_ERR_NOT_FOUND if absent,
 * GH_ERR_LIMIT if the value does not fit in out (or holds a NUL),
 * GH_ERR_DUPLICATE if the name appears twice (out is then wiped: the
 * first copy was written to it). On any failure out holds no value.
 */
enum gh_err	cookie_get(const char *header, size_t len, const char *name,
		    char *out, size_t outsz);

#endif
