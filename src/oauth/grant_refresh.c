/*
 * grant_refresh.c - the refresh_token grant (RFC 6749 6, RFC 9700 4.14).
 *
 * Refresh tokens rotate on every use: store_refresh_take() hands the
 * live token to take(), which checks the scope asked for and mints the
 * successors; the store retires the token with one conditional update
 * and stores them in the same transaction. A token that was already rotated is a reuse,
 * the signature of theft: the whole family is revoked and audited. A
 * refresh may narrow the scope of the new access token, never widen it;
 * the new refresh token keeps the full granted scope. No token of a family
 * outlives the family's end (issue_family_end): the successors expire by
 * it, and past it the token is not rotated at all; the grant must be
 * authorised again.
 */
#include <string.h>

#include "grant.h"
#include "../governance/audit_budget.h"
#include "../http/reply.h"
#include "../jose/keyring.h"
#include "issue.h"
#include "scope.h"
#include "secret.h"
#include "../util/clock.h"

static void
reuse_detected(struct token_ctx *t, const struct token_row *old)
{
	struct audit_subject s = { old->client_id, old->user_id,
	    old->grant_id };
	enum gh_err	rc;

	/*
	 * RFC 9700 4.14: a reuse ends the family. If that write failed,
	 * say so (503, and the replay may be tried again) rather than
	 * answer as if the family were revoked.
	 */
	rc = store_family_revoke(t->app->store, old->family_id, clock_now(),
	    "refresh_reuse");
	if (rc != GH_OK && rc != GH_ERR_NOT_FOUND) {
		audit_event(t->app, &t->origin, "token.reuse_detected", &s,
		    "{\"action\":\"revoke_failed\"}");
		reply_unavailable(t->resp);
		return;
	}
	/*
	 * The reuse that revoked the family is always recorded. A family
	 * revoked already (by an earlier reuse, or otherwise) makes its
	 * retired tokens worthless, and for a public client they need no
	 * secret: presenting one again is the same incident, which an
	 * outsider could repeat at will, so it is recorded within the
	 * budgets, keyed by the family (still logged, still run through the
	 * rules).
	 */
	if (rc == GH_OK)
		audit_event(t->app, &t->origin, "token.reuse_detected", &s,
		    "{\"action\":\"family_revoked\"}");
	else
		audit_budgeted(t->app, &t->origin, "token.reuse_detected", &s,
		    old->family_id, "{\"action\":\"already_revoked\"}");
	oauth_error_reply(t->resp, OE_INVALID_GRANT,
	    "the refresh token was already used", false);
}

/*
 * The token's family has reached its end. Refused as an expired token is
 * (RFC 6749 5.2 invalid_grant), with nothing written and no revocation:
 * presenting it is no sign of theft. Audited with its reason, so that an
 * operator can tell the end of a grant's lifetime from a token that
 * merely expired (which is not audited); within the budgets of events an
 * outsider causes at will, keyed by the family: its tokens are worthless
 * now, may lie in a log or a backup, and for a public client need no
 * secret, so each try must not be a chained, durable row.
 */
static void
family_ended(struct token_ctx *t, const struct token_row *tok)
{
	struct audit_subject s = { tok->client_id, tok->user_id,
	    tok->grant_id };

	audit_budgeted(t->app, &t->origin, "token.refresh_refused", &s,
	    tok->family_id, "{\"reason\":\"family_lifetime\"}");
	oauth_error_reply(t->resp, OE_INVALID_GRANT, "the authorization has "
	    "reached its maximum lifetime: authorize again", false);
}

/*
 * The presented token is not live: unknown, another client's, rotated
 * (a reuse), or expired or revoked. Told apart only here, off the path
 * of a good refresh, which needs no lookup before its rotation. A token
 * that expired at its family's end (issue_mint clamps it to that) is
 * told as the family's end, as the live token of an ended family is.
 */
static void
not_live(struct token_ctx *t, const uint8_t hash[GH_HASH_BYTES], int64_t now)
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
	else if (now >= issue_family_end(t->app, old.family_created_at))
		family_ended(t, &old);
	else
		oauth_error_reply(t->resp, OE_INVALID_GRANT,
		    "the refresh token is expired or revoked", false);
}

/* What take() needs, and what it leaves for the reply. */
struct rotation {
	struct token_ctx	*t;
	int64_t			 now;
	const char		*want;		/* a narrower scope, or NULL */
	bool			 ended;		/* the family's end is past */
	bool			 malformed;	/* want breaks RFC 6749 3.3 */
	bool			 widens;	/* want is not within */
	struct issued		 is;
	bool			 minted;
};

/* The scope asked for, then the successors (store_refresh_take). */
static enum gh_err
take(void *arg, const struct token_row *live, struct refresh_take *rec)
{
	struct rotation	*r = arg;

	/*
	 * The family's end as configured now: a token minted before the
	 * lifetime was set or shortened may itself expire later, and its
	 * family still ends at its next refresh.
	 */
	if (r->now >= issue_family_end(r->t->app, live->family_created_at)) {
		r->ended = true;
		return GH_ERR_INVALID;
	}
	/*
	 * Checked here, on the live token, and not before the store: a
	 * rotated token presented with a malformed scope is still a reuse.
	 * Malformed (a double or trailing space...) is a client bug, not an
	 * attempt at more scope: no escalation event for it.
	 */
	if (r->want && !scope_valid(r->want)) {
		r->malformed = true;
		return GH_ERR_INVALID;
	}
	if (r->want && !scope_subset(r->want, live->scope)) {
		r->widens = true;
		return GH_ERR_INVALID;
	}
	if (issue_mint(r->t->app, r->t->client, live, r->now,
	    r->want ? r->want : live->scope, live->scope, &r->is) != GH_OK)
		return GH_ERR_CRYPTO;
	r->minted = true;
	rec->next = r->is.rows;
	rec->nnext = r->is.n;
	return GH_OK;
}

void
grant_refresh_token(struct token_ctx *t)
{
	const char		*rt = params_get(t->p, "refresh_token");
	int64_t			 now = clock_now();
	struct rotation		 r = { .t = t, .now = now };
	struct token_row	 live;
	struct audit_subject	 subj;
	uint8_t			 hash[GH_HASH_BYTES];
	enum gh_err		 rc;

	r.want = params_get(t->p, "scope");
	if (rt == NULL) {
		oauth_error_reply(t->resp, OE_INVALID_REQUEST,
		    "refresh_token is required", false);
		return;
	}
	if ((rc = secret_hash(t->app, rt, hash)) != GH_OK) {
		/* a failed hash is no verdict on the token: 503, not unknown */
		if (rc == GH_ERR_INVALID)
			oauth_error_reply(t->resp, OE_INVALID_GRANT,
			    "unknown refresh token", false);
		else
			reply_unavailable(t->resp);
		return;
	}
	/* take() may sign (JWT access tokens) while the store holds a
	 * connection for it */
	keyring_pin(t->app->keys, now);
	rc = store_refresh_take(t->app->store, hash, t->client->id, now,
	    take, &r, &live);
	keyring_unpin();
	if (rc != GH_OK && r.minted)
		issue_wipe(&r.is);
	if (rc == GH_ERR_NOT_FOUND) {
		not_live(t, hash, now);
		return;
	}
	if (rc != GH_OK && r.ended) {
		family_ended(t, &live);
		return;
	}
	subj.client_id = live.client_id;
	subj.user_id = live.user_id;
	subj.grant_id = live.grant_id;
	if (rc != GH_OK && r.malformed) {
		oauth_error_reply(t->resp, OE_INVALID_SCOPE, "malformed scope",
		    false);
		return;
	}
	if (rc != GH_OK && r.widens) {
		/*
		 * The token is not spent by asking, so its holder (for a
		 * public client, no secret needed) may ask again at will for
		 * the token's whole life: recorded within the audit budgets,
		 * keyed by the grant whatever the address, still logged and
		 * seen by the scope_escalation rule each time.
		 */
		audit_budgeted_by(t->app, &t->origin, "token.scope_escalation",
		    &subj, live.grant_id, NULL);
		oauth_error_reply(t->resp, OE_INVALID_SCOPE,
		    "a refresh cannot widen the granted scope", false);
		return;
	}
	if (rc != GH_OK) {
		reply_unavailable(t->resp);
		return;
	}
	audit_event(t->app, &t->origin, "token.refreshed", &subj, NULL);
	issue_reply(t->resp, &r.is);
}
