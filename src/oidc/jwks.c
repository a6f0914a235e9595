/*
 * jwks.c - the public signing keys (RFC 7517), with kid, use and alg.
 * Cached briefly: a rotated key is published `key_rotation_lead_seconds`
 * before it signs, which must stay longer than this cache lifetime.
 */
#include <stdlib.h>

#include "endpoints.h"
#include "../http/reply.h"
#include "../util/clock.h"

void
oidc_jwks(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	char *doc;

	(void)req;
	if ((doc = keyring_jwks(app->keys, clock_now())) == NULL) {
		reply_unavailable(resp);
		return;
	}
	buf_reset(&resp->body);
	if (buf_puts(&resp->body, doc) != GH_OK) {
		free(doc);
		reply_unavailable(resp);
		return;
	}
	free(doc);
	resp->status = 200;
	resp->kind = REPLY_API;
	resp->content_type = "application/jwk-set+json";
	resp->cache_control = "public, max-age=300";
}
