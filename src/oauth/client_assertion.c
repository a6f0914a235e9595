/* client_assertion.c - see client_assertion.h. */
#include <string.h>

#include "client_assertion.h"
#include "../jose/jwt_verify.h"
#include "../util/clock.h"
#include "../util/crypto.h"

/* a node behind by the skew we allow clients still finds a spent jti */
_Static_assert(GH_JTI_KEEP_SECONDS >= ASSERTION_SKEW,
    "the replay cache outlives an assertion by the clock skew allowed");

/*
 * aud: this server's issuer identifier and nothing else, as a string or
 * as an array of that one string (RFC 7519 4.1.3: either form for one
 * audience), compared exactly (RFC 3986 6.2.1). Not the token endpoint
 * URL, and not one value among several (draft-ietf-oauth-rfc7523bis, after
 * the audience injection disclosed in January 2025): a client may be led
 * to sign an assertion for another server that names our URL as its own
 * token endpoint, and that server could then present it here. An
 * assertion with our issuer as its sole audience was made for us only.
 */
static bool
aud_ok(const char *issuer, json_t *aud)
{
	if (json_is_array(aud) && json_array_size(aud) == 1)
		aud = json_array_get(aud, 0);
	return json_is_string(aud) &&
	    strcmp(json_string_value(aud), issuer) == 0;
}

/*
 * A NumericDate (RFC 7519 2): seconds as a JSON number, which may have a
 * fraction (iat = time.time()). Kept as a double and compared without
 * rounding, so a fraction can neither lengthen an exp nor pull an iat or
 * nbf back into the allowed window. Every integer within 2^53 seconds is
 * exact; one further off is far outside every bound checked here.
 */
static bool
numeric_date(json_t *v, double *out)
{
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* An absent nbf or iat passes; present, it is no later than now + skew. */
static const char *
not_before(json_t *v, int64_t now)
{
	double t;

	if (v == NULL)
		return NULL;
	if (!numeric_date(v, &t))
		return "date_not_number";
	return t > (double)(now + ASSERTION_SKEW) ? "not_yet_valid" : NULL;
}

const char *
client_assertion_claims(const char *issuer, const char *client_id,
    json_t *cl, int64_t now)
{
	const char	*iss = json_string_value(json_object_get(cl, "iss"));
	const char	*sub = json_string_value(json_object_get(cl, "sub"));
	json_t		*exp = json_object_get(cl, "exp");
	const char	*jti = json_string_value(json_object_get(cl, "jti"));
	const char	*why;
	double		 e;

	if (iss == NULL || sub == NULL || strcmp(iss, client_id) != 0 ||
	    strcmp(sub, client_id) != 0)
		return "iss_sub";
	if (!aud_ok(issuer, json_object_get(cl, "aud")))
		return "aud";
	if (exp == NULL)
		return "exp_missing";
	if (!numeric_date(exp, &e))
		return "date_not_number";
	if (e <= (double)now)
		return "expired";
	if (e > (double)(now + ASSERTION_MAX_LIFETIME))
		return "exp_too_far";
	if ((why = not_before(json_object_get(cl, "nbf"), now)) != NULL ||
	    (why = not_before(json_object_get(cl, "iat"), now)) != NULL)
		return why;
	if (jti == NULL || jti[0] == '\0' || strlen(jti) > 256)
		return "jti";
	return NULL;
}

/*
 * The whole second at or after exp, which client_assertion_claims() put
 * within (now, now + ASSERTION_MAX_LIFETIME]: the replay cache keeps the
 * jti at least as long as the assertion is valid.
 */
static int64_t
exp_ceil(json_t *exp)
{
	double	e = json_number_value(exp);
	int64_t	s = (int64_t)e;

	return (double)s < e ? s + 1 : s;
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
	    exp_ceil(json_object_get(cl, "exp")), now);
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
