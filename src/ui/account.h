/*
 * account.h - "Connected apps": a signed-in user sees the apps they gave
 * access to (name, owner, scopes, granted, last used) and takes access
 * back. It uses the same browser session as /authorize; /account/login
 * signs in without an application in between.
 *
 *   GET  /account                the list (or the login)
 *   GET  /account/login, POST    username and password
 *   GET  /account/revoke         ?grant_id=  confirm
 *   POST /account/revoke         grant_id, csrf: revoke it
 *   POST /account/logout         csrf: sign out (the session row goes)
 *
 * A user can revoke only their own grants: the store's update is
 * conditional on both the grant and the session's user. Revocations are
 * audited with actor "user".
 */
#ifndef GH_ACCOUNT_H
#define GH_ACCOUNT_H

#include "../app.h"
#include "../http/request.h"

void	ui_account(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_account_login(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_account_revoke(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_account_logout(struct app *app, const struct http_request *req,
	    struct http_response *resp);

#endif
