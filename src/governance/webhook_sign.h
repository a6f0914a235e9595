/*
 * webhook_sign.h - the Standard Webhooks 1.0 headers of an alert
 * delivery: "webhook-id" (the alert's, the same on every retry, for the
 * receiver to drop a second copy: delivery is at least once),
 * "webhook-timestamp" (Unix seconds of this attempt) and, when
 * webhook_secret is set, "webhook-signature": "v1," and the base64 of
 * HMAC-SHA256 over "<id>.<timestamp>.<body>" under the secret's key (the
 * base64 after "whsec_"). A receiver that checks it knows the alert came
 * from a holder of the secret, unaltered, and refuses a replay older than
 * its tolerance (the spec suggests five minutes); any Standard Webhooks
 * library verifies it.
 */
#ifndef GH_WEBHOOK_SIGN_H
#define GH_WEBHOOK_SIGN_H

#include <stdint.h>

#include "../util/err.h"

struct webhook_headers {
	char		 id[48];
	char		 timestamp[48];
	char		 signature[96];
	const char	*list[4];	/* for http_post_json(), NULL-ended */
};

/*
 * Fill h for alert `alert_id` sent at `now` with `body`; `secret` is the
 * configured webhook_secret ("" for none: no signature). GH_ERR_INVALID
 * if the secret is malformed (conf.c refuses it before), GH_ERR_NOMEM.
 */
enum gh_err	webhook_sign(const char *secret, int64_t alert_id, int64_t now,
		    const char *body, struct webhook_headers *h);

#endif
