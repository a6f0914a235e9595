/* webhook_sign.c - see webhook_sign.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook_sign.h"
#include "../util/crypto.h"
#include "../util/limits.h"

enum gh_err
webhook_sign(const char *secret, int64_t alert_id, int64_t now,
    const char *body, struct webhook_headers *h)
{
	uint8_t		 key[GH_WEBHOOK_KEY_MAX], mac[GH_HASH_BYTES];
	char		 sig[GH_HASH_BYTES * 2];
	char		*signed_text = NULL;
	size_t		 n;
	long		 klen;
	int		 len;
	enum gh_err	 rc = GH_OK;

	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "webhook-id: alert_%lld",
	    (long long)alert_id);
	snprintf(h->timestamp, sizeof(h->timestamp), "webhook-timestamp: %lld",
	    (long long)now);
	h->list[0] = h->id;
	h->list[1] = h->timestamp;
	if (secret[0] == '\0')
		return GH_OK;
	if (strncmp(secret, "whsec_", 6) != 0 ||
	    (klen = b64std_decode(secret + 6, strlen(secret + 6), key,
	    sizeof(key))) < GH_WEBHOOK_KEY_MIN) {
		rc = GH_ERR_INVALID;
		goto out;
	}
	/* "<id>.<timestamp>.<body>", the id and time as in their headers */
	n = strlen(body) + 64;
	if ((signed_text = malloc(n)) == NULL) {
		rc = GH_ERR_NOMEM;
		goto out;
	}
	len = snprintf(signed_text, n, "alert_%lld.%lld.%s",
	    (long long)alert_id, (long long)now, body);
	if (len < 0 || (size_t)len >= n) {
		rc = GH_ERR_INVALID;
		goto out;
	}
	if ((rc = crypto_hmac_sha256(key, (size_t)klen, signed_text,
	    (size_t)len, mac)) != GH_OK)
		goto out;
	b64std_encode(mac, sizeof(mac), sig);
	snprintf(h->signature, sizeof(h->signature), "webhook-signature: v1,%s",
	    sig);
	h->list[2] = h->signature;
out:
	crypto_wipe(key, sizeof(key));
	free(signed_text);
	return rc;
}
