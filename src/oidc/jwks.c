/*
 * jwks.c - the public signing keys (RFC 7517), with kid, use and alg.
 * Cached briefly, and never longer than `key_rotation_lead_seconds`: a
 * rotated key is published that long before it signs, so every cache has
 * it by then.
 */
#include <stdio.h>
#include <stdlib.h>

#define JWKS_MAX_AGE	300

#include "endpoints.h"
#include "../http/reply.h"
#include "../util/clock.h"

void
oidc_jwks(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	char	*doc;
	int64_t	 max_age;

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
	/* a cached JWKS must not outlive the lead of the next key */
	max_age = app->conf.key_rotation_lead_seconds < JWKS_MAX_AGE ?
	    app->conf.key_rotation_lead_seconds : JWKS_MAX_AGE;
	snprintf(resp->cache_buf, sizeof(resp->cache_buf),
	    "public, max-age=%lld", (long long)max_age);
	resp->cache_control = resp->cache_buf;
}
