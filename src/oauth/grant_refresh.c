/*
 * grant_refresh.c - the refresh_token grant (RFC 6749 6, RFC 9700 4.14).
 *
 * Refresh tokens rotate on every use: store_refresh_exchange() retires the
 * presented token with one conditional update and stores its successors
 * in the same transaction. A token that was already rotated is a reuse,
 * the signature of theft: the whole family is revoked and audited. A
 * refresh may narrow the scope of the new access token, never widen it;
 * the new refresh token keeps the full granted scope.
 */
#include <string.h>

#include "grant.h"
#include "../http/reply.h"
#include "issue.h"
#include "scope.h"
#include "secret.h"
#include "../util/clock.h"

static void
reuse_detected(struct token_ctx *t, const struct token_row *old)
{
	struct audit_subject s = { old->client_id, old->user_id,
	    old->grant_id };

	(void)store_family_revoke(t->app->store, old->family_id, clock_now(),
	    "refresh_reuse");
	audit_event(t->app, &t->origin, "token.reuse_detected", &s,
	    "{\"action\":\"family_revoked\"}");
	oauth_error_reply(t->resp, OE_INVALID_GRANT,
	    "the refresh token was already used", false);
}

/*
 * The presented token is not live: unknown, another client's, rotated
 * (a reuse), or expired or revoked. Told apart only here, off the path
 * of a good refresh, which needs the one lookup of the live token.
 */
static void
not_live(struct token_ctx *t, const uint8_t hash[GH_HASH_BYTES])
{
	struct token_row	old;
	bool			rotated = false;
	enum gh_err		rc;

	rc = store_token_get(t->app->store, hash, &old, &rotated);
	if (rc == GH_ERR_NOT_FOUND || (rc == GH_OK &&
	    (old.kind != TOKEN_REFRESH ||
	    strcmp(old.client_id, t->client->id) != 0)))
		oauth_error_reply(t->resp, OE_INVALID_GRANT,
		    "unknown refresh token", false);
	else if (rc != GH_OK)
		reply_unavailable(t->resp);
	else if (rotated)
		reuse_detected(t, &old);
	else
		oauth_error_reply(t->resp, OE_INVALID_GRANT,
		    "the refresh token is expired or revoked", false);
}

void
grant_refresh_token(struct token_ctx *t)
{
	const char		*rt = params_get(t->p, "refresh_token");
	const char		*want = params_get(t->p, "scope");
	struct token_row	 live;
	struct issued		 is;
	struct audit_subject	 subj;
	uint8_t			 hash[GH_HASH_BYTES];
	int64_t			 now = clock_now();
	enum gh_err		 rc;

	if (rt == NULL) {
		oauth_error_reply(t->resp, OE_INVALID_REQUEST,
		    "refresh_token is required", false);
		return;
	}
	if (!secret_hash(t->app, rt, hash)) {
		oauth_error_reply(t->resp, OE_INVALID_GRANT,
		    "unknown refresh token", false);
		return;
	}
	rc = store_token_live(t->app->store, hash, now, &live);
	if (rc == GH_ERR_NOT_FOUND) {
		not_live(t, hash);
		return;
	}
	if (rc != GH_OK) {
		reply_unavailable(t->resp);
		return;
	}
	if (live.kind != TOKEN_REFRESH ||
	    strcmp(live.client_id, t->client->id) != 0) {
		oauth_error_reply(t->resp, OE_INVALID_GRANT,
		    "unknown refresh token", false);
		return;
	}
	if (want && (!scope_valid(want) || !scope_subset(want, live.scope))) {
		subj.client_id = live.client_id;
		subj.user_id = live.user_id;
		subj.grant_id = live.grant_id;
		audit_event(t->app, &t->origin, "token.scope_escalation",
		    &subj, NULL);
		oauth_error_reply(t->resp, OE_INVALID_SCOPE,
		    "a refresh cannot widen the granted scope", false);
		return;
	}
	if (issue_mint(t->app, t->client, &live, want ? want : live.scope,
	    live.scope, &is) != GH_OK) {
		reply_unavailable(t->resp);
		return;
	}
	rc = store_refresh_exchange(t->app->store, hash, t->client->id, now,
	    is.rows, is.n);
	if (rc == GH_ERR_CONFLICT) {	/* a concurrent use won: reuse */
		issue_wipe(&is);
		reuse_detected(t, &live);
		return;
	}
	if (rc != GH_OK) {
		issue_wipe(&is);
		if (rc == GH_ERR_NOT_FOUND)
			oauth_error_reply(t->resp, OE_INVALID_GRANT,
			    "the refresh token is expired or revoked", false);
		else
			reply_unavailable(t->resp);
		return;
	}
	subj.client_id = live.client_id;
	subj.user_id = live.user_id;
	subj.grant_id = live.grant_id;
	audit_event(t->app, &t->origin, "token.refreshed", &subj, NULL);
	issue_reply(t->app, t->resp, &is);
}
