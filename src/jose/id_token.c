/* id_token.c - see id_token.h. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "id_token.h"
#include "../util/crypto.h"
#include "../util/json_text.h"

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
