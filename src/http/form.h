/*
 * form.h - application/x-www-form-urlencoded parsing, for query strings
 * and POST bodies alike.
 *
 * RFC 6749 3.1: parameters sent without a value are treated as omitted, and
 * a parameter must not be included more than once. The parser keeps the
 * first value of a repeated name and marks it duplicated, so the protocol
 * layer can decide which error a duplicate deserves. Every count and length
 * is bounded by limits.h; a decoded NUL byte is malformed input.
 */
#ifndef GH_FORM_H
#define GH_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include "../util/err.h"
#include "../util/limits.h"

struct param {
	char	*name;
	char	*value;
	bool	 dup;	/* the name appeared more than once */
};

struct params {
	struct param	items[GH_MAX_PARAMS];
	size_t		n;
};

void		params_init(struct params *p);
/* Parse `s` (not NUL-terminated); on error `p` holds nothing. */
enum gh_err	form_parse(const char *s, size_t len, struct params *p);
void		params_free(struct params *p);

const char     *params_get(const struct params *p, const char *name);
bool		params_is_dup(const struct params *p, const char *name);
/* First duplicated name, or NULL. */
const char     *params_first_dup(const struct params *p);

/* Percent-decode one component ('+' is a space); -1 on malformed input. */
long		form_decode(const char *s, size_t len, char *out,
		    size_t outmax);

#endif
