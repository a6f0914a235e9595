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

enum gh_err
action_revoke(struct app *app, const struct audit_origin *o,
    enum grant_scope what, const char *id, const char *reason,
    unsigned *count)
{
	struct audit_subject	 s = { NULL, NULL, NULL };
	struct grant_row	 g;
	char			 detail[GH_MAX_AUDIT_DETAIL];
	enum gh_err		 rc;

	*count = 0;
	if (!action_reason_ok(reason))
		return GH_ERR_INVALID;
	/* a mistyped client id is no client with nothing to revoke */
	if (what == GRANTS_OF_CLIENT && (rc = client_known(app, id)) != GH_OK)
		return rc;
	rc = store_grant_revoke(app->store, what, id, reason, clock_now(),
	    count);
	if (rc != GH_OK || *count == 0)
		return rc;
	if (what == GRANT_ONE) {
		/* whose it was, so the trail is found by client and user too */
		s.grant_id = id;
		if (store_grant_get(app->store, id, &g) == GH_OK) {
			s.client_id = g.client_id;
			s.user_id = g.user_id;
		}
	} else if (what == GRANTS_OF_CLIENT)
		s.client_id = id;
	else
		s.user_id = id;
	revocation_detail(reason, *count, detail, sizeof(detail));
	audit_event(app, o, "grant.revoked", &s, detail);
	return GH_OK;
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
