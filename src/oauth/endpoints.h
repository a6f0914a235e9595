/*
 * endpoints.h - the HTTP handlers of the OAuth layer, one per endpoint.
 * routes.c maps paths to them.
 */
#ifndef GH_ENDPOINTS_H
#define GH_ENDPOINTS_H

#include "../app.h"
#include "../http/request.h"

void	oauth_token(struct app *, const struct http_request *,
	    struct http_response *);
void	oauth_revoke(struct app *, const struct http_request *,
	    struct http_response *);
void	oauth_introspect(struct app *, const struct http_request *,
	    struct http_response *);
void	oauth_metadata(struct app *, const struct http_request *,
	    struct http_response *);

#endif
