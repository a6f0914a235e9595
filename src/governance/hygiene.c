/* hygiene.c - see hygiene.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "hygiene.h"
#include "inventory.h"

#define DAY 86400

static const struct audit_origin system_origin = { NULL, NULL, "system" };

static void
expire_grants(struct app *app, int64_t now)
{
	unsigned	n = 0;
	char		detail[96];

	if (app->conf.grant_unused_days <= 0 ||
	    store_grant_expire_unused(app->store,
	    now - app->conf.grant_unused_days * DAY, now, &n) != GH_OK ||
	    n == 0)
		return;
	snprintf(detail, sizeof(detail), "{\"reason\":\"unused\","
	    "\"grants\":%u,\"days\":%lld}", n,
	    (long long)app->conf.grant_unused_days);
	audit_event(app, &system_origin, "grant.expired", NULL, detail);
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
	struct client_row	*cur;
	enum gh_err		 rc;
	size_t			 n = strlen(summary);

	rc = store_client_set_status(app->store, c->id, CLIENT_ACTIVE,
	    CLIENT_DISABLED, now);
	if (rc == GH_OK) {
		audit_event(app, &system_origin, "client.changed", &s,
		    "{\"status\":\"disabled\",\"reason\":\"unused\"}");
		snprintf(summary + n, summarysz - n, "; the client was "
		    "disabled");
		return;
	}
	if (rc != GH_ERR_CONFLICT && rc != GH_ERR_NOT_FOUND) {
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
	struct pass p = { app, now };

	expire_grants(app, now);
	/* idle days and secret age; never the token count (see store.h) */
	if (app->conf.client_unused_days > 0 ||
	    app->conf.secret_max_age_days > 0)
		(void)inventory_each(app, now, false, check_client, &p);
}
