/*
 * basic.c - HTTP Basic credentials for client authentication.
 *
 * RFC 6749 2.3.1: the client id and secret are form-url-encoded before
 * being joined with ':' and base64-encoded, so each half is decoded again
 * after the split. The split is at the first ':' (client ids cannot
 * contain one once decoded, since a literal ':' would have been encoded).
 */
#include <strings.h>
#include <string.h>

#include "basic.h"
#include "form.h"
#include "../util/crypto.h"
#include "../util/limits.h"

bool
basic_is_basic(const char *h)
{
	return h && strncasecmp(h, "Basic ", 6) == 0;
}

static enum gh_err
decode_part(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	long m;

	if (outsz == 0)
		return GH_ERR_LIMIT;
	m = form_decode((const char *)p, n, out, outsz - 1);
	if (m <= 0)
		return m == 0 ? GH_ERR_INVALID : GH_ERR_PARSE;
	out[m] = '\0';
	return GH_OK;
}

enum gh_err
basic_decode(const char *h, size_t len, char *id, size_t idsz, char *secret,
    size_t secretsz)
{
	uint8_t		 raw[GH_MAX_AUTH_HDR];
	const char	*b64;
	size_t		 n;
	long		 m;
	uint8_t		*colon;
	enum gh_err	 rc = GH_ERR_PARSE;

	if (len > GH_MAX_AUTH_HDR) {
		rc = GH_ERR_LIMIT;
		goto out;
	}
	if (len < 6 || !basic_is_basic(h))
		goto out;
	b64 = h + 6;
	n = len - 6;
	while (n && *b64 == ' ') {
		b64++;
		n--;
	}
	while (n && b64[n - 1] == ' ')
		n--;
	m = b64std_decode(b64, n, raw, sizeof(raw));
	if (m < 0)
		goto out;
	colon = memchr(raw, ':', (size_t)m);
	if (colon == NULL)
		goto out;
	if ((rc = decode_part(raw, (size_t)(colon - raw), id, idsz)) != GH_OK)
		goto out;
	rc = decode_part(colon + 1, (size_t)(raw + m - colon - 1), secret,
	    secretsz);
out:
	crypto_wipe(raw, sizeof(raw));
	if (rc != GH_OK && secretsz)
		crypto_wipe(secret, secretsz);
	return rc;
}
