/*
 * endpoint.c - the common front of the token, revocation and
 * introspection endpoints: method, content type, parameters, client
 * authentication.
 */
#include <stdlib.h>
#include <string.h>

#include "grant.h"
#include "../governance/audit_budget.h"
#include "../util/cidr.h"
#include "../http/form_body.h"
#include "../http/reply.h"

static bool
begin(struct app *app, const struct http_request *req,
    struct http_response *resp, struct endpoint_form *f, bool allow_public)
{
	enum gh_err	rc;
	bool		challenge;

	params_init(&f->p);
	if (req->method != HTTP_POST) {
		oauth_error_reply(resp, OE_INVALID_REQUEST,
		    "use POST", false);
		resp->status = 405;
		if (response_header(resp, "Allow", "POST") != GH_OK)
			reply_unavailable(resp);
		return false;
	}
	/* credentials never travel in the URI (RFC 6749 2.3.1, 3.2) */
	if (req->query_len > 0) {
		oauth_error_reply(resp, OE_INVALID_REQUEST,
		    "parameters must be sent in the request body", false);
		return false;
	}
	rc = form_body_parse(req, &f->p);
	if (rc == GH_ERR_NOMEM) {
		reply_unavailable(resp);
		return false;
	}
	if (rc != GH_OK) {
		oauth_error_reply(resp, OE_INVALID_REQUEST,
		    rc == GH_ERR_INVALID ? "the body must be "
		    "application/x-www-form-urlencoded" :
		    rc == GH_ERR_LIMIT ? "a parameter is too large or there "
		    "are too many" : "malformed form body", false);
		return false;
	}
	/* RFC 6749 3.2: parameters must not be included more than once */
	if (params_first_dup(&f->p)) {
		oauth_error_reply(resp, OE_INVALID_REQUEST,
		    "a parameter is repeated", false);
		goto fail;
	}
	rc = client_authenticate(app, req, &f->p, &f->auth);
	/*
	 * invalid_client is a 401 with a Basic challenge when the client
	 * sent an Authorization header (RFC 6749 5.2), and always at the
	 * introspection endpoint, the one without public clients, which
	 * RFC 7662 2.3 answers 401 whatever the method.
	 */
	challenge = f->auth.auth_header || !allow_public;
	if (rc != GH_OK) {
		reply_unavailable(resp);
		goto fail;
	}
	if (!f->auth.ok) {
		oauth_error_reply(resp, f->auth.error, f->auth.description,
		    challenge);
		goto fail;
	}
	/*
	 * Per-client network allowlist (governance): refuse and record.
	 * A public client is "authenticated" by its id alone, so anyone
	 * outside its networks causes this at will; a confidential one
	 * only with its secret or key (checked above), but whoever holds a
	 * stolen one can repeat it as often. Either way within the audit
	 * budgets, per address and client: every refusal is still logged
	 * and raises network_refused.
	 */
	if (f->auth.client.networks[0] &&
	    !cidr_list_match(f->auth.client.networks, req->remote_addr)) {
		struct audit_origin o = { req->remote_addr, req->user_agent,
		    "client" };
		struct audit_subject s = { f->auth.client.id, NULL, NULL };

		audit_budgeted(app, &o, "client.network_refused", &s, NULL,
		    NULL);
		oauth_error_reply(resp, OE_INVALID_CLIENT,
		    "this client may not be used from this network",
		    challenge);
		goto fail;
	}
	if (!allow_public && f->auth.client.auth_method == AUTH_NONE) {
		oauth_error_reply(resp, OE_INVALID_CLIENT,
		    "this endpoint needs an authenticated client",
		    challenge);
		goto fail;
	}
	return true;
fail:
	params_free(&f->p);
	return false;
}

struct endpoint_form *
endpoint_open(struct app *app, const struct http_request *req,
    struct http_response *resp, bool allow_public)
{
	struct endpoint_form *f;

	if ((f = malloc(sizeof(*f))) == NULL) {
		reply_unavailable(resp);
		return NULL;
	}
	if (!begin(app, req, resp, f, allow_public)) {
		free(f);
		return NULL;
	}
	return f;
}

void
endpoint_close(struct endpoint_form *f)
{
	if (f == NULL)
		return;
	params_free(&f->p);
	free(f);
}
