/* session.c - see session.h. */
#include <stdio.h>
#include <string.h>

#include "secret.h"
#include "session.h"
#include "../http/cookie.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/str.h"

static const char *
cookie_name(const struct app *app, bool session)
{
	if (app->conf.secure_cookies)
		return session ? "__Host-gh_session" : "__Host-gh_csrf";
	return session ? "gh_session" : "gh_csrf";
}

enum gh_err
browser_load(struct app *app, const struct http_request *req,
    const char *client_id, struct browser *b)
{
	char		 value[GH_MAX_TOKEN_LEN];
	uint8_t		 hash[GH_HASH_BYTES];
	size_t		 clen = req->cookie ? strlen(req->cookie) : 0;
	enum gh_err	 rc;

	memset(b, 0, sizeof(*b));
	if (cookie_get(req->cookie, clen, cookie_name(app, false),
	    b->csrf_cookie, sizeof(b->csrf_cookie)) != GH_OK ||
	    strncmp(b->csrf_cookie, "gate_cf_", 8) != 0)
		b->csrf_cookie[0] = '\0';
	if (cookie_get(req->cookie, clen, cookie_name(app, true), value,
	    sizeof(value)) != GH_OK)
		return GH_OK;
	rc = secret_hash(app, value, hash);
	crypto_wipe(value, sizeof(value));
	if (rc == GH_ERR_INVALID)
		return GH_OK;		/* not ours: no session */
	if (rc != GH_OK)
		return rc;		/* not "signed out": a failure */
	rc = client_id == NULL ?
	    store_session_get(app->store, hash, clock_now(), &b->session) :
	    store_session_grant(app->store, hash, clock_now(), client_id,
	    &b->session, &b->grant, &b->has_grant);
	if (rc == GH_OK)
		b->has_session = true;
	else if (rc != GH_ERR_NOT_FOUND)
		return rc;
	return GH_OK;
}

enum gh_err
browser_csrf_ensure(struct app *app, struct browser *b)
{
	enum gh_err rc;

	(void)app;
	if (b->csrf_cookie[0])
		return GH_OK;
	rc = crypto_new_secret("gate_cf_", b->csrf_cookie,
	    sizeof(b->csrf_cookie));
	if (rc == GH_OK)
		b->csrf_new = true;
	return rc;
}

enum gh_err
browser_csrf_token(const struct app *app, const struct browser *b,
    char out[CSRF_TOKEN_LEN])
{
	uint8_t		mac[GH_HASH_BYTES];
	char		msg[GH_MAX_TOKEN_LEN + 8];
	int		n;
	enum gh_err	rc;

	out[0] = '\0';
	n = snprintf(msg, sizeof(msg), "csrf:%s", b->csrf_cookie);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return GH_ERR_LIMIT;	/* the cookie is bounded: never */
	if ((rc = crypto_hmac_sha256(app->key, sizeof(app->key), msg,
	    (size_t)n, mac)) != GH_OK)
		return rc;
	b64url_encode(mac, sizeof(mac), out);
	return GH_OK;
}

enum gh_err
browser_csrf_check(const struct app *app, const struct browser *b,
    const char *token)
{
	char		want[CSRF_TOKEN_LEN];
	enum gh_err	rc;

	if (b->csrf_cookie[0] == '\0' || token == NULL)
		return GH_ERR_INVALID;
	if ((rc = browser_csrf_token(app, b, want)) != GH_OK)
		return rc == GH_ERR_INVALID ? GH_ERR_CRYPTO : rc;
	return crypto_ct_eq(want, strlen(want), token, strlen(token)) ?
	    GH_OK : GH_ERR_INVALID;
}

static enum gh_err
set_cookie(const struct app *app, struct http_response *resp,
    const char *name, const char *value, int64_t max_age)
{
	char	hdr[512];
	int	n;

	n = snprintf(hdr, sizeof(hdr), "%s=%s; Path=/; Max-Age=%lld; "
	    "HttpOnly; SameSite=Lax%s", name, value, (long long)max_age,
	    app->conf.secure_cookies ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return GH_ERR_LIMIT;
	return response_header(resp, "Set-Cookie", hdr);
}

enum gh_err
browser_login(struct app *app, struct browser *b, const struct user_row *u,
    struct http_response *resp)
{
	char		 value[GH_MAX_TOKEN_LEN];
	uint8_t		 old[GH_HASH_BYTES];
	bool		 had = b->has_session;
	int64_t		 now = clock_now();
	enum gh_err	 rc;

	/*
	 * The browser's previous session (another user's on a shared
	 * browser, or this user's before a fresh sign-in) ends with this
	 * login, on the server: a copy of its cookie stays dead.
	 */
	if (had)
		memcpy(old, b->session.hash, sizeof(old));
	b->has_session = false;
	memset(&b->session, 0, sizeof(b->session));
	if ((rc = secret_mint(app, PREFIX_SESSION, value,
	    b->session.hash)) != GH_OK)
		return rc;
	str_copy(b->session.user_id, sizeof(b->session.user_id), u->id);
	str_copy(b->session.username, sizeof(b->session.username),
	    u->username);
	b->session.auth_time = now;
	b->session.expires_at = now + app->conf.session_ttl_seconds;
	if ((rc = store_session_insert(app->store, &b->session,
	    u->password_hash, had ? old : NULL)) == GH_OK)
		rc = set_cookie(app, resp, cookie_name(app, true), value,
		    app->conf.session_ttl_seconds);
	crypto_wipe(value, sizeof(value));
	if (rc == GH_OK)
		b->has_session = true;
	return rc;
}

enum gh_err
browser_logout(struct app *app, struct browser *b,
    struct http_response *resp)
{
	enum gh_err rc = GH_OK;

	if (b->has_session)
		rc = store_session_delete(app->store, b->session.hash);
	if (rc == GH_OK)
		rc = set_cookie(app, resp, cookie_name(app, true), "", 0);
	if (rc == GH_OK)
		b->has_session = false;
	return rc;
}

enum gh_err
browser_set_cookies(const struct app *app, const struct browser *b,
    struct http_response *resp)
{
	if (!b->csrf_new)
		return GH_OK;
	return set_cookie(app, resp, cookie_name(app, false), b->csrf_cookie,
	    app->conf.session_ttl_seconds);
}
