/*
 * console.h - the admin web console under /admin: server-rendered pages,
 * no script. An admin signs in by pasting an admin credential, which is
 * traded for a console session cookie (admin/admin_auth.h). Every POST
 * carries the CSRF token of oauth/session.h; quarantine and revocations
 * pass through a confirmation page that asks for the reason, and every
 * action is audited with actor "admin:NAME" (admin/actions.h).
 *
 *   GET  /admin                 -> the inventory (or the login)
 *   GET  /admin/login, POST     sign in with a credential
 *   POST /admin/logout
 *   GET  /admin/inventory       ?sort=risk|name|owner|...&order=asc|desc
 *   GET  /admin/client          ?client_id=  facts, chart, grants, alerts
 *   GET  /admin/alerts          [?all=1]
 *   GET  /admin/confirm         ?action=quarantine|revoke_grant|
 *                               revoke_client&client_id=[&grant_id=]
 *   POST /admin/action          the confirmed action, or an alert ack
 */
#ifndef GH_CONSOLE_H
#define GH_CONSOLE_H

#include "../app.h"
#include "../http/request.h"

void	ui_admin_home(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_admin_login(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_admin_logout(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_admin_inventory(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_admin_client(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_admin_alerts(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_admin_confirm(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_admin_action(struct app *app, const struct http_request *req,
	    struct http_response *resp);

#endif
