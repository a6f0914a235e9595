/*
 * metadata.c - authorization server metadata (RFC 8414) and OpenID
 * Provider metadata (OIDC Discovery 1.0 section 3): one document served
 * at both paths, so the two can never disagree. It advertises exactly
 * what is implemented and nothing else.
 */
#include <stdio.h>

#include <jansson.h>

#include "endpoints.h"
#include "../http/reply.h"
#include "../util/json_text.h"

/* the array of v's strings, or NULL: never fewer */
static json_t *
strings(const char *const *v)
{
	json_t *a = json_array();

	for (; a && *v; v++)
		if (json_array_append_new(a, json_string(*v)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
endpoint(const struct app *app, const char *path)
{
	char url[GH_MAX_REDIRECT_LEN + 64];

	snprintf(url, sizeof(url), "%s%s", app->conf.issuer, path);
	return json_string(url);
}

void
oauth_metadata(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	static const char *const auth_all[] = { "client_secret_basic",
	    "client_secret_post", "private_key_jwt", "none", NULL };
	static const char *const auth_secret[] = { "client_secret_basic",
	    "client_secret_post", "private_key_jwt", NULL };
	static const char *const code[] = { "code", NULL };
	static const char *const query[] = { "query", NULL };
	static const char *const grants[] = { "authorization_code",
	    "refresh_token", NULL };
	static const char *const s256[] = { "S256", NULL };
	static const char *const scopes[] = { "openid", "profile", "email",
	    "offline_access", NULL };
	static const char *const public[] = { "public", NULL };
	static const char *const algs[] = { "RS256", "ES256", NULL };
	static const char *const claims[] = { "iss", "sub", "aud", "exp",
	    "iat", "auth_time", "nonce", "at_hash", "name",
	    "preferred_username", "email", "email_verified", NULL };
	json_t *o = json_object();

	(void)req;
	/* whole or a 503: a document short of a member is cached 300 s */
	o = json_with(o, "issuer", json_string(app->conf.issuer));
	o = json_with(o, "authorization_endpoint",
	    endpoint(app, "/authorize"));
	o = json_with(o, "token_endpoint", endpoint(app, "/token"));
	o = json_with(o, "revocation_endpoint", endpoint(app, "/revoke"));
	o = json_with(o, "introspection_endpoint",
	    endpoint(app, "/introspect"));
	o = json_with(o, "userinfo_endpoint", endpoint(app, "/userinfo"));
	o = json_with(o, "jwks_uri", endpoint(app, "/jwks"));
	o = json_with(o, "response_types_supported", strings(code));
	o = json_with(o, "response_modes_supported", strings(query));
	o = json_with(o, "grant_types_supported", strings(grants));
	o = json_with(o, "scopes_supported", strings(scopes));
	o = json_with(o, "token_endpoint_auth_methods_supported",
	    strings(auth_all));
	o = json_with(o, "token_endpoint_auth_signing_alg_values_supported",
	    strings(algs));
	o = json_with(o, "revocation_endpoint_auth_methods_supported",
	    strings(auth_all));
	o = json_with(o,
	    "revocation_endpoint_auth_signing_alg_values_supported",
	    strings(algs));
	o = json_with(o,
	    "introspection_endpoint_auth_signing_alg_values_supported",
	    strings(algs));
	o = json_with(o, "introspection_endpoint_auth_methods_supported",
	    strings(auth_secret));
	o = json_with(o, "code_challenge_methods_supported", strings(s256));
	o = json_with(o, "authorization_response_iss_parameter_supported",
	    json_true());
	o = json_with(o, "subject_types_supported", strings(public));
	o = json_with(o, "id_token_signing_alg_values_supported",
	    strings(algs));
	o = json_with(o, "claims_supported", strings(claims));
	o = json_with(o, "claims_parameter_supported", json_false());
	o = json_with(o, "request_parameter_supported", json_false());
	o = json_with(o, "request_uri_parameter_supported", json_false());
	o = json_with(o, "prompt_values_supported",
	    strings((const char *const[]){ "none", "login", "consent",
	    "select_account", NULL }));
	if (reply_json(resp, 200, o) != GH_OK) {
		reply_unavailable(resp);
		return;
	}
	resp->cache_control = "public, max-age=300";
}
