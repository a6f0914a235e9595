/* jwt_verify.c - see jwt_verify.h. The only JWS verification path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjose/cjose.h>

#include "jwt_verify.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/limits.h"

/* the keys of a JWKS read: a client's registered one, our own ring's */
#define MAX_CLIENT_KEYS	8

const char *
jwt_result_str(enum jwt_result r)
{
	switch (r) {
	case JWT_OK:		return "ok";
	case JWT_MALFORMED:	return "malformed JWT";
	case JWT_BAD_ALG:	return "algorithm not allowed";
	case JWT_NO_KEY:	return "no matching key";
	case JWT_BAD_SIGNATURE:	return "bad signature";
	case JWT_BAD_TYP:	return "wrong typ";
	}
	return "invalid";
}

static bool	b64url_segment(const char *s, size_t n);

/* the base64url members of the RSA and EC public keys we accept */
static const char *const b64_members[] = { "n", "e", "x", "y", NULL };

static const char *const private_members[] = { "d", "p", "q", "dp", "dq",
    "qi", "k", "oth", NULL };

/* kty and size that an alg needs; NULL kty means the alg is refused */
static const char *
kty_for(const char *alg)
{
	if (strcmp(alg, "RS256") == 0)
		return "RSA";
	if (strcmp(alg, "ES256") == 0)
		return "EC";
	return NULL;
}

/*
 * An RSA public exponent we trust: odd and at least 65537. With e = 1 the
 * padded hash is its own signature, so anyone could sign for the client.
 */
static bool
rsa_exponent_ok(json_t *k)
{
	const char	*e = json_string_value(json_object_get(k, "e"));
	uint8_t		 b[8];
	uint64_t	 v = 0;
	long		 n, i;

	if (e == NULL || (n = b64url_decode(e, strlen(e), b, sizeof(b))) <= 0)
		return false;
	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	return (v & 1) && v >= 65537;
}

/* Import one public key if it is fit for `alg` (NULL: fit for any). */
static cjose_jwk_t *
import_key(json_t *k, const char *alg)
{
	const char	*kty = json_string_value(json_object_get(k, "kty"));
	const char	*use = json_string_value(json_object_get(k, "use"));
	const char	*kalg = json_string_value(json_object_get(k, "alg"));
	const char	*crv = json_string_value(json_object_get(k, "crv"));
	cjose_jwk_t	*jwk;
	cjose_err	 err;
	char		*text;
	size_t		 i, bits;

	if (!json_is_object(k) || kty == NULL)
		return NULL;
	for (i = 0; private_members[i]; i++)
		if (json_object_get(k, private_members[i]))
			return NULL;
	if (use && strcmp(use, "sig") != 0)
		return NULL;
	if (alg && (strcmp(kty, kty_for(alg)) != 0 ||
	    (kalg && strcmp(kalg, alg) != 0)))
		return NULL;
	if (strcmp(kty, "EC") == 0 && (crv == NULL || strcmp(crv, "P-256")))
		return NULL;
	if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0)
		return NULL;
	for (i = 0; b64_members[i]; i++) {
		json_t *m = json_object_get(k, b64_members[i]);

		if (m && (!json_is_string(m) || !b64url_segment(
		    json_string_value(m), json_string_length(m))))
			return NULL;
	}
	if (strcmp(kty, "RSA") == 0 && !rsa_exponent_ok(k))
		return NULL;
	if ((text = json_text(k, JSON_COMPACT)) == NULL)
		return NULL;
	jwk = cjose_jwk_import(text, strlen(text), &err);
	free(text);
	if (jwk == NULL)
		return NULL;
	bits = cjose_jwk_get_keysize(jwk, &err);
	if ((strcmp(kty, "RSA") == 0 && (bits < 2048 || bits > 8192)) ||
	    (strcmp(kty, "EC") == 0 && bits != 256)) {
		cjose_jwk_release(jwk);
		return NULL;
	}
	return jwk;
}

bool
jwt_peek_claim(const char *jwt, size_t len, const char *name, char *out,
    size_t outsz)
{
	const char	*d1, *d2, *v;
	uint8_t		*raw;
	json_t		*o = NULL;
	long		 n;
	bool		 ok = false;

	if (len > GH_MAX_JWT_LEN || (d1 = memchr(jwt, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt))) == NULL)
		return false;
	if ((raw = malloc(len)) == NULL)
		return false;
	n = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw, len);
	if (n > 0)
		o = json_parse_buf((const char *)raw, (size_t)n, 0, NULL);
	v = json_string_value(json_object_get(o, name));
	if (v && strlen(v) < outsz) {
		memcpy(out, v, strlen(v) + 1);
		ok = true;
	}
	json_decref(o);
	free(raw);
	return ok;
}

bool
jwks_acceptable(const char *jwks, char *err, size_t errsz)
{
	json_t		*doc, *keys, *k;
	cjose_jwk_t	*jwk;
	size_t		 i;
	bool		 ok = false;

	if (strlen(jwks) >= GH_MAX_CLIENT_JWKS) {
		snprintf(err, errsz, "JWKS larger than %d bytes",
		    GH_MAX_CLIENT_JWKS);
		return false;
	}
	if ((doc = json_parse(jwks, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_array(keys = json_object_get(doc, "keys")) ||
	    json_array_size(keys) == 0 ||
	    json_array_size(keys) > MAX_CLIENT_KEYS) {
		snprintf(err, errsz, "need {\"keys\": [...]} with 1 to %d keys",
		    MAX_CLIENT_KEYS);
		goto out;
	}
	json_array_foreach(keys, i, k) {
		if ((jwk = import_key(k, NULL)) == NULL) {
			snprintf(err, errsz, "key %zu: not a public RSA "
			    "(2048+ bits) or EC P-256 signing key", i);
			goto out;
		}
		cjose_jwk_release(jwk);
	}
	ok = true;
out:
	json_decref(doc);
	return ok;
}

/*
 * Header checks before any crypto; fills alg and kid (kid may be ""). A
 * non-NULL typ must be the header's typ (RFC 7515 4.1.9: compared without
 * case); a header without one does not match.
 */
static enum jwt_result
read_header(const char *jwt, size_t hlen, const char *typ, char alg[8],
    char kid[128])
{
	uint8_t		 raw[1024];
	json_t		*h;
	const char	*a, *k, *t;
	long		 n;
	enum jwt_result	 r = JWT_BAD_ALG;

	if ((n = b64url_decode(jwt, hlen, raw, sizeof(raw))) <= 0)
		return JWT_MALFORMED;
	if ((h = json_parse_buf((const char *)raw, (size_t)n,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(h)) {
		json_decref(h);
		return JWT_MALFORMED;
	}
	a = json_string_value(json_object_get(h, "alg"));
	k = json_string_value(json_object_get(h, "kid"));
	if (a == NULL || kty_for(a) == NULL || json_object_get(h, "crit"))
		goto out;
	if (typ != NULL && ((t = json_string_value(json_object_get(h,
	    "typ"))) == NULL || strcasecmp(t, typ) != 0)) {
		r = JWT_BAD_TYP;
		goto out;
	}
	snprintf(alg, 8, "%s", a);
	if (k && strlen(k) >= 128) {
		r = JWT_MALFORMED;
		goto out;
	}
	snprintf(kid, 128, "%s", k ? k : "");
	r = JWT_OK;
out:
	json_decref(h);
	return r;
}

/*
 * Well-formed unpadded base64url. The length check matters beyond
 * tidiness: cjose 0.6 aborts the process (an assert) when it decodes a
 * length of 1 modulo 4, so nothing that fails here may reach it.
 */
static bool
b64url_segment(const char *s, size_t n)
{
	size_t i;

	if (n % 4 == 1)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return n > 0;
}

/* The signature must be exactly as long as the key calls for. */
static bool
signature_size_ok(size_t n, const char *alg,
    const cjose_jwk_t *jwk)
{
	cjose_err	err;
	size_t		want = strcmp(alg, "ES256") == 0 ? 64 :
	    cjose_jwk_get_keysize(jwk, &err) / 8;

	return b64url_len(want) == n;
}

static enum jwt_result
verify(const char *jwt, size_t len, const char *jwks, size_t max_keys,
    const char *typ, json_t **claims)
{
	const char	*d1, *d2;
	char		 alg[8], kid[128];
	json_t		*doc = NULL, *keys, *k, *payload;
	cjose_jws_t	*jws = NULL;
	cjose_jwk_t	*jwk;
	cjose_err	 err;
	uint8_t		*plain;
	size_t		 plen, i;
	enum jwt_result	 r;
	bool		 verified = false, tried = false;

	*claims = NULL;
	if (len == 0 || len > GH_MAX_JWT_LEN || memchr(jwt, '\0', len) ||
	    (d1 = memchr(jwt, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) != NULL ||
	    !b64url_segment(jwt, (size_t)(d1 - jwt)) ||
	    !b64url_segment(d1 + 1, (size_t)(d2 - d1 - 1)) ||
	    !b64url_segment(d2 + 1, len - (size_t)(d2 + 1 - jwt)))
		return JWT_MALFORMED;
	if ((r = read_header(jwt, (size_t)(d1 - jwt), typ, alg, kid)) !=
	    JWT_OK)
		return r;
	if ((doc = json_parse(jwks, 0, NULL)) == NULL ||
	    !json_is_array(keys = json_object_get(doc, "keys"))) {
		json_decref(doc);
		return JWT_NO_KEY;
	}
	if ((jws = cjose_jws_import(jwt, len, &err)) == NULL) {
		json_decref(doc);
		return JWT_MALFORMED;
	}
	json_array_foreach(keys, i, k) {
		const char *kk = json_string_value(json_object_get(k, "kid"));

		if (i >= max_keys || verified)
			break;
		if (kid[0] && (kk == NULL || strcmp(kk, kid) != 0))
			continue;
		if ((jwk = import_key(k, alg)) == NULL)
			continue;
		tried = true;
		if (signature_size_ok(len - (size_t)(d2 + 1 - jwt), alg, jwk))
			verified = cjose_jws_verify(jws, jwk, &err);
		cjose_jwk_release(jwk);
	}
	r = !tried ? JWT_NO_KEY : !verified ? JWT_BAD_SIGNATURE : JWT_OK;
	if (r == JWT_OK) {
		if (!cjose_jws_get_plaintext(jws, &plain, &plen, &err) ||
		    (payload = json_parse_buf((const char *)plain, plen,
		    JSON_REJECT_DUPLICATES, NULL)) == NULL) {
			r = JWT_MALFORMED;
		} else if (!json_is_object(payload)) {
			json_decref(payload);
			r = JWT_MALFORMED;
		} else {
			*claims = payload;
		}
	}
	cjose_jws_release(jws);
	json_decref(doc);
	return r;
}

enum jwt_result
jwt_verify(const char *jwt, size_t len, const char *jwks, json_t **claims)
{
	return verify(jwt, len, jwks, MAX_CLIENT_KEYS, NULL, claims);
}

enum jwt_result
jwt_verify_ours(const char *jwt, size_t len, const char *jwks,
    const char *typ, json_t **claims)
{
	return verify(jwt, len, jwks, GH_MAX_SIGNING_KEYS, typ, claims);
}
