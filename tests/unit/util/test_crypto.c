/*
 * test_crypto.c - util/crypto.h: base64url and base64 decoding (strict,
 * canonical, bounded), hex, constant-time compare, secret minting, and
 * SHA-256 / HMAC-SHA-256 against published vectors.
 */
#include "../harness.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/crypto.h"

/* RFC 4648 10 test vectors, in base64url without padding. */
static const struct {
	const char *plain, *enc;
} rfc4648[] = {
	{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

static long
dec(const char *s, uint8_t *out, size_t outmax)
{
	return b64url_decode(s, strlen(s), out, outmax);
}

static void
test_b64url_vectors(void **state)
{
	char	enc[16];
	uint8_t	raw[16];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t n = strlen(rfc4648[i].plain);

		b64url_encode((const uint8_t *)rfc4648[i].plain, n, enc);
		assert_string_equal(enc, rfc4648[i].enc);
		assert_int_equal(b64url_len(n), strlen(rfc4648[i].enc));
		assert_int_equal(dec(rfc4648[i].enc, raw, sizeof(raw)),
		    (long)n);
		assert_memory_equal(raw, rfc4648[i].plain, n);
	}
}

/* The URL alphabet: 0xfb 0xff is "+/8" in standard base64. */
static void
test_b64url_alphabet(void **state)
{
	const uint8_t	in[2] = { 0xfb, 0xff };
	char		enc[8];
	uint8_t		raw[4];

	(void)state;
	b64url_encode(in, sizeof(in), enc);
	assert_string_equal(enc, "-_8");
	assert_int_equal(dec("-_8", raw, sizeof(raw)), 2);
	assert_memory_equal(raw, in, 2);
	assert_int_equal(dec("+/8", raw, sizeof(raw)), -1);
}

static void
test_b64url_round_trip(void **state)
{
	uint8_t	in[64], out[64];
	char	enc[128];
	size_t	n;

	(void)state;
	for (n = 0; n < sizeof(in); n++)
		in[n] = (uint8_t)(n * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		b64url_encode(in, n, enc);
		assert_int_equal(strlen(enc), b64url_len(n));
		assert_int_equal(dec(enc, out, sizeof(out)), (long)n);
		assert_memory_equal(out, in, n);
	}
}

/* The unused low bits of the last character must be zero. */
static void
test_b64url_rejects_noncanonical(void **state)
{
	uint8_t raw[8];

	(void)state;
	assert_int_equal(dec("Zg", raw, sizeof(raw)), 1);
	assert_int_equal(dec("Zh", raw, sizeof(raw)), -1);
	assert_int_equal(dec("Zm8", raw, sizeof(raw)), 2);
	assert_int_equal(dec("Zm9", raw, sizeof(raw)), -1);
}

static void
test_b64url_rejects_bad_input(void **state)
{
	uint8_t raw[16];

	(void)state;
	assert_int_equal(dec("Zm9v=", raw, sizeof(raw)), -1);
	assert_int_equal(dec("Zg==", raw, sizeof(raw)), -1);
	assert_int_equal(dec("Zm 9v", raw, sizeof(raw)), -1);
	assert_int_equal(dec("Zm9v\n", raw, sizeof(raw)), -1);
	assert_int_equal(dec("Zm.v", raw, sizeof(raw)), -1);
	/* 5, 9 characters: n % 4 == 1 can never be valid */
	assert_int_equal(dec("Zm9vY", raw, sizeof(raw)), -1);
	assert_int_equal(dec("Zm9vYmFyZ", raw, sizeof(raw)), -1);
	assert_int_equal(dec("Z", raw, sizeof(raw)), -1);
	/* an embedded NUL inside the given length */
	assert_int_equal(b64url_decode("Zm\0v", 4, raw, sizeof(raw)), -1);
}

static void
test_b64url_outmax(void **state)
{
	uint8_t raw[8];

	(void)state;
	memset(raw, 0xee, sizeof(raw));
	assert_int_equal(dec("Zm9vYmFy", raw, 5), -1);
	assert_int_equal(raw[5], 0xee);	/* nothing past outmax */
	assert_int_equal(dec("Zm9vYmFy", raw, 6), 6);
	assert_int_equal(dec("Zg", raw, 0), -1);
}

static void
test_b64std_decode(void **state)
{
	uint8_t raw[8];

	(void)state;
	assert_int_equal(b64std_decode("Zm9vYg==", 8, raw, sizeof(raw)), 4);
	assert_memory_equal(raw, "foob", 4);
	assert_int_equal(b64std_decode("Zm9vYmE=", 8, raw, sizeof(raw)), 5);
	assert_memory_equal(raw, "fooba", 5);
	assert_int_equal(b64std_decode("Zm9vYmFy", 8, raw, sizeof(raw)), 6);
	assert_int_equal(b64std_decode("+/8=", 4, raw, sizeof(raw)), 2);
	assert_int_equal(raw[0], 0xfb);
	assert_int_equal(raw[1], 0xff);
	assert_int_equal(b64std_decode("", 0, raw, sizeof(raw)), 0);
}

/* RFC 4648 10 vectors, padded, and the standard alphabet's two symbols */
static void
test_b64std_encode(void **state)
{
	static const struct {
		const char	*plain, *enc;
	} v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "+/8=" },
	};
	char	enc[16];
	size_t	i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = strlen(v[i].plain);
		b64std_encode((const uint8_t *)v[i].plain, n, enc);
		assert_string_equal(enc, v[i].enc);
		assert_int_equal(b64std_len(n), strlen(v[i].enc));
	}
}

static void
test_b64std_rejects(void **state)
{
	uint8_t raw[8];

	(void)state;
	/* padding is required, at most two, only at the end */
	assert_int_equal(b64std_decode("Zm9vYg", 6, raw, sizeof(raw)), -1);
	assert_int_equal(b64std_decode("Zg=a", 4, raw, sizeof(raw)), -1);
	assert_int_equal(b64std_decode("Zm9v====", 8, raw, sizeof(raw)), -1);
	assert_int_equal(b64std_decode("Z===", 4, raw, sizeof(raw)), -1);
	/* URL alphabet is not standard base64 */
	assert_int_equal(b64std_decode("-_8=", 4, raw, sizeof(raw)), -1);
	/* non-canonical: "Zh==" has non-zero unused bits */
	assert_int_equal(b64std_decode("Zh==", 4, raw, sizeof(raw)), -1);
	assert_int_equal(b64std_decode("Zm9vYmFy", 8, raw, 5), -1);
}

static void
test_hex_encode(void **state)
{
	const uint8_t	in[5] = { 0x00, 0x01, 0xab, 0x7f, 0xff };
	char		out[11];

	(void)state;
	memset(out, 'x', sizeof(out));
	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "0001ab7fff");
	hex_encode(in, 0, out);
	assert_string_equal(out, "");
}

static void
test_ct_eq(void **state)
{
	(void)state;
	assert_true(crypto_ct_eq("abc", 3, "abc", 3));
	assert_false(crypto_ct_eq("abc", 3, "abd", 3));
	/* a prefix is not equal: lengths differ */
	assert_false(crypto_ct_eq("abc", 3, "abcd", 4));
	assert_false(crypto_ct_eq("abcd", 4, "abc", 3));
	assert_true(crypto_ct_eq("", 0, "", 0));
}

static void
test_wipe(void **state)
{
	uint8_t	b[16];
	size_t	i;

	(void)state;
	memset(b, 0xa5, sizeof(b));
	crypto_wipe(b, sizeof(b));
	for (i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	crypto_wipe(NULL, 4);	/* harmless */
}

static bool
all_b64url(const char *s)
{
	for (; *s; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_", *s) == NULL)
			return false;
	return true;
}

static void
test_new_secret(void **state)
{
	char	a[GH_MAX_TOKEN_LEN], b[GH_MAX_TOKEN_LEN];
	uint8_t	raw[GH_SECRET_BYTES];

	(void)state;
	assert_int_equal(crypto_new_secret("gate_at_", a, sizeof(a)), GH_OK);
	assert_int_equal(crypto_new_secret("gate_at_", b, sizeof(b)), GH_OK);
	assert_int_equal(strncmp(a, "gate_at_", 8), 0);
	assert_int_equal(strlen(a), 8 + 43);
	assert_true(all_b64url(a + 8));
	/* the random part decodes to exactly 32 bytes */
	assert_int_equal(dec(a + 8, raw, sizeof(raw)), GH_SECRET_BYTES);
	assert_string_not_equal(a, b);
	/* 8 + 43 + NUL does not fit in 51 bytes */
	assert_int_equal(crypto_new_secret("gate_at_", a, 51), GH_ERR_LIMIT);
	assert_int_equal(crypto_new_secret("gate_at_", a, 52), GH_OK);
}

static void
expect_hex(const uint8_t *d, const char *hex)
{
	char out[GH_HASH_HEX + 1];

	hex_encode(d, GH_HASH_BYTES, out);
	assert_string_equal(out, hex);
}

static void
test_sha256_vector(void **state)
{
	uint8_t d[GH_HASH_BYTES];

	(void)state;
	/* FIPS 180-2 B.1 */
	crypto_sha256("abc", 3, d);
	expect_hex(d, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static void
test_hmac_rfc4231_case2(void **state)
{
	static const char data[] = "what do ya want for nothing?";
	uint8_t d[GH_HASH_BYTES];

	(void)state;
	assert_int_equal(crypto_hmac_sha256((const uint8_t *)"Jefe", 4, data,
	    strlen(data), d), GH_OK);
	expect_hex(d, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

/* RFC 4231 4.2: a 20-byte key */
static void
test_hmac_rfc4231_case1(void **state)
{
	uint8_t key[20], d[GH_HASH_BYTES];

	(void)state;
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(crypto_hmac_sha256(key, sizeof(key), "Hi There", 8,
	    d), GH_OK);
	expect_hex(d, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
}

/* RFC 4231 4.7: a 131-byte key, longer than the block, is hashed first */
static void
test_hmac_rfc4231_case6(void **state)
{
	static const char data[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], d[GH_HASH_BYTES];

	(void)state;
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(crypto_hmac_sha256(key, sizeof(key), data,
	    strlen(data), d), GH_OK);
	expect_hex(d, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
}

/* keys of exactly one block and one byte over, against OpenSSL's HMAC */
static void
test_hmac_block_boundary(void **state)
{
	uint8_t		key[65], d[GH_HASH_BYTES], want[GH_HASH_BYTES];
	unsigned int	len = 0;
	size_t		n;

	(void)state;
	for (n = 0; n < sizeof(key); n++)
		key[n] = (uint8_t)(n * 7 + 1);
	for (n = 63; n <= 65; n++) {
		assert_int_equal(crypto_hmac_sha256(key, n, "abc", 3, d),
		    GH_OK);
		assert_non_null(HMAC(EVP_sha256(), key, (int)n,
		    (const uint8_t *)"abc", 3, want, &len));
		assert_memory_equal(d, want, sizeof(d));
	}
	/* and an empty message under an empty key */
	assert_int_equal(crypto_hmac_sha256(key, 0, "", 0, d), GH_OK);
	expect_hex(d, "b613679a0814d9ec772f95d778c35fc5"
	    "ff1697c493715653c6c712144292c5ad");
}

/*
 * The same HMACs with the message given in pieces (crypto_hmac_begin ..
 * end): RFC 4231 case 6's long key split at every byte, and an abort
 * leaves nothing to free (ASan would report a leak).
 */
static void
test_hmac_in_pieces(void **state)
{
	static const char	data[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	struct crypto_hmac	h;
	uint8_t			key[131], d[GH_HASH_BYTES];
	size_t			cut;

	(void)state;
	memset(key, 0xaa, sizeof(key));
	for (cut = 0; cut <= strlen(data); cut++) {
		assert_int_equal(crypto_hmac_begin(&h, key, sizeof(key)), GH_OK);
		assert_int_equal(crypto_hmac_update(&h, data, cut), GH_OK);
		assert_int_equal(crypto_hmac_update(&h, data + cut,
		    strlen(data) - cut), GH_OK);
		assert_int_equal(crypto_hmac_end(&h, d), GH_OK);
		expect_hex(d, "60e431591ee0b67f0d8a26aacbf5b77f"
		    "8e0bc6213728c5140546040f0ee37f54");
		assert_null(h.ctx);	/* end frees and wipes */
	}
	assert_int_equal(crypto_hmac_begin(&h, (const uint8_t *)"Jefe", 4),
	    GH_OK);
	assert_int_equal(crypto_hmac_update(&h, "what do ya want ", 16),
	    GH_OK);
	assert_int_equal(crypto_hmac_update(&h, "for nothing?", 12), GH_OK);
	assert_int_equal(crypto_hmac_end(&h, d), GH_OK);
	expect_hex(d, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	assert_int_equal(crypto_hmac_begin(&h, key, 20), GH_OK);
	assert_int_equal(crypto_hmac_update(&h, "x", 1), GH_OK);
	crypto_hmac_abort(&h);
	assert_null(h.ctx);
	/* used after its end: an error, not a hash */
	assert_int_equal(crypto_hmac_update(&h, "x", 1), GH_ERR_CRYPTO);
	assert_int_equal(crypto_hmac_end(&h, d), GH_ERR_CRYPTO);
}

static void
test_random(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(crypto_random(a, sizeof(a)), GH_OK);
	assert_int_equal(crypto_random(b, sizeof(b)), GH_OK);
	assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_vectors),
		cmocka_unit_test(test_b64url_alphabet),
		cmocka_unit_test(test_b64url_round_trip),
		cmocka_unit_test(test_b64url_rejects_noncanonical),
		cmocka_unit_test(test_b64url_rejects_bad_input),
		cmocka_unit_test(test_b64url_outmax),
		cmocka_unit_test(test_b64std_decode),
		cmocka_unit_test(test_b64std_encode),
		cmocka_unit_test(test_b64std_rejects),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_ct_eq),
		cmocka_unit_test(test_wipe),
		cmocka_unit_test(test_new_secret),
		cmocka_unit_test(test_sha256_vector),
		cmocka_unit_test(test_hmac_rfc4231_case2),
		cmocka_unit_test(test_hmac_rfc4231_case1),
		cmocka_unit_test(test_hmac_rfc4231_case6),
		cmocka_unit_test(test_hmac_block_boundary),
		cmocka_unit_test(test_hmac_in_pieces),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests_name("util/crypto", tests, NULL, NULL);
}
