/*
 * fuzz_scope.c - libFuzzer target for scope strings (oauth/scope.h) and
 * PKCE values (oauth/pkce.h): scope_valid, scope_subset, scope_union,
 * pkce_challenge_valid, pkce_verifier_valid and pkce_verify.
 *
 * Input layout: the first line is A (a requested scope, or a PKCE
 * verifier), the rest after the first '\n' is B (the granted scope, or a
 * PKCE challenge); the whole input is also tried as one scope. Every
 * answer is compared with a reference written from the RFCs (RFC 6749 3.3
 * for scope, RFC 7636 4.1-4.2 for PKCE), not from scope.c or pkce.c; the
 * S256 reference uses libcrypto's SHA256() directly. scope_union writes
 * into heap buffers of exactly the size it is given, so ASan sees any
 * overrun.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "oauth/pkce.h"
#include "oauth/scope.h"
#include "util/limits.h"
#include "fuzz_check.h"

/* RFC 6749 3.3: scope-token = 1*NQSCHAR, tokens joined by one space. */
static bool
ref_scope_valid(const char *s)
{
	size_t	 n = strlen(s), i, tok = 0, ntok = 0;
	unsigned char c;

	if (n == 0 || n >= GH_MAX_SCOPE_LEN)
		return false;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == ' ') {
			if (tok == 0)
				return false;
			tok = 0;
		} else if (c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
		    (c >= 0x5d && c <= 0x7e)) {
			if (tok++ == 0)
				ntok++;
			if (tok > GH_MAX_SCOPE_NAME)
				return false;
		} else
			return false;
	}
	return tok > 0 && ntok <= GH_MAX_SCOPES;
}

/* Is the n-byte token t one of the space-separated words of list? */
static bool
ref_has(const char *list, const char *t, size_t n)
{
	size_t	 k;

	while (*list) {
		k = strcspn(list, " ");
		if (k == n && k > 0 && memcmp(list, t, n) == 0)
			return true;
		list += k;
		if (*list == ' ')
			list++;
	}
	return false;
}

/* 1 if every word of want is in have, 0 if not, -1 if a word is too long */
static int
ref_subset(const char *want, const char *have)
{
	size_t	 k;
	int	 r = 1;

	while (*want) {
		k = strcspn(want, " ");
		if (k > GH_MAX_SCOPE_NAME)
			return -1;
		if (k > 0 && !ref_has(have, want, k))
			r = 0;
		want += k;
		if (*want == ' ')
			want++;
	}
	return r;
}

/* The union scope_union should produce, or NULL if it cannot. */
static char *
ref_union(const char *have, const char *add, size_t outsz)
{
	size_t	 len = strlen(have), k, room = len + strlen(add) + 2;
	char	*out;

	if (len >= outsz || (out = malloc(room)) == NULL)
		return NULL;
	memcpy(out, have, len + 1);
	while (*add) {
		k = strcspn(add, " ");
		if (k > GH_MAX_SCOPE_NAME || (k > 0 && !ref_has(out, add, k) &&
		    len + (len > 0) + k >= outsz)) {
			free(out);
			return NULL;
		}
		if (k > 0 && !ref_has(out, add, k)) {
			if (len > 0)
				out[len++] = ' ';
			memcpy(out + len, add, k);
			out[len += k] = '\0';
		}
		add += k;
		if (*add == ' ')
			add++;
	}
	return out;
}

static void
check_union(const char *have, const char *add, size_t outsz)
{
	char	*out, *want;
	bool	 ok;

	if ((out = malloc(outsz ? outsz : 1)) == NULL)
		abort();
	ok = scope_union(have, add, out, outsz);
	want = ref_union(have, add, outsz);
	check(ok == (want != NULL));
	if (ok) {
		check(memchr(out, '\0', outsz) != NULL);
		check(strcmp(out, want) == 0);
		check(strncmp(out, have, strlen(have)) == 0);
		check(scope_subset(add, out));
	}
	free(want);
	free(out);
}

static void
check_scope(const char *a, const char *b, const char *all)
{
	int	 sub;

	check(scope_valid(a) == ref_scope_valid(a));
	check(scope_valid(b) == ref_scope_valid(b));
	check(scope_valid(all) == ref_scope_valid(all));
	if ((sub = ref_subset(a, b)) >= 0)
		check(scope_subset(a, b) == (sub == 1));
	else
		check(!scope_subset(a, b));
	check_union(b, a, GH_MAX_SCOPE_LEN);
	check_union(b, a, strlen(b) + 1 + strlen(a) / 2);
	check_union(b, a, 1);
}

static bool
unreserved(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* RFC 7636 4.1: 43-128 unreserved characters. */
static bool
ref_verifier_valid(const char *v)
{
	size_t n = strlen(v), i;

	for (i = 0; i < n; i++)
		if (!unreserved(v[i]))
			return false;
	return n >= GH_PKCE_MIN && n <= GH_PKCE_MAX;
}

/* RFC 7636 4.2: BASE64URL(SHA256(verifier)), 43 characters. */
static void
ref_challenge(const char *v, char out[GH_S256_CHALLENGE_LEN + 1])
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char	 d[SHA256_DIGEST_LENGTH + 1] = { 0 };
	size_t		 i, bit;

	SHA256((const unsigned char *)v, strlen(v), d);
	for (i = 0; i < GH_S256_CHALLENGE_LEN; i++) {
		bit = i * 6;
		out[i] = al[((d[bit / 8] << 8 | d[bit / 8 + 1]) >>
		    (10 - bit % 8)) & 63];
	}
	out[GH_S256_CHALLENGE_LEN] = '\0';
}

static void
check_pkce(const char *v, const char *c)
{
	char	 good[GH_S256_CHALLENGE_LEN + 1];
	bool	 vok = ref_verifier_valid(v);

	check(pkce_verifier_valid(v) == vok);
	ref_challenge(v, good);
	/* every real S256 challenge is well-formed */
	check(pkce_challenge_valid(good));
	check(pkce_verify(v, good) == vok);
	check(pkce_verify(v, c) == (vok && strcmp(c, good) == 0));
	if (pkce_challenge_valid(c))
		check(strlen(c) == GH_S256_CHALLENGE_LEN &&
		    strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
		    "uvwxyz0123456789-_") == GH_S256_CHALLENGE_LEN);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*all, *a, *b;

	if ((all = malloc(size + 1)) == NULL)
		return 0;
	if ((a = malloc(size + 1)) == NULL) {
		free(all);
		return 0;
	}
	memcpy(all, data, size);
	all[size] = '\0';
	memcpy(a, all, size + 1);
	if ((b = strchr(a, '\n')) != NULL)
		*b++ = '\0';
	else
		b = a + strlen(a);	/* "" */
	check_scope(a, b, all);
	check_pkce(a, b);
	free(a);
	free(all);
	return 0;
}
