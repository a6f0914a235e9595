/*
 * err.h - the one error enum of Gatehouse.
 *
 * Functions that can fail return enum gh_err; GH_OK is zero so `if (rc)`
 * reads as "if it failed". Protocol errors (RFC 6749 5.2 codes) live in
 * oauth/error.h; these are internal outcomes.
 */
#ifndef GH_ERR_H
#define GH_ERR_H

enum gh_err {
	GH_OK = 0,
	GH_ERR_NOMEM,		/* allocation failed: answer 503, keep serving */
	GH_ERR_LIMIT,		/* input larger than a limit in limits.h */
	GH_ERR_PARSE,		/* malformed input */
	GH_ERR_DUPLICATE,	/* a parameter given twice (RFC 6749 3.1) */
	GH_ERR_NOT_FOUND,	/* no such row */
	GH_ERR_CONFLICT,	/* a conditional update lost (already used) */
	GH_ERR_EXISTS,		/* unique constraint */
	GH_ERR_STORE,		/* database failure */
	GH_ERR_CRYPTO,		/* OpenSSL or RNG failure */
	GH_ERR_IO,		/* file or socket failure */
	GH_ERR_INVALID,		/* well-formed but not acceptable */
	GH_ERR_BUSY,		/* too much of this work at once: 503 */
};

const char *gh_err_str(enum gh_err e);

#endif
