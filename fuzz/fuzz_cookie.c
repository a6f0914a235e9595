/*
 * fuzz_cookie.c - libFuzzer target for cookie_get() (http/cookie.h). The
 * input is a whole Cookie request header.
 *
 * The header is passed in a heap buffer of exactly its size (no NUL), and
 * every output buffer is exactly `outsz` bytes, so ASan sees any read past
 * the header or write past the output. The names looked up are the ones
 * session.c uses, with and without the __Host- prefix. Each answer is
 * checked against a plain re-reading of the header (ref_find below), which
 * predicts the one answer allowed:
 *  - GH_ERR_LIMIT when the header is longer than GH_MAX_COOKIE_HDR (what
 *    the server takes for all headers), or when the name's first value
 *    does not fit in `outsz` bytes with its NUL (or holds a NUL); never
 *    because of other cookies, however many or large;
 *  - else GH_ERR_NOT_FOUND when the name does not occur at all;
 *  - else GH_ERR_DUPLICATE when it occurs twice or more, wherever the
 *    second copy is (cookie tossing, RFC 6265 8.4: the caller then treats
 *    it as no cookie);
 *  - else GH_OK: the value is NUL-terminated inside the buffer and is that
 *    pair's value (quotes stripped).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/cookie.h"
#include "util/limits.h"
#include "fuzz_check.h"

static const char *const names[] = {
	"gh_session", "__Host-gh_session", "gh_csrf", "__Host-gh_csrf", NULL
};

/* Output sizes: session.c's, and small ones to hit the length checks. */
static const size_t sizes[] = { GH_MAX_TOKEN_LEN, 9, 1, 0 };

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim spaces and tabs from both ends of [*p, *p + *n). */
static void
trim(const char **p, size_t *n)
{
	while (*n && is_ws((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_ws((*p)[*n - 1]))
		(*n)--;
}

/*
 * How many name=value pairs of the header carry `name`; the value of the
 * first (quotes stripped) is returned in *vp, *vn.
 */
static size_t
ref_find(const char *h, size_t len, const char *name, const char **vp,
    size_t *vn)
{
	const char	*p = h, *end = h + len, *semi, *eq, *k, *v;
	size_t		 hits = 0, kn, n, nl = strlen(name);

	while (len > 0) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL) {
			k = p;
			kn = (size_t)(eq - p);
			v = eq + 1;
			n = (size_t)(semi - v);
			trim(&k, &kn);
			trim(&v, &n);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (kn == nl && memcmp(k, name, nl) == 0 &&
			    hits++ == 0) {
				*vp = v;
				*vn = n;
			}
		}
		if (semi == end)
			break;
		p = semi + 1;
	}
	return hits;
}

static void
lookup(const char *h, size_t len, const char *name, size_t outsz)
{
	char		*out;
	const char	*v = NULL;
	size_t		 hits, vn = 0;
	enum gh_err	 rc, want;

	if ((out = malloc(outsz ? outsz : 1)) == NULL)
		abort();
	memset(out, 0xa5, outsz ? outsz : 1);
	rc = cookie_get(h, len, name, out, outsz);
	hits = ref_find(h, len, name, &v, &vn);
	if (len > GH_MAX_COOKIE_HDR)
		want = GH_ERR_LIMIT;
	else if (hits == 0)
		want = GH_ERR_NOT_FOUND;
	else if (vn + 1 > outsz || memchr(v, '\0', vn) != NULL)
		want = GH_ERR_LIMIT;
	else if (hits >= 2)
		want = GH_ERR_DUPLICATE;
	else
		want = GH_OK;
	check(rc == want);
	if (rc == GH_OK) {
		check(memchr(out, '\0', outsz) != NULL);
		check(strlen(out) == vn && memcmp(out, v, vn) == 0);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*h;
	size_t	 i, j;

	if ((h = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size)
		memcpy(h, data, size);
	for (i = 0; names[i] != NULL; i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			lookup(h, size, names[i], sizes[j]);
	free(h);
	return 0;
}
