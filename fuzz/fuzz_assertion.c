/*
 * fuzz_assertion.c - libFuzzer target for the claims of a private_key_jwt
 * client assertion (oauth/client_assertion.h), the part of a JWT that any
 * registered client controls completely: it signs whatever claims it
 * likes with its own key.
 *
 * fuzz_jwt cannot reach this code, because nothing it feeds verifies. Here
 * each input is the payload of a compact JWS that this file signs (ES256,
 * with a P-256 key made at start) and then checks:
 *  - jwt_verify() against the matching JWKS answers JWT_OK exactly when
 *    the payload is a JSON object without duplicate members (read again
 *    here with jansson) and the token fits GH_MAX_JWT_LEN; otherwise
 *    JWT_MALFORMED. On JWT_OK its claims equal that object;
 *  - client_assertion_claims() accepts the claims exactly when an
 *    independent reading here does: iss = sub = the client id; aud the
 *    issuer alone, as a string or an array of that one string (never the
 *    token endpoint, never among others); an exp that is a JSON number,
 *    integer or not, after now and at most ASSERTION_MAX_LIFETIME later;
 *    nbf and iat absent or numbers no later than now + ASSERTION_SKEW;
 *    a string jti of 1 to 256 bytes. A refusal is one of its reasons;
 *    once iss, sub and aud passed, an absent exp is exp_missing and one
 *    that is not a number date_not_number.
 * Any violated invariant calls abort(), so libFuzzer and the replay
 * report it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "jose/jwt_verify.h"
#include "oauth/client_assertion.h"
#include "util/crypto.h"
#include "util/limits.h"
#include "fuzz_check.h"

#define ISSUER		"https://gh.example"
#define CLIENT		"cl_fz"
#define NOW		INT64_C(1800000000)
#define HEADER		"{\"alg\":\"ES256\",\"kid\":\"fz-a\"}"
#define MAX_PAYLOAD	(GH_MAX_JWT_LEN + 64)	/* a little past the cap */

static EVP_PKEY	*key;
static char	 jwks[256];

/* The signing key, and the JWKS of its public half. */
static void
setup(void)
{
	uint8_t	pub[65];
	char	x[48], y[48];
	size_t	n = 0;

	key = EVP_EC_gen("P-256");
	check(key != NULL);
	check(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, sizeof(pub), &n) == 1 && n == 65 && pub[0] == 0x04);
	b64url_encode(pub + 1, 32, x);
	b64url_encode(pub + 33, 32, y);
	check(snprintf(jwks, sizeof(jwks), "{\"keys\":[{\"kty\":\"EC\","
	    "\"kid\":\"fz-a\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}",
	    x, y) < (int)sizeof(jwks));
}

/* ES256 over in[0..n): the JWS form, r || s, 32 bytes each (RFC 7518 3.4) */
static void
sign(const char *in, size_t n, uint8_t out[64])
{
	EVP_MD_CTX		*ctx = EVP_MD_CTX_new();
	ECDSA_SIG		*sig;
	uint8_t			 der[80];
	const uint8_t		*p = der;
	size_t			 dlen = sizeof(der);

	check(ctx != NULL && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    key) == 1 && EVP_DigestSign(ctx, der, &dlen, (const uint8_t *)in,
	    n) == 1);
	check((sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) != NULL);
	check(BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) == 32);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
}

static bool
aud_for_us(json_t *v)
{
	const char *s;

	if (json_is_array(v) && json_array_size(v) == 1)
		v = json_array_get(v, 0);
	s = json_string_value(v);
	return s != NULL && strcmp(s, ISSUER) == 0;
}

static bool
not_later(json_t *v)	/* absent, or a number <= now + skew */
{
	return v == NULL || (json_is_number(v) &&
	    json_number_value(v) <= (double)(NOW + ASSERTION_SKEW));
}

/* present and not a JSON number */
static bool
not_number(json_t *cl, const char *name)
{
	json_t *v = json_object_get(cl, name);

	return v != NULL && !json_is_number(v);
}

/* Should these claims be accepted? Read without client_assertion.c. */
static bool
acceptable(json_t *cl)
{
	const char	*iss = json_string_value(json_object_get(cl, "iss"));
	const char	*sub = json_string_value(json_object_get(cl, "sub"));
	const char	*jti = json_string_value(json_object_get(cl, "jti"));
	json_t		*exp = json_object_get(cl, "exp");

	return iss != NULL && strcmp(iss, CLIENT) == 0 && sub != NULL &&
	    strcmp(sub, CLIENT) == 0 &&
	    aud_for_us(json_object_get(cl, "aud")) &&
	    json_is_number(exp) && json_number_value(exp) > (double)NOW &&
	    json_number_value(exp) <= (double)(NOW + ASSERTION_MAX_LIFETIME) &&
	    not_later(json_object_get(cl, "nbf")) &&
	    not_later(json_object_get(cl, "iat")) &&
	    jti != NULL && strlen(jti) >= 1 && strlen(jti) <= 256;
}

static void
check_claims(json_t *cl)
{
	static const char *const reasons[] = { "iss_sub", "aud", "exp_missing",
	    "date_not_number", "expired", "exp_too_far", "not_yet_valid", "jti",
	    NULL };
	const char	*why = client_assertion_claims(ISSUER, CLIENT, cl, NOW);
	size_t		 i;
	bool		 known = false;

	check((why == NULL) == acceptable(cl));
	for (i = 0; why != NULL && reasons[i] != NULL; i++)
		known = known || strcmp(why, reasons[i]) == 0;
	check(why == NULL || known);
	/* past iss, sub and aud, an exp that is absent or no number says so */
	if (why != NULL && strcmp(why, "iss_sub") != 0 &&
	    strcmp(why, "aud") != 0) {
		if (json_object_get(cl, "exp") == NULL)
			check(strcmp(why, "exp_missing") == 0);
		else if (not_number(cl, "exp"))
			check(strcmp(why, "date_not_number") == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t		*ref, *claims = json_null();	/* must be overwritten */
	char		*jws;
	uint8_t		 sig[64];
	size_t		 hlen = b64url_len(sizeof(HEADER) - 1), plen, n;
	enum jwt_result	 r;
	bool		 want;

	if (size > MAX_PAYLOAD)
		return 0;
	if (key == NULL)
		setup();
	plen = b64url_len(size);
	n = hlen + 1 + plen + 1 + b64url_len(sizeof(sig));
	check((jws = malloc(n + 1)) != NULL);
	b64url_encode((const uint8_t *)HEADER, sizeof(HEADER) - 1, jws);
	jws[hlen] = '.';
	b64url_encode(data, size, jws + hlen + 1);
	jws[hlen + 1 + plen] = '.';
	sign(jws, hlen + 1 + plen, sig);
	b64url_encode(sig, sizeof(sig), jws + hlen + 1 + plen + 1);
	jws[n] = '\0';

	ref = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	want = json_is_object(ref) && n <= GH_MAX_JWT_LEN;
	r = jwt_verify(jws, n, jwks, &claims);
	check(r == (want ? JWT_OK : JWT_MALFORMED));
	if (r == JWT_OK) {
		check(json_equal(claims, ref));
		check_claims(claims);
	} else {
		check(claims == NULL);
	}
	/* the claims check alone, on any object, even one too big to send */
	if (json_is_object(ref))
		check_claims(ref);
	json_decref(claims);
	json_decref(ref);
	free(jws);
	return 0;
}
