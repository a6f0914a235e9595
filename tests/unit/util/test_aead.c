/*
 * test_aead.c - util/aead.h: AES-256-GCM sealing of secrets at rest.
 * Round trips of several sizes; a fresh nonce per seal; any flipped bit
 * in nonce, ciphertext or tag, a different aad (the row binding) or a
 * different key is refused; truncated, padded and non-base64url input
 * is refused; the size limit holds.
 */
#include "../harness.h"

#include "util/aead.h"
#include "util/crypto.h"

#define NONCE	12
#define TAG	16

static const uint8_t key1[AEAD_KEY_BYTES] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};

static const char secret[] = "{\"kty\":\"EC\",\"d\":\"private-part\"}";

/* Open must fail: no plaintext comes back. */
static void
assert_refused(const uint8_t *key, const char *aad, const char *sealed)
{
	size_t	 n = 0;
	char	*p = aead_open(key, aad, sealed, &n);
	bool	 opened = p != NULL;

	free(p);
	assert_false(opened);
}

static void
test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000, 65536 };
	uint8_t	*plain;
	char	*sealed, *opened;
	size_t	 i, j, n;

	(void)state;
	assert_non_null(plain = malloc(65536));
	for (j = 0; j < 65536; j++)
		plain[j] = (uint8_t)(j * 131 + 7);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sealed = aead_seal(key1, "kid-1", plain, sizes[i]);
		assert_non_null(sealed);
		/* text: base64url of nonce || ciphertext || tag */
		assert_int_equal(strlen(sealed),
		    b64url_len(NONCE + sizes[i] + TAG));
		assert_int_equal(strspn(sealed, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_"), strlen(sealed));
		n = 0;
		opened = aead_open(key1, "kid-1", sealed, &n);
		assert_non_null(opened);
		assert_int_equal(n, sizes[i]);
		assert_memory_equal(opened, plain, sizes[i]);
		assert_int_equal(opened[n], '\0');	/* NUL-terminated */
		free(opened);
		free(sealed);
	}
	free(plain);
}

/* Over the limit: nothing is sealed. */
static void
test_seal_limit(void **state)
{
	uint8_t *big;

	(void)state;
	assert_non_null(big = calloc(1, 65537));
	assert_null(aead_seal(key1, "k", big, 65537));
	free(big);
}

/* A fresh random nonce each time: equal plaintexts seal differently. */
static void
test_nonce_is_fresh(void **state)
{
	char	*a, *b;
	uint8_t	 ra[128], rb[128];

	(void)state;
	a = aead_seal(key1, "kid", secret, strlen(secret));
	b = aead_seal(key1, "kid", secret, strlen(secret));
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b);
	assert_true(b64url_decode(a, strlen(a), ra, sizeof(ra)) > NONCE);
	assert_true(b64url_decode(b, strlen(b), rb, sizeof(rb)) > NONCE);
	assert_memory_not_equal(ra, rb, NONCE);
	/* and the plaintext is not there in the clear */
	assert_null(strstr(a, "private"));
	free(a);
	free(b);
}

/* Flip one bit at byte `at` of the raw sealed form; re-encode. */
static char *
flipped(const char *sealed, size_t at, uint8_t bit)
{
	uint8_t	 raw[256];
	long	 n = b64url_decode(sealed, strlen(sealed), raw, sizeof(raw));
	char	*out;

	assert_true(n > 0 && (size_t)at < (size_t)n);
	raw[at] ^= bit;
	assert_non_null(out = malloc(b64url_len((size_t)n) + 1));
	b64url_encode(raw, (size_t)n, out);
	return out;
}

static void
test_tampering_refused(void **state)
{
	char	*sealed, *bad;
	size_t	 len = strlen(secret), total = NONCE + len + TAG, at;
	/* first and last of nonce, ciphertext and tag */
	const size_t spots[] = { 0, NONCE - 1, NONCE, NONCE + len - 1,
	    NONCE + len, total - 1 };
	size_t	 i;

	(void)state;
	sealed = aead_seal(key1, "kid-1", secret, len);
	assert_non_null(sealed);
	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		at = spots[i];
		bad = flipped(sealed, at, 0x01);
		assert_refused(key1, "kid-1", bad);
		free(bad);
		bad = flipped(sealed, at, 0x80);
		assert_refused(key1, "kid-1", bad);
		free(bad);
	}
	free(sealed);
}

/* The aad binds the sealed value to its row. */
static void
test_wrong_aad_refused(void **state)
{
	char	*sealed, *p;
	size_t	 n;

	(void)state;
	sealed = aead_seal(key1, "RS256-aaaa", secret, strlen(secret));
	assert_non_null(sealed);
	assert_refused(key1, "RS256-aaab", sealed);
	assert_refused(key1, "RS256-aaa", sealed);
	assert_refused(key1, "", sealed);
	assert_non_null(p = aead_open(key1, "RS256-aaaa", sealed, &n));
	assert_string_equal(p, secret);
	free(p);
	free(sealed);
}

static void
test_wrong_key_refused(void **state)
{
	uint8_t	 key2[AEAD_KEY_BYTES];
	char	*sealed;

	(void)state;
	memcpy(key2, key1, sizeof(key2));
	key2[31] ^= 0x01;
	sealed = aead_seal(key1, "kid", secret, strlen(secret));
	assert_non_null(sealed);
	assert_refused(key2, "kid", sealed);
	memset(key2, 0, sizeof(key2));
	assert_refused(key2, "kid", sealed);
	free(sealed);
}

/* Truncated, extended, empty and non-base64url forms. */
static void
test_malformed_refused(void **state)
{
	char	*sealed, *bad, shortform[64];
	uint8_t	 raw[256];
	size_t	 len;
	long	 n;

	(void)state;
	sealed = aead_seal(key1, "kid", secret, strlen(secret));
	assert_non_null(sealed);
	len = strlen(sealed);

	/* one byte short of the tag, then one extra byte */
	n = b64url_decode(sealed, len, raw, sizeof(raw));
	assert_true(n > 0);
	assert_non_null(bad = malloc(b64url_len((size_t)n + 1) + 1));
	b64url_encode(raw, (size_t)n - 1, bad);
	assert_refused(key1, "kid", bad);
	raw[n] = 0;
	b64url_encode(raw, (size_t)n + 1, bad);
	assert_refused(key1, "kid", bad);
	free(bad);

	/* shorter than nonce + tag: nothing to open */
	b64url_encode(raw, NONCE + TAG - 1, shortform);
	assert_refused(key1, "kid", shortform);
	assert_refused(key1, "kid", "");
	/* standard base64 characters and padding are not base64url */
	assert_non_null(bad = strdup(sealed));
	bad[len / 2] = '+';
	assert_refused(key1, "kid", bad);
	free(bad);
	assert_non_null(bad = malloc(len + 2));
	memcpy(bad, sealed, len);
	memcpy(bad + len, "=", 2);
	assert_refused(key1, "kid", bad);
	free(bad);
	free(sealed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_sizes),
		cmocka_unit_test(test_seal_limit),
		cmocka_unit_test(test_nonce_is_fresh),
		cmocka_unit_test(test_tampering_refused),
		cmocka_unit_test(test_wrong_aad_refused),
		cmocka_unit_test(test_wrong_key_refused),
		cmocka_unit_test(test_malformed_refused),
	};

	return cmocka_run_group_tests_name("util/aead", tests, NULL, NULL);
}
