/*
 * rules.c - anomaly rules, run inline on every audit event (rules.h).
 *
 * Each rule is switched by one setting and names its evidence, so an
 * alert always says which event, from where, and why it stood out.
 */
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "gov.h"
#include "rules.h"
#include "throttle.h"
#include "../util/cidr.h"
#include "../util/json_text.h"
#include "../util/str.h"

/* rules that fire on one event type alone */
struct simple_rule {
	const char	*event;
	const char	*rule;
	const char	*severity;
	size_t		 enabled;	/* offset of the switch in conf */
	const char	*summary;
	/* when the event's revocation failed (detail "revoke_failed") */
	const char	*summary_failed;
};

#define ON(f) offsetof(struct conf, f)

static const struct simple_rule simple_rules[] = {
	{ "token.reuse_detected", "refresh_reuse", "high",
	    ON(rule_refresh_reuse), "a rotated refresh token was presented "
	    "again (likely stolen); its token family was revoked",
	    "a rotated refresh token was presented again (likely stolen); "
	    "revoking its token family FAILED: revoke the grant by hand" },
	{ "code.replayed", "code_replay", "high", ON(rule_code_replay),
	    "an authorization code was presented a second time; the tokens "
	    "minted from it were revoked",
	    "an authorization code was presented a second time; revoking "
	    "the tokens minted from it FAILED: revoke the grant by hand" },
	{ "token.used_after_disable", "disabled_client_use", "high",
	    ON(rule_disabled_client_use), "an access token of a disabled or "
	    "quarantined client was used" },
	{ "client.network_refused", "network_refused", "medium",
	    ON(rule_network_refused), "a client credential was used from "
	    "outside the client's network allowlist" },
	{ "token.scope_escalation", "scope_escalation", "medium",
	    ON(rule_scope_escalation), "a refresh asked for scopes beyond "
	    "what the grant holds" },
};

static bool
enabled(const struct app *app, size_t offset)
{
	if (offset == 0)
		return true;		/* always on */
	return *(const int64_t *)(const void *)
	    ((const char *)&app->conf + offset) != 0;
}

/*
 * What every alert carries about the event that raised it: whole or NULL
 * (out of memory), never missing a part; alert_prepare marks NULL.
 */
static json_t *
evidence(const struct audit_row *r)
{
	json_t *detail = r->detail ? json_parse(r->detail, 0, NULL) : NULL;

	if (r->detail != NULL && detail == NULL)
		return NULL;
	return json_pack("{s:s, s:I, s:s?, s:s?, s:s?, s:o?}", "event",
	    r->type, "event_time", (json_int_t)r->time, "actor", r->actor,
	    "remote_addr", r->remote_addr, "user_agent", r->user_agent,
	    "detail", detail);
}

static void
raise_for(struct app *app, const struct audit_row *r, const char *rule,
    const char *severity, const char *key_part, const char *summary,
    json_t *ev)
{
	struct audit_subject	 s = { r->client_id, r->user_id, r->grant_id };
	struct alert_spec	 spec = { rule, severity, &s, NULL, summary };
	char			 key[GH_MAX_ALERT_KEY];

	snprintf(key, sizeof(key), "%s:%s:%s", rule,
	    r->client_id ? r->client_id : "", key_part ? key_part : "");
	spec.key = key;
	(void)alert_raise(app, &spec, ev);
}

static void
simple(struct app *app, const struct audit_row *r)
{
	char	 part[64];
	size_t	 i;
	bool	 failed;

	for (i = 0; i < sizeof(simple_rules) / sizeof(simple_rules[0]); i++) {
		const struct simple_rule *sr = &simple_rules[i];

		if (strcmp(r->type, sr->event) != 0 ||
		    !enabled(app, sr->enabled))
			continue;
		/*
		 * One incident per grant; a failed revocation is an incident
		 * of its own, so the alert of a later one that worked is not
		 * folded into it.
		 */
		failed = sr->summary_failed != NULL && r->detail != NULL &&
		    strstr(r->detail, "\"revoke_failed\"") != NULL;
		snprintf(part, sizeof(part), "%s%s",
		    r->grant_id ? r->grant_id : "", failed ? ":failed" : "");
		raise_for(app, r, sr->rule, sr->severity, part, failed ?
		    sr->summary_failed : sr->summary, evidence(r));
	}
}

/*
 * Client authentication: by a disabled client, or a burst of failures,
 * counted per node in the limits' table (throttle.h), where a client's
 * count is pushed out only by about GH_THROTTLE_ENTRIES other clients'.
 */
static void
auth_failed(struct app *app, const struct audit_row *r)
{
	struct throttle	*t;
	json_t		*ev;
	int64_t		 w = app->conf.rule_auth_fail_window_seconds;
	uint32_t	 n = 0;
	char		 summary[GH_MAX_ALERT_TEXT];

	if (r->client_id == NULL)
		return;
	if (app->conf.rule_disabled_client_use && r->detail &&
	    (strstr(r->detail, "\"disabled\"") ||
	    strstr(r->detail, "\"quarantined\"")))
		raise_for(app, r, "disabled_client_use", "high", NULL,
		    "a disabled or quarantined client tried to use its "
		    "credentials or tokens", evidence(r));
	/* no state in the admin command (it authenticates no client) */
	if (app->gov == NULL || app->conf.rule_auth_fail_burst <= 0 ||
	    (t = throttle_shared()) == NULL ||
	    !throttle_count(t, THROTTLE_CLIENT_FAILS, r->client_id, w * 1000,
	    (uint32_t)app->conf.rule_auth_fail_burst, throttle_now_ms(), &n))
		return;
	snprintf(summary, sizeof(summary), "%u failed client "
	    "authentications within %lld s", n,
	    (long long)app->conf.rule_auth_fail_window_seconds);
	ev = json_with(json_with(evidence(r), "failures", json_integer(n)),
	    "window_seconds",
	    json_integer(app->conf.rule_auth_fail_window_seconds));
	raise_for(app, r, "auth_failure_burst", "medium", NULL, summary, ev);
}

/*
 * Failed sign-ins of one user (login.failure of a user that exists):
 * rule_login_fail_burst of them in a window is someone guessing that
 * password. Counted per node in the limits' table (throttle.h); the
 * alert is the user's, whatever client's form the guesses came through.
 */
static void
login_failed(struct app *app, const struct audit_row *r)
{
	struct throttle	*t;
	struct audit_row q = *r;
	int64_t		 w = app->conf.rule_login_fail_window_seconds;
	uint32_t	 n = 0;
	char		 summary[GH_MAX_ALERT_TEXT];
	json_t		*ev;

	/* no state in the admin command (it signs nobody in) */
	if (r->user_id == NULL || app->gov == NULL ||
	    app->conf.rule_login_fail_burst <= 0 ||
	    (t = throttle_shared()) == NULL ||
	    !throttle_count(t, THROTTLE_USER_FAILS, r->user_id, w * 1000,
	    (uint32_t)app->conf.rule_login_fail_burst, throttle_now_ms(), &n))
		return;
	snprintf(summary, sizeof(summary), "%u failed sign-ins of one user "
	    "within %lld s (password guessing?)", n, (long long)w);
	ev = json_with(json_with(evidence(r), "failures", json_integer(n)),
	    "window_seconds", json_integer(w));
	q.client_id = NULL;	/* one alert per user, not per client */
	raise_for(app, &q, "login_failure_burst", "medium", r->user_id,
	    summary, ev);
}

static void
rate(struct app *app, const struct audit_row *r)
{
	struct rate_verdict	 v;
	char			 summary[GH_MAX_ALERT_TEXT];
	json_t			*ev;

	if (r->client_id == NULL ||
	    !gov_token_event(app->gov, app, r->client_id, r->time, &v))
		return;
	snprintf(summary, sizeof(summary), "%u tokens issued or refreshed in "
	    "the current window, %.1f per window before (more than %lldx)",
	    v.current, v.average, (long long)app->conf.rule_rate_factor);
	ev = json_with(evidence(r), "current", json_integer(v.current));
	ev = json_with(ev, "baseline_average", json_real(v.average));
	ev = json_with(ev, "baseline_windows", json_integer(v.windows));
	ev = json_with(ev, "window_seconds",
	    json_integer(app->conf.rule_rate_window_seconds));
	raise_for(app, r, "token_rate_spike", "medium", NULL, summary, ev);
}

/*
 * Where a grant is used from. Issuance records the baseline; a refresh
 * from a network or user agent the grant never used before is the
 * pattern of a stolen refresh token replayed from elsewhere. One alert
 * per grant and rule per alert_quiet_seconds, whatever the value: the
 * values are the token holder's to choose, and one per value would let
 * whoever holds it bury the first, real one under as many as it sends
 * requests (every value is still recorded as a sighting).
 */
static void
sighting(struct app *app, const struct audit_row *r, const char *kind,
    const char *value, bool alert)
{
	enum sighting	 seen = SIGHTING_KNOWN;
	bool		 is_net = strcmp(kind, "net") == 0;
	char		 summary[GH_MAX_ALERT_TEXT];
	char		 part[GH_MAX_ALERT_KEY / 2];
	char		 shown[101];
	json_t		*ev;

	if (gov_seen_recently(app->gov, r->grant_id, kind, value, r->time))
		return;
	if (store_grant_sighting(app->store, r->grant_id, kind, value,
	    r->time, &seen) != GH_OK) {
		gov_seen_forget(app->gov, r->grant_id, kind, value);
		return;
	}
	if (seen != SIGHTING_NEW || !alert)
		return;
	if (is_net ? !app->conf.rule_new_network :
	    !app->conf.rule_new_user_agent)
		return;
	/*
	 * The value is the client's to choose: cut at a character, never
	 * inside one, or the summary is no UTF-8 and no JSON can carry it.
	 */
	str_copy_utf8(shown, sizeof(shown), value);
	snprintf(summary, sizeof(summary), "a grant was %s from a %s it was "
	    "never used from before: %s", strcmp(r->type,
	    "token.introspected") == 0 ? "used (introspection)" : "refreshed",
	    is_net ? "network" : "user agent", shown);
	ev = json_with(evidence(r), is_net ? "network" : "new_user_agent",
	    json_string(value));
	snprintf(part, sizeof(part), "%s", r->grant_id);
	raise_for(app, r, is_net ? "new_network" : "new_user_agent",
	    is_net ? "high" : "medium", part, summary, ev);
}

static void
usage(struct app *app, const struct audit_row *r, bool refresh)
{
	char net[64];

	if (r->grant_id == NULL)
		return;
	if (r->remote_addr && cidr_network_of(r->remote_addr, net,
	    sizeof(net)))
		sighting(app, r, "net", net, refresh);
	sighting(app, r, "ua", r->user_agent && r->user_agent[0] ?
	    r->user_agent : "-", refresh);
}

void
rules_on_event(struct app *app, const struct audit_row *r)
{
	if (r->type == NULL)
		return;
	simple(app, r);
	if (strcmp(r->type, "client.auth_failed") == 0) {
		auth_failed(app, r);
	} else if (strcmp(r->type, "login.failure") == 0) {
		login_failed(app, r);
	} else if (strcmp(r->type, "token.issued") == 0) {
		usage(app, r, false);
		rate(app, r);
	} else if (strcmp(r->type, "token.refreshed") == 0) {
		usage(app, r, true);
		rate(app, r);
	}
}

void
rules_token_used(struct app *app, const struct token_row *t,
    const char *remote_addr, const char *user_agent, int64_t now)
{
	struct audit_row r;
	char		 ua[GH_MAX_UA_LEN + 1];

	memset(&r, 0, sizeof(r));
	if (user_agent) {		/* bounded, as audit_event() does */
		str_copy(ua, sizeof(ua), user_agent);
		user_agent = ua;
	}
	r.time = now;
	r.type = "token.introspected";
	r.actor = "client";
	r.client_id = t->client_id;
	r.user_id = t->user_id;
	r.grant_id = t->grant_id;
	r.remote_addr = remote_addr;
	r.user_agent = user_agent;
	usage(app, &r, true);
}
