/*
 * error.h - the protocol error table: RFC 6749 4.1.2.1 and 5.2, RFC 7009,
 * OIDC Core 3.1.2.6, with the HTTP status each gets at the token-style
 * endpoints.
 */
#ifndef GH_OAUTH_ERROR_H
#define GH_OAUTH_ERROR_H

#include "../http/request.h"

enum oauth_error {
	OE_INVALID_REQUEST,
	OE_INVALID_CLIENT,
	OE_INVALID_GRANT,
	OE_UNAUTHORIZED_CLIENT,
	OE_UNSUPPORTED_GRANT_TYPE,
	OE_INVALID_SCOPE,
	OE_UNSUPPORTED_RESPONSE_TYPE,
	OE_ACCESS_DENIED,
	OE_SERVER_ERROR,
	OE_TEMPORARILY_UNAVAILABLE,
	OE_LOGIN_REQUIRED,
	OE_CONSENT_REQUIRED,
	OE_REQUEST_NOT_SUPPORTED,
	OE_REQUEST_URI_NOT_SUPPORTED,
	OE_UNSUPPORTED_TOKEN_TYPE,
};

const char     *oauth_error_name(enum oauth_error e);
/*
 * A JSON error reply (RFC 6749 5.2). invalid_client is 400, or, when the
 * request carried an Authorization header (`auth_header`, any scheme),
 * 401 with a Basic challenge: RFC 6749 5.2 requires the 401 and its
 * WWW-Authenticate then, and RFC 9110 15.5.2 forbids a 401 without one.
 * Basic is the only HTTP scheme these endpoints take (client_auth.h).
 */
void		oauth_error_reply(struct http_response *r, enum oauth_error e,
		    const char *description, bool auth_header);

#endif
