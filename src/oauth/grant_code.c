/*
 * grant_code.c - the authorization_code grant (RFC 6749 4.1.3, RFC 7636
 * 4.6, RFC 9700 4.5).
 *
 * store_code_take() hands the code's row to take(), which checks its
 * bindings (client, redirect URI, PKCE verifier) and mints the tokens; the
 * store then consumes the code with one conditional update in the same
 * transaction that records the new token family. A refused code stays
 * unconsumed. A code seen a second time, with its bindings, is a replay:
 * the family minted from it is revoked and the event audited (RFC 6749
 * 4.1.2, RFC 9700 4.5.3).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "grant.h"
#include "../governance/audit_budget.h"
#include "../jose/id_token.h"
#include "../jose/keyring.h"
#include "../http/reply.h"
#include "issue.h"
#include "pkce.h"
#include "secret.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/str.h"

static void
replayed(struct token_ctx *t, const struct code_row *c)
{
	struct audit_subject s = { c->client_id, c->user_id, c->grant_id };
	enum gh_err	rc;

	/*
	 * RFC 6749 4.1.2: revoke what the code minted. If that write
	 * failed, 503 (as for a reused refresh token, grant_refresh.c).
	 */
	rc = store_family_revoke_by_code(t->app->store, c->hash, clock_now(),
	    "code_replay");
	if (rc != GH_OK && rc != GH_ERR_NOT_FOUND) {
		audit_event(t->app, &t->origin, "code.replayed", &s,
		    "{\"action\":\"revoke_failed\"}");
		reply_unavailable(t->resp);
		return;
	}
	/*
	 * The replay that revoked the families is always recorded; one
	 * after it (nothing left to revoke) is the same incident, which
	 * whoever saw the code could repeat until it is purged: recorded
	 * within the budgets, keyed by the grant, as grant_refresh.c does.
	 */
	if (rc == GH_OK)
		audit_event(t->app, &t->origin, "code.replayed", &s,
		    "{\"action\":\"family_revoked\"}");
	else
		audit_budgeted(t->app, &t->origin, "code.replayed", &s,
		    c->grant_id, "{\"action\":\"already_revoked\"}");
	oauth_error_reply(t->resp, OE_INVALID_GRANT,
	    "the authorization code was already used", false);
}

static bool
redirect_ok(const struct token_ctx *t, const struct code_row *c)
{
	const char *ru = params_get(t->p, "redirect_uri");

	/* RFC 6749 4.1.3: required and identical if it was sent before */
	if (c->redirect_uri[0])
		return ru != NULL && strcmp(ru, c->redirect_uri) == 0;
	return ru == NULL || (t->client->nredirect == 1 &&
	    strcmp(ru, t->client->redirect_uris[0]) == 0);
}

static enum gh_err
new_family_id(char *out, size_t outsz)
{
	uint8_t		raw[10];
	struct timespec	ts;
	uint64_t	us;
	int		i;

	if (outsz < 4 + 12 + 14 + 1 || crypto_random(raw, sizeof(raw)) != GH_OK)
		return GH_ERR_CRYPTO;
	/*
	 * "fam_", the creation time in microseconds as 12 hex digits, then
	 * 80 random bits: ids sort by time, so the family's index entries
	 * and its tokens' go to the right edge of their B-trees, pages that
	 * concurrent redemptions share, instead of one random page each.
	 */
	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	memcpy(out, "fam_", 4);
	for (i = 11; i >= 0; i--, us >>= 4)
		out[4 + i] = "0123456789abcdef"[us & 15];
	b64url_encode(raw, sizeof(raw), out + 16);
	return GH_OK;
}

static char *
make_id_token(struct token_ctx *t, const struct code_row *c,
    const char *access, int64_t now)
{
	/* the family starts now: no ID token of it outlives its end either */
	int64_t end = issue_family_end(t->app, now);
	int64_t ttl = t->app->conf.id_token_ttl_seconds;
	struct id_token_claims claims = {
		.iss = t->app->conf.issuer,
		.sub = c->user_id,
		.aud = c->client_id,
		.nonce = c->nonce,
		.access_token = access,
		.auth_time = c->auth_time,
		.iat = now,
		.ttl = now + ttl > end ? end - now : ttl,
	};

	return id_token_sign(t->app->keys, t->client->id_token_alg, &claims);
}

/*
 * Why the code's bindings refuse this request (RFC 6749 4.1.3, RFC 7636
 * 4.6), or NULL: a code bound to another client is not theirs to burn,
 * and one presented without its redirect URI and verifier is no use of
 * it. Checked before a fresh code is consumed, and before a consumed one
 * counts as replayed.
 */
/* A code presented without one of its bindings: what to answer, to audit */
struct refused {
	const char	*why;		/* error_description */
	const char	*reason;	/* the audit event's detail */
};

static const struct refused refused_client = {
	"the code was issued to another client", "client" };
static const struct refused refused_redirect = {
	"redirect_uri does not match", "redirect_uri" };
static const struct refused refused_verifier = {
	"code_verifier does not match the code_challenge", "code_verifier" };

static const struct refused *
refusal(const struct token_ctx *t, const struct code_row *c,
    const char *verifier)
{
	if (strcmp(c->client_id, t->client->id) != 0)
		return &refused_client;
	if (!redirect_ok(t, c))
		return &refused_redirect;
	/* constant time (crypto_ct_eq) */
	if (!pkce_verify(verifier, c->challenge))
		return &refused_verifier;
	return NULL;
}

/*
 * A real code without its bindings is what an intercepted or injected
 * code looks like (RFC 9700 4.5): recorded, within the budgets keyed by
 * the code's grant, as whoever holds the code may repeat it at will.
 */
static void
audit_refused(struct token_ctx *t, const struct code_row *c,
    const struct refused *why)
{
	struct audit_subject	 s = { c->client_id, c->user_id, c->grant_id };
	char			 detail[96];

	snprintf(detail, sizeof(detail),
	    "{\"reason\":\"%s\",\"consumed\":%s,\"presented_by\":\"%s\"}",
	    why->reason, c->consumed ? "true" : "false",
	    why == &refused_client ? "another_client" : "its_client");
	audit_budgeted_by(t->app, &t->origin, "code.refused", &s, c->grant_id,
	    detail);
}

/* What take() needs, and what it leaves for the reply. */
struct redeem {
	struct token_ctx	*t;
	const char		*verifier;
	int64_t			 now;
	const struct refused	*refused;	/* why take() refused */
	struct family_row	 fam;
	struct issued		 is;
	bool			 minted;
};

/*
 * The code's bindings (client, redirect URI, PKCE verifier), then the
 * family and tokens to record with its redemption (store_code_take).
 */
static enum gh_err
take(void *arg, const struct code_row *c, struct code_take *rec)
{
	struct redeem		*r = arg;
	struct token_ctx	*t = r->t;
	struct token_row	 tmpl;

	if ((r->refused = refusal(t, c, r->verifier)) != NULL)
		return GH_ERR_INVALID;
	memset(&r->fam, 0, sizeof(r->fam));
	memset(&tmpl, 0, sizeof(tmpl));
	if (new_family_id(r->fam.id, sizeof(r->fam.id)) != GH_OK)
		return GH_ERR_CRYPTO;
	str_copy(r->fam.grant_id, sizeof(r->fam.grant_id), c->grant_id);
	str_copy(r->fam.client_id, sizeof(r->fam.client_id), c->client_id);
	str_copy(r->fam.user_id, sizeof(r->fam.user_id), c->user_id);
	memcpy(r->fam.code_hash, c->hash, GH_HASH_BYTES);
	r->fam.created_at = r->now;
	str_copy(tmpl.family_id, sizeof(tmpl.family_id), r->fam.id);
	str_copy(tmpl.grant_id, sizeof(tmpl.grant_id), c->grant_id);
	str_copy(tmpl.user_id, sizeof(tmpl.user_id), c->user_id);
	/* the family starts now: its absolute lifetime counts from here */
	tmpl.family_created_at = r->fam.created_at;
	if (issue_mint(t->app, t->client, &tmpl, r->now, c->scope,
	    issue_wants_refresh(t->client, c->scope) ? c->scope : NULL,
	    &r->is) != GH_OK)
		return GH_ERR_CRYPTO;
	r->minted = true;
	/* OIDC Core 3.1.3.3: an ID token when openid was granted */
	if (words_has(c->scope, "openid") && (r->is.id_token =
	    make_id_token(t, c, r->is.access, r->now)) == NULL)
		return GH_ERR_CRYPTO;
	rec->fam = &r->fam;
	rec->tokens = r->is.rows;
	rec->ntokens = r->is.n;
	return GH_OK;
}

/* The answer for a code that was not redeemed (rc from store_code_take). */
static void
not_redeemed(struct token_ctx *t, const struct redeem *r,
    const struct code_row *c, enum gh_err rc)
{
	const struct refused	*refused = r->refused;
	const char		*why = NULL;

	if (rc == GH_ERR_CONFLICT && c->consumed) {
		/*
		 * A second use revokes what the code minted (RFC 6749 4.1.2),
		 * but a use carries the code's redirect URI and verifier (RFC
		 * 7636 4.6): the client redeeming after a thief always has
		 * them. The code alone travels the front channel (history,
		 * Referer, logs); presented without them it is refused as a
		 * fresh code would be, revoking nothing and raising no alert,
		 * so whoever saw it cannot end the user's tokens at will.
		 */
		if ((refused = refusal(t, c, r->verifier)) == NULL) {
			replayed(t, c);
			return;
		}
	} else if (rc == GH_ERR_CONFLICT) {
		/* expired or dead: the same order of checks as take() */
		if (strcmp(c->client_id, t->client->id) != 0)
			why = refused_client.why;
		else if (c->expires_at > r->now)
			why = "the code's grant, client or user is no longer "
			    "active";
		else
			why = "the code has expired";
	}
	if (refused != NULL && rc != GH_ERR_NOT_FOUND) {
		audit_refused(t, c, refused);
		why = refused->why;
	}
	if (rc == GH_ERR_NOT_FOUND)
		why = "unknown authorization code";
	if (why != NULL)
		oauth_error_reply(t->resp, OE_INVALID_GRANT, why, false);
	else
		reply_unavailable(t->resp);
}

void
grant_authorization_code(struct token_ctx *t)
{
	const char		*code = params_get(t->p, "code");
	struct redeem		 r = { .t = t, .now = clock_now() };
	struct code_row		 c;
	struct audit_subject	 subj;
	uint8_t			 hash[GH_HASH_BYTES];
	enum gh_err		 rc;

	r.verifier = params_get(t->p, "code_verifier");
	if (code == NULL || r.verifier == NULL) {
		oauth_error_reply(t->resp, OE_INVALID_REQUEST,
		    "code and code_verifier are required", false);
		return;
	}
	if (!pkce_verifier_valid(r.verifier)) {
		oauth_error_reply(t->resp, OE_INVALID_REQUEST,
		    "code_verifier must be 43-128 unreserved characters",
		    false);
		return;
	}
	if ((rc = secret_hash(t->app, code, hash)) != GH_OK) {
		/* a failed hash is no verdict on the code: 503, not unknown */
		if (rc == GH_ERR_INVALID)
			oauth_error_reply(t->resp, OE_INVALID_GRANT,
			    "unknown authorization code", false);
		else
			reply_unavailable(t->resp);
		return;
	}
	/* take() signs while the store holds a connection for it */
	keyring_pin(t->app->keys, r.now);
	rc = store_code_take(t->app->store, hash, r.now, take, &r, &c);
	keyring_unpin();
	if (rc != GH_OK) {
		if (r.minted)
			issue_wipe(&r.is);
		not_redeemed(t, &r, &c, rc);
		return;
	}
	subj.client_id = c.client_id;
	subj.user_id = c.user_id;
	subj.grant_id = c.grant_id;
	audit_event(t->app, &t->origin, "code.redeemed", &subj, NULL);
	audit_event(t->app, &t->origin, "token.issued", &subj,
	    r.is.n == 2 ? "{\"refresh\":true}" : "{\"refresh\":false}");
	issue_reply(t->resp, &r.is);
}
