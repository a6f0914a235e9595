/* error.c - protocol error names and JSON replies (see error.h). */
#include <jansson.h>

#include "error.h"
#include "../http/reply.h"

static const struct {
	const char	*name;
	int		 status;
} table[] = {
	[OE_INVALID_REQUEST] = { "invalid_request", 400 },
	[OE_INVALID_CLIENT] = { "invalid_client", 400 },	/* or 401 */
	[OE_INVALID_GRANT] = { "invalid_grant", 400 },
	[OE_UNAUTHORIZED_CLIENT] = { "unauthorized_client", 400 },
	[OE_UNSUPPORTED_GRANT_TYPE] = { "unsupported_grant_type", 400 },
	[OE_INVALID_SCOPE] = { "invalid_scope", 400 },
	[OE_UNSUPPORTED_RESPONSE_TYPE] = { "unsupported_response_type", 400 },
	[OE_ACCESS_DENIED] = { "access_denied", 403 },
	[OE_SERVER_ERROR] = { "server_error", 500 },
	[OE_TEMPORARILY_UNAVAILABLE] = { "temporarily_unavailable", 503 },
	[OE_LOGIN_REQUIRED] = { "login_required", 400 },
	[OE_CONSENT_REQUIRED] = { "consent_required", 400 },
	[OE_REQUEST_NOT_SUPPORTED] = { "request_not_supported", 400 },
	[OE_REQUEST_URI_NOT_SUPPORTED] = { "request_uri_not_supported", 400 },
	[OE_UNSUPPORTED_TOKEN_TYPE] = { "unsupported_token_type", 400 },
};

const char *
oauth_error_name(enum oauth_error e)
{
	return table[e].name;
}

void
oauth_error_reply(struct http_response *r, enum oauth_error e,
    const char *description, bool auth_header)
{
	/* all or nothing (not "s*", which drops a value it cannot make) */
	json_t	*o = description == NULL ?
	    json_pack("{s:s}", "error", table[e].name) :
	    json_pack("{s:s, s:s}", "error", table[e].name,
	    "error_description", description);
	bool	 challenge = e == OE_INVALID_CLIENT && auth_header;

	if (reply_json(r, challenge ? 401 : table[e].status, o) != GH_OK) {
		reply_unavailable(r);
		return;
	}
	/*
	 * Without an Authorization header no challenge, so no 401: a 401
	 * would need one (RFC 9110 15.5.2), and a Basic challenge answering
	 * client_secret_post, private_key_jwt or a public client's request
	 * would ask for a scheme they did not use (and make clients that
	 * read challenges first, like oauth4webapi, drop the JSON error).
	 */
	if (challenge && response_header(r, "WWW-Authenticate",
	    "Basic realm=\"gatehouse\", charset=\"UTF-8\"") != GH_OK)
		reply_unavailable(r);
}
