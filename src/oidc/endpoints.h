/* endpoints.h - the OpenID Connect handlers: JWKS and UserInfo. */
#ifndef GH_OIDC_ENDPOINTS_H
#define GH_OIDC_ENDPOINTS_H

#include "../app.h"
#include "../http/request.h"

void	oidc_jwks(struct app *, const struct http_request *,
	    struct http_response *);
void	oidc_userinfo(struct app *, const struct http_request *,
	    struct http_response *);

#endif
