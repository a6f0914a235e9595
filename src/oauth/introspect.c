/*
 * introspect.c - token introspection (RFC 7662).
 *
 * Only confidential clients may introspect, and only their own tokens:
 * anything else, like unknown, expired or revoked tokens (checked through
 * the whole ancestry: token, family, grant, client, user), is just
 * {"active": false}.
 */
#include <string.h>

#include <jansson.h>

#include "endpoints.h"
#include "grant.h"
#include "issue.h"
#include "secret.h"
#include "../http/reply.h"
#include "../util/clock.h"
#include "../governance/rules.h"

static json_t *
describe(const struct app *app, const struct token_row *t)
{
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:s}",
	    "active", 1, "scope", t->scope, "client_id", t->client_id,
	    "sub", t->user_id, "iss", app->conf.issuer,
	    "exp", (json_int_t)t->expires_at, "iat", (json_int_t)t->issued_at,
	    "token_type", t->kind == TOKEN_ACCESS ? "Bearer" :
	    "refresh_token");
}

void
oauth_introspect(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct endpoint_form	*f;
	struct token_row	 t;
	const char		*tok;
	uint8_t			 hash[GH_HASH_BYTES];
	json_t			*o = NULL;
	enum gh_err		 rc;

	if ((f = endpoint_open(app, req, resp, false)) == NULL)
		return;
	if ((tok = params_get(&f->p, "token")) == NULL) {
		oauth_error_reply(resp, OE_INVALID_REQUEST,
		    "token is required", false);
		goto out;
	}
	/* a value that cannot be ours is inactive; a failed hash is not */
	if ((rc = secret_hash(app, tok, hash)) == GH_ERR_INVALID)
		rc = GH_ERR_NOT_FOUND;
	else if (rc == GH_OK)
		rc = issue_token_live(app, hash, clock_now(), &t);
	if (rc != GH_OK && rc != GH_ERR_NOT_FOUND) {
		reply_unavailable(resp);
		goto out;
	}
	if (rc == GH_OK && strcmp(t.client_id, f->auth.client.id) == 0) {
		o = describe(app, &t);
		rules_token_used(app, &t, req->remote_addr, req->user_agent,
		    clock_now());
	} else
		o = json_pack("{s:b}", "active", 0);
	if (reply_json(resp, 200, o) != GH_OK)
		reply_unavailable(resp);
out:
	endpoint_close(f);
}
