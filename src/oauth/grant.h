/*
 * grant.h - what the token endpoint hands to each grant type once the
 * request is parsed and the client authenticated.
 */
#ifndef GH_GRANT_H
#define GH_GRANT_H

#include "client_auth.h"
#include "../governance/audit.h"

struct token_ctx {
	struct app			*app;
	const struct http_request	*req;
	const struct params		*p;
	const struct client_row		*client;
	struct http_response		*resp;
	struct audit_origin		 origin;
};

void	grant_authorization_code(struct token_ctx *t);
void	grant_refresh_token(struct token_ctx *t);

/* a body parsed for an endpoint that takes a form and client auth */
struct endpoint_form {
	struct params			p;
	struct client_auth_result	auth;
};

/*
 * POST, form body, no duplicate parameters, an authenticated client. On
 * NULL the reply is already made. `allow_public` says whether clients
 * without a secret may call the endpoint. Release with endpoint_close().
 */
struct endpoint_form *endpoint_open(struct app *app,
	    const struct http_request *req, struct http_response *resp,
	    bool allow_public);
void	endpoint_close(struct endpoint_form *f);

#endif
