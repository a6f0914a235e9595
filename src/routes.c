/*
 * routes.c - method, path, handler: the whole HTTP surface of Gatehouse.
 * Anything not in this table is a 404; a known path with another method
 * is a 405 with Allow.
 */
#include <string.h>

#include "routes.h"
#include "http/reply.h"
#include "oauth/endpoints.h"
#include "oidc/endpoints.h"
#include "admin/api.h"
#include "ui/account.h"
#include "ui/authorize_view.h"
#include "ui/console.h"

typedef void (*handler_fn)(struct app *, const struct http_request *,
    struct http_response *);

struct route {
	const char	*path;
	unsigned	 methods;	/* HTTP_GET | HTTP_POST ... */
	const char	*allow;		/* the Allow header for 405 */
	handler_fn	 fn;
};

static void
health(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	(void)app;
	(void)req;
	if (reply_json(resp, 200, json_pack("{s:s}", "status", "ok")) !=
	    GH_OK)
		reply_unavailable(resp);
}

#define GET_ONLY (HTTP_GET | HTTP_HEAD)

static const struct route routes[] = {
	/* no HEAD: a request with a session may issue a code */
	{ "/authorize", HTTP_GET | HTTP_POST, "GET, POST", ui_authorize },
	{ "/token", HTTP_POST, "POST", oauth_token },
	{ "/revoke", HTTP_POST, "POST", oauth_revoke },
	{ "/introspect", HTTP_POST, "POST", oauth_introspect },
	{ "/.well-known/oauth-authorization-server", GET_ONLY, "GET, HEAD",
	    oauth_metadata },
	{ "/.well-known/openid-configuration", GET_ONLY, "GET, HEAD",
	    oauth_metadata },
	{ "/jwks", GET_ONLY, "GET, HEAD", oidc_jwks },
	{ "/userinfo", GET_ONLY | HTTP_POST, "GET, HEAD, POST", oidc_userinfo },
	{ "/assets/gatehouse.css", GET_ONLY, "GET, HEAD", ui_stylesheet },
	{ "/healthz", GET_ONLY, "GET, HEAD", health },
	/* the admin API (admin/api.h): admin credential required */
	{ "/admin/api/inventory", GET_ONLY, "GET, HEAD", api_inventory },
	{ "/admin/api/client", GET_ONLY, "GET, HEAD", api_client },
	{ "/admin/api/client/quarantine", HTTP_POST, "POST", api_quarantine },
	{ "/admin/api/grants", GET_ONLY, "GET, HEAD", api_grants },
	{ "/admin/api/grants/revoke", HTTP_POST, "POST", api_grants_revoke },
	{ "/admin/api/alerts", GET_ONLY, "GET, HEAD", api_alerts },
	{ "/admin/api/alerts/ack", HTTP_POST, "POST", api_alerts_ack },
	{ "/admin/api/audit", GET_ONLY, "GET, HEAD", api_audit },
	/* the admin console (ui/console.h): console session + CSRF */
	{ "/admin", GET_ONLY, "GET, HEAD", ui_admin_home },
	{ "/admin/login", GET_ONLY | HTTP_POST, "GET, HEAD, POST",
	    ui_admin_login },
	{ "/admin/logout", HTTP_POST, "POST", ui_admin_logout },
	{ "/admin/inventory", GET_ONLY, "GET, HEAD", ui_admin_inventory },
	{ "/admin/client", GET_ONLY, "GET, HEAD", ui_admin_client },
	{ "/admin/alerts", GET_ONLY, "GET, HEAD", ui_admin_alerts },
	{ "/admin/confirm", GET_ONLY, "GET, HEAD", ui_admin_confirm },
	{ "/admin/action", HTTP_POST, "POST", ui_admin_action },
	/* connected apps (ui/account.h): the user's browser session */
	{ "/account", GET_ONLY, "GET, HEAD", ui_account },
	{ "/account/login", GET_ONLY | HTTP_POST, "GET, HEAD, POST",
	    ui_account_login },
	{ "/account/revoke", GET_ONLY | HTTP_POST, "GET, HEAD, POST",
	    ui_account_revoke },
	{ "/account/logout", HTTP_POST, "POST", ui_account_logout },
};

static void
hold_watch(void *h, void (*wake)(void *), void *arg)
{
	store_wait_watch(h, wake, arg);
}

static bool
hold_end(void *h)
{
	return store_wait_end(h) == GH_OK;
}

void
routes_dispatch(void *ctx, const struct http_request *req,
    struct http_response *resp)
{
	struct app		*app = ctx;
	struct store_wait	*w;
	size_t			 i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].path, req->path) != 0)
			continue;
		if ((routes[i].methods & req->method) == 0) {
			if (reply_json(resp, 405, json_pack("{s:s, s:s}",
			    "error", "invalid_request", "error_description",
			    "method not allowed")) != GH_OK ||
			    response_header(resp, "Allow",
			    routes[i].allow) != GH_OK)
				reply_unavailable(resp);
			return;
		}
		/*
		 * every write of the request durable before its answer: the
		 * server holds the answer until then (http_hold)
		 */
		store_defer_begin(app->store);
		routes[i].fn(app, req, resp);
		if (store_defer_detach(app->store, &w) != GH_OK)
			reply_unavailable(resp);
		else if (w != NULL)
			resp->hold = (struct http_hold){ w, hold_watch,
			    hold_end };
		return;
	}
	reply_not_found(resp);
}
