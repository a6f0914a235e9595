/*
 * jwt_verify.h - verifying a JWS compact JWT against a client's public
 * JWKS, with our own checks in front of cjose:
 *  - the header's alg must be RS256 or ES256 (never none, never HMAC);
 *  - the key must match the alg: RSA of at least 2048 bits for RS256,
 *    EC P-256 for ES256 (no algorithm confusion);
 *  - `crit` is refused; embedded or remote keys (jwk, jku, x5u, x5c) are
 *    never used;
 *  - lengths are bounded and the signature must have the exact size the
 *    key calls for.
 * Claims are not judged here; the caller checks iss, aud, exp and jti.
 */
#ifndef GH_JWT_VERIFY_H
#define GH_JWT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum jwt_result {
	JWT_OK,
	JWT_MALFORMED,		/* not a compact JWS we can read */
	JWT_BAD_ALG,		/* alg missing, not allowed, or crit */
	JWT_NO_KEY,		/* no key of the JWKS fits the header */
	JWT_BAD_SIGNATURE,
	JWT_BAD_TYP,		/* jwt_verify_ours: another typ, or none */
};

/* On JWT_OK *claims is the payload object; the caller json_decref()s it. */
enum jwt_result	jwt_verify(const char *jwt, size_t len, const char *jwks,
		    json_t **claims);
/*
 * A JWT we signed: jwt_verify against our own JWKS (keyring_jwks; up to
 * GH_MAX_SIGNING_KEYS keys read, where a client's stops at 8), and the
 * header's typ must be `typ` (compared without case), so a token of one
 * kind is not taken for another (an RFC 9068 access token, typ at+jwt,
 * for an ID token, typ JWT): JWT_BAD_TYP otherwise.
 */
enum jwt_result	jwt_verify_ours(const char *jwt, size_t len,
		    const char *jwks, const char *typ, json_t **claims);
const char     *jwt_result_str(enum jwt_result r);

/*
 * Read a string claim from an UNVERIFIED JWT, only to find out whose keys
 * to verify it with (the client id in iss). False if absent or malformed.
 */
bool		jwt_peek_claim(const char *jwt, size_t len, const char *name,
		    char *out, size_t outsz);

/*
 * A JWKS a client may register: 1-8 public keys usable by jwt_verify(),
 * no private members. On false, err says why.
 */
bool		jwks_acceptable(const char *jwks, char *err, size_t errsz);

#endif
