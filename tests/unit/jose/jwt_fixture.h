/*
 * jwt_fixture.h - keys, signing and token-building helpers shared by the
 * jose/jwt_verify.h tests (test_jwt_verify.c: tokens; test_jwks.c: key
 * sets and jwt_peek_claim). Included by one test program each, so the
 * statics are per program.
 */
#ifndef GH_JWT_FIXTURE_H
#define GH_JWT_FIXTURE_H

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

static inline int
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

static inline int
free_keys(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NKEYS; i++)
		cjose_jwk_release(keys[i]);
	return 0;
}

/* Key k as a JSON object: public half unless priv; caller decrefs. */
static inline json_t *
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
static inline char *
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
static inline char *
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
static inline char *
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
static inline char *
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
static inline char *
b64(const void *in, size_t n)
{
	cjose_err	 err;
	char		*out;
	size_t		 outlen;

	assert_true(cjose_base64url_encode(in, n, &out, &outlen, &err));
	return out;
}

/* cjose signs payload (NULL: PAYLOAD) under header with key k. */
static inline char *
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
static inline char *
join(const char *a, const char *b, const char *c)
{
	size_t	 n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
	char	*out;

	assert_non_null(out = malloc(n));
	snprintf(out, n, c ? "%s.%s.%s" : "%s.%s", a, b, c ? c : "");
	return out;
}

/* By hand: b64(header) "." b64(payload) "." sig (already encoded). */
static inline char *
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
static inline char *
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
static inline enum jwt_result
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

static inline enum jwt_result
verify(const char *tok, const char *jwks)
{
	return verify_n(tok, strlen(tok), jwks, NULL);
}

/* verify() that frees tok afterwards. */
static inline enum jwt_result
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

static inline void
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
static inline void
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

#endif
