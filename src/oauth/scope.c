/* scope.c - see scope.h. */
#include <string.h>

#include "scope.h"
#include "../util/limits.h"
#include "../util/str.h"

static bool
nqschar(unsigned char c)
{
	/* %x21 / %x23-5B / %x5D-7E */
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

bool
scope_valid(const char *s)
{
	size_t	n = strlen(s), i, words = 0, wl = 0;

	if (n == 0 || n >= GH_MAX_SCOPE_LEN)
		return false;
	for (i = 0; i <= n; i++) {
		if (s[i] == ' ' || s[i] == '\0') {
			if (wl == 0)
				return false;	/* leading/double/trailing */
			if (++words > GH_MAX_SCOPES)
				return false;
			wl = 0;
		} else if (!nqschar((unsigned char)s[i]) ||
		    ++wl > GH_MAX_SCOPE_NAME) {
			return false;
		}
	}
	return true;
}

bool
scope_subset(const char *want, const char *have)
{
	struct slice w;

	while (words_next(&want, &w))
		if (w.len > GH_MAX_SCOPE_NAME || !words_has_slice(have, w))
			return false;
	return true;
}

bool
scope_union(const char *have, const char *add, char *out, size_t outsz)
{
	struct slice	 w;
	size_t		 len;

	if (!str_copy(out, outsz, have))
		return false;
	len = strlen(out);
	while (words_next(&add, &w)) {
		if (w.len > GH_MAX_SCOPE_NAME)
			return false;
		if (words_has_slice(out, w))
			continue;
		if (len + (len ? 1 : 0) + w.len + 1 > outsz)
			return false;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, w.p, w.len);
		len += w.len;
		out[len] = '\0';
	}
	return true;
}

static const struct {
	const char *name, *words;
} known[] = {
	{ "openid", "Confirm who you are (sign you in)" },
	{ "profile", "See your basic profile: name and username" },
	{ "email", "See your email address" },
	{ "offline_access",
	    "Keep access when you are not using it (refresh tokens)" },
};

const char *
scope_describe(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].name, name) == 0)
			return known[i].words;
	return NULL;
}

bool
scope_is_standard(const char *name)
{
	return scope_describe(name) != NULL;
}
