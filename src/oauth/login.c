/* login.c - see login.h. */
#include <stdio.h>
#include <string.h>

#include "login.h"
#include "../governance/audit_budget.h"
#include "../governance/throttle.h"
#include "../http/reply.h"
#include "../util/limits.h"
#include "../util/password.h"

/* a concurrent sign-in from the same address: try again in a second */
#define CONCURRENT_RETRY_MS	1000

struct limits {
	struct throttle		*t;
	struct throttle_rate	 addr, user;
	char			 key[THROTTLE_ADDR_KEY_LEN];
	int64_t			 now;
};

/*
 * Refused before any check: the verdict says for how long, and the first
 * refusal of the address in a window is audited with the count of those
 * folded since the previous report, within the budget of such reports
 * of all addresses (admin_auth.c fold() says how).
 */
static void
refuse(struct app *app, const struct login_attempt *a,
    const struct limits *l, const char *which, int64_t retry_ms,
    struct login_verdict *v)
{
	struct audit_subject	 s = { a->client_id, NULL, NULL };
	uint32_t		 n[THROTTLE_COUNTS], held[THROTTLE_COUNTS];
	char			 detail[224];
	int64_t			 window = app->conf.throttle_audit_window_seconds;
	int			 len;

	v->retry_after = throttle_seconds(retry_ms);
	if (!throttle_fold(l->t, THROTTLE_LOGIN_ADDR, l->key, 0,
	    window * 1000, l->now, n) ||
	    !throttle_budget(l->t, THROTTLE_AUDIT, "login.throttled",
	    GH_THROTTLE_REPORTS, window * 1000, n[0], l->now, held))
		return;
	len = snprintf(detail, sizeof(detail), "{\"limit\":\"%s\","
	    "\"refused\":%u,\"retry_after\":%lld,\"window_seconds\":%lld",
	    which, n[0], (long long)v->retry_after, (long long)window);
	if (held[0] > 0)
		len += snprintf(detail + len, sizeof(detail) - (size_t)len,
		    ",\"withheld_reports\":%u,\"withheld_events\":%u",
		    held[0], held[1]);
	snprintf(detail + len, sizeof(detail) - (size_t)len, "}");
	audit_event(app, a->origin, "login.throttled", &s, detail);
}

/* the check itself, once the limits let it run */
static enum gh_err
verify(struct app *app, const struct login_attempt *a, struct user_row *u,
    struct login_verdict *v)
{
	enum gh_err	rc;
	bool		match = false;

	rc = store_user_by_name(app->store, a->name, u);
	if (rc == GH_ERR_NOT_FOUND)
		return password_dummy_verify(a->pw);
	if (rc != GH_OK)
		return rc;
	v->known = true;
	if ((rc = password_verify(u->password_hash, a->pw, &match)) != GH_OK)
		return rc;
	v->ok = match && u->status == USER_ACTIVE;
	return GH_OK;
}

enum gh_err
login_check(struct app *app, const struct login_attempt *a,
    struct user_row *u, struct login_verdict *v)
{
	struct limits	 l;
	const char	*name = a->name, *pw = a->pw;
	int64_t		 retry;
	enum gh_err	 rc;
	bool		 one_at_a_time;

	memset(v, 0, sizeof(*v));
	if ((l.t = throttle_shared()) == NULL)
		return GH_ERR_NOMEM;
	l.addr.burst = app->conf.login_address_burst;
	l.addr.interval_ms = app->conf.login_address_refill_seconds * 1000;
	l.user.burst = app->conf.login_user_burst;
	l.user.interval_ms = app->conf.login_user_refill_seconds * 1000;
	l.now = throttle_now_ms();
	throttle_addr_key(a->origin->remote_addr, l.key, sizeof(l.key));
	/* every attempt, even one no user could match, counts for the address */
	if (!throttle_take(l.t, THROTTLE_LOGIN_ADDR, l.key, &l.addr, l.now,
	    &retry)) {
		refuse(app, a, &l, "address", retry, v);
		return GH_OK;
	}
	/* a failure, without a run */
	if (name == NULL || pw == NULL) {
		v->unchecked = "missing";
		return GH_OK;
	}
	if (strlen(name) > GH_MAX_USERNAME_LEN ||
	    strlen(pw) > GH_MAX_PASSWORD_LEN) {
		v->unchecked = "too_long";
		return GH_OK;
	}
	if (!throttle_take(l.t, THROTTLE_LOGIN_USER, name, &l.user, l.now,
	    &retry)) {
		refuse(app, a, &l, "user", retry, v);
		return GH_OK;
	}
	/* the per-address limit off (a proxy) turns this off too */
	one_at_a_time = l.addr.burst > 0;
	if (one_at_a_time && !throttle_enter(l.t, THROTTLE_LOGIN_ADDR, l.key,
	    1, l.now)) {
		throttle_give(l.t, THROTTLE_LOGIN_ADDR, l.key, &l.addr, l.now);
		throttle_give(l.t, THROTTLE_LOGIN_USER, name, &l.user, l.now);
		refuse(app, a, &l, "concurrent", CONCURRENT_RETRY_MS, v);
		return GH_OK;
	}
	rc = verify(app, a, u, v);
	if (one_at_a_time)
		throttle_leave(l.t, THROTTLE_LOGIN_ADDR, l.key);
	l.now = throttle_now_ms();
	if (rc != GH_OK || v->ok) {
		/* only failures count; a success clears the name's run */
		throttle_give(l.t, THROTTLE_LOGIN_ADDR, l.key, &l.addr, l.now);
		if (rc != GH_OK)
			throttle_give(l.t, THROTTLE_LOGIN_USER, name, &l.user,
			    l.now);
		else
			throttle_reset(l.t, THROTTLE_LOGIN_USER, name);
	}
	return rc;
}

void
login_audit_failure(struct app *app, const struct login_attempt *a,
    const struct login_verdict *v, const struct user_row *u)
{
	struct audit_subject	 s = { a->client_id, NULL, NULL };
	char			 detail[48];

	s.user_id = v->known ? u->id : NULL;
	if (v->unchecked == NULL) {
		audit_event(app, a->origin, "login.failure", &s, NULL);
		return;
	}
	snprintf(detail, sizeof(detail), "{\"reason\":\"%s\"}", v->unchecked);
	audit_budgeted(app, a->origin, "login.failure", &s, v->unchecked,
	    detail);
}

void
login_reply_throttled(struct http_response *r, int64_t seconds)
{
	char value[24];

	if (r->status >= 500)
		return;
	snprintf(value, sizeof(value), "%lld", (long long)seconds);
	if (response_header(r, "Retry-After", value) != GH_OK) {
		reply_unavailable(r);
		return;
	}
	r->status = 429;
}
