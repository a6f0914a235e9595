/*
 * userinfo.c - the UserInfo endpoint (OIDC Core 5.3) with Bearer tokens
 * (RFC 6750): from the Authorization header, or for POST the
 * `access_token` form parameter, never the query string. Errors carry
 * WWW-Authenticate (RFC 6750 3). Claims follow the granted scopes:
 * always sub; name and preferred_username with profile; email and
 * email_verified with email.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "endpoints.h"
#include "../http/form_body.h"
#include "../http/reply.h"
#include "../governance/audit_budget.h"
#include "../oauth/issue.h"
#include "../oauth/secret.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/str.h"

static void
bearer_error(struct http_response *resp, int status, const char *error,
    const char *desc)
{
	char hdr[256];

	if (error)
		snprintf(hdr, sizeof(hdr), "Bearer realm=\"gatehouse\", "
		    "error=\"%s\", error_description=\"%s\"", error, desc);
	else
		snprintf(hdr, sizeof(hdr), "Bearer realm=\"gatehouse\"");
	if (reply_json(resp, status, error ? json_pack("{s:s, s:s}", "error",
	    error, "error_description", desc) : json_object()) != GH_OK ||
	    response_header(resp, "WWW-Authenticate", hdr) != GH_OK)
		reply_unavailable(resp);
}

/* The presented token, copied into out; false (reply made) if none/bad. */
static bool
bearer_token(const struct http_request *req, struct http_response *resp,
    char *out, size_t outsz)
{
	struct params	 p;
	const char	*h = req->authorization, *body_tok = NULL;
	bool		 ok = false;
	enum gh_err	 rc;

	params_init(&p);
	if (req->method == HTTP_POST && req->body.len > 0) {
		if ((rc = form_body_parse(req, &p)) != GH_OK ||
		    params_first_dup(&p)) {
			bearer_error(resp, 400, "invalid_request",
			    "malformed request body");
			goto out;
		}
		body_tok = params_get(&p, "access_token");
	}
	if (h && body_tok) {	/* RFC 6750 2: exactly one method */
		bearer_error(resp, 400, "invalid_request",
		    "the token was sent twice");
		goto out;
	}
	if (h) {
		if (strncasecmp(h, "Bearer ", 7) != 0) {
			bearer_error(resp, 401, NULL, NULL);
			goto out;
		}
		h += 7;
		while (*h == ' ')
			h++;
	} else {
		h = body_tok;
	}
	if (h == NULL || h[0] == '\0') {
		bearer_error(resp, 401, NULL, NULL);
		goto out;
	}
	if (!str_copy(out, outsz, h)) {
		bearer_error(resp, 401, "invalid_token", "unknown token");
		goto out;
	}
	ok = true;
out:
	params_free(&p);
	return ok;
}

/*
 * A dead access token presented here: if it died because its client was
 * disabled or quarantined (and it would still be unexpired), someone is
 * still using a retired integration's tokens. Audited, so the
 * disabled_client_use rule raises an alert. Only an access token, the
 * kind this endpoint takes: a refresh token of such a client is used at
 * /token, where client_auth.c records it.
 *
 * Whoever holds the token (every resource server it went to) can present
 * it at will until it expires, so it is recorded within the audit
 * budgets, keyed by its grant whatever the address (a holder cannot
 * spend another grant's rows, nor gain any by changing addresses); each
 * presentation is still logged and seen by the rule.
 */
static void
dead_token_used(struct app *app, const struct http_request *req,
    const uint8_t hash[GH_HASH_BYTES])
{
	struct audit_origin	 o = { req->remote_addr, req->user_agent,
	    "client" };
	struct audit_subject	 s;
	struct token_row	 t;
	struct client_row	*c;
	bool			 rotated;
	char			 detail[96];

	if (store_token_get(app->store, hash, &t, &rotated) != GH_OK ||
	    t.kind != TOKEN_ACCESS || t.expires_at <= clock_now() ||
	    (c = malloc(sizeof(*c))) == NULL)
		return;
	if (store_client_get(app->store, t.client_id, c) == GH_OK &&
	    c->status != CLIENT_ACTIVE) {
		s = (struct audit_subject){ t.client_id, t.user_id,
		    t.grant_id };
		snprintf(detail, sizeof(detail), "{\"reason\":\"%s\","
		    "\"endpoint\":\"userinfo\"}", client_status_name(c->status));
		audit_budgeted_by(app, &o, "token.used_after_disable", &s,
		    t.grant_id, detail);
	}
	free(c);
}

void
oidc_userinfo(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	char		 tok[GH_MAX_JWT_LEN];
	uint8_t		 hash[GH_HASH_BYTES];
	struct token_row t;
	struct user_row	 u;
	json_t		*o;
	bool		 hashed = false;
	enum gh_err	 rc;

	if (req->query_len > 0) {
		bearer_error(resp, 400, "invalid_request",
		    "tokens are not accepted in the query string");
		return;
	}
	if (!bearer_token(req, resp, tok, sizeof(tok))) {
		/* one too long may be in it in part */
		crypto_wipe(tok, sizeof(tok));
		return;
	}
	rc = secret_hash(app, tok, hash);
	/* only the hash is looked up: the bearer's copy goes at once */
	crypto_wipe(tok, sizeof(tok));
	/* a value that cannot be ours is unknown; a failed hash is not */
	if (rc == GH_ERR_INVALID)
		rc = GH_ERR_NOT_FOUND;
	else if ((hashed = rc == GH_OK))
		rc = issue_token_live(app, hash, clock_now(), &t);
	if (rc == GH_OK && t.kind != TOKEN_ACCESS)
		rc = GH_ERR_NOT_FOUND;
	if (rc == GH_OK)
		rc = store_user_get(app->store, t.user_id, &u);
	if (rc == GH_ERR_NOT_FOUND) {
		if (hashed)
			dead_token_used(app, req, hash);
		bearer_error(resp, 401, "invalid_token",
		    "the access token is unknown, expired or revoked");
		return;
	}
	if (rc != GH_OK) {
		reply_unavailable(resp);
		return;
	}
	if (!words_has(t.scope, "openid")) {
		bearer_error(resp, 403, "insufficient_scope",
		    "the token was not granted the openid scope");
		return;
	}
	if ((o = json_pack("{s:s}", "sub", u.id)) == NULL) {
		reply_unavailable(resp);
		return;
	}
	/* every granted claim or a 503, never a 200 short of one */
	if (words_has(t.scope, "profile")) {
		o = json_with(o, "preferred_username",
		    json_string(u.username));
		if (u.name[0])
			o = json_with(o, "name", json_string(u.name));
	}
	if (words_has(t.scope, "email") && u.email[0]) {
		o = json_with(o, "email", json_string(u.email));
		o = json_with(o, "email_verified",
		    json_boolean(u.email_verified));
	}
	if (reply_json(resp, 200, o) != GH_OK)
		reply_unavailable(resp);
}
