/* hygiene.c - see hygiene.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "hygiene.h"
#include "inventory.h"
#include "../util/json_text.h"
#include "../util/log.h"

#define DAY 86400

static const struct audit_origin system_origin = { NULL, NULL, "system" };

/*
 * Why the actions of this pass are stored with their audit events, in
 * one transaction (struct change_audit), rather than appended after them:
 * a pass acts on what it finds, and what it acted on it does not find
 * again. An append that failed after the action would leave the action
 * done and unrecorded for good, a silent gap in a trail kept to be
 * complete; so the action is made only if its event is stored, and when
 * the append fails the action is undone with it and tried again, event
 * and all, at the next pass. (Keeping failed events in memory to retry
 * them would lose them at a restart and still record them out of order.)
 */

/* the expiry's event says how many grants went: known inside the store */
struct expiry {
	int64_t	 days;
	char	 detail[96];
};

static void
expiry_detail(void *ctx, unsigned changed, struct audit_row *r)
{
	struct expiry *e = ctx;

	snprintf(e->detail, sizeof(e->detail), "{\"reason\":\"unused\","
	    "\"grants\":%u,\"days\":%lld}", changed, (long long)e->days);
	r->detail = e->detail;
}

/*
 * In batches of GH_GRANT_EXPIRE_BATCH, each with its own event: a mass
 * expiry (the policy just switched on) must not hold the writer, and on
 * PostgreSQL the audit chain, for every grant at once. A pass takes at
 * most EXPIRE_ROUNDS batches; the next pass goes on.
 */
#define EXPIRE_ROUNDS	100

static void
expire_grants(struct app *app, int64_t now)
{
	struct expiry		 e = { app->conf.grant_unused_days, "" };
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, expiry_detail, &e };
	unsigned		 n = 0, rounds = 0;
	enum gh_err		 rc;

	if (e.days <= 0)
		return;
	do {
		audit_draft(&d, &system_origin, "grant.expired", NULL, NULL);
		rc = store_grant_expire_unused(app->store,
		    now - e.days * DAY, now, &n, &ev);
		if (rc != GH_OK) {
			log_kv(LOG_ERROR, "grant_expiry_failed", "error",
			    gh_err_str(rc), "retry", "next pass", NULL);
			return;
		}
		if (n == 0)
			return;
		d.r.detail = e.detail;
		audit_recorded(app, &d.r);
	} while (n == GH_GRANT_EXPIRE_BATCH && ++rounds < EXPIRE_ROUNDS);
}

/* {"kid":...,"alg":...,"reason":"past publication"} (malloc'd) or NULL */
static char *
key_detail(const struct key_id *k)
{
	json_t	*o;
	char	*text;

	o = json_with(json_with(json_with(json_object(), "kid",
	    json_string(k->kid)), "alg", json_string(k->alg)), "reason",
	    json_string("past publication"));
	text = json_text(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

/*
 * Destroying a signing key is a security event: each key past
 * publication is deleted with its "key.deleted" event, in one transaction
 * (see above). Which keys those are the keyring says (keyring_past): it
 * holds the publication window, and knows which keys truly stopped
 * signing. Another node may have deleted a key first: not found, no
 * event. With no keyring (not serving) there is nothing to judge by.
 */
static void
delete_past_keys(struct app *app, int64_t now)
{
	struct key_id		 past[GH_MAX_SIGNING_KEYS];
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	enum gh_err		 rc;
	size_t			 n, i;
	char			*detail;

	if (app->keys == NULL)
		return;
	n = keyring_past(app->keys, now, past, GH_MAX_SIGNING_KEYS);
	for (i = 0; i < n; i++) {
		/* no event, no deletion: the next pass tries again */
		rc = GH_ERR_NOMEM;
		if ((detail = key_detail(&past[i])) != NULL) {
			audit_draft(&d, &system_origin, "key.deleted", NULL,
			    detail);
			rc = store_key_delete(app->store, past[i].kid, &ev);
		}
		if (rc == GH_OK) {
			audit_recorded(app, &d.r);
			log_kv(LOG_INFO, "signing_key_deleted", "kid",
			    past[i].kid, NULL);
		} else if (rc != GH_ERR_NOT_FOUND) {
			log_kv(LOG_ERROR, "signing_key_delete_failed", "kid",
			    past[i].kid, "error", gh_err_str(rc), "retry",
			    "next pass", NULL);
		}
		free(detail);
	}
}

static void
standing_alert(struct app *app, const struct client_row *c,
    const char *rule, const char *severity, const char *summary,
    json_t *ev)
{
	struct audit_subject	 s = { c->id, NULL, NULL };
	struct alert_spec	 spec = { rule, severity, &s, NULL, summary,
	    true };
	char			 key[GH_MAX_ALERT_KEY];

	snprintf(key, sizeof(key), "%s:%s", rule, c->id);
	spec.key = key;
	(void)alert_raise(app, &spec, ev);
}

/*
 * Disable an unused client, only if it is still active: the row the pass
 * judged was read earlier, and an operator may have quarantined (or
 * disabled) the client since. A plain disable over a quarantine would
 * lose its marker and let `client enable` lift it, so the store changes
 * the status only from active (one conditional UPDATE). The summary says
 * what was done, not what was meant.
 */
static void
disable_unused(struct app *app, const struct client_row *c, int64_t now,
    char *summary, size_t summarysz)
{
	struct audit_subject	 s = { c->id, NULL, NULL };
	struct audit_draft	 d;
	struct change_audit	 ev = { &d.r, NULL, NULL };
	struct client_row	*cur;
	enum gh_err		 rc;
	size_t			 n = strlen(summary);

	/* the change and its event together, or neither (see above) */
	audit_draft(&d, &system_origin, "client.changed", &s,
	    "{\"status\":\"disabled\",\"reason\":\"unused\"}");
	rc = store_client_set_status(app->store, c->id, CLIENT_ACTIVE,
	    CLIENT_DISABLED, now, &ev);
	if (rc == GH_OK) {
		audit_recorded(app, &d.r);
		snprintf(summary + n, summarysz - n, "; the client was "
		    "disabled");
		return;
	}
	if (rc != GH_ERR_CONFLICT && rc != GH_ERR_NOT_FOUND) {
		log_kv(LOG_ERROR, "client_disable_failed", "client_id", c->id,
		    "error", gh_err_str(rc), "retry", "next pass", NULL);
		snprintf(summary + n, summarysz - n, "; disabling the client "
		    "FAILED (tried again next pass)");
		return;
	}
	/*
	 * Changed meanwhile: left as it is now. Say what it is, if a read
	 * shows it (a read may not see a change still being committed).
	 */
	if ((cur = malloc(sizeof(*cur))) != NULL &&
	    store_client_get(app->store, c->id, cur) == GH_OK &&
	    cur->status != CLIENT_ACTIVE)
		snprintf(summary + n, summarysz - n, "; not disabled: its "
		    "status changed to %s meanwhile",
		    client_status_name(cur->status));
	else
		snprintf(summary + n, summarysz - n, "; not disabled: it "
		    "changed meanwhile");
	free(cur);
}

void
hygiene_client(struct app *app, const struct client_row *c,
    const struct client_usage *u, int64_t now)
{
	const struct conf	*conf = &app->conf;
	int64_t			 idle, secret_at;
	char			 summary[GH_MAX_ALERT_TEXT];
	bool			 disable;

	if (c->status != CLIENT_ACTIVE)
		return;
	idle = inventory_idle_days(c, u, now);
	if (conf->client_unused_days > 0 &&
	    idle >= conf->client_unused_days) {
		disable = strcmp(conf->client_unused_action, "disable") == 0;
		snprintf(summary, sizeof(summary), "no token issued or "
		    "refreshed for %lld days", (long long)idle);
		if (disable)
			disable_unused(app, c, now, summary,
			    sizeof(summary));
		standing_alert(app, c, "client_unused",
		    disable ? "medium" : "low", summary,
		    json_pack("{s:I, s:i}", "idle_days", (json_int_t)idle,
		    "live_grants", (int)u->grants));
	}
	secret_at = c->secret_rotated_at ? c->secret_rotated_at :
	    c->created_at;
	if (conf->secret_max_age_days > 0 && c->has_secret &&
	    (now - secret_at) / DAY >= conf->secret_max_age_days) {
		snprintf(summary, sizeof(summary), "the client secret is "
		    "%lld days old; rotate it", (long long)(now - secret_at) /
		    DAY);
		standing_alert(app, c, "stale_secret", "low", summary,
		    json_pack("{s:I}", "secret_age_days",
		    (json_int_t)((now - secret_at) / DAY)));
	}
}

struct pass {
	struct app	*app;
	int64_t		 now;
};

static bool
check_client(void *ctx, const struct client_row *c,
    const struct client_usage *u, const struct risk *r)
{
	struct pass *p = ctx;

	(void)r;
	hygiene_client(p->app, c, u, p->now);
	return true;
}

void
hygiene_pass(struct app *app, int64_t now)
{
	struct pass	p = { app, now };
	enum gh_err	rc;

	expire_grants(app, now);
	delete_past_keys(app, now);
	/*
	 * Idle days and secret age of every client, however many (the walk
	 * reads them in batches); never the token count (see store.h). A
	 * walk cut short is said: the clients past it wait a pass.
	 */
	if ((app->conf.client_unused_days > 0 ||
	    app->conf.secret_max_age_days > 0) &&
	    (rc = inventory_each(app, now, false, check_client, &p)) != GH_OK)
		log_kv(LOG_ERROR, "hygiene_walk_failed", "error",
		    gh_err_str(rc), "retry", "next pass", NULL);
}
