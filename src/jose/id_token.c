/* id_token.c - see id_token.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "id_token.h"
#include "jwt_verify.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/limits.h"

/*
 * at_hash: base64url of the left half of the hash of the access token,
 * with the hash of the signing alg (SHA-256 for RS256 and ES256).
 */
static void
at_hash(const char *token, char out[23])
{
	uint8_t h[GH_HASH_BYTES];

	crypto_sha256(token, strlen(token), h);
	b64url_encode(h, GH_HASH_BYTES / 2, out);
}

char *
id_token_sign(struct keyring *kr, const char *alg,
    const struct id_token_claims *c)
{
	json_t	*o;
	char	*payload, *jwt;
	char	 ah[23];

	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "iss", c->iss,
	    "sub", c->sub, "aud", c->aud, "exp", (json_int_t)(c->iat + c->ttl),
	    "iat", (json_int_t)c->iat, "auth_time", (json_int_t)c->auth_time);
	/* never signed short of a claim (a nonce the client checks) */
	if (c->nonce && c->nonce[0])
		o = json_with(o, "nonce", json_string(c->nonce));
	if (c->access_token) {
		at_hash(c->access_token, ah);
		o = json_with(o, "at_hash", json_string(ah));
	}
	if (o == NULL)
		return NULL;
	payload = json_text(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (payload == NULL)
		return NULL;
	jwt = keyring_sign(kr, alg, "JWT", payload, c->iat);
	free(payload);
	return jwt;
}

/* aud is the client id, or an array holding it (OIDC Core 2). */
static bool
aud_has(json_t *aud, const char *client_id)
{
	json_t	*v;
	size_t	 i;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), client_id) == 0)
			return true;
	return false;
}

enum gh_err
id_token_hint_sub(struct keyring *kr, int64_t now, const char *issuer,
    const char *client_id, const char *hint, char *sub, size_t subsz)
{
	json_t		*claims = NULL;
	const char	*iss, *s;
	char		*jwks;
	size_t		 len = strlen(hint);
	enum gh_err	 rc = GH_ERR_INVALID;

	if (subsz > 0)
		sub[0] = '\0';
	if (len == 0 || len > GH_MAX_JWT_LEN)
		return GH_ERR_INVALID;
	if ((jwks = keyring_jwks(kr, now)) == NULL)
		return GH_ERR_NOMEM;
	if (jwt_verify_ours(hint, len, jwks, "JWT", &claims) != JWT_OK)
		goto out;
	iss = json_string_value(json_object_get(claims, "iss"));
	s = json_string_value(json_object_get(claims, "sub"));
	if (iss == NULL || strcmp(iss, issuer) != 0 ||
	    !aud_has(json_object_get(claims, "aud"), client_id) ||
	    s == NULL || s[0] == '\0' || strlen(s) >= subsz)
		goto out;
	memcpy(sub, s, strlen(s) + 1);
	rc = GH_OK;
out:
	json_decref(claims);
	free(jwks);
	return rc;
}
