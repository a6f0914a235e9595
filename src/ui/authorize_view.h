/*
 * authorize_view.h - the /authorize route: parses the request, asks
 * oauth_authorize() what to do, and renders it (redirect, error page,
 * login or consent form).
 */
#ifndef GH_AUTHORIZE_VIEW_H
#define GH_AUTHORIZE_VIEW_H

#include "../app.h"
#include "../http/request.h"

void	ui_authorize(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	ui_stylesheet(struct app *app, const struct http_request *req,
	    struct http_response *resp);

#endif
