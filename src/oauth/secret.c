/* secret.c - see secret.h. */
#include <string.h>

#include "secret.h"
#include "../util/crypto.h"

enum gh_err
secret_mint(const struct app *app, const char *prefix, char *out,
    uint8_t hash[GH_HASH_BYTES])
{
	enum gh_err rc;

	if ((rc = crypto_new_secret(prefix, out, GH_MAX_TOKEN_LEN)) != GH_OK)
		return rc;
	return secret_hash(app, out, hash) ? GH_OK : GH_ERR_CRYPTO;
}

bool
secret_hash(const struct app *app, const char *value,
    uint8_t hash[GH_HASH_BYTES])
{
	size_t n = strlen(value);

	if (n == 0 || n >= GH_MAX_JWT_LEN)	/* JWT access tokens */
		return false;
	return crypto_hmac_sha256(app->key, sizeof(app->key), value, n,
	    hash) == GH_OK;
}
