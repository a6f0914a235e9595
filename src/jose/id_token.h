/*
 * id_token.h - assembling and signing the OpenID Connect ID token (OIDC
 * Core 2, 3.1.3.6). Assembled here, in jose/, so oauth/ never includes
 * oidc/.
 */
#ifndef GH_ID_TOKEN_H
#define GH_ID_TOKEN_H

#include <stdint.h>
#include "keyring.h"

struct id_token_claims {
	const char	*iss;
	const char	*sub;
	const char	*aud;		/* the client id */
	const char	*nonce;		/* NULL or "" if none was sent */
	const char	*access_token;	/* for at_hash; NULL for none */
	int64_t		 auth_time;
	int64_t		 iat;
	int64_t		 ttl;
};

/* Signed compact JWT (malloc'd), or NULL: never one short of a claim. */
char	*id_token_sign(struct keyring *kr, const char *alg,
	    const struct id_token_claims *c);

/*
 * The sub of an id_token_hint (OIDC Core 3.1.2.1) into sub[subsz]: an ID
 * token signed by one of the keys the ring publishes at `now` (typ JWT,
 * never an at+jwt access token), with iss = issuer and client_id as its
 * aud (or among them), and a non-empty string sub that fits. Its exp is
 * not checked: a hint is usually an ID token past its expiry. Our ID
 * tokens carry the user id as sub (grant_code.c), the same for every
 * client. GH_ERR_INVALID when the hint is not such a token (too long
 * included: GH_MAX_JWT_LEN); GH_ERR_NOMEM when the JWKS could not be
 * made (no verdict).
 */
enum gh_err	id_token_hint_sub(struct keyring *kr, int64_t now,
		    const char *issuer, const char *client_id,
		    const char *hint, char *sub, size_t subsz);

#endif
