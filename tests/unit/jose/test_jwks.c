/*
 * test_jwks.c - jose/jwt_verify.h key handling: which JWKS jwt_verify()
 * can use, what jwks_acceptable() lets a client register (public RSA
 * 2048+ with e >= 65537 or EC P-256, no private members, bounded size,
 * base64url that cannot make cjose abort), and jwt_peek_claim().
 */
#include "jwt_fixture.h"

static void
test_unusable_jwks(void **state)
{
	static const char *const bad[] = { "", "not json", "{}", "[]",
	    "{\"keys\":{}}", "{\"keys\":[]}", "{\"keys\":[1,\"x\",null]}",
	    "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", NULL };
	char	*tok = sign(RSA_A, HDR0("RS256"), NULL), *priv;
	size_t	 i;

	(void)state;
	for (i = 0; bad[i]; i++)
		assert_int_equal(verify(tok, bad[i]), JWT_NO_KEY);
	/* a private JWK is never used, even for the right signature */
	priv = jwks_dump(json_pack("[o]", key_obj(RSA_A, true)));
	assert_int_equal(verify(tok, priv), JWT_NO_KEY);
	free(priv);
	free(tok);
}

/* -- jwks_acceptable --------------------------------------------------- */

/* One key, as made or with one member changed, registered or not. */
static void
test_jwks_acceptable_keys(void **state)
{
	static const struct {
		enum key	 k;
		const char	*name, *value;
		bool		 ok;
	} c[] = {
		{ EC_A, NULL, NULL, true }, { RSA_A, NULL, NULL, true },
		{ EC_A, "use", "sig", true }, { RSA_A, "alg", "RS256", true },
		{ RSA_1024, NULL, NULL, false }, { EC_384, NULL, NULL, false },
		{ EC_384, "crv", "P-256", false },
		{ EC_A, "use", "enc", false },
		{ EC_A, "kty", "oct", false }, { RSA_A, "kty", "OKP", false },
	};
	char	*j, err[160];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		j = c[i].name ? jwks_with(c[i].k, c[i].name,
		    json_string(c[i].value)) : jwks_of(K(c[i].k));
		err[0] = '\0';
		if (jwks_acceptable(j, err, sizeof(err)) != c[i].ok)
			fail_msg("key %s, %s = %s", kids[c[i].k],
			    c[i].name ? c[i].name : "-", c[i].value);
		assert_true(c[i].ok || err[0] != '\0');
		free(j);
	}
	j = jwks_many(8, EC_A, NKEYS);
	assert_true(jwks_acceptable(j, err, sizeof(err)));
	free(j);
	j = jwks_many(8, EC_A, RSA_A);
	assert_false(jwks_acceptable(j, err, sizeof(err)));
	free(j);
}

static void
test_jwks_acceptable_refuses_private(void **state)
{
	static const char *const members[] = { "d", "p", "q", "dp", "dq",
	    "qi", "k", "oth", NULL };
	char	*j, err[160];
	size_t	 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		j = jwks_dump(json_pack("[o]", key_obj(i ? EC_A : RSA_A,
		    true)));
		assert_false(jwks_acceptable(j, err, sizeof(err)));
		free(j);
	}
	for (i = 0; members[i]; i++) {
		j = jwks_with(i % 2 ? EC_A : RSA_A, members[i],
		    json_string("AQAB"));
		assert_false(jwks_acceptable(j, err, sizeof(err)));
		free(j);
	}
}

static void
test_jwks_acceptable_refuses_shapes(void **state)
{
	static const char *const bad[] = { "", "{", "not json", "[]", "{}",
	    "{\"keys\":null}", "{\"keys\":{}}", "{\"keys\":[]}",
	    "{\"keys\":[{}]}", "{\"keys\":[1]}",
	    "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}",
	    "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":"
	    "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}",
	    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
	    "\"y\":\"AA\"}]}", NULL };
	char	*two = jwks_of(K(RSA_A) | K(EC_A)), *t, err[160];
	size_t	 i;

	(void)state;
	for (i = 0; bad[i]; i++)
		assert_false(jwks_acceptable(bad[i], err, sizeof(err)));
	assert_non_null(t = malloc(strlen(two) + 8));
	snprintf(t, strlen(two) + 8, "%sgarbage", two);
	assert_false(jwks_acceptable(t, err, sizeof(err)));
	/* duplicate "keys": which one would a reader take? */
	snprintf(t, strlen(two) + 8, "{\"keys\":[],%s", two + 1);
	assert_false(jwks_acceptable(t, err, sizeof(err)));
	free(t);
	free(two);
}

/*
 * A key member that is not base64url: cjose 0.6.2's decoder asserts (and
 * so aborts the process) when the characters before an '=' number 1 mod
 * 4, so such text must be refused before cjose sees it. Each check runs
 * in a child, so an abort fails this test without ending the program.
 */
static void
test_bad_base64_refused_without_abort(void **state)
{
	static const struct {
		enum key	 k;
		const char	*name;
		size_t		 at;	/* where '=' goes */
	} c[] = { { RSA_A, "n", 5 }, { RSA_A, "e", 1 }, { EC_A, "x", 5 },
	    { EC_A, "y", 9 } };
	char		*j, *tok, err[160], v[512];
	json_t		*o;
	size_t		 i;
	pid_t		 pid;
	int		 st;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		o = key_obj(c[i].k, false);
		snprintf(v, sizeof(v), "%s", json_string_value(
		    json_object_get(o, c[i].name)));
		if (strlen(v) < 8)		/* e is "AQAB" */
			snprintf(v, sizeof(v), "AQABAQAB");
		v[c[i].at] = '=';
		json_decref(o);
		j = jwks_with(c[i].k, c[i].name, json_string(v));
		tok = sign(c[i].k, c[i].k == EC_A ? HDR0("ES256") :
		    HDR0("RS256"), NULL);
		if ((pid = fork()) == 0)
			_exit(!jwks_acceptable(j, err, sizeof(err)) &&
			    verify(tok, j) != JWT_OK ? 0 : 1);
		assert_true(pid > 0 && waitpid(pid, &st, 0) == pid);
		free(tok);
		free(j);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("%s with '=' at %zu: %s", c[i].name, c[i].at,
			    WIFSIGNALED(st) ? "the process died" :
			    "accepted");
	}
}

/* GH_MAX_CLIENT_JWKS bounds the text, whitespace included. */
static void
test_jwks_acceptable_size(void **state)
{
	char	*one = jwks_of(K(EC_A)), *big, err[160];

	(void)state;
	assert_non_null(big = malloc(GH_MAX_CLIENT_JWKS + 1));
	memset(big, ' ', GH_MAX_CLIENT_JWKS);
	memcpy(big, one, strlen(one));
	big[GH_MAX_CLIENT_JWKS - 1] = '\0';	/* limit - 1 bytes */
	assert_true(jwks_acceptable(big, err, sizeof(err)));
	big[GH_MAX_CLIENT_JWKS - 1] = ' ';
	big[GH_MAX_CLIENT_JWKS] = '\0';		/* the limit itself */
	assert_false(jwks_acceptable(big, err, sizeof(err)));
	free(big);
	free(one);
}

/* -- jwt_peek_claim ---------------------------------------------------- */

/* jwt_peek_claim over an exact-size copy. */
static bool
peek(const char *tok, size_t len, const char *name, char *out, size_t outsz)
{
	char	*copy;
	bool	 ok;

	assert_non_null(copy = malloc(len ? len : 1));
	memcpy(copy, tok, len);
	ok = jwt_peek_claim(copy, len, name, out, outsz);
	free(copy);
	return ok;
}

static void
test_peek_claim(void **state)
{
	char	*tok = sign(EC_A, HDR("ES256", "ec-a"), NULL), *big;
	size_t	 n = strlen(tok);
	char	 out[64];

	(void)state;
	assert_true(peek(tok, n, "iss", out, sizeof(out)));
	assert_string_equal(out, ISS);
	assert_true(peek(tok, n, "iss", out, strlen(ISS) + 1));
	assert_false(peek(tok, n, "iss", out, strlen(ISS)));
	assert_false(peek(tok, n, "exp", out, sizeof(out)));
	assert_false(peek(tok, n, "nope", out, sizeof(out)));
	/* unverified by design: any signature, even none */
	assert_true(peek("x.eyJpc3MiOiJhIn0.", 18, "iss", out, sizeof(out)));
	assert_string_equal(out, "a");
	free(tok);
	assert_non_null(big = malloc(GH_MAX_JWT_LEN + 1));
	memset(big, 'A', GH_MAX_JWT_LEN + 1);
	memcpy(big, "x.eyJpc3MiOiJhIn0.", 18);
	assert_true(peek(big, GH_MAX_JWT_LEN, "iss", out, sizeof(out)));
	assert_false(peek(big, GH_MAX_JWT_LEN + 1, "iss", out, sizeof(out)));
	free(big);
}

static void
test_peek_claim_malformed(void **state)
{
	static const char *const bad[] = { "", "eyJpc3MiOiJhIn0",
	    "x.eyJpc3MiOiJhIn0", "x..y", "x.!!!!.y", "x.eyJpc3MiOiJhIn0=.y",
	    "x.bm90IGpzb24.y",			/* "not json" */
	    "x.WyJpc3MiXQ.y",			/* ["iss"] */
	    "x.ImEi.y",				/* "a" */
	    "x.eyJpc3MiOjF9.y",			/* {"iss":1} */
	    "x.eyJpc3MiOm51bGx9.y",		/* {"iss":null} */
	    NULL };
	char	out[64];
	size_t	i;

	(void)state;
	for (i = 0; bad[i]; i++)
		assert_false(peek(bad[i], strlen(bad[i]), "iss", out,
		    sizeof(out)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unusable_jwks),
		cmocka_unit_test(test_jwks_acceptable_keys),
		cmocka_unit_test(test_jwks_acceptable_refuses_private),
		cmocka_unit_test(test_jwks_acceptable_refuses_shapes),
		cmocka_unit_test(test_bad_base64_refused_without_abort),
		cmocka_unit_test(test_jwks_acceptable_size),
		cmocka_unit_test(test_peek_claim),
		cmocka_unit_test(test_peek_claim_malformed),
	};

	return cmocka_run_group_tests_name("jose/jwks", tests,
	    make_keys, free_keys);
}
