/* client_auth.c - see client_auth.h. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "client_assertion.h"
#include "client_auth.h"
#include "../jose/jwt_verify.h"
#include "pkce.h"
#include "secret.h"
#include "../governance/audit_budget.h"
#include "../http/basic.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/str.h"

#define BAD_CREDENTIALS	"unknown client or bad credentials"

/* What the request showed about the (known) client it names. */
struct verdict {
	bool		 enough;	/* would do for an active client */
	const char	*proof;		/* the credential that verified */
	const char	*why;		/* else the reason, for the audit log */
	const char	*desc;		/* and for the reply */
};

static enum gh_err
refuse(struct client_auth_result *res, enum oauth_error e, const char *desc)
{
	res->ok = false;
	res->error = e;
	res->description = desc;
	return GH_OK;
}

/* refuse() for the steps that answer whether to go on */
static bool
refused(struct client_auth_result *res, enum oauth_error e, const char *desc)
{
	refuse(res, e, desc);
	return false;
}

/*
 * Whether `secret` is the client's, in *ok. Any error is a failed hash:
 * no verdict on the secret, so neither a failure to audit nor a refusal.
 */
static enum gh_err
secret_matches(const struct app *app, const struct client_row *c,
    const char *secret, bool *ok)
{
	uint8_t		h[GH_HASH_BYTES];
	enum gh_err	rc;

	*ok = false;
	if (!c->has_secret)
		return GH_OK;
	if ((rc = secret_hash(app, secret, h)) == GH_ERR_INVALID)
		return GH_OK;		/* empty or too long: not the secret */
	if (rc == GH_OK)
		*ok = crypto_ct_eq(h, sizeof(h), c->secret_hash,
		    sizeof(c->secret_hash));
	crypto_wipe(h, sizeof(h));
	return rc;
}

static void
audit_failure(struct app *app, const struct http_request *req,
    const char *client_id, const char *why, const char *proof)
{
	struct audit_origin	o = { req->remote_addr, req->user_agent,
	    "client" };
	struct audit_subject	s = { client_id, NULL, NULL };
	char			detail[128], what[64];

	if (proof)
		snprintf(detail, sizeof(detail),
		    "{\"reason\":\"%s\",\"proof\":\"%s\"}", why, proof);
	else
		snprintf(detail, sizeof(detail), "{\"reason\":\"%s\"}", why);
	/* a client id is public: a flood of failures must not be a row each */
	snprintf(what, sizeof(what), "%s:%s", why, proof ? proof : "");
	audit_budgeted(app, &o, "client.auth_failed", &s, what, detail);
}

/* private_key_jwt (RFC 7523 2.2): the client is named by the assertion */
static bool
assertion_names(const struct params *p, struct client_auth_result *res,
    char id[GH_MAX_CLIENT_ID_LEN])
{
	const char	*assertion = params_get(p, "client_assertion");
	const char	*type = params_get(p, "client_assertion_type");
	const char	*body_id = params_get(p, "client_id");

	if (assertion == NULL || type == NULL ||
	    strcmp(type, ASSERTION_TYPE_JWT) != 0 ||
	    params_is_dup(p, "client_assertion") ||
	    params_is_dup(p, "client_assertion_type"))
		return refused(res, OE_INVALID_CLIENT, "client_assertion_type "
		    "must be jwt-bearer, with one client_assertion");
	if (!jwt_peek_claim(assertion, strlen(assertion), "iss", id,
	    GH_MAX_CLIENT_ID_LEN) || (body_id && strcmp(body_id, id) != 0))
		return refused(res, OE_INVALID_CLIENT,
		    "the assertion does not name this client");
	return true;
}

/*
 * Which client the request names, by which method, and with which secret
 * (the caller wipes it). False when the request is refused as it stands,
 * res saying why.
 */
static bool
credentials(const struct http_request *req, const struct params *p,
    struct client_auth_result *res, char id[GH_MAX_CLIENT_ID_LEN],
    char secret[GH_MAX_SECRET_LEN], enum client_auth *method)
{
	const char	*body_id = params_get(p, "client_id");
	const char	*body_secret = params_get(p, "client_secret");
	bool		 assertion = params_get(p, "client_assertion") ||
	    params_get(p, "client_assertion_type");
	bool		 basic = res->auth_header &&
	    basic_is_basic(req->authorization);

	if (res->auth_header && !basic)
		return refused(res, OE_INVALID_CLIENT,
		    "unsupported Authorization scheme");
	if (params_is_dup(p, "client_id") || params_is_dup(p, "client_secret"))
		return refused(res, OE_INVALID_REQUEST,
		    "client credentials are repeated");
	if ((basic ? 1 : 0) + (body_secret ? 1 : 0) + (assertion ? 1 : 0) > 1)
		return refused(res, OE_INVALID_REQUEST,	/* RFC 6749 2.3 */
		    "use exactly one client authentication method");

	if (assertion) {
		*method = AUTH_PRIVATE_KEY_JWT;
		return assertion_names(p, res, id);
	}
	if (basic) {
		*method = AUTH_SECRET_BASIC;
		if (basic_decode(req->authorization,
		    strlen(req->authorization), id, GH_MAX_CLIENT_ID_LEN,
		    secret, GH_MAX_SECRET_LEN) != GH_OK)
			return refused(res, OE_INVALID_CLIENT,
			    "malformed Basic credentials");
		if (body_id && strcmp(body_id, id) != 0)
			return refused(res, OE_INVALID_REQUEST, "client_id "
			    "differs from the Basic credentials");
		return true;
	}
	*method = body_secret ? AUTH_SECRET_POST : AUTH_NONE;
	if (body_id == NULL)
		return refused(res, OE_INVALID_CLIENT,
		    "client authentication is required");
	if (!str_copy(id, GH_MAX_CLIENT_ID_LEN, body_id) || (body_secret &&
	    !str_copy(secret, GH_MAX_SECRET_LEN, body_secret)))
		return refused(res, OE_INVALID_CLIENT, BAD_CREDENTIALS);
	return true;
}

/*
 * A secret, or none. The secret is hashed and compared whatever the
 * client's status: a disabled client is then refused in the time of a
 * wrong secret.
 */
static enum gh_err
check_secret(const struct app *app, const struct client_row *c,
    enum client_auth method, const char *secret, struct verdict *v)
{
	bool		ok;
	enum gh_err	rc;

	v->desc = BAD_CREDENTIALS;
	if (c->auth_method != method) {
		v->why = "wrong_method";
		return GH_OK;
	}
	if (method == AUTH_NONE) {	/* identified, never proven */
		v->enough = c->is_public;
		v->why = c->is_public ? "no_credential" : "wrong_method";
		return GH_OK;
	}
	if ((rc = secret_matches(app, c, secret, &ok)) != GH_OK)
		return rc;
	if (ok) {
		v->enough = true;
		v->proof = "secret";
	} else
		v->why = "bad_secret";
	return GH_OK;
}

/*
 * A client assertion: signature, claims and single use, whatever the
 * client's status. Its jti is spent even for a disabled client: the
 * assertion was presented and verified, and a copy (from a log, a proxy)
 * must not pass later, if the client is enabled again before the
 * assertion expires, nor count again as evidence of the client's use.
 * It costs one row until the assertion expires, which only the holder of
 * the client's key can make.
 */
static enum gh_err
check_assertion(struct app *app, const struct client_row *c,
    const char *assertion, struct verdict *v)
{
	bool	store_failed;

	v->desc = BAD_CREDENTIALS;
	if (c->auth_method != AUTH_PRIVATE_KEY_JWT) {
		v->why = "wrong_method";
		return GH_OK;
	}
	v->why = client_assertion_check(app, c, assertion, &store_failed);
	if (store_failed)
		return GH_ERR_STORE;
	if (v->why)
		v->desc = "the client assertion is not valid";
	else {
		v->enough = true;
		v->proof = "assertion";
	}
	return GH_OK;
}

/*
 * Whether `value` (a refresh_token or token parameter) is a refresh token
 * issued to client_id, in any state: a retired integration holds revoked
 * ones, a thief replays rotated ones. Access tokens do not count.
 */
static enum gh_err
refresh_token_of(struct app *app, const char *value, const char *client_id,
    bool *found)
{
	struct token_row	tr;
	uint8_t			h[GH_HASH_BYTES];
	bool			rotated;
	enum gh_err		rc;

	if ((rc = secret_hash(app, value, h)) == GH_ERR_INVALID)
		return GH_OK;		/* cannot be one of ours */
	if (rc == GH_OK && (rc = store_token_get(app->store, h, &tr,
	    &rotated)) == GH_OK)
		*found = tr.kind == TOKEN_REFRESH &&
		    strcmp(tr.client_id, client_id) == 0;
	return rc == GH_ERR_NOT_FOUND ? GH_OK : rc;
}

/*
 * Whether the request carries a code issued to client_id, unexpired, with
 * the code_verifier of its challenge (RFC 7636 4.6). The code alone is no
 * evidence: it travels the front channel (address bar, history, Referer,
 * the redirect host's logs) and its row outlives it by a day (upkeep.c).
 */
static enum gh_err
code_with_verifier(struct app *app, const struct params *p,
    const char *client_id, bool *found)
{
	const char	*code = params_get(p, "code");
	const char	*verifier = params_get(p, "code_verifier");
	struct code_row	 cr;
	uint8_t		 h[GH_HASH_BYTES];
	enum gh_err	 rc;

	if (code == NULL || verifier == NULL ||
	    !pkce_verifier_valid(verifier))
		return GH_OK;
	if ((rc = secret_hash(app, code, h)) == GH_ERR_INVALID)
		return GH_OK;
	if (rc == GH_OK && (rc = store_code_get(app->store, h,
	    &cr)) == GH_OK)
		*found = strcmp(cr.client_id, client_id) == 0 &&
		    cr.expires_at > clock_now() &&
		    pkce_verify(verifier, cr.challenge);
	return rc == GH_ERR_NOT_FOUND ? GH_OK : rc;
}

/*
 * Whether the request carries something issued to the client that only
 * the client holds: evidence of its use (or of whoever took its storage)
 * that neither its id, which is public, nor anything seen on the way
 * makes. A refresh token goes only to the client. For a public client,
 * which has no credential, also a code with its verifier, which never
 * leaves the client; not for a confidential one, whose credential is its
 * proof: anyone may start a flow for it with a verifier of their own and
 * read the code from their address bar. Never an access token: every
 * resource server it is sent to holds it. *proof names what was found,
 * or stays NULL.
 */
static enum gh_err
presented_grant(struct app *app, const struct params *p,
    const struct client_row *c, const char **proof)
{
	static const char *const names[] = { "refresh_token", "token" };
	const char	*v;
	bool		 found = false;
	size_t		 i;
	enum gh_err	 rc;

	*proof = NULL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !found; i++) {
		if ((v = params_get(p, names[i])) != NULL &&
		    (rc = refresh_token_of(app, v, c->id, &found)) != GH_OK)
			return rc;	/* no verdict: 503 */
	}
	if (found) {
		*proof = "refresh_token";
		return GH_OK;
	}
	if (c->is_public &&
	    (rc = code_with_verifier(app, p, c->id, &found)) != GH_OK)
		return rc;
	if (found)
		*proof = "code";
	return GH_OK;
}

/*
 * The client is known and its credential checked: accept it, or refuse
 * and audit why. See client_auth.h for what counts as proof.
 */
static enum gh_err
decide(struct app *app, const struct http_request *req,
    const struct params *p, struct client_auth_result *res,
    const struct verdict *v)
{
	const struct client_row	*c = &res->client;
	const char		*proof = v->proof;
	enum gh_err		 rc;

	if (v->enough && c->status == CLIENT_ACTIVE) {
		res->ok = true;
		return GH_OK;
	}
	/* looked for whatever the status, so it tells nothing by its time */
	if (proof == NULL &&
	    (rc = presented_grant(app, p, c, &proof)) != GH_OK)
		return rc;
	if (c->status != CLIENT_ACTIVE && proof != NULL)
		audit_failure(app, req, c->id, client_status_name(c->status),
		    proof);
	else
		audit_failure(app, req, c->id, v->why, NULL);
	return refuse(res, OE_INVALID_CLIENT, v->desc);
}

enum gh_err
client_authenticate(struct app *app, const struct http_request *req,
    const struct params *p, struct client_auth_result *res)
{
	char		 id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];
	struct verdict	 v = { false, NULL, NULL, NULL };
	enum client_auth method = AUTH_NONE;
	enum gh_err	 rc;

	/* everything before the client row, then the row (client_row_clear) */
	memset(res, 0, offsetof(struct client_auth_result, client));
	client_row_clear(&res->client);
	secret[0] = '\0';
	res->auth_header = req->authorization != NULL;
	if (!credentials(req, p, res, id, secret, &method)) {
		crypto_wipe(secret, sizeof(secret));
		return GH_OK;
	}
	rc = store_client_get(app->store, id, &res->client);
	if (rc == GH_OK && method == AUTH_PRIVATE_KEY_JWT)
		rc = check_assertion(app, &res->client,
		    params_get(p, "client_assertion"), &v);
	else if (rc == GH_OK)
		rc = check_secret(app, &res->client, method, secret, &v);
	crypto_wipe(secret, sizeof(secret));
	if (rc == GH_ERR_NOT_FOUND)	/* unknown: nobody to audit */
		return refuse(res, OE_INVALID_CLIENT, BAD_CREDENTIALS);
	if (rc != GH_OK)
		return rc;	/* the store or a hash failed: 503, not 401 */
	return decide(app, req, p, res, &v);
}
