/*
 * client_auth.h - authenticating the client at the token, revocation and
 * introspection endpoints (RFC 6749 2.3, 3.2.1; RFC 7009 2.1;
 * RFC 7662 2.1).
 *
 * Exactly one method per request, and it must be the one the client
 * registered: client_secret_basic, client_secret_post, or none (public
 * clients, which only identify themselves). Secrets are compared as keyed
 * hashes in constant time and wiped after use.
 */
#ifndef GH_CLIENT_AUTH_H
#define GH_CLIENT_AUTH_H

#include <stdbool.h>
#include "error.h"
#include "../app.h"
#include "../http/form.h"
#include "../http/request.h"

struct client_auth_result {
	bool			 ok;
	bool			 basic_tried;	/* for WWW-Authenticate */
	enum oauth_error	 error;
	const char		*description;
	struct client_row	 client;	/* valid when ok; last (43 KB) */
};

/*
 * Authenticate; on failure an audit event "client.auth_failed" is
 * recorded when a known client id was presented. GH_OK with res->ok false
 * is an authentication failure; any other return is a store failure or a
 * failed hash of the secret (no verdict, so not audited as a failure).
 */
enum gh_err	client_authenticate(struct app *app,
		    const struct http_request *req, const struct params *p,
		    struct client_auth_result *res);

#endif
