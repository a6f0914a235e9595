/*
 * test_jose_mem.c - jose/jose_mem.h: once jose_mem_init() has run (as
 * main() does), cjose frees the parts and the compact form of a JWS it
 * signed only wiped (a JWT access token is a bearer token), and OpenSSL
 * keeps its own allocator (wiping its every block would cost each
 * request).
 */
#include "../harness.h"
#include "../free_watch.h"

#include <openssl/crypto.h>

#include "jose/jose_mem.h"
#include "jose/keyring.h"
#include "util/json_text.h"

#define T0	1700000000

static const uint8_t skey[32] = "0123456789abcdef0123456789abcdef";

/* {"jti":"watch-this-token-1"}, base64url: the JWS's payload part */
#define PAYLOAD		"{\"jti\":\"watch-this-token-1\"}"
#define PAYLOAD_B64	"eyJqdGkiOiJ3YXRjaC10aGlzLXRva2VuLTEifQ"

static int
freed_intact_after_signing(struct store *s)
{
	struct keyring	*kr;
	char		 kid[GH_ID_LEN], *jws;

	assert_int_equal(keyring_generate(s, skey, sizeof(skey), "ES256", T0,
	    T0, kid), GH_OK);
	assert_int_equal(keyring_open(s, skey, sizeof(skey), 600, &kr), GH_OK);
	assert_int_equal(keyring_reload(kr, T0), GH_OK);
	watch_text = PAYLOAD_B64;
	watch_freed_intact = 0;
	jws = keyring_sign(kr, "ES256", "at+jwt", PAYLOAD, T0);
	assert_non_null(jws);
	assert_non_null(strstr(jws, PAYLOAD_B64));
	crypto_wipe(jws, strlen(jws));	/* the caller's copy: its to wipe */
	free(jws);
	watch_text = NULL;
	keyring_close(kr);
	return watch_freed_intact;
}

static void
test_jws_parts_wiped(void **state)
{
	struct th_store			*t = *state;
	CRYPTO_malloc_fn		 m;
	CRYPTO_realloc_fn		 r;
	CRYPTO_free_fn			 f;

	/* without it (the library's defaults) they are freed as they were */
	assert_true(freed_intact_after_signing(t->s) > 0);
	json_mem_init();
	jose_mem_init();
	assert_int_equal(freed_intact_after_signing(t->s), 0);
	CRYPTO_get_mem_functions(&m, &r, &f);
	assert_true(m == CRYPTO_malloc && f == CRYPTO_free);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jws_parts_wiped,
		    th_store_setup, th_store_teardown),
	};

	return cmocka_run_group_tests_name("jose/jose_mem", tests, NULL, NULL);
}
