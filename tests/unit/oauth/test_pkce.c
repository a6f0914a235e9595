/*
 * test_pkce.c - oauth/pkce.h: S256 only (RFC 7636). The Appendix B
 * vector, verifier and challenge syntax at the length boundaries, and
 * the canonical-last-character rule of a 43-character challenge.
 */
#include "../harness.h"

#include "oauth/pkce.h"
#include "util/limits.h"

/* RFC 7636 Appendix B */
#define VERIFIER	"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE	"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/* n copies of c in out (outsz > n). */
static const char *
fill(char *out, size_t outsz, char c, size_t n)
{
	assert_true(n < outsz);
	memset(out, c, n);
	out[n] = '\0';
	return out;
}

static void
test_rfc7636_vector(void **state)
{
	(void)state;
	assert_true(pkce_verifier_valid(VERIFIER));
	assert_true(pkce_challenge_valid(CHALLENGE));
	assert_true(pkce_verify(VERIFIER, CHALLENGE));
}

static void
test_wrong_verifier(void **state)
{
	char v[] = VERIFIER;

	(void)state;
	v[sizeof(v) - 2] = 'j';	/* last character changed */
	assert_true(pkce_verifier_valid(v));
	assert_false(pkce_verify(v, CHALLENGE));
	/* "plain": the verifier itself as the challenge */
	assert_false(pkce_verify(VERIFIER, VERIFIER));
	/* the challenge is not a verifier for itself either */
	assert_false(pkce_verify(CHALLENGE, CHALLENGE));
}

static void
test_verifier_length(void **state)
{
	char v[256];

	(void)state;
	assert_false(pkce_verifier_valid(fill(v, sizeof(v), 'a', 42)));
	assert_true(pkce_verifier_valid(fill(v, sizeof(v), 'a', 43)));
	assert_true(pkce_verifier_valid(fill(v, sizeof(v), 'a', 128)));
	assert_false(pkce_verifier_valid(fill(v, sizeof(v), 'a', 129)));
	assert_false(pkce_verifier_valid(""));
	/* an over-long verifier never verifies, whatever its hash */
	assert_false(pkce_verify(fill(v, sizeof(v), 'a', 129), CHALLENGE));
}

/* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 7636 4.1) */
static void
test_verifier_charset(void **state)
{
	static const char bad[] = "+/ =%\"\\\t\x7f\x80";
	char	v[64];
	size_t	i;

	(void)state;
	fill(v, sizeof(v), 'a', 43);
	v[0] = '-';
	v[1] = '.';
	v[2] = '_';
	v[3] = '~';
	v[4] = 'Z';
	v[5] = '9';
	assert_true(pkce_verifier_valid(v));
	for (i = 0; i < sizeof(bad) - 1; i++) {
		fill(v, sizeof(v), 'a', 43);
		v[20] = bad[i];
		assert_false(pkce_verifier_valid(v));
	}
}

static void
test_challenge_length(void **state)
{
	char c[64];

	(void)state;
	assert_false(pkce_challenge_valid(fill(c, sizeof(c), 'A', 42)));
	assert_true(pkce_challenge_valid(fill(c, sizeof(c), 'A', 43)));
	assert_false(pkce_challenge_valid(fill(c, sizeof(c), 'A', 44)));
	assert_false(pkce_challenge_valid(""));
	/* padded form of a valid challenge */
	assert_false(pkce_challenge_valid(CHALLENGE "="));
	assert_false(pkce_verify(VERIFIER, CHALLENGE "="));
}

static void
test_challenge_charset(void **state)
{
	char c[] = CHALLENGE;

	(void)state;
	c[10] = '+';
	assert_false(pkce_challenge_valid(c));
	c[10] = '/';
	assert_false(pkce_challenge_valid(c));
	c[10] = '.';
	assert_false(pkce_challenge_valid(c));
	c[10] = '~';
	assert_false(pkce_challenge_valid(c));
}

/*
 * 43 characters carry 258 bits for a 256-bit hash: the last character's
 * low two bits must be zero, so only every fourth letter can end it.
 */
static void
test_challenge_noncanonical(void **state)
{
	static const char ok[] = "AEIMQUYcgkosw048";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char	c[] = CHALLENGE;
	size_t	i;

	(void)state;
	for (i = 0; i < 64; i++) {
		c[42] = b64[i];
		assert_int_equal(pkce_challenge_valid(c),
		    strchr(ok, b64[i]) != NULL);
	}
	/* 'N' decodes to the same 256 bits as 'M' plus a stray bit */
	c[42] = 'N';
	assert_false(pkce_verify(VERIFIER, c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7636_vector),
		cmocka_unit_test(test_wrong_verifier),
		cmocka_unit_test(test_verifier_length),
		cmocka_unit_test(test_verifier_charset),
		cmocka_unit_test(test_challenge_length),
		cmocka_unit_test(test_challenge_charset),
		cmocka_unit_test(test_challenge_noncanonical),
	};

	return cmocka_run_group_tests_name("oauth/pkce", tests, NULL, NULL);
}
