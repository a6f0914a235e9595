/*
 * api.h - the admin HTTP API under /admin/api/, JSON out, form bodies in
 * (application/x-www-form-urlencoded, like every other Gatehouse POST).
 *
 * Every call needs `Authorization: Bearer <admin credential>`
 * (admin_auth.h); without it: 401 with WWW-Authenticate (a wrong one is
 * counted per address and folded into admin.auth_failure events; past
 * the address's limit: 429 with Retry-After). Every action is audited
 * with actor "admin:NAME" and the caller's address. Errors are {"error", "error_description"}, 4xx
 * for anything the caller sent, 503 when the server could not answer.
 *
 *   GET  /admin/api/inventory             every client, riskiest first
 *   GET  /admin/api/client?client_id=     one client: usage, risk, grants,
 *                                         alerts, tokens per hour (7 days)
 *   GET  /admin/api/grants[?client_id=|&user=]   live grants
 *   POST /admin/api/grants/revoke         grant_id | client_id | user, reason
 *   POST /admin/api/client/quarantine     client_id, reason
 *   GET  /admin/api/alerts[?all=1&client_id=]    open (or all) alerts
 *   POST /admin/api/alerts/ack            id
 *   GET  /admin/api/audit[?since=&after=&limit=] audit events, in pages
 */
#ifndef GH_ADMIN_API_H
#define GH_ADMIN_API_H

#include "../app.h"
#include "../http/request.h"

void	api_inventory(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	api_client(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	api_grants(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	api_grants_revoke(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	api_quarantine(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	api_alerts(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	api_alerts_ack(struct app *app, const struct http_request *req,
	    struct http_response *resp);
void	api_audit(struct app *app, const struct http_request *req,
	    struct http_response *resp);

#endif
