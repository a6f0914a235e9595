/*
 * store_url.c - a database URL as it may be shown (store_url_redact,
 * store.h): by check-config, init and error messages, with every
 * password libpq would read in it hidden.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "store.h"
#include "../util/crypto.h"

/* Text bound for out[size]: cut at the end, always NUL-terminated. */
struct shown {
	char	*out;
	size_t	 size, len;
};

static void
show(struct shown *s, const char *p, size_t n)
{
	if (n > s->size - 1 - s->len)
		n = s->size - 1 - s->len;
	memcpy(s->out + s->len, p, n);
	s->len += n;
	s->out[s->len] = '\0';
}

/*
 * Whether the URI query parameter name [p, p + n) names a password as
 * libpq reads it: libpq decodes %XX in names as in values, so
 * "pass%77ord" is "password". Case is ignored, to hide more rather than
 * less.
 */
static bool
names_password(const char *p, size_t n)
{
	char	name[sizeof("sslpassword")];
	size_t	i, len = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if (len + 1 >= sizeof(name))
			return false;	/* longer than any such name */
		if (p[i] == '%' && i + 2 < n &&
		    (hi = hex_digit(p[i + 1])) >= 0 &&
		    (lo = hex_digit(p[i + 2])) >= 0) {
			name[len++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			name[len++] = p[i];
		}
	}
	name[len] = '\0';
	return strcasecmp(name, "password") == 0 ||
	    strcasecmp(name, "sslpassword") == 0;
}

/* The query q (after its '?') with each password's value as "***". */
static void
show_query(struct shown *s, const char *q)
{
	const char	*eq;
	size_t		 n;

	for (;;) {
		n = strcspn(q, "&");
		eq = memchr(q, '=', n);
		if (eq != NULL && names_password(q, (size_t)(eq - q))) {
			show(s, q, (size_t)(eq - q) + 1);
			show(s, "***", 3);
		} else {
			show(s, q, n);
		}
		if (q[n] == '\0')
			return;
		show(s, "&", 1);
		q += n + 1;
	}
}

/*
 * libpq takes the userinfo of postgresql://user:password@host/db?... up
 * to the first '@' ahead of any '/': from the first ':' to the last '@'
 * before the first '/' is hidden, which covers it whichever '@' it is.
 * The query's passwords are hidden too (show_query). A hidden value is
 * never copied, so a URL cut at outsz shows no part of one either.
 */
void
store_url_redact(const char *url, char *out, size_t outsz)
{
	struct shown	 s = { out, outsz, 0 };
	const char	*scheme = strstr(url, "://");
	const char	*host, *end, *at, *colon, *rest, *q;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (scheme == NULL) {
		show(&s, url, strlen(url));
		return;
	}
	host = scheme + 3;
	end = host + strcspn(host, "/");
	at = NULL;
	for (rest = host; rest < end; rest++)
		if (*rest == '@')
			at = rest;
	colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
	rest = url;
	if (colon != NULL) {
		show(&s, url, (size_t)(colon - url));
		show(&s, ":***", 4);
		rest = at;
	}
	if ((q = strchr(rest == url ? host : rest, '?')) != NULL) {
		show(&s, rest, (size_t)(q - rest) + 1);
		show_query(&s, q + 1);
	} else {
		show(&s, rest, strlen(rest));
	}
}
