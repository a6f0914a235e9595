/*
 * revoke.c - token revocation (RFC 7009).
 *
 * Any client may revoke its own tokens, public clients included. Revoking
 * a refresh token revokes its whole family (so the access tokens minted
 * with it die too, RFC 7009 2.1). Unknown tokens, and tokens of another
 * client, get the same 200 as a success so the endpoint is no oracle.
 */
#include <string.h>

#include "endpoints.h"
#include "grant.h"
#include "secret.h"
#include "../http/reply.h"
#include "../util/clock.h"

void
oauth_revoke(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct endpoint_form	*f;
	struct token_row	 t;
	struct audit_origin	 o = { req->remote_addr, req->user_agent,
	    "client" };
	struct audit_subject	 s;
	const char		*tok;
	uint8_t			 hash[GH_HASH_BYTES];
	bool			 rotated;
	enum gh_err		 rc = GH_OK;

	if ((f = endpoint_open(app, req, resp, true)) == NULL)
		return;
	if ((tok = params_get(&f->p, "token")) == NULL) {
		oauth_error_reply(resp, OE_INVALID_REQUEST,
		    "token is required", false);
		goto out;
	}
	/* a value that cannot be ours is unknown; a failed hash is not */
	if ((rc = secret_hash(app, tok, hash)) == GH_ERR_INVALID)
		rc = GH_ERR_NOT_FOUND;
	else if (rc == GH_OK &&
	    (rc = store_token_get(app->store, hash, &t, &rotated)) == GH_OK &&
	    strcmp(t.client_id, f->auth.client.id) == 0) {
		if (t.kind == TOKEN_REFRESH)
			rc = store_family_revoke(app->store, t.family_id,
			    clock_now(), "revoked_by_client");
		else
			rc = store_token_revoke(app->store, hash, clock_now());
		s.client_id = t.client_id;
		s.user_id = t.user_id;
		s.grant_id = t.grant_id;
		if (rc == GH_OK)
			audit_event(app, &o, "token.revoked", &s,
			    t.kind == TOKEN_REFRESH ?
			    "{\"kind\":\"refresh\",\"scope\":\"family\"}" :
			    "{\"kind\":\"access\"}");
	}
	if (rc != GH_OK && rc != GH_ERR_NOT_FOUND) {
		reply_unavailable(resp);	/* never claim an unsaved revoke */
		goto out;
	}
	buf_reset(&resp->body);
	resp->status = 200;
	resp->content_type = "application/json";
	if (buf_puts(&resp->body, "{}") != GH_OK)
		reply_unavailable(resp);
out:
	endpoint_close(f);
}
