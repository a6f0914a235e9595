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

#endif
