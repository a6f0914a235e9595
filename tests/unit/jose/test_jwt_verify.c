/*
 * test_jwt_verify.c - jose/jwt_verify.h: the only JWS verification path,
 * used for private_key_jwt client assertions.
 *
 * Keys are made once per run with cjose (two RSA-2048, two EC P-256 and,
 * to be refused, an RSA-1024 and an EC P-384 key); tokens are signed with
 * cjose_jws_sign, or put together by hand when an attack needs a header or
 * signature no honest signer would make. Every token is handed to
 * jwt_verify() in a heap buffer of exactly its length, with no NUL, so
 * ASan sees any read past it, and every failure must leave claims NULL.
 *
 * One test per defence, most as a table of correctly signed tokens with
 * the answer each must get: the alg allowlist (none, HMAC confusion,
 * RS512, PS256, crit), key type matched to alg, key size, exact signature
 * length (a zero-padded ES256 signature is one cjose itself accepts), kid
 * selection, the compact shape, the length limit and a JSON object
 * payload; then jwks_acceptable() and jwt_peek_claim().
 */
#include "jwt_fixture.h"

static void
test_valid_tokens(void **state)
{
	static const struct signed_case ok[] = {
		{ "RS256", RSA_A, HDR("RS256", "rsa-a"), NULL,
		    K(RSA_A) | K(EC_A), JWT_OK },
		{ "ES256", EC_A, HDR("ES256", "ec-a"), NULL,
		    K(RSA_A) | K(EC_A), JWT_OK },
		{ "typ JWT", EC_A, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}", NULL,
		    K(EC_A), JWT_OK },
	};
	char	*jwks = jwks_of(K(RSA_A)), *tok;
	json_t	*claims = NULL;

	(void)state;
	RUN(ok);
	tok = sign(RSA_A, HDR("RS256", "rsa-a"), NULL);
	assert_int_equal(verify_n(tok, strlen(tok), jwks, &claims), JWT_OK);
	assert_string_equal(json_string_value(json_object_get(claims, "iss")),
	    ISS);
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")),
	    4102444800);
	json_decref(claims);
	free(tok);
	free(jwks);
}

/* -- the alg allowlist ------------------------------------------------- */

static void
test_alg_none(void **state)
{
	static const char *const none[] = { HDR("none", "rsa-a"),
	    HDR0("none"), HDR0("None"), HDR0("NONE"), NULL };
	char		*jwks = jwks_of(K(RSA_A));
	enum jwt_result	 r;

	(void)state;
	/* unsigned: refused whether by shape or by alg, never accepted */
	r = verify("e30.e30.", jwks);
	assert_true(r == JWT_MALFORMED || r == JWT_BAD_ALG);
	r = verify_free(compose(HDR0("none"), PAYLOAD, ""), jwks);
	assert_true(r == JWT_MALFORMED || r == JWT_BAD_ALG);
	/* alg none carrying a real signature */
	run_headers(none, JWT_BAD_ALG);
	free(jwks);
}

/* HMAC keyed with bytes the attacker knows: the server's copy of the key */
static char *
hs256_token(const char *header, const void *key, size_t keylen)
{
	char	*h = b64(header, strlen(header));
	char	*p = b64(PAYLOAD, strlen(PAYLOAD));
	char	*input = join(h, p, NULL), *mac, *tok;
	uint8_t	 tag[GH_HASH_BYTES];

	assert_int_equal(crypto_hmac_sha256(key, keylen, input,
	    strlen(input), tag), GH_OK);
	mac = b64(tag, sizeof(tag));
	tok = join(input, mac, NULL);
	free(mac);
	free(input);
	free(p);
	free(h);
	return tok;
}

static void
test_hs256_with_public_key_as_secret(void **state)
{
	const char	*hdr = HDR("HS256", "rsa-a");
	char		*jwks = jwks_of(K(RSA_A) | K(EC_A));
	json_t		*pub = key_obj(RSA_A, false);
	char		*pubtext = json_dumps(pub, JSON_COMPACT);
	const char	*n = json_string_value(json_object_get(pub, "n"));
	uint8_t		 mod[512];
	long		 modlen = b64url_decode(n, strlen(n), mod, sizeof(mod));

	(void)state;
	assert_int_equal(modlen, 256);
	/* the key as JSON, the whole JWKS, and the raw modulus */
	assert_int_equal(verify_free(hs256_token(hdr, pubtext,
	    strlen(pubtext)), jwks), JWT_BAD_ALG);
	assert_int_equal(verify_free(hs256_token(hdr, jwks, strlen(jwks)),
	    jwks), JWT_BAD_ALG);
	assert_int_equal(verify_free(hs256_token(hdr, mod, (size_t)modlen),
	    jwks), JWT_BAD_ALG);
	assert_int_equal(verify_free(hs256_token(HDR0("HS256"), jwks,
	    strlen(jwks)), jwks), JWT_BAD_ALG);
	free(pubtext);
	json_decref(pub);
	free(jwks);
}

/* Correctly signed, with an algorithm outside the allowlist or crit. */
static void
test_other_algs_and_crit_refused(void **state)
{
	static const unsigned all = K(RSA_A) | K(EC_A) | K(EC_384);
	static const struct signed_case bad[] = {
		{ "RS512", RSA_A, HDR("RS512", "rsa-a"), NULL, all,
		    JWT_BAD_ALG },
		{ "PS256", RSA_A, HDR("PS256", "rsa-a"), NULL, all,
		    JWT_BAD_ALG },
		{ "RS384", RSA_A, HDR0("RS384"), NULL, all, JWT_BAD_ALG },
		{ "ES384", EC_384, HDR("ES384", "ec-384"), NULL, all,
		    JWT_BAD_ALG },
		/* RFC 7515 4.1.11: we understand no extension */
		{ "crit exp", RSA_A, "{\"alg\":\"RS256\",\"kid\":\"rsa-a\","
		    "\"crit\":[\"exp\"],\"exp\":1}", NULL, all, JWT_BAD_ALG },
		{ "crit []", EC_A, "{\"alg\":\"ES256\",\"crit\":[]}", NULL,
		    all, JWT_BAD_ALG },
		{ "crit null", EC_A, "{\"alg\":\"ES256\",\"crit\":null}", NULL,
		    all, JWT_BAD_ALG },
	};

	(void)state;
	RUN(bad);
}

static void
test_alg_missing_or_odd(void **state)
{
	static const char *const hdrs[] = { "{\"kid\":\"rsa-a\"}", "{}",
	    "{\"alg\":null}", "{\"alg\":256}", "{\"alg\":[\"RS256\"]}",
	    HDR0("rs256"), HDR0("RS256 "), HDR0(""), "{\"Alg\":\"RS256\"}",
	    HDR0("ES256K"), HDR0("EdDSA"), NULL };

	(void)state;
	run_headers(hdrs, JWT_BAD_ALG);
}

/* -- keys matched to the alg ------------------------------------------- */

static void
test_key_type_and_size(void **state)
{
	static const struct signed_case bad[] = {
		{ "ES256, RSA keys", EC_A, HDR0("ES256"), NULL,
		    K(RSA_A) | K(RSA_B), JWT_NO_KEY },
		{ "RS256, EC keys", RSA_A, HDR0("RS256"), NULL,
		    K(EC_A) | K(EC_B), JWT_NO_KEY },
		/* the kid picks a key of the wrong type: no fall-through */
		{ "ES256, kid of RSA", EC_A, HDR("ES256", "rsa-a"), NULL,
		    K(RSA_A) | K(EC_A), JWT_NO_KEY },
		{ "RS256, kid of EC", RSA_A, HDR("RS256", "ec-a"), NULL,
		    K(RSA_A) | K(EC_A), JWT_NO_KEY },
		{ "RSA 1024", RSA_1024, HDR("RS256", "rsa-1024"), NULL,
		    K(RSA_1024), JWT_NO_KEY },
		{ "RSA 1024, no kid", RSA_1024, HDR0("RS256"), NULL,
		    K(RSA_1024), JWT_NO_KEY },
		{ "P-384 key", EC_A, HDR("ES256", "ec-384"), NULL, K(EC_384),
		    JWT_NO_KEY },
		{ "P-384, no kid", EC_A, HDR0("ES256"), NULL, K(EC_384),
		    JWT_NO_KEY },
	};
	char	*relabelled = jwks_with(EC_384, "crv", json_string("P-256"));

	(void)state;
	RUN(bad);
	/* P-384 coordinates under a P-256 label are not a P-256 key */
	assert_int_equal(verify_free(sign(EC_A, HDR("ES256", "ec-384"), NULL),
	    relabelled), JWT_NO_KEY);
	free(relabelled);
}

/* A key's own alg and use members narrow what it may verify. */
static void
test_key_alg_and_use_members(void **state)
{
	static const struct {
		const char	*name, *value;
		enum jwt_result	 want;
	} m[] = {
		{ "alg", "PS256", JWT_NO_KEY }, { "alg", "ES256", JWT_NO_KEY },
		{ "use", "enc", JWT_NO_KEY }, { "alg", "RS256", JWT_OK },
		{ "use", "sig", JWT_OK },
	};
	char	*tok = sign(RSA_A, HDR("RS256", "rsa-a"), NULL), *j;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		j = jwks_with(RSA_A, m[i].name, json_string(m[i].value));
		assert_int_equal(verify(tok, j), m[i].want);
		free(j);
	}
	free(tok);
}

/*
 * RSA with e = 1: s^e mod n = s, so the PKCS#1 v1.5 encoding of any
 * message is its own signature and anyone can sign for the client. Such a
 * key must not be registered, nor used if it was.
 */
static char *
e1_forgery(void)
{
	/* the DigestInfo prefix for SHA-256, RFC 8017 9.2 note 1 */
	static const uint8_t di[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09,
	    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
	    0x04, 0x20 };
	char	*head = sign(RSA_A, HDR("RS256", "rsa-a"), NULL), *sig, *tok;
	uint8_t	 em[256];
	size_t	 tl = sizeof(di) + GH_HASH_BYTES;

	/* EM = 00 01 FF..FF 00 DigestInfo H(header.payload) */
	*strrchr(head, '.') = '\0';
	em[0] = 0x00, em[1] = 0x01;
	memset(em + 2, 0xff, sizeof(em) - 3 - tl);
	em[sizeof(em) - tl - 1] = 0x00;
	memcpy(em + sizeof(em) - tl, di, sizeof(di));
	crypto_sha256(head, strlen(head), em + sizeof(em) - GH_HASH_BYTES);
	sig = b64(em, sizeof(em));
	tok = join(head, sig, NULL);
	free(sig);
	free(head);
	return tok;
}

static void
test_rsa_exponent_one_not_registered(void **state)
{
	char *jwks = jwks_with(RSA_A, "e", json_string("AQ"));
	char err[160];
	bool ok = jwks_acceptable(jwks, err, sizeof(err));

	(void)state;
	free(jwks);
	assert_false(ok);
}

static void
test_rsa_exponent_one_not_used(void **state)
{
	char		*jwks = jwks_with(RSA_A, "e", json_string("AQ"));
	enum jwt_result	 r = verify_free(e1_forgery(), jwks);

	(void)state;
	free(jwks);
	assert_int_not_equal(r, JWT_OK);
}

/* -- the signature ----------------------------------------------------- */

static void
test_rs256_tampered(void **state)
{
	char		*jwks = jwks_of(K(RSA_A));
	char		*good = sign(RSA_A, HDR("RS256", "rsa-a"), NULL);
	const char	*sig = strrchr(good, '.') + 1;
	char		 seg[512];
	size_t		 n = strlen(sig);

	(void)state;
	assert_int_equal(n, 342);			/* 256 bytes */
	snprintf(seg, sizeof(seg), "%.*s", (int)(n - 1), sig);
	assert_sig_refused(verify_free(with_sig(good, seg), jwks));
	assert_sig_refused(verify_free(with_sig(good, ""), jwks));
	snprintf(seg, sizeof(seg), "%sAAAA", sig);	/* 3 more bytes */
	assert_sig_refused(verify_free(with_sig(good, seg), jwks));
	snprintf(seg, sizeof(seg), "AAAA%s", sig);	/* leading zeros */
	assert_sig_refused(verify_free(with_sig(good, seg), jwks));
	snprintf(seg, sizeof(seg), "%s", sig);
	seg[100] = seg[100] == 'A' ? 'B' : 'A';		/* one bit off */
	assert_sig_refused(verify_free(with_sig(good, seg), jwks));
	/* the payload: one bit of the iss value flipped ("cl_tesu") */
	assert_int_equal(verify_free(compose(HDR("RS256", "rsa-a"),
	    "{\"iss\":\"cl_tesu\",\"sub\":\"" ISS "\",\"aud\":"
	    "\"https://gh.example/token\",\"exp\":4102444800,\"jti\":\"j-1\"}",
	    sig), jwks), JWT_BAD_SIGNATURE);
	/* a signature carried over to another header */
	assert_int_equal(verify_free(compose("{\"alg\":\"RS256\",\"kid\":"
	    "\"rsa-a\",\"typ\":\"JWT\"}", PAYLOAD, sig), jwks),
	    JWT_BAD_SIGNATURE);
	free(good);
	free(jwks);
}

/* The ES256 token `good` with signature bytes sig[0, n). */
static enum jwt_result
es256_with(const char *good, const uint8_t *sig, size_t n, const char *jwks)
{
	char		*seg = b64(sig, n);
	enum jwt_result	 r = verify_free(with_sig(good, seg), jwks);

	free(seg);
	return r;
}

/*
 * ES256 is r || s, 64 bytes (RFC 7518 3.4). cjose alone accepts
 * 00 || r || 00 || s, so only the exact length keeps signatures from
 * being malleable; DER (the other common encoding) and r = s = 0 (the
 * "psychic signature") must fail too.
 */
static void
test_es256_tampered(void **state)
{
	char		*jwks = jwks_of(K(EC_A));
	char		*good = sign(EC_A, HDR("ES256", "ec-a"), NULL);
	const char	*s = strrchr(good, '.') + 1;
	uint8_t		 raw[64], pad[66], der[72], zero[64];

	(void)state;
	assert_int_equal(b64url_decode(s, strlen(s), raw, sizeof(raw)), 64);
	assert_int_equal(es256_with(good, raw, 64, jwks), JWT_OK);
	memset(pad, 0, sizeof(pad));
	memcpy(pad + 1, raw, 32);
	memcpy(pad + 34, raw + 32, 32);
	assert_sig_refused(es256_with(good, pad, sizeof(pad), jwks));
	assert_sig_refused(es256_with(good, raw, 63, jwks));
	der[0] = 0x30, der[1] = 70, der[2] = 0x02, der[3] = 33, der[4] = 0;
	memcpy(der + 5, raw, 32);
	der[37] = 0x02, der[38] = 33, der[39] = 0;
	memcpy(der + 40, raw + 32, 32);
	assert_sig_refused(es256_with(good, der, sizeof(der), jwks));
	memset(zero, 0, sizeof(zero));
	assert_sig_refused(es256_with(good, zero, sizeof(zero), jwks));
	raw[10] ^= 0x01;
	assert_sig_refused(es256_with(good, raw, 64, jwks));
	free(good);
	free(jwks);
}

/* -- shape ------------------------------------------------------------- */

static void
test_malformed_shapes(void **state)
{
	static const char *const odd[] = { "+", "/", "=", " ", "\n", "%",
	    "\x80", "\xff", NULL };
	static const char *const pre[] = { "", "", ".", "" };
	static const char *const post[] = { ".e30", ".e30.e30", "", "==" };
	char	*jwks = jwks_of(K(RSA_A));
	char	*good = sign(RSA_A, HDR("RS256", "rsa-a"), NULL);
	char	*dot = strchr(good, '.') + 1, t[2048];
	size_t	 i, n = strlen(good);

	(void)state;
	assert_int_equal(verify("abc", jwks), JWT_MALFORMED);
	assert_int_equal(verify("a.b", jwks), JWT_MALFORMED);
	assert_int_equal(verify("..", jwks), JWT_MALFORMED);
	assert_int_equal(verify_n("", 0, jwks, NULL), JWT_MALFORMED);
	for (i = 0; i < 4; i++) {	/* 4 and 5 segments, empty, padding */
		snprintf(t, sizeof(t), "%s%s%s", pre[i], good, post[i]);
		assert_int_equal(verify(t, jwks), JWT_MALFORMED);
	}
	for (i = 0; odd[i]; i++) {
		/* in the header, the payload and the signature */
		snprintf(t, sizeof(t), "%s%s", odd[i], good);
		assert_int_equal(verify(t, jwks), JWT_MALFORMED);
		snprintf(t, sizeof(t), "%.*s%s%s", (int)(dot - good), good,
		    odd[i], dot);
		assert_int_equal(verify(t, jwks), JWT_MALFORMED);
		snprintf(t, sizeof(t), "%s%s", good, odd[i]);
		assert_int_equal(verify(t, jwks), JWT_MALFORMED);
	}
	memcpy(t, good, n);				/* a NUL inside */
	t[n / 2] = '\0';
	assert_int_equal(verify_n(t, n, jwks, NULL), JWT_MALFORMED);
	free(good);
	free(jwks);
}

/* A correct signature over a payload that is not one JSON object. */
static void
test_payload_must_be_object(void **state)
{
	static const char *const bad[] = { "[1,2]", "\"" ISS "\"", "42",
	    "null", "true", "not json", "{\"iss\":\"" ISS "\"",
	    "{\"iss\":\"a\",\"iss\":\"" ISS "\"}", NULL };
	struct signed_case c[2] = {
		{ "RS256", RSA_A, HDR0("RS256"), NULL, K(RSA_A),
		    JWT_MALFORMED },
		{ "ES256", EC_A, HDR0("ES256"), NULL, K(EC_A),
		    JWT_MALFORMED },
	};
	size_t i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		c[0].payload = c[1].payload = bad[i];
		RUN(c);
	}
}

static void
test_header_must_be_object(void **state)
{
	static const char *const bad[] = { "not json", "[\"RS256\"]",
	    "\"RS256\"", "{\"alg\":\"RS256\"", "{\"alg\":\"none\","
	    "\"alg\":\"RS256\"}", "{\"alg\":\"RS256\",\"alg\":\"none\"}",
	    NULL };
	char	*jwks = jwks_of(K(RSA_A));
	char	 big[1200];

	(void)state;
	run_headers(bad, JWT_MALFORMED);
	/* a header larger than any we read */
	snprintf(big, sizeof(big), "{\"alg\":\"RS256\",\"x\":\"%01100d\"}", 0);
	assert_int_equal(verify_free(sign(RSA_A, big, NULL), jwks),
	    JWT_MALFORMED);
	free(jwks);
}

/* A correctly signed RS256 token of exactly `want` bytes; caller frees. */
static char *
token_of_length(size_t want)
{
	char	 hdr[64], *pay, *tok;
	size_t	 base, x, pad;

	assert_non_null(pay = malloc(want));
	tok = sign(RSA_A, "{\"alg\":\"RS256\",\"x\":\"\"}", "{\"p\":\"\"}");
	base = strlen(tok);
	free(tok);
	for (x = 0; x < 4; x++) {
		for (pad = (want - base) * 3 / 4 - 4;
		    pad < (want - base) * 3 / 4 + 4; pad++) {
			snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\","
			    "\"x\":\"%.*s\"}", (int)x, "xxx");
			snprintf(pay, want, "{\"p\":\"%0*d\"}", (int)pad, 0);
			tok = sign(RSA_A, hdr, pay);
			if (strlen(tok) == want)
				goto out;
			free(tok);
		}
	}
	fail_msg("no token of %zu bytes", want);
out:
	free(pay);
	return tok;
}

static void
test_length_limit(void **state)
{
	char *jwks = jwks_of(K(RSA_A));

	(void)state;
	assert_int_equal(verify_free(token_of_length(GH_MAX_JWT_LEN), jwks),
	    JWT_OK);
	assert_int_equal(verify_free(token_of_length(GH_MAX_JWT_LEN + 1),
	    jwks), JWT_MALFORMED);
	free(jwks);
}

/* -- kid --------------------------------------------------------------- */

static void
test_kid_selection(void **state)
{
	static const unsigned four = K(RSA_A) | K(RSA_B) | K(EC_A) | K(EC_B);
	static const struct signed_case c[] = {
		{ "unknown kid", RSA_A, HDR("RS256", "nope"), NULL, four,
		    JWT_NO_KEY },
		/* the kid names B: A's signature is not tried against A */
		{ "kid of B, RS256", RSA_A, HDR("RS256", "rsa-b"), NULL, four,
		    JWT_BAD_SIGNATURE },
		{ "kid of B, ES256", EC_A, HDR("ES256", "ec-b"), NULL, four,
		    JWT_BAD_SIGNATURE },
		/* without a kid every key of the type is tried, in order */
		{ "no kid, 2nd RSA", RSA_B, HDR0("RS256"), NULL, four, JWT_OK },
		{ "no kid, 2nd EC", EC_B, HDR0("ES256"), NULL, four, JWT_OK },
		{ "no kid, no key", RSA_A, HDR0("RS256"), NULL, K(RSA_B),
		    JWT_BAD_SIGNATURE },
		{ "no kid, no EC", EC_A, HDR0("ES256"), NULL, K(EC_B),
		    JWT_BAD_SIGNATURE },
	};
	char	*nokid = jwks_with(RSA_A, "kid", NULL);
	char	 h[200];

	(void)state;
	RUN(c);
	assert_int_equal(verify_free(sign(RSA_A, HDR("RS256", "rsa-a"), NULL),
	    nokid), JWT_NO_KEY);
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"kid\":\"%0127d\"}", 0);
	assert_int_equal(verify_free(sign(RSA_A, h, NULL), nokid), JWT_NO_KEY);
	snprintf(h, sizeof(h), "{\"alg\":\"RS256\",\"kid\":\"%0128d\"}", 0);
	assert_int_equal(verify_free(sign(RSA_A, h, NULL), nokid),
	    JWT_MALFORMED);
	free(nokid);
}

/* Only the first 8 keys count, as no more can be registered. */
static void
test_ninth_key_ignored(void **state)
{
	char *jwks = jwks_many(8, RSA_B, RSA_A);

	(void)state;
	assert_int_equal(verify_free(sign(RSA_A, HDR("RS256", "rsa-a"), NULL),
	    jwks), JWT_NO_KEY);
	assert_int_equal(verify_free(sign(RSA_A, HDR0("RS256"), NULL), jwks),
	    JWT_BAD_SIGNATURE);
	free(jwks);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_tokens),
		cmocka_unit_test(test_alg_none),
		cmocka_unit_test(test_hs256_with_public_key_as_secret),
		cmocka_unit_test(test_other_algs_and_crit_refused),
		cmocka_unit_test(test_alg_missing_or_odd),
		cmocka_unit_test(test_key_type_and_size),
		cmocka_unit_test(test_key_alg_and_use_members),
		cmocka_unit_test(test_rsa_exponent_one_not_registered),
		cmocka_unit_test(test_rsa_exponent_one_not_used),
		cmocka_unit_test(test_rs256_tampered),
		cmocka_unit_test(test_es256_tampered),
		cmocka_unit_test(test_malformed_shapes),
		cmocka_unit_test(test_payload_must_be_object),
		cmocka_unit_test(test_header_must_be_object),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_kid_selection),
		cmocka_unit_test(test_ninth_key_ignored),
	};

	return cmocka_run_group_tests_name("jose/jwt_verify", tests,
	    make_keys, free_keys);
}
