/*
 * scope.h - scope strings (RFC 6749 3.3): space-separated NQSCHAR tokens.
 */
#ifndef GH_SCOPE_H
#define GH_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

/* Well-formed: 1..GH_MAX_SCOPES tokens of NQSCHAR, single spaces. */
bool	scope_valid(const char *scope);
/* Every token of `want` appears in `have`. */
bool	scope_subset(const char *want, const char *have);
/* out = have + tokens of add not yet in it. False if it does not fit. */
bool	scope_union(const char *have, const char *add, char *out,
	    size_t outsz);
/* Words for the consent page, or NULL for a custom scope. */
const char *scope_describe(const char *name);
/* Scopes every server knows (RFC 6749, OIDC Core 5.4, 11). */
bool	scope_is_standard(const char *name);

#endif
