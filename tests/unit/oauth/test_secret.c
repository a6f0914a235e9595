/*
 * test_secret.c - oauth/secret.h: codes and tokens carry their issue time
 * and are stored under time-ordered keys (time, then 208 bits of the
 * HMAC); session ids, client secrets and values minted before keep the
 * plain HMAC; a malformed value never takes the keyed path. A value that
 * cannot be ours is GH_ERR_INVALID; a failed HMAC is an error of ours.
 */
#include "../harness.h"

#include <dlfcn.h>
#include <time.h>

#include <openssl/evp.h>

#include "oauth/secret.h"
#include "util/crypto.h"

static struct app app;
static bool	  evp_fails;	/* EVP_MD_CTX_new answers NULL */

/*
 * Defined here, so the library's calls bind to it before libcrypto's:
 * OpenSSL failing to allocate a digest context, on demand.
 */
EVP_MD_CTX *
EVP_MD_CTX_new(void)
{
	static EVP_MD_CTX	*(*real)(void);

	if (evp_fails)
		return NULL;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "EVP_MD_CTX_new");
	return real != NULL ? real() : NULL;
}

static uint64_t
key_ms(const uint8_t h[GH_HASH_BYTES])
{
	uint64_t	ms = 0;
	int		i;

	for (i = 0; i < 6; i++)
		ms = ms << 8 | h[i];
	return ms;
}

static void
plain_hmac(const char *v, uint8_t out[GH_HASH_BYTES])
{
	assert_int_equal(crypto_hmac_sha256(app.key, sizeof(app.key), v,
	    strlen(v), out), GH_OK);
}

static void
test_token_keys_are_time_ordered(void **state)
{
	char		 a[GH_MAX_TOKEN_LEN], b[GH_MAX_TOKEN_LEN];
	uint8_t		 ha[GH_HASH_BYTES], hb[GH_HASH_BYTES];
	uint8_t		 again[GH_HASH_BYTES], full[GH_HASH_BYTES];
	struct timespec	 pause = { 0, 3000000 };
	uint64_t	 now = (uint64_t)time(NULL) * 1000;

	(void)state;
	assert_int_equal(secret_mint(&app, PREFIX_ACCESS, a, ha), GH_OK);
	nanosleep(&pause, NULL);
	assert_int_equal(secret_mint(&app, PREFIX_REFRESH, b, hb), GH_OK);
	assert_int_equal(strncmp(a, "gate_at_", 8), 0);
	assert_int_equal(strlen(a), 8 + 44);
	/* the key starts with the issue time: later tokens sort after */
	assert_true(key_ms(ha) + 2000 >= now && key_ms(ha) <= now + 2000);
	assert_true(memcmp(ha, hb, GH_HASH_BYTES) < 0);
	/* what a presented token hashes to is what was stored */
	assert_int_equal(secret_hash(&app, a, again), GH_OK);
	assert_memory_equal(again, ha, GH_HASH_BYTES);
	/* and the rest is the HMAC of the whole value */
	plain_hmac(a, full);
	assert_memory_equal(ha + 6, full, GH_HASH_BYTES - 6);
	/* one character off: another key */
	a[20] = a[20] == 'A' ? 'B' : 'A';
	assert_int_equal(secret_hash(&app, a, again), GH_OK);
	assert_memory_not_equal(again, ha, GH_HASH_BYTES);
}

static void
test_other_secrets_keep_the_plain_hmac(void **state)
{
	char	v[GH_MAX_TOKEN_LEN];
	uint8_t	h[GH_HASH_BYTES], full[GH_HASH_BYTES];

	(void)state;
	assert_int_equal(secret_mint(&app, PREFIX_CLIENT_SECRET, v, h), GH_OK);
	assert_int_equal(strlen(v), 8 + 43);
	plain_hmac(v, full);
	assert_memory_equal(h, full, GH_HASH_BYTES);
	assert_int_equal(secret_mint(&app, PREFIX_SESSION, v, h), GH_OK);
	plain_hmac(v, full);
	assert_memory_equal(h, full, GH_HASH_BYTES);
}

static void
test_old_and_malformed_values(void **state)
{
	static const char *const plain[] = {
		/* minted before: 256 random bits */
		"gate_at_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		/* right length, wrong version byte */
		"gate_rt_AgAAAAAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka",
		/* right length, not base64url */
		"gate_ac_AQAAAAAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYX*Bka",
		/* a keyed body behind a prefix that is not keyed */
		"gate_cs_AQAAAAAAAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka",
		"x",
	};
	uint8_t	h[GH_HASH_BYTES], full[GH_HASH_BYTES];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		assert_int_equal(secret_hash(&app, plain[i], h), GH_OK);
		plain_hmac(plain[i], full);
		assert_memory_equal(h, full, GH_HASH_BYTES);
	}
	/* a well-formed keyed value: time 0x000000000001 from its body */
	assert_int_equal(secret_hash(&app,
	    "gate_rt_AQAAAAAAAQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka", h), GH_OK);
	assert_int_equal(key_ms(h), 1);
	assert_int_equal(secret_hash(&app, "", h), GH_ERR_INVALID);
}

/* no verdict on a value when the HMAC fails: not GH_ERR_INVALID, not OK */
static void
test_failed_hmac_is_an_error(void **state)
{
	char		 v[GH_MAX_TOKEN_LEN];
	uint8_t		 h[GH_HASH_BYTES];
	enum gh_err	 rc;
	const char	*values[] = {
		"gate_rt_AQAAAAAAAQECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka",
		"gate_cs_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
		"x",
	};
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		evp_fails = true;
		rc = secret_hash(&app, values[i], h);
		evp_fails = false;
		assert_int_not_equal(rc, GH_OK);
		assert_int_not_equal(rc, GH_ERR_INVALID);
		assert_int_equal(secret_hash(&app, values[i], h), GH_OK);
	}
	/* empty stays "not ours" whatever OpenSSL does: it is not hashed */
	evp_fails = true;
	rc = secret_hash(&app, "", h);
	assert_int_equal(rc, GH_ERR_INVALID);
	/* and a fresh secret whose hash failed is not handed out */
	rc = secret_mint(&app, "gate_at_", v, h);
	evp_fails = false;
	assert_int_not_equal(rc, GH_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_keys_are_time_ordered),
		cmocka_unit_test(test_other_secrets_keep_the_plain_hmac),
		cmocka_unit_test(test_old_and_malformed_values),
		cmocka_unit_test(test_failed_hmac_is_an_error),
	};

	th_app_init(&app);
	return cmocka_run_group_tests_name("oauth/secret", tests, NULL, NULL);
}
