/*
 * test_basic.c - http/basic.h: HTTP Basic client credentials (RFC 7617)
 * with the form-url-decoding of RFC 6749 2.3.1, and the promise that the
 * secret buffer is wiped on every failure.
 */
#include "../harness.h"

#include <openssl/evp.h>

#include "http/basic.h"
#include "util/limits.h"

/* "Basic " + standard base64 of `cred` into out. */
static void
basic_header(const char *scheme, const char *cred, char *out, size_t outsz)
{
	size_t	n = strlen(cred), sl = strlen(scheme);

	assert_true(sl + 4 * ((n + 2) / 3) + 1 <= outsz);
	memcpy(out, scheme, sl);
	EVP_EncodeBlock((unsigned char *)out + sl, (const unsigned char *)cred,
	    (int)n);
}

/* Decode with a secret buffer pre-filled with junk. */
static enum gh_err
decode(const char *h, char *id, size_t idsz, char *secret, size_t secretsz)
{
	memset(secret, 'J', secretsz);
	return basic_decode(h, strlen(h), id, idsz, secret, secretsz);
}

static void
assert_zeroed(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			fail_msg("secret byte %zu not wiped on failure", i);
}

static void
test_valid(void **state)
{
	char h[256], id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];

	(void)state;
	basic_header("Basic ", "client1:s3cret", h, sizeof(h));
	assert_true(basic_is_basic(h));
	assert_int_equal(decode(h, id, sizeof(id), secret, sizeof(secret)),
	    GH_OK);
	assert_string_equal(id, "client1");
	assert_string_equal(secret, "s3cret");
}

static void
test_scheme_case_insensitive(void **state)
{
	char h[256], id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];

	(void)state;
	basic_header("bAsIc ", "c:s", h, sizeof(h));
	assert_true(basic_is_basic(h));
	assert_int_equal(decode(h, id, sizeof(id), secret, sizeof(secret)),
	    GH_OK);
	assert_string_equal(id, "c");
	assert_string_equal(secret, "s");
	basic_header("BASIC ", "c:s", h, sizeof(h));
	assert_int_equal(decode(h, id, sizeof(id), secret, sizeof(secret)),
	    GH_OK);
	assert_false(basic_is_basic("Bearer abc"));
	assert_false(basic_is_basic("Basicx"));
	assert_false(basic_is_basic(NULL));
}

/* RFC 6749 2.3.1: each half is form-url-encoded before joining. */
static void
test_form_url_decoding(void **state)
{
	char h[256], id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];

	(void)state;
	basic_header("Basic ", "my%3Aclient:a%2Bb+c%25", h, sizeof(h));
	assert_int_equal(decode(h, id, sizeof(id), secret, sizeof(secret)),
	    GH_OK);
	assert_string_equal(id, "my:client");
	assert_string_equal(secret, "a+b c%");
	/* the split is at the first raw ':'; later ones belong to the secret */
	basic_header("Basic ", "id:x:y", h, sizeof(h));
	assert_int_equal(decode(h, id, sizeof(id), secret, sizeof(secret)),
	    GH_OK);
	assert_string_equal(id, "id");
	assert_string_equal(secret, "x:y");
}

static void
test_missing_colon(void **state)
{
	char h[256], id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];

	(void)state;
	basic_header("Basic ", "nocolon", h, sizeof(h));
	assert_int_not_equal(decode(h, id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
}

static void
test_bad_base64(void **state)
{
	static const char *bad[] = {
		"Basic !!!!", "Basic YzpzY", "Basic YzpzZ===", "Basic Yz=z",
		"Basic Y3:z", "Basic ",
	};
	char	id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(decode(bad[i], id, sizeof(id), secret,
		    sizeof(secret)), GH_OK);
		assert_zeroed(secret, sizeof(secret));
	}
}

static void
test_empty_parts(void **state)
{
	char h[256], id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];

	(void)state;
	basic_header("Basic ", "client:", h, sizeof(h));
	assert_int_not_equal(decode(h, id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
	basic_header("Basic ", ":secret", h, sizeof(h));
	assert_int_not_equal(decode(h, id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
	/* malformed percent-encoding inside a half */
	basic_header("Basic ", "client:bad%zz", h, sizeof(h));
	assert_int_not_equal(decode(h, id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
}

/* Parts larger than the caller's buffers fail, they are not truncated. */
static void
test_parts_too_long(void **state)
{
	char h[256], id[8], secret[8];

	(void)state;
	basic_header("Basic ", "1234567:1234567", h, sizeof(h));
	assert_int_equal(decode(h, id, sizeof(id), secret, sizeof(secret)),
	    GH_OK);
	basic_header("Basic ", "12345678:s", h, sizeof(h));
	assert_int_not_equal(decode(h, id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
	basic_header("Basic ", "c:12345678", h, sizeof(h));
	assert_int_not_equal(decode(h, id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
}

/* Over GH_MAX_AUTH_HDR: refused before decoding, secret still wiped. */
static void
test_oversized_header(void **state)
{
	char	h[2 * GH_MAX_AUTH_HDR], cred[GH_MAX_AUTH_HDR];
	char	id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];

	(void)state;
	memset(cred, 'a', sizeof(cred) - 1);
	cred[0] = 'c';
	cred[1] = ':';
	cred[sizeof(cred) - 1] = '\0';
	basic_header("Basic ", cred, h, sizeof(h));
	assert_true(strlen(h) > GH_MAX_AUTH_HDR);
	assert_int_equal(decode(h, id, sizeof(id), secret, sizeof(secret)),
	    GH_ERR_LIMIT);
	assert_zeroed(secret, sizeof(secret));
}

/* Not Basic at all (or too short): a failure like any other. */
static void
test_wrong_scheme(void **state)
{
	char id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];

	(void)state;
	assert_int_not_equal(decode("Bearer Yzpz", id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
	assert_int_not_equal(decode("Basic", id, sizeof(id), secret,
	    sizeof(secret)), GH_OK);
	assert_zeroed(secret, sizeof(secret));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_scheme_case_insensitive),
		cmocka_unit_test(test_form_url_decoding),
		cmocka_unit_test(test_missing_colon),
		cmocka_unit_test(test_bad_base64),
		cmocka_unit_test(test_empty_parts),
		cmocka_unit_test(test_parts_too_long),
		cmocka_unit_test(test_oversized_header),
		cmocka_unit_test(test_wrong_scheme),
	};

	return cmocka_run_group_tests_name("http/basic", tests, NULL, NULL);
}
