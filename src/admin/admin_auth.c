/* admin_auth.c - see admin_auth.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin_auth.h"
#include "../governance/throttle.h"
#include "../http/cookie.h"
#include "../oauth/secret.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/limits.h"
#include "../util/str.h"

void
admin_origin_init(struct admin_origin *ao, const char *name,
    const struct http_request *req)
{
	snprintf(ao->actor, sizeof(ao->actor), "admin:%s", name);
	ao->o.actor = ao->actor;
	ao->o.remote_addr = req ? req->remote_addr : NULL;
	ao->o.user_agent = req ? req->user_agent : NULL;
}

bool
admin_name_ok(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > GH_MAX_ADMIN_NAME)
		return false;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '.' || name[i] == '_' || name[i] == '-'))
			return false;
	return true;
}

enum gh_err
admin_check_credential(struct app *app, const char *value,
    struct admin_row *out)
{
	uint8_t		hash[GH_HASH_BYTES];
	enum gh_err	rc;

	/* only our own format is worth a lookup */
	if (value == NULL || strncmp(value, PREFIX_ADMIN,
	    sizeof(PREFIX_ADMIN) - 1) != 0 || strlen(value) >= GH_MAX_TOKEN_LEN)
		return GH_ERR_NOT_FOUND;
	if ((rc = secret_hash(app, value, hash)) != GH_OK)
		return rc == GH_ERR_INVALID ? GH_ERR_NOT_FOUND : rc;
	rc = store_admin_by_hash(app->store, hash, clock_now(), out);
	crypto_wipe(hash, sizeof(hash));
	if (rc == GH_OK && out->disabled_at != 0)
		rc = GH_ERR_NOT_FOUND;
	return rc;
}

/*
 * One more wrong credential (which 0) or refusal (1) from the address;
 * the first of a window is audited with the count of those folded since
 * the previous report, the rest are only counted. Reports of all
 * addresses together are held to GH_THROTTLE_REPORTS a window: one sent
 * after some were withheld says how many ("withheld_reports", with the
 * "withheld_events" they stood for).
 */
static void
fold(struct app *app, const struct http_request *req, struct throttle *t,
    enum throttle_kind kind, const char *key, const char *event,
    unsigned which, int64_t now)
{
	struct audit_origin	 o = { req->remote_addr, req->user_agent,
	    "admin" };
	int64_t			 w = app->conf.throttle_audit_window_seconds;
	uint32_t		 n[THROTTLE_COUNTS], held[THROTTLE_COUNTS];
	char			 detail[192];
	int			 len;

	if (!throttle_fold(t, kind, key, which, w * 1000, now, n) ||
	    !throttle_budget(t, THROTTLE_AUDIT, event, GH_THROTTLE_REPORTS,
	    w * 1000, n[0] + n[1], now, held))
		return;
	len = snprintf(detail, sizeof(detail), "{\"failures\":%u,"
	    "\"throttled\":%u,\"window_seconds\":%lld", n[0], n[1],
	    (long long)w);
	if (held[0] > 0)
		len += snprintf(detail + len, sizeof(detail) - (size_t)len,
		    ",\"withheld_reports\":%u,\"withheld_events\":%u",
		    held[0], held[1]);
	snprintf(detail + len, sizeof(detail) - (size_t)len, "}");
	audit_event(app, &o, event, NULL, detail);
}

/*
 * A presented credential, under the address's limit of wrong ones: the
 * same bucket numbers as failed sign-ins (login_address_*), counted
 * apart per `kind`. Only a wrong credential keeps what it took.
 */
static enum gh_err
check_limited(struct app *app, const struct http_request *req,
    enum throttle_kind kind, const char *event, const char *value,
    struct admin_row *out, int64_t *retry_after)
{
	struct throttle		*t;
	struct throttle_rate	 r;
	char			 key[THROTTLE_ADDR_KEY_LEN];
	int64_t			 now, retry;
	enum gh_err		 rc;

	*retry_after = 0;
	if ((t = throttle_shared()) == NULL)
		return GH_ERR_NOMEM;
	r.burst = app->conf.login_address_burst;
	r.interval_ms = app->conf.login_address_refill_seconds * 1000;
	throttle_addr_key(req->remote_addr, key, sizeof(key));
	now = throttle_now_ms();
	if (!throttle_take(t, kind, key, &r, now, &retry)) {
		*retry_after = throttle_seconds(retry);
		fold(app, req, t, kind, key, event, 1, now);
		return GH_ERR_LIMIT;
	}
	rc = admin_check_credential(app, value, out);
	if (rc == GH_ERR_NOT_FOUND)
		fold(app, req, t, kind, key, event, 0, now);
	else
		throttle_give(t, kind, key, &r, now);
	return rc;
}

enum gh_err
admin_authenticate(struct app *app, const struct http_request *req,
    struct admin_row *out, int64_t *retry_after)
{
	char			 value[GH_MAX_TOKEN_LEN];
	const char		*h = req->authorization;
	enum gh_err		 rc;

	*retry_after = 0;
	if (h == NULL)
		return GH_ERR_NOT_FOUND;	/* no attempt: nothing to audit */
	value[0] = '\0';
	if (strncasecmp(h, "Bearer ", 7) == 0 &&
	    !str_copy(value, sizeof(value), h + 7))
		value[0] = '\0';	/* too long to be ours */
	rc = check_limited(app, req, THROTTLE_ADMIN_ADDR, "admin.auth_failure",
	    value[0] ? value : NULL, out, retry_after);
	crypto_wipe(value, sizeof(value));
	return rc;
}

enum gh_err
admin_login_check(struct app *app, const struct http_request *req,
    const char *value, struct admin_row *out, int64_t *retry_after)
{
	return check_limited(app, req, THROTTLE_CONSOLE_ADDR,
	    "admin.login_failure", value, out, retry_after);
}

static const char *
cookie_name(const struct app *app)
{
	return app->conf.secure_cookies ? "__Host-gh_admin" : "gh_admin";
}

static int64_t
session_ttl(const struct app *app)
{
	return app->conf.session_ttl_seconds < ADMIN_SESSION_TTL ?
	    app->conf.session_ttl_seconds : ADMIN_SESSION_TTL;
}

static enum gh_err
set_cookie(const struct app *app, struct http_response *resp,
    const char *value, int64_t max_age)
{
	char	hdr[256];
	int	n;

	/* Strict: the console is never entered from another site */
	n = snprintf(hdr, sizeof(hdr), "%s=%s; Path=/; Max-Age=%lld; "
	    "HttpOnly; SameSite=Strict%s", cookie_name(app), value,
	    (long long)max_age, app->conf.secure_cookies ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return GH_ERR_LIMIT;
	return response_header(resp, "Set-Cookie", hdr);
}

/*
 * The hash of the request's session cookie: GH_ERR_NOT_FOUND if it has
 * none of ours; any other error is a failed hash (not "signed out").
 */
static enum gh_err
session_hash(struct app *app, const struct http_request *req,
    uint8_t hash[GH_HASH_BYTES])
{
	char		value[GH_MAX_TOKEN_LEN];
	size_t		clen = req->cookie ? strlen(req->cookie) : 0;
	enum gh_err	rc = GH_ERR_NOT_FOUND;

	if (cookie_get(req->cookie, clen, cookie_name(app), value,
	    sizeof(value)) != GH_OK)
		return GH_ERR_NOT_FOUND;
	if (strncmp(value, PREFIX_ADMIN_SESSION,
	    sizeof(PREFIX_ADMIN_SESSION) - 1) == 0 &&
	    (rc = secret_hash(app, value, hash)) == GH_ERR_INVALID)
		rc = GH_ERR_NOT_FOUND;
	crypto_wipe(value, sizeof(value));
	return rc;
}

enum gh_err
admin_session_load(struct app *app, const struct http_request *req,
    char name[GH_MAX_ADMIN_NAME + 1])
{
	uint8_t		hash[GH_HASH_BYTES];
	enum gh_err	rc;

	name[0] = '\0';
	if ((rc = session_hash(app, req, hash)) != GH_OK)
		return rc;
	return store_admin_session_get(app->store, hash, clock_now(), name);
}

enum gh_err
admin_session_start(struct app *app, const char *name,
    struct http_response *resp)
{
	char		value[GH_MAX_TOKEN_LEN];
	uint8_t		hash[GH_HASH_BYTES];
	int64_t		now = clock_now(), ttl = session_ttl(app);
	enum gh_err	rc;

	if ((rc = secret_mint(app, PREFIX_ADMIN_SESSION, value, hash)) !=
	    GH_OK)
		goto out;
	if ((rc = store_admin_session_insert(app->store, hash, name, now,
	    now + ttl)) != GH_OK)
		goto out;
	rc = set_cookie(app, resp, value, ttl);
out:
	crypto_wipe(value, sizeof(value));
	return rc;
}

enum gh_err
admin_session_end(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	uint8_t		hash[GH_HASH_BYTES];
	enum gh_err	rc;

	/* a failed hash must not look like a signed-out browser: the
	 * session would live on while the console said goodbye */
	if ((rc = session_hash(app, req, hash)) == GH_OK)
		rc = store_admin_session_delete(app->store, hash);
	else if (rc == GH_ERR_NOT_FOUND)
		rc = GH_OK;
	if (rc == GH_OK)
		rc = set_cookie(app, resp, "", 0);
	return rc;
}
