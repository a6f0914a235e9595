/* client_assertion.c - see client_assertion.h. */
#include <stdio.h>
#include <string.h>

#include "client_assertion.h"
#include "../jose/jwt_verify.h"
#include "../util/clock.h"
#include "../util/crypto.h"

/* a node behind by the skew we allow clients still finds a spent jti */
_Static_assert(GH_JTI_KEEP_SECONDS >= ASSERTION_SKEW,
    "the replay cache outlives an assertion by the clock skew allowed");

/* aud: the issuer or its token endpoint, or an array of <= 8 with one */
static bool
aud_ok(const char *issuer, json_t *aud)
{
	char	 token_ep[GH_MAX_REDIRECT_LEN + 16];
	json_t	*v;
	size_t	 i;

	snprintf(token_ep, sizeof(token_ep), "%s/token", issuer);
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), issuer) == 0 ||
		    strcmp(json_string_value(aud), token_ep) == 0;
	if (!json_is_array(aud) || json_array_size(aud) > 8)
		return false;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) && aud_ok(issuer, v))
			return true;
	return false;
}

const char *
client_assertion_claims(const char *issuer, const char *client_id,
    json_t *cl, int64_t now)
{
	const char	*iss = json_string_value(json_object_get(cl, "iss"));
	const char	*sub = json_string_value(json_object_get(cl, "sub"));
	json_t		*exp = json_object_get(cl, "exp");
	json_t		*nbf = json_object_get(cl, "nbf");
	json_t		*iat = json_object_get(cl, "iat");
	const char	*jti = json_string_value(json_object_get(cl, "jti"));

	if (iss == NULL || sub == NULL || strcmp(iss, client_id) != 0 ||
	    strcmp(sub, client_id) != 0)
		return "iss_sub";
	if (!aud_ok(issuer, json_object_get(cl, "aud")))
		return "aud";
	if (!json_is_integer(exp) || json_integer_value(exp) <= now)
		return "expired";
	if (json_integer_value(exp) > now + ASSERTION_MAX_LIFETIME)
		return "exp_too_far";
	if ((nbf && (!json_is_integer(nbf) ||
	    json_integer_value(nbf) > now + ASSERTION_SKEW)) ||
	    (iat && (!json_is_integer(iat) ||
	    json_integer_value(iat) > now + ASSERTION_SKEW)))
		return "not_yet_valid";
	if (jti == NULL || jti[0] == '\0' || strlen(jti) > 256)
		return "jti";
	return NULL;
}

const char *
client_assertion_check(struct app *app, const struct client_row *c,
    const char *assertion, bool *store_failed)
{
	json_t		*cl = NULL;
	const char	*why, *jti;
	uint8_t		 h[GH_HASH_BYTES];
	int64_t		 now = clock_now();
	enum jwt_result	 r;
	enum gh_err	 rc;

	*store_failed = false;
	if (c->jwks[0] == '\0')
		return "no_jwks";
	r = jwt_verify(assertion, strlen(assertion), c->jwks, &cl);
	if (r != JWT_OK)
		return r == JWT_BAD_ALG ? "alg" : r == JWT_NO_KEY ? "no_key" :
		    r == JWT_BAD_SIGNATURE ? "signature" : "malformed";
	if ((why = client_assertion_claims(app->conf.issuer, c->id, cl,
	    now)) != NULL)
		goto out;
	/* single use: one INSERT into the replay cache decides */
	jti = json_string_value(json_object_get(cl, "jti"));
	crypto_sha256(jti, strlen(jti), h);
	rc = store_jti_use(app->store, c->id, h,
	    json_integer_value(json_object_get(cl, "exp")), now);
	if (rc == GH_ERR_CONFLICT)
		why = "replayed";
	else if (rc != GH_OK) {
		*store_failed = true;
		why = "store";
	}
out:
	json_decref(cl);
	return why;
}
