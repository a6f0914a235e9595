/* actions.c - see actions.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "actions.h"
#include "../governance/alerts.h"
#include "../governance/gov_json.h"
#include "../oauth/secret.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/str.h"

bool
action_reason_ok(const char *reason)
{
	return reason && reason[0] && strlen(reason) <= GH_MAX_REASON_LEN &&
	    str_printable(reason);
}

const char *
action_quarantine_credential(struct app *app, const char *client_id)
{
	struct client_row	*c = malloc(sizeof(*c));
	const char		*what = "secret replaced";

	if (c != NULL && store_client_get(app->store, client_id, c) == GH_OK) {
		if (c->auth_method == AUTH_PRIVATE_KEY_JWT)
			what = "its registered keys kept (it can not be "
			    "enabled again)";
		else if (!c->has_secret)
			what = "no secret (a public client)";
	}
	free(c);
	return what;
}

enum gh_err
action_quarantine(struct app *app, const struct audit_origin *o,
    const char *client_id, const char *reason, unsigned *grants)
{
	struct audit_subject	 s = { client_id, NULL, NULL };
	struct alert_spec	 spec = { "client_quarantined", "high", &s,
	    NULL, NULL, false };
	struct alert_row	 alert;
	char			 secret[GH_MAX_TOKEN_LEN];
	char			 detail[GH_MAX_AUDIT_DETAIL];
	char			 summary[GH_MAX_ALERT_TEXT];
	char			 key[GH_MAX_ALERT_KEY];
	uint8_t			 hash[GH_HASH_BYTES];
	enum gh_err		 rc;

	*grants = 0;
	if (!action_reason_ok(reason))
		return GH_ERR_INVALID;
	/* the new secret is never shown: only a rotation can restore one */
	rc = secret_mint(app, PREFIX_CLIENT_SECRET, secret, hash);
	crypto_wipe(secret, sizeof(secret));
	if (rc != GH_OK)
		return rc;
	/* the alert is raised in the kill switch's own transaction */
	snprintf(summary, sizeof(summary), "the client was quarantined by "
	    "%s: every grant and token revoked, %s",
	    o->actor ? o->actor : "admin",
	    action_quarantine_credential(app, client_id));
	snprintf(key, sizeof(key), "client_quarantined:%s", client_id);
	spec.summary = summary;
	spec.key = key;
	alert_prepare(&alert, &spec, json_pack("{s:s, s:s?, s:s?, s:s?}",
	    "reason", reason, "actor", o->actor, "remote_addr",
	    o->remote_addr, "user_agent", o->user_agent));
	rc = store_client_quarantine(app->store, client_id, hash, reason,
	    alert.time, grants, &alert);
	if (rc != GH_OK)
		return rc;
	alert_announce(app, &alert);
	revocation_detail(reason, *grants, detail, sizeof(detail));
	audit_event(app, o, "client.quarantined", &s, detail);
	return GH_OK;
}

/* GH_OK if the client exists, GH_ERR_NOT_FOUND if not */
static enum gh_err
client_known(struct app *app, const char *client_id)
{
	struct client_row	*c = malloc(sizeof(*c));
	enum gh_err		 rc;

	if (c == NULL)
		return GH_ERR_NOMEM;
	rc = store_client_get(app->store, client_id, c);
	free(c);
	return rc;
}

/* the removal's event, described inside its transaction (store.h) */
static void
described(void *ctx, unsigned changed, struct audit_row *r)
{
	struct removal *rm = ctx;

	if (rm->describe != NULL)
		rm->describe(rm, changed);
	r->detail = rm->detail;
}

/* `asked` (a JSON object, or "") with "outcome":"unknown" added */
static void
outcome_unknown(const char *asked, char *out, size_t outsz)
{
	json_t *o = asked[0] ? json_parse(asked, 0, NULL) : json_object();

	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	audit_detail(json_with(o, "outcome", json_string("unknown")), out,
	    outsz);
}

enum gh_err
action_remove(struct app *app, struct removal *rm)
{
	struct audit_draft	d;
	struct change_audit	ev = { &d.r, described, rm };
	char			asked[GH_MAX_AUDIT_DETAIL];
	enum gh_err		rc;

	rm->changed = 0;
	str_copy(asked, sizeof(asked), rm->detail);
	audit_draft(&d, rm->o, rm->type, &rm->subj, rm->detail);
	rc = rm->change(rm->ctx, &ev, &rm->changed);
	if (rc == GH_OK && rm->changed > 0)
		audit_recorded(app, &d.r);
	/* done, nothing to do, or both or neither: nothing more to try */
	if (rc == GH_OK || rc == GH_ERR_NOT_FOUND || rc == GH_ERR_CONFLICT ||
	    rc == GH_ERR_IO)
		return rc;
	/* nothing was written: remove access without the event's help */
	str_copy(rm->detail, sizeof(rm->detail), asked);
	rc = rm->change(rm->ctx, NULL, &rm->changed);
	if (rc == GH_OK && rm->changed > 0 && rm->describe != NULL)
		rm->describe(rm, rm->changed);
	if (rc == GH_ERR_IO)
		outcome_unknown(asked, rm->detail, sizeof(rm->detail));
	if ((rc == GH_OK && rm->changed > 0) || rc == GH_ERR_IO)
		audit_event(app, rm->o, rm->type, &rm->subj, rm->detail);
	return rc;
}

/* The grants to revoke (action_revoke), for action_remove. */
struct revocation {
	struct store		*store;
	enum grant_scope	 what;
	const char		*id;
	const char		*reason;
	int64_t			 now;
};

static enum gh_err
revoke_grants(void *ctx, const struct change_audit *ev, unsigned *changed)
{
	struct revocation *v = ctx;

	return store_grant_revoke_with_event(v->store, v->what, v->id,
	    v->reason, v->now, changed, ev);
}

static void
revocation_described(struct removal *rm, unsigned changed)
{
	const struct revocation *v = rm->ctx;

	revocation_detail(v->reason, changed, rm->detail, sizeof(rm->detail));
}

enum gh_err
action_revoke(struct app *app, const struct audit_origin *o,
    enum grant_scope what, const char *id, const char *reason,
    unsigned *count)
{
	struct revocation	 v = { app->store, what, id, reason, 0 };
	struct removal		 rm = { .o = o, .type = "grant.revoked",
	    .describe = revocation_described, .change = revoke_grants,
	    .ctx = &v };
	struct grant_row	 g;
	enum gh_err		 rc;

	*count = 0;
	if (!action_reason_ok(reason))
		return GH_ERR_INVALID;
	/* a mistyped client id is no client with nothing to revoke */
	if (what == GRANTS_OF_CLIENT && (rc = client_known(app, id)) != GH_OK)
		return rc;
	if (what == GRANT_ONE) {
		/*
		 * Whose it is, so the trail is found by client and user too:
		 * read before, to go into the event with the revocation (a
		 * grant never changes hands). No such grant: nothing to do.
		 */
		if ((rc = store_grant_get(app->store, id, &g)) != GH_OK)
			return rc == GH_ERR_NOT_FOUND ? GH_OK : rc;
		rm.subj = (struct audit_subject){ g.client_id, g.user_id, id };
	} else if (what == GRANTS_OF_CLIENT)
		rm.subj.client_id = id;
	else
		rm.subj.user_id = id;
	/* the detail if the outcome is unknown: the count is not known */
	audit_detail(json_pack("{s:s}", "reason", reason), rm.detail,
	    sizeof(rm.detail));
	v.now = clock_now();
	rc = action_remove(app, &rm);
	if (rc == GH_OK)
		*count = rm.changed;
	return rc;
}

enum gh_err
action_alert_ack(struct app *app, const struct audit_origin *o, int64_t id,
    const char *by)
{
	char		detail[GH_MAX_AUDIT_DETAIL];
	enum gh_err	rc;

	if ((rc = store_alert_ack(app->store, id, by, clock_now())) != GH_OK)
		return rc;
	audit_detail(json_pack("{s:I, s:s}", "alert_id", (json_int_t)id,
	    "by", by), detail, sizeof(detail));
	audit_event(app, o, "alert.acknowledged", NULL, detail);
	return GH_OK;
}
