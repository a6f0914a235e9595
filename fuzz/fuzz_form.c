/*
 * fuzz_form.c - libFuzzer target for form_parse() (http/form.h): query
 * strings and POST bodies, the largest untrusted parser in the server.
 *
 * The input is handed over in a heap buffer of exactly its size, with no
 * NUL after it, so ASan catches any read past `len`. After a successful
 * parse the result is checked against the contract of form.h and against
 * an independent re-reading of the input (decode_ref below, written
 * without looking at form_decode): the parser keeps the first non-empty
 * value of each name (RFC 6749 3.1), marks a repeated name as duplicated,
 * drops empty names and values, and stays within limits.h. Any violated
 * invariant calls abort() so libFuzzer and the replay report it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/form.h"
#include "util/limits.h"
#include "fuzz_check.h"

/* Names the protocol layer actually asks for. */
static const char *const wanted[] = {
	"client_id", "redirect_uri", "response_type", "scope", "state",
	"code_challenge", "code_challenge_method", "code", "code_verifier",
	"grant_type", "refresh_token", "client_secret", "token", "nonce",
	"", "a", NULL
};

static int
hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;	/* fold A-F onto a-f */
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Reference decoder: '+' is a space, %XX is one byte, a truncated or
 * non-hex escape or a decoded NUL is malformed. Returns the length, or -1.
 * `out` has room for `n` bytes plus a NUL.
 */
static long
decode_ref(const char *s, size_t n, char *out)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3)
				return -1;
			hi = hex((unsigned char)s[i + 1]);
			lo = hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o] = s[i] == '+' ? ' ' : s[i];
		if (out[o++] == '\0')
			return -1;
	}
	out[o] = '\0';
	return (long)o;
}

/*
 * The input read pair by pair, once: every pair's decoded name and value,
 * NUL-terminated, one after the other in `text`. Lookups then walk the
 * pairs, not the input, so a check costs one pass per parameter over
 * already decoded pairs.
 */
struct ref {
	char	*text;
	size_t	 npairs;
};

static void
ref_read(const char *s, size_t len, struct ref *r)
{
	const char	*p = s, *end = s + len, *amp, *eq;
	char		*o;
	long		 n;

	/*
	 * The decoded names and values have at most len minus the
	 * npairs - 1 separators' bytes, plus two NULs a pair, and npairs is
	 * at most len + 1: 2 * len + 2 bytes hold them all.
	 */
	if ((r->text = o = malloc(2 * len + 2)) == NULL)
		abort();
	r->npairs = 0;
	for (;;) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			eq = amp;
		/* the parse succeeded, so every pair decodes */
		check((n = decode_ref(p, (size_t)(eq - p), o)) >= 0);
		o += n + 1;
		check((n = decode_ref(eq + (eq < amp), (size_t)(amp - eq) -
		    (eq < amp), o)) >= 0);
		o += n + 1;
		r->npairs++;
		if (amp == end)
			break;
		p = amp + 1;
	}
}

/*
 * For the parameter `name`, count the pairs that carry it with a
 * non-empty value, and return the first such value (NULL if none).
 */
static size_t
count_ref(const struct ref *r, const char *name, const char **first)
{
	const char	*k = r->text, *v;
	size_t		 i, hits = 0;

	*first = NULL;
	for (i = 0; i < r->npairs; i++) {
		v = k + strlen(k) + 1;
		if (k[0] != '\0' && v[0] != '\0' && strcmp(k, name) == 0 &&
		    hits++ == 0)
			*first = v;
		k = v + strlen(v) + 1;
	}
	return hits;
}

static void
check_items(const struct params *p, const struct ref *r)
{
	const char	*fd = NULL, *first;
	size_t		 i, j;

	check(p->n <= GH_MAX_PARAMS);
	for (i = 0; i < p->n; i++) {
		const struct param *it = &p->items[i];
		size_t hits;

		check(it->name != NULL && it->value != NULL);
		check(it->name[0] != '\0' && it->value[0] != '\0');
		check(strlen(it->name) <= GH_MAX_NAME_LEN);
		check(strlen(it->value) <= GH_MAX_PARAM_LEN);
		for (j = 0; j < i; j++)
			check(strcmp(p->items[j].name, it->name) != 0);
		check(params_get(p, it->name) == it->value);
		check(params_is_dup(p, it->name) == it->dup);
		if (it->dup && fd == NULL)
			fd = it->name;
		hits = count_ref(r, it->name, &first);
		check(hits >= 1);
		check(it->dup == (hits > 1));
		check(strcmp(first, it->value) == 0);
	}
	check(params_first_dup(p) == fd);
}

static void
check_lookups(const struct params *p, const struct ref *r)
{
	const char	*v, *first;
	size_t		 i;

	for (i = 0; wanted[i] != NULL; i++) {
		v = params_get(p, wanted[i]);
		if (v == NULL) {
			/* absent: the input never gave it a value */
			check(!params_is_dup(p, wanted[i]));
			check(count_ref(r, wanted[i], &first) == 0);
		} else
			check(v[0] != '\0');
	}
}

/* form_decode alone, into a buffer of exactly `outmax` bytes. */
static void
check_decode(const char *s, size_t len)
{
	size_t	 outmax = len / 2;
	char	*out;
	long	 n;

	if ((out = malloc(outmax ? outmax : 1)) == NULL)
		abort();
	n = form_decode(s, len, out, outmax);
	check(n >= -1 && n <= (long)outmax);
	if (n > 0)
		check(memchr(out, '\0', (size_t)n) == NULL);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct params	 p;
	struct ref	 r;
	char		*s;

	/* exact size, no terminator: the API takes (pointer, length) */
	if ((s = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size)
		memcpy(s, data, size);
	check_decode(s, size);
	if (form_parse(s, size, &p) == GH_OK) {
		ref_read(s, size, &r);
		check_items(&p, &r);
		check_lookups(&p, &r);
		free(r.text);
		params_free(&p);
		check(p.n == 0);
	} else
		check(p.n == 0);	/* on error p holds nothing */
	free(s);
	return 0;
}
