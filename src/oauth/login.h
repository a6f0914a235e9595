/*
 * login.h - the username and password check of both login forms: the
 * authorization endpoint's and the account page's, with the limits that
 * come before any Argon2id run (governance/throttle.h):
 *
 *  - per client address (IPv4 address, IPv6 /64): login_address_burst
 *    failed attempts at once, then one more every
 *    login_address_refill_seconds; and one sign-in at a time in Argon2id,
 *    so one address never holds more than one of its GH_PASSWORD_SLOTS;
 *  - per username as submitted (the lookup's own form, so existing and
 *    unknown names alike): login_user_burst failures, then one more
 *    every login_user_refill_seconds. A success gives the name its whole
 *    burst back.
 *
 * An attempt takes from both buckets before it runs and gives back what
 * it took when it did not fail (a success, or no verdict), so only
 * failures count and concurrent attempts cannot overrun a bucket. The
 * address is the one the server sees: behind a reverse proxy that is the
 * proxy's for everybody (set login_address_burst to 0 there, and limit
 * per client at the proxy; the per-username limit still holds).
 */
#ifndef GH_LOGIN_H
#define GH_LOGIN_H

#include <stdbool.h>
#include "../app.h"
#include "../governance/audit.h"
#include "../http/request.h"

struct login_attempt {
	const char			*name;	/* as posted; may be NULL */
	const char			*pw;	/* may be NULL */
	const struct audit_origin	*origin; /* its address, agent, actor */
	const char			*client_id; /* for the audit; or NULL */
};

struct login_verdict {
	bool	known;		/* the user was found (for the audit event) */
	bool	ok;		/* an active user whose password matches */
	/*
	 * > 0: refused before any check, for this many seconds (answer 429
	 * with Retry-After). Neither a failure nor a success: record none.
	 */
	int64_t	retry_after;
	/*
	 * Not NULL: a failure decided without a password check (no Argon2id
	 * run), and why: "missing" (no username or no password), "too_long"
	 * (either over its limit).
	 */
	const char *unchecked;
};

/*
 * GH_OK with the verdict in *v: ok only for an active user whose
 * password matches; u is the user if v->known. Unknown and disabled
 * users spend one Argon2id run like the rest, so neither a user's
 * existence nor its status shows in the time the answer takes. A
 * refusal (v->retry_after) spends none and is audited here as
 * "login.throttled", at most once per address per
 * throttle_audit_window_seconds, with the count of refusals since the
 * previous one. Any error is no verdict (store, Argon2, GH_ERR_BUSY when
 * too many logins wait already, GH_ERR_NOMEM without the limits' table):
 * answer 503, record no failure.
 */
enum gh_err	login_check(struct app *app, const struct login_attempt *a,
		    struct user_row *u, struct login_verdict *v);

/*
 * Record failed attempt a (v neither ok nor refused; u the user if
 * v->known) as "login.failure". One with a password check is stored:
 * each cost an Argon2id run, and the limits above bound them. One
 * without (v->unchecked) costs nothing but the per-address limit, which
 * a flood from many addresses multiplies, so it is stored within the
 * audit budgets (governance/audit_budget.h), keyed by address, client
 * and reason, with detail {"reason":...}. Either way it is logged and
 * run through the anomaly rules.
 */
void		login_audit_failure(struct app *app,
		    const struct login_attempt *a,
		    const struct login_verdict *v, const struct user_row *u);

/*
 * Make the page in r (already built, 200 or 401) a 429 with Retry-After:
 * `seconds`; a page that failed to build (503) stays so.
 */
void		login_reply_throttled(struct http_response *r,
		    int64_t seconds);

#endif
