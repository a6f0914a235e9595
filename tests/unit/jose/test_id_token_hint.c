/*
 * test_id_token_hint.c - jose/id_token.h id_token_hint_sub(): an
 * id_token_hint (OIDC Core 3.1.2.1) passes only as an ID token signed by
 * a key the ring publishes, typ JWT, from our issuer, for the client that
 * sends it; its expiry does not matter. Keys and time are driven with the
 * `now` arguments, as in test_keyring.c.
 */
#include "../harness.h"

#include "jose/id_token.h"
#include "jose/jwt_verify.h"
#include "jose/keyring.h"
#include "util/limits.h"
#include "util/log.h"

#define T0	1700000000	/* a fixed "now" */
#define PA	600		/* publish_after_seconds */
#define ISS	"https://gh.example"

static const uint8_t skey[32] = "0123456789abcdef0123456789abcdef";

static struct keyring *
ring_with(struct store *s, const uint8_t *key, const char *alg, int64_t now)
{
	struct keyring	*kr;
	char		 kid[GH_ID_LEN];

	assert_int_equal(keyring_generate(s, key, sizeof(skey), alg, now, now,
	    kid), GH_OK);
	assert_int_equal(keyring_open(s, key, sizeof(skey), PA, &kr), GH_OK);
	assert_int_equal(keyring_reload(kr, now), GH_OK);
	return kr;
}

/* An ID token as grant_code.c makes one, issued at `iat`. */
static char *
id_token(struct keyring *kr, const char *alg, const char *sub,
    const char *aud, int64_t iat)
{
	struct id_token_claims c = {
		.iss = ISS, .sub = sub, .aud = aud, .auth_time = iat,
		.iat = iat, .ttl = 600,
	};
	char *jwt = id_token_sign(kr, alg, &c);

	assert_non_null(jwt);
	return jwt;
}

/* A JWS of `payload` with typ `typ`, signed by the ring. */
static char *
signed_text(struct keyring *kr, const char *typ, const char *payload)
{
	char *jwt = keyring_sign(kr, "ES256", typ, payload, T0);

	assert_non_null(jwt);
	return jwt;
}

static enum gh_err
hint(struct keyring *kr, int64_t now, const char *client, const char *jwt,
    char *sub, size_t subsz)
{
	return id_token_hint_sub(kr, now, ISS, client, jwt, sub, subsz);
}

/* Our ID token, long expired, names its sub; for its own client only. */
static void
test_our_id_token(void **state)
{
	struct th_store	*t = *state;
	struct keyring	*kr = ring_with(t->s, skey, "ES256", T0 - 100);
	char		 sub[GH_ID_LEN];
	char		*jwt = id_token(kr, "ES256", "usr_alice", "cl_a",
	    T0 - 10);

	assert_int_equal(hint(kr, T0 + 86400, "cl_a", jwt, sub, sizeof(sub)),
	    GH_OK);
	assert_string_equal(sub, "usr_alice");
	/* another client's ID token is no hint for this one */
	assert_int_equal(hint(kr, T0, "cl_b", jwt, sub, sizeof(sub)),
	    GH_ERR_INVALID);
	assert_string_equal(sub, "");
	/* another issuer's (ours, under another name) */
	assert_int_equal(id_token_hint_sub(kr, T0, "https://other.example",
	    "cl_a", jwt, sub, sizeof(sub)), GH_ERR_INVALID);
	/* a sub that does not fit is refused, never cut */
	assert_int_equal(hint(kr, T0, "cl_a", jwt, sub, 9), GH_ERR_INVALID);
	assert_int_equal(hint(kr, T0, "cl_a", jwt, sub, 10), GH_OK);
	free(jwt);
	keyring_close(kr);
}

/* aud may be an array holding the client (OIDC Core 2). */
static void
test_aud_forms(void **state)
{
	static const struct {
		const char	*payload;
		enum gh_err	 want;
	} cases[] = {
		{ "{\"iss\":\"" ISS "\",\"sub\":\"usr_1\",\"aud\":[\"x\","
		    "\"cl_a\"]}", GH_OK },
		{ "{\"iss\":\"" ISS "\",\"sub\":\"usr_1\",\"aud\":[\"x\"]}",
		    GH_ERR_INVALID },
		{ "{\"iss\":\"" ISS "\",\"sub\":\"usr_1\",\"aud\":[]}",
		    GH_ERR_INVALID },
		{ "{\"iss\":\"" ISS "\",\"sub\":\"usr_1\",\"aud\":1}",
		    GH_ERR_INVALID },
		{ "{\"iss\":\"" ISS "\",\"sub\":\"usr_1\"}", GH_ERR_INVALID },
		{ "{\"iss\":\"" ISS "\",\"sub\":\"usr_1\",\"aud\":\"cl_ab\"}",
		    GH_ERR_INVALID },
		/* sub: a non-empty string */
		{ "{\"iss\":\"" ISS "\",\"aud\":\"cl_a\"}", GH_ERR_INVALID },
		{ "{\"iss\":\"" ISS "\",\"sub\":\"\",\"aud\":\"cl_a\"}",
		    GH_ERR_INVALID },
		{ "{\"iss\":\"" ISS "\",\"sub\":7,\"aud\":\"cl_a\"}",
		    GH_ERR_INVALID },
		/* iss: exactly ours */
		{ "{\"sub\":\"usr_1\",\"aud\":\"cl_a\"}", GH_ERR_INVALID },
		{ "{\"iss\":\"" ISS "/\",\"sub\":\"usr_1\",\"aud\":\"cl_a\"}",
		    GH_ERR_INVALID },
	};
	struct th_store	*t = *state;
	struct keyring	*kr = ring_with(t->s, skey, "ES256", T0);
	char		 sub[GH_ID_LEN], *jwt;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		jwt = signed_text(kr, "JWT", cases[i].payload);
		if (hint(kr, T0, "cl_a", jwt, sub, sizeof(sub)) !=
		    cases[i].want)
			fail_msg("case %zu: %s", i, cases[i].payload);
		free(jwt);
	}
	keyring_close(kr);
}

/*
 * An access token (RFC 9068, typ at+jwt) with the same claims, signed by
 * the same key, is not an ID token.
 */
static void
test_access_token_refused(void **state)
{
	struct th_store	*t = *state;
	struct keyring	*kr = ring_with(t->s, skey, "ES256", T0);
	char		 sub[GH_ID_LEN], *jwt;
	const char	*payload = "{\"iss\":\"" ISS "\",\"sub\":\"usr_1\","
	    "\"aud\":\"cl_a\",\"client_id\":\"cl_a\",\"exp\":1700000600}";

	jwt = signed_text(kr, "at+jwt", payload);
	assert_int_equal(hint(kr, T0, "cl_a", jwt, sub, sizeof(sub)),
	    GH_ERR_INVALID);
	free(jwt);
	/* typ is compared without case (RFC 7515 4.1.9) */
	jwt = signed_text(kr, "jwt", payload);
	assert_int_equal(hint(kr, T0, "cl_a", jwt, sub, sizeof(sub)), GH_OK);
	free(jwt);
	keyring_close(kr);
}

/*
 * Signed by someone else's key (another server's ring), altered, unsigned,
 * empty, or longer than any JWT we accept: refused.
 */
static void
test_forged_refused(void **state)
{
	static const uint8_t other[32] = "another server's key, not ours!";
	struct th_store	*t = *state, *u = NULL;
	struct keyring	*kr = ring_with(t->s, skey, "ES256", T0), *kr2;
	char		 sub[GH_ID_LEN], *jwt, *dot, *big;

	assert_int_equal(th_store_setup((void **)&u), 0);
	kr2 = ring_with(u->s, other, "ES256", T0);
	jwt = id_token(kr2, "ES256", "usr_1", "cl_a", T0);
	assert_int_equal(hint(kr, T0, "cl_a", jwt, sub, sizeof(sub)),
	    GH_ERR_INVALID);
	free(jwt);
	keyring_close(kr2);
	assert_int_equal(th_store_teardown((void **)&u), 0);

	jwt = id_token(kr, "ES256", "usr_1", "cl_a", T0);
	dot = strchr(jwt, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';	/* the payload, altered */
	assert_int_equal(hint(kr, T0, "cl_a", jwt, sub, sizeof(sub)),
	    GH_ERR_INVALID);
	free(jwt);
	assert_int_equal(hint(kr, T0, "cl_a", "eyJhbGciOiJub25lIn0."
	    "eyJpc3MiOiJodHRwczovL2doLmV4YW1wbGUiLCJzdWIiOiJ1c3JfMSIsImF1"
	    "ZCI6ImNsX2EifQ.", sub, sizeof(sub)), GH_ERR_INVALID);
	assert_int_equal(hint(kr, T0, "cl_a", "", sub, sizeof(sub)),
	    GH_ERR_INVALID);
	assert_non_null(big = malloc(GH_MAX_JWT_LEN + 2));
	memset(big, 'a', GH_MAX_JWT_LEN + 1);
	big[GH_MAX_JWT_LEN + 1] = '\0';
	assert_int_equal(hint(kr, T0, "cl_a", big, sub, sizeof(sub)),
	    GH_ERR_INVALID);
	free(big);
	keyring_close(kr);
}

/*
 * Whichever published key signed it, however many the ring publishes
 * (more than a client may register: the key is found by kid); a key past
 * publication no longer vouches for anything.
 */
static void
test_any_published_key(void **state)
{
	struct th_store	*t = *state;
	struct keyring	*kr;
	char		 kid[GH_ID_LEN], sub[GH_ID_LEN], *jwt, *first;
	int64_t		 gone;
	int		 i;

	kr = ring_with(t->s, skey, "RS256", T0);
	first = id_token(kr, "RS256", "usr_1", "cl_a", T0);
	keyring_close(kr);
	for (i = 1; i <= 12; i++)
		assert_int_equal(keyring_generate(t->s, skey, sizeof(skey),
		    "ES256", T0 + i, T0 + i, kid), GH_OK);
	assert_int_equal(keyring_open(t->s, skey, sizeof(skey), PA, &kr),
	    GH_OK);
	assert_int_equal(keyring_reload(kr, T0 + 12), GH_OK);
	jwt = id_token(kr, "ES256", "usr_2", "cl_a", T0 + 12);
	assert_int_equal(hint(kr, T0 + 12, "cl_a", jwt, sub, sizeof(sub)),
	    GH_OK);
	assert_string_equal(sub, "usr_2");
	/* the first key, of another alg, still published: still good */
	assert_int_equal(hint(kr, T0 + 12, "cl_a", first, sub, sizeof(sub)),
	    GH_OK);
	assert_string_equal(sub, "usr_1");
	free(jwt);
	keyring_close(kr);

	/*
	 * The RS256 key superseded (from when its successor takes over) and
	 * past publication: no longer good.
	 */
	assert_int_equal(keyring_generate(t->s, skey, sizeof(skey), "RS256",
	    T0 + 20, T0 + 20, kid), GH_OK);
	gone = keyring_signs_from(T0 + 20, T0 + 20) + PA;
	assert_int_equal(keyring_open(t->s, skey, sizeof(skey), PA, &kr),
	    GH_OK);
	assert_int_equal(keyring_reload(kr, gone - 1), GH_OK);
	assert_int_equal(hint(kr, gone - 1, "cl_a", first, sub, sizeof(sub)),
	    GH_OK);
	assert_int_equal(keyring_reload(kr, gone), GH_OK);
	assert_int_equal(hint(kr, gone, "cl_a", first, sub, sizeof(sub)),
	    GH_ERR_INVALID);
	free(first);
	keyring_close(kr);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_store_setup, \
	th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_our_id_token),
		T(test_aud_forms),
		T(test_access_token_refused),
		T(test_forged_refused),
		T(test_any_published_key),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("jose/id_token_hint", tests, NULL,
	    NULL);
}
