/*
 * client_auth.h - authenticating the client at the token, revocation and
 * introspection endpoints (RFC 6749 2.3, 3.2.1; RFC 7009 2.1;
 * RFC 7662 2.1).
 *
 * Exactly one method per request, and it must be the one the client
 * registered: client_secret_basic, client_secret_post, private_key_jwt
 * (client_assertion.h), or none (public clients, which only identify
 * themselves). Secrets are compared as keyed hashes in constant time and
 * wiped after use.
 *
 * A disabled or quarantined client is refused like a wrong credential,
 * and its credential is checked all the same (the same work either way,
 * so the time of a refusal does not tell the status). Its use is audited
 * as such (reason "disabled" or "quarantined", which raises the high
 * disabled_client_use alert) only on evidence that only the client holds:
 * its secret or assertion verified; a refresh token issued to it, in any
 * state (refresh tokens go only to the client: how a quarantined client,
 * whose secret was replaced, is still seen when a thief replays one); for
 * a public client, which has no credential, also an unexpired code issued
 * to it with its PKCE code_verifier. Never an access token (resource
 * servers hold them) nor a code without its verifier, or any code for a
 * confidential client (codes travel the front channel, and anyone can
 * start a flow with a verifier of their own). Otherwise the audited
 * reason is the ordinary one (bad_secret, a failed assertion check,
 * wrong_method; no_credential for a public client), which counts toward
 * auth_failure_burst only.
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
	bool			 auth_header;	/* an Authorization header */
	enum oauth_error	 error;
	const char		*description;
	struct client_row	 client;	/* valid when ok; last (43 KB) */
};

/*
 * Authenticate; on failure an audit event "client.auth_failed" is
 * recorded when a known client id was presented, its detail
 * {"reason": ...} with, for a disabled or quarantined client whose use is
 * proven, "proof": "secret", "assertion", "refresh_token" or "code" (with
 * its verifier, public clients only). GH_OK with res->ok false is an
 * authentication failure; any other return is a store failure or a failed
 * hash of a secret (no verdict, so not audited as a failure).
 */
enum gh_err	client_authenticate(struct app *app,
		    const struct http_request *req, const struct params *p,
		    struct client_auth_result *res);

#endif
