/*
 * cookie.h - reading one cookie out of a Cookie header (RFC 6265 5.4).
 *
 * A name that appears twice is reported as GH_ERR_DUPLICATE rather than
 * guessing which one the browser meant: a second cookie of the same name is
 * the signature of cookie tossing, and the caller treats it as no cookie.
 */
#ifndef GH_COOKIE_H
#define GH_COOKIE_H

#include <stddef.h>
#include "../util/err.h"

/* Copies the value into out (NUL-terminated); GH_ERR_NOT_FOUND if absent. */
enum gh_err	cookie_get(const char *header, size_t len, const char *name,
		    char *out, size_t outsz);

#endif
