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
#include "../harness.h"

#include <sys/wait.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "jose/jwt_verify.h"
#include "util/crypto.h"
#include "util/limits.h"

#define ISS	"cl_test"
#define PAYLOAD	"{\"iss\":\"" ISS "\",\"sub\":\"" ISS "\"," \
		"\"aud\":\"https://gh.example/token\",\"exp\":4102444800," \
		"\"jti\":\"j-1\"}"
#define HDR(alg, kid)	"{\"alg\":\"" alg "\",\"kid\":\"" kid "\"}"
#define HDR0(alg)	"{\"alg\":\"" alg "\"}"

enum key { RSA_A, RSA_B, RSA_1024, EC_A, EC_B, EC_384, NKEYS };

static const char *const kids[NKEYS] = { "rsa-a", "rsa-b", "rsa-1024",
    "ec-a", "ec-b", "ec-384" };
static cjose_jwk_t *keys[NKEYS];

/* A JWKS given as a set of keys, in enum order. */
#define K(k)	(1u << (k))

/* What a tampered signature may get; never JWT_OK. */
#define assert_sig_refused(r) \
	assert_true((r) == JWT_BAD_SIGNATURE || (r) == JWT_MALFORMED)

/* -- keys and JWKS ----------------------------------------------------- */

static int
make_keys(void **state)
{
	static const uint8_t	e[] = { 0x01, 0x00, 0x01 };
	static const size_t	rsa_bits[] = { 2048, 2048, 1024 };
	static const cjose_jwk_ec_curve curves[] = { CJOSE_JWK_EC_P_256,
	    CJOSE_JWK_EC_P_256, CJOSE_JWK_EC_P_384 };
	cjose_err		err;
	int			i;

	(void)state;
	for (i = 0; i < NKEYS; i++) {
		keys[i] = i < EC_A ?
		    cjose_jwk_create_RSA_random(rsa_bits[i], e, sizeof(e),
		    &err) : cjose_jwk_create_EC_random(curves[i - EC_A], &err);
		if (keys[i] == NULL || !cjose_jwk_set_kid(keys[i], kids[i],
		    strlen(kids[i]), &err))
			return -1;
	}
	return 0;
}

static int
free_keys(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		cjose_jwk_release(keys[i]);
	return 0;
}

/* Key k as a JSON object: public half unless priv; caller decrefs. */
static json_t *
key_obj(enum key k, bool priv)
{
	cjose_err	 err;
	char		*text = cjose_jwk_to_json(keys[k], priv, &err);
	json_t		*o;

	assert_non_null(text);
	o = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(o);
	return o;
}

/* {"keys": a}, taking a's reference; caller frees. */
static char *
jwks_dump(json_t *a)
{
	json_t	*doc = json_pack("{s:o}", "keys", a);
	char	*text;

	assert_non_null(doc);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	assert_non_null(text);
	return text;
}

/* The public JWKS of the keys in `set` (K() bits); caller frees. */
static char *
jwks_of(unsigned set)
{
	json_t	*a = json_array();
	int	 k;

	for (k = 0; k < NKEYS; k++)
		if (set & K(k))
			json_array_append_new(a, key_obj((enum key)k, false));
	return jwks_dump(a);
}

/* One public key with member `name` set to v (NULL: removed). */
static char *
jwks_with(enum key k, const char *name, json_t *v)
{
	json_t *o = key_obj(k, false);

	if (v)
		json_object_set_new(o, name, v);
	else
		json_object_del(o, name);
	return jwks_dump(json_pack("[o]", o));
}

/* n copies of `fill` (kids d0, d1, ...), then `last` unless NKEYS. */
static char *
jwks_many(int n, enum key fill, enum key last)
{
	json_t	*a = json_array(), *o;
	char	 kid[16];
	int	 i;

	for (i = 0; i < n; i++) {
		o = key_obj(fill, false);
		snprintf(kid, sizeof(kid), "d%d", i);
		json_object_set_new(o, "kid", json_string(kid));
		json_array_append_new(a, o);
	}
	if (last != NKEYS)
		json_array_append_new(a, key_obj(last, false));
	return jwks_dump(a);
}

/* -- tokens ------------------------------------------------------------ */

/* base64url of n bytes, no padding; caller frees. */
static char *
b64(const void *in, size_t n)
{
	cjose_err	 err;
	char		*out;
	size_t		 outlen;

	assert_true(cjose_base64url_encode(in, n, &out, &outlen, &err));
	return out;
}

/* cjose signs payload (NULL: PAYLOAD) under header with key k. */
static char *
sign(enum key k, const char *header, const char *payload)
{
	json_t		*h = json_loads(header, 0, NULL);
	cjose_jws_t	*jws;
	cjose_err	 err;
	const char	*ser;
	char		*tok;

	if (payload == NULL)
		payload = PAYLOAD;
	assert_non_null(h);
	jws = cjose_jws_sign(keys[k], h, (const uint8_t *)payload,
	    strlen(payload), &err);
	assert_non_null(jws);
	assert_true(cjose_jws_export(jws, &ser, &err));
	assert_non_null(tok = strdup(ser));
	cjose_jws_release(jws);
	json_decref(h);
	return tok;
}

/* "a.b" or "a.b.c" into a fresh string; c NULL leaves it out. */
static char *
join(const char *a, const char *b, const char *c)
{
	size_t	 n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char	*out;

	assert_non_null(out = malloc(n));
	snprintf(out, n, c ? "%s.%s.%s" : "%s.%s", a, b, c ? c : "");
	return out;
}

/* By hand: b64(header) "." b64(payload) "." sig (already encoded). */
static char *
compose(const char *header, const char *payload, const char *sig)
{
	char *h = b64(header, strlen(header));
	char *p = b64(payload, strlen(payload));
	char *tok = join(h, p, sig);

	free(h);
	free(p);
	return tok;
}

/* tok with its signature segment replaced by seg; caller frees. */
static char *
with_sig(const char *tok, const char *seg)
{
	char	*head = strdup(tok), *out;

	assert_non_null(head);
	*strrchr(head, '.') = '\0';
	out = join(head, seg, NULL);
	free(head);
	return out;
}

/*
 * jwt_verify over an exact-size copy of tok[0, len). Checks the contract:
 * claims NULL on failure, an object on success. On JWT_OK the claims go
 * to *out if given, else are dropped.
 */
static enum jwt_result
verify_n(const char *tok, size_t len, const char *jwks, json_t **out)
{
	json_t		*claims = json_null();	/* must be overwritten */
	char		*copy;
	enum jwt_result	 r;

	assert_non_null(copy = malloc(len ? len : 1));
	memcpy(copy, tok, len);
	r = jwt_verify(copy, len, jwks, &claims);
	free(copy);
	if (r != JWT_OK) {
		assert_null(claims);
		return r;
	}
	assert_true(json_is_object(claims));
	if (out)
		*out = claims;
	else
		json_decref(claims);
	return r;
}

static enum jwt_result
verify(const char *tok, const char *jwks)
{
	return verify_n(tok, strlen(tok), jwks, NULL);
}

/* verify() that frees tok afterwards. */
static enum jwt_result
verify_free(char *tok, const char *jwks)
{
	enum jwt_result r = verify(tok, jwks);

	free(tok);
	return r;
}

/* A token signed by `signer`, checked against the JWKS of `jwks`. */
struct signed_case {
	const char	*what;
	enum key	 signer;
	const char	*header;
	const char	*payload;	/* NULL: PAYLOAD */
	unsigned	 jwks;		/* K() bits */
	enum jwt_result	 want;
};

static void
run_signed(const struct signed_case *c, size_t n)
{
	enum jwt_result	 r;
	char		*jwks;
	size_t		 i;

	for (i = 0; i < n; i++) {
		jwks = jwks_of(c[i].jwks);
		r = verify_free(sign(c[i].signer, c[i].header, c[i].payload),
		    jwks);
		free(jwks);
		if (r != c[i].want)
			fail_msg("%s: got \"%s\", want \"%s\"", c[i].what,
			    jwt_result_str(r), jwt_result_str(c[i].want));
	}
}

#define RUN(cases)	run_signed(cases, sizeof(cases) / sizeof(cases[0]))

/*
 * Each header over PAYLOAD with the signature of a real RS256 token of
 * RSA_A, against the JWKS of RSA_A and EC_A: all must get `want`.
 */
static void
run_headers(const char *const *hdrs, enum jwt_result want)
{
	char	*jwks = jwks_of(K(RSA_A) | K(EC_A));
	char	*good = sign(RSA_A, HDR("RS256", "rsa-a"), NULL);
	size_t	 i;

	for (i = 0; hdrs[i]; i++)
		if (verify_free(compose(hdrs[i], PAYLOAD, strrchr(good, '.') +
		    1), jwks) != want)
			fail_msg("header %s", hdrs[i]);
	free(good);
	free(jwks);
}

/* -- accepted ---------------------------------------------------------- */

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
		cmocka_unit_test(test_unusable_jwks),
		cmocka_unit_test(test_jwks_acceptable_keys),
		cmocka_unit_test(test_jwks_acceptable_refuses_private),
		cmocka_unit_test(test_jwks_acceptable_refuses_shapes),
		cmocka_unit_test(test_jwks_acceptable_size),
		cmocka_unit_test(test_bad_base64_refused_without_abort),
		cmocka_unit_test(test_peek_claim),
		cmocka_unit_test(test_peek_claim_malformed),
	};

	return cmocka_run_group_tests_name("jose/jwt_verify", tests,
	    make_keys, free_keys);
}
