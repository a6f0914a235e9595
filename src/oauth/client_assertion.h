/*
 * client_assertion.h - private_key_jwt client authentication (RFC 7523
 * 2.2 and 3, OIDC Core 9): a JWT signed with a key of the client's
 * registered JWKS, whose claims say who (iss = sub = client_id), for whom
 * (aud = the issuer identifier, alone), until when (a short exp, a
 * NumericDate that may have a fraction) and only once (a jti never seen
 * before).
 */
#ifndef GH_CLIENT_ASSERTION_H
#define GH_CLIENT_ASSERTION_H

#include <jansson.h>

#include "../app.h"

#define ASSERTION_TYPE_JWT \
	"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define ASSERTION_MAX_LIFETIME	300	/* seconds from now to exp */
#define ASSERTION_SKEW		30	/* seconds of clock skew for iat/nbf */

/*
 * NULL when `assertion` authenticates client `c` (and its jti is now
 * spent); otherwise a short reason for the audit log. *store_failed is set
 * when the answer is unknown because the store failed.
 */
const char	*client_assertion_check(struct app *app,
		    const struct client_row *c, const char *assertion,
		    bool *store_failed);

/*
 * The claims check of client_assertion_check() on verified claims: NULL
 * when they are for client_id at `issuer` and still valid at `now`, else
 * the reason: iss_sub, aud, exp_missing, date_not_number (exp, nbf or iat
 * is not a JSON number), expired, exp_too_far, not_yet_valid or jti. The
 * jti is not looked up here.
 */
const char	*client_assertion_claims(const char *issuer,
		    const char *client_id, json_t *claims, int64_t now);

#endif
