/* client_auth.c - see client_auth.h. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "client_assertion.h"
#include "client_auth.h"
#include "../jose/jwt_verify.h"
#include "secret.h"
#include "../governance/audit.h"
#include "../http/basic.h"
#include "../util/crypto.h"
#include "../util/str.h"

static enum gh_err
refuse(struct client_auth_result *res, enum oauth_error e, const char *desc)
{
	res->ok = false;
	res->error = e;
	res->description = desc;
	return GH_OK;
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
    const char *client_id, const char *why)
{
	struct audit_origin	o = { req->remote_addr, req->user_agent,
	    "client" };
	struct audit_subject	s = { client_id, NULL, NULL };
	char			detail[96];

	snprintf(detail, sizeof(detail), "{\"reason\":\"%s\"}", why);
	audit_event(app, &o, "client.auth_failed", &s, detail);
}

/* private_key_jwt (RFC 7523 2.2): the client is named by the assertion */
static enum gh_err
by_assertion(struct app *app, const struct http_request *req,
    const struct params *p, struct client_auth_result *res)
{
	const char	*assertion = params_get(p, "client_assertion");
	const char	*type = params_get(p, "client_assertion_type");
	const char	*body_id = params_get(p, "client_id");
	const char	*why;
	char		 id[GH_MAX_CLIENT_ID_LEN];
	bool		 store_failed;
	enum gh_err	 rc;

	if (assertion == NULL || type == NULL ||
	    strcmp(type, ASSERTION_TYPE_JWT) != 0 ||
	    params_is_dup(p, "client_assertion") ||
	    params_is_dup(p, "client_assertion_type"))
		return refuse(res, OE_INVALID_CLIENT,
		    "client_assertion_type must be jwt-bearer, with one "
		    "client_assertion");
	if (!jwt_peek_claim(assertion, strlen(assertion), "iss", id,
	    sizeof(id)) || (body_id && strcmp(body_id, id) != 0))
		return refuse(res, OE_INVALID_CLIENT,
		    "the assertion does not name this client");
	rc = store_client_get(app->store, id, &res->client);
	if (rc == GH_ERR_NOT_FOUND)
		return refuse(res, OE_INVALID_CLIENT,
		    "unknown client or bad credentials");
	if (rc != GH_OK)
		return rc;
	if (res->client.status != CLIENT_ACTIVE ||
	    res->client.auth_method != AUTH_PRIVATE_KEY_JWT) {
		audit_failure(app, req, res->client.id,
		    res->client.status != CLIENT_ACTIVE ?
		    client_status_name(res->client.status) : "wrong_method");
		return refuse(res, OE_INVALID_CLIENT,
		    "unknown client or bad credentials");
	}
	why = client_assertion_check(app, &res->client, assertion,
	    &store_failed);
	if (store_failed)
		return GH_ERR_STORE;
	if (why) {
		audit_failure(app, req, res->client.id, why);
		return refuse(res, OE_INVALID_CLIENT,
		    "the client assertion is not valid");
	}
	res->ok = true;
	return GH_OK;
}

enum gh_err
client_authenticate(struct app *app, const struct http_request *req,
    const struct params *p, struct client_auth_result *res)
{
	char		 id[GH_MAX_CLIENT_ID_LEN], secret[GH_MAX_SECRET_LEN];
	const char	*body_id = params_get(p, "client_id");
	const char	*body_secret = params_get(p, "client_secret");
	const char	*assertion = params_get(p, "client_assertion");
	const char	*assertion_type = params_get(p,
	    "client_assertion_type");
	enum client_auth method;
	int		 methods = 0;
	enum gh_err	 rc;
	bool		 ok;

	/* everything before the client row, then the row (client_row_clear) */
	memset(res, 0, offsetof(struct client_auth_result, client));
	client_row_clear(&res->client);
	secret[0] = '\0';
	res->basic_tried = req->authorization != NULL &&
	    basic_is_basic(req->authorization);
	if (req->authorization && !res->basic_tried)
		return refuse(res, OE_INVALID_CLIENT,
		    "unsupported Authorization scheme");
	if (params_is_dup(p, "client_id") || params_is_dup(p, "client_secret"))
		return refuse(res, OE_INVALID_REQUEST,
		    "client credentials are repeated");
	methods = (res->basic_tried ? 1 : 0) + (body_secret ? 1 : 0) +
	    (assertion || assertion_type ? 1 : 0);
	if (methods > 1)	/* RFC 6749 2.3 */
		return refuse(res, OE_INVALID_REQUEST,
		    "use exactly one client authentication method");

	if (assertion || assertion_type)
		return by_assertion(app, req, p, res);
	if (res->basic_tried) {
		method = AUTH_SECRET_BASIC;
		if (basic_decode(req->authorization,
		    strlen(req->authorization), id, sizeof(id), secret,
		    sizeof(secret)) != GH_OK)
			return refuse(res, OE_INVALID_CLIENT,
			    "malformed Basic credentials");
		if (body_id && strcmp(body_id, id) != 0) {
			crypto_wipe(secret, sizeof(secret));
			return refuse(res, OE_INVALID_REQUEST,
			    "client_id differs from the Basic credentials");
		}
	} else {
		method = body_secret ? AUTH_SECRET_POST : AUTH_NONE;
		if (body_id == NULL)
			return refuse(res, OE_INVALID_CLIENT,
			    "client authentication is required");
		if (!str_copy(id, sizeof(id), body_id) || (body_secret &&
		    !str_copy(secret, sizeof(secret), body_secret))) {
			crypto_wipe(secret, sizeof(secret));
			return refuse(res, OE_INVALID_CLIENT,
			    "unknown client or bad credentials");
		}
	}

	rc = store_client_get(app->store, id, &res->client);
	if (rc != GH_OK && rc != GH_ERR_NOT_FOUND) {
		crypto_wipe(secret, sizeof(secret));
		return rc;
	}
	ok = rc == GH_OK && res->client.status == CLIENT_ACTIVE &&
	    res->client.auth_method == method;
	if (ok && method == AUTH_NONE)
		ok = res->client.is_public;
	else if (ok)
		rc = secret_matches(app, &res->client, secret, &ok);
	crypto_wipe(secret, sizeof(secret));
	if (rc != GH_OK && rc != GH_ERR_NOT_FOUND)
		return rc;		/* the hash failed: 503, not 401 */
	if (!ok) {
		if (rc == GH_OK)
			audit_failure(app, req, res->client.id,
			    res->client.status != CLIENT_ACTIVE ?
			    client_status_name(res->client.status) :
			    res->client.auth_method != method ?
			    "wrong_method" : "bad_secret");
		return refuse(res, OE_INVALID_CLIENT,
		    "unknown client or bad credentials");
	}
	res->ok = true;
	return GH_OK;
}
