/*
 * token.c - the token endpoint (RFC 6749 3.2, 4.1.3, 5, 6): checks the
 * grant type, authenticates the client, hands over to the grant.
 */
#include <string.h>

#include "endpoints.h"
#include "grant.h"
#include "../http/form_body.h"
#include "../http/reply.h"

void
oauth_token(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct endpoint_form	*f;
	struct token_ctx	 t;
	const char		*gt;

	if ((f = endpoint_open(app, req, resp, true)) == NULL)
		return;
	memset(&t, 0, sizeof(t));
	t.app = app;
	t.req = req;
	t.p = &f->p;
	t.client = &f->auth.client;
	t.resp = resp;
	t.origin.remote_addr = req->remote_addr;
	t.origin.user_agent = req->user_agent;
	t.origin.actor = "client";

	gt = params_get(&f->p, "grant_type");
	if (gt == NULL)
		oauth_error_reply(resp, OE_INVALID_REQUEST,
		    "grant_type is missing", false);
	else if (strcmp(gt, "authorization_code") == 0)
		grant_authorization_code(&t);
	else if (strcmp(gt, "refresh_token") == 0)
		grant_refresh_token(&t);
	else	/* no password, implicit or other grants, ever */
		oauth_error_reply(resp, OE_UNSUPPORTED_GRANT_TYPE,
		    "supported: authorization_code, refresh_token", false);
	endpoint_close(f);
}
