/* admin_auth.c - see admin_auth.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin_auth.h"
#include "../http/cookie.h"
#include "../oauth/secret.h"
#include "../util/clock.h"
#include "../util/crypto.h"
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

enum gh_err
admin_authenticate(struct app *app, const struct http_request *req,
    struct admin_row *out)
{
	char			 value[GH_MAX_TOKEN_LEN];
	const char		*h = req->authorization;
	struct audit_origin	 o = { req->remote_addr, req->user_agent,
	    "admin" };
	enum gh_err		 rc = GH_ERR_NOT_FOUND;

	value[0] = '\0';
	if (h && strncasecmp(h, "Bearer ", 7) == 0 &&
	    !str_copy(value, sizeof(value), h + 7))
		value[0] = '\0';	/* too long to be ours */
	if (value[0])
		rc = admin_check_credential(app, value, out);
	crypto_wipe(value, sizeof(value));
	if (rc == GH_ERR_NOT_FOUND)
		audit_event(app, &o, "admin.auth_failure", NULL,
		    h ? "{\"credential\":\"wrong\"}" :
		    "{\"credential\":\"missing\"}");
	return rc;
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
