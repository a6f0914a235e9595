/*
 * admin_auth.h - who is the administrator behind a request.
 *
 * An admin credential ("gate_adm_" + 256 random bits) is made by
 * `gatehouse admin add`, shown once and stored only as its keyed hash
 * (oauth/secret.h), so it is found by hashing what is presented: the
 * lookup is the comparison, and no plaintext is ever compared or kept.
 *
 * The JSON API takes it as `Authorization: Bearer <credential>`. The web
 * console trades it once, at its login form, for a console session: a
 * random cookie (HttpOnly, SameSite=Strict, __Host- and Secure with an
 * https issuer) stored hashed with an expiry in the store, so every node
 * sharing the store knows it. Disabling an admin ends both at once.
 */
#ifndef GH_ADMIN_AUTH_H
#define GH_ADMIN_AUTH_H

#include "../app.h"
#include "../http/request.h"
#include "../governance/audit.h"

#define PREFIX_ADMIN		"gate_adm_"
#define PREFIX_ADMIN_SESSION	"gate_as_"
#define ADMIN_SESSION_TTL	(8 * 3600)	/* console sessions, at most */

/*
 * Who acted, for the audit log: actor "admin:NAME" (or "admin" for the
 * admin command), with the request's address and user agent.
 */
struct admin_origin {
	char			actor[GH_MAX_ADMIN_NAME + 8];
	struct audit_origin	o;
};
void	admin_origin_init(struct admin_origin *ao, const char *name,
	    const struct http_request *req);

/* Names: 1-64 of [A-Za-z0-9._-]. */
bool	admin_name_ok(const char *name);

/* Check a presented credential; out is the active admin. GH_ERR_NOT_FOUND
 * for unknown, malformed or disabled credentials. Unlimited and not
 * audited: for the two callers below. */
enum gh_err	admin_check_credential(struct app *app, const char *value,
		    struct admin_row *out);
/*
 * The API: a Bearer credential. GH_ERR_NOT_FOUND when absent or wrong.
 * An absent one (no Authorization header) is no attempt: not counted,
 * not audited. A wrong one counts against the client address (IPv4
 * address, IPv6 /64; login_address_burst at once, then one more every
 * login_address_refill_seconds; a right one takes nothing) and is
 * audited as "admin.auth_failure" at most once per address per
 * throttle_audit_window_seconds, detail {"failures":N,"throttled":M,
 * "window_seconds":W}: what was folded since the previous such event,
 * this one included. Past the limit GH_ERR_LIMIT: refused without
 * checking the credential (429 after *retry_after seconds), counted as
 * "throttled". Other errors are the store's or a failed hash (never
 * counted as a wrong credential).
 */
enum gh_err	admin_authenticate(struct app *app,
		    const struct http_request *req, struct admin_row *out,
		    int64_t *retry_after);
/*
 * The console's login form: the same for the posted credential, counted
 * apart, audited as "admin.login_failure".
 */
enum gh_err	admin_login_check(struct app *app,
		    const struct http_request *req, const char *value,
		    struct admin_row *out, int64_t *retry_after);

/*
 * The console: the admin of the session cookie; GH_ERR_NOT_FOUND if none.
 * Other errors (store, a failed hash) are failures, not "signed out".
 */
enum gh_err	admin_session_load(struct app *app,
		    const struct http_request *req,
		    char name[GH_MAX_ADMIN_NAME + 1]);
/* A new session for `name`; its Set-Cookie header is added to resp. */
enum gh_err	admin_session_start(struct app *app, const char *name,
		    struct http_response *resp);
/* End the request's session (if any) and expire the cookie. */
enum gh_err	admin_session_end(struct app *app,
		    const struct http_request *req, struct http_response *resp);

#endif
