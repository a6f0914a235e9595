/* secret.c - see secret.h. */
#include <string.h>

#include "secret.h"
#include "../util/clock.h"
#include "../util/crypto.h"

#define PREFIX_LEN	8		/* "gate_xx_" */
#define KEYED_VERSION	0x01
#define KEYED_TIME	6		/* bytes of milliseconds, big-endian */
#define KEYED_RANDOM	26		/* 208 bits */
#define KEYED_RAW	(1 + KEYED_TIME + KEYED_RANDOM)

/* codes and tokens: looked up by hash at volume, so time-ordered keys */
static bool
keyed_prefix(const char *v)
{
	return strncmp(v, PREFIX_CODE, PREFIX_LEN) == 0 ||
	    strncmp(v, PREFIX_ACCESS, PREFIX_LEN) == 0 ||
	    strncmp(v, PREFIX_REFRESH, PREFIX_LEN) == 0;
}

static enum gh_err
mint_keyed(const char *prefix, char *out)
{
	uint8_t		raw[KEYED_RAW];
	uint64_t	ms = (uint64_t)clock_now_ms();
	int		i;
	enum gh_err	rc;

	raw[0] = KEYED_VERSION;
	for (i = KEYED_TIME; i >= 1; i--, ms >>= 8)
		raw[i] = (uint8_t)ms;
	if ((rc = crypto_random(raw + 1 + KEYED_TIME, KEYED_RANDOM)) != GH_OK)
		return rc;
	memcpy(out, prefix, PREFIX_LEN);
	b64url_encode(raw, sizeof(raw), out + PREFIX_LEN);
	crypto_wipe(raw, sizeof(raw));
	return GH_OK;
}

enum gh_err
secret_mint(const struct app *app, const char *prefix, char *out,
    uint8_t hash[GH_HASH_BYTES])
{
	enum gh_err rc;

	rc = keyed_prefix(prefix) ? mint_keyed(prefix, out) :
	    crypto_new_secret(prefix, out, GH_MAX_TOKEN_LEN);
	if (rc != GH_OK)
		return rc;
	/* our own fresh value is never INVALID: any error is a failure */
	return secret_hash(app, out, hash) == GH_OK ? GH_OK : GH_ERR_CRYPTO;
}

/* The time of a keyed value, or false if value is not one. */
static bool
keyed_time(const char *value, size_t n, uint8_t time[KEYED_TIME])
{
	uint8_t	raw[KEYED_RAW];

	if (n != PREFIX_LEN + b64url_len(KEYED_RAW) || !keyed_prefix(value) ||
	    b64url_decode(value + PREFIX_LEN, n - PREFIX_LEN, raw,
	    sizeof(raw)) != KEYED_RAW || raw[0] != KEYED_VERSION)
		return false;
	memcpy(time, raw + 1, KEYED_TIME);
	crypto_wipe(raw, sizeof(raw));
	return true;
}

enum gh_err
secret_hash(const struct app *app, const char *value,
    uint8_t hash[GH_HASH_BYTES])
{
	uint8_t		time[KEYED_TIME];
	size_t		n = strlen(value);
	enum gh_err	rc;

	if (n == 0 || n >= GH_MAX_JWT_LEN)	/* JWT access tokens */
		return GH_ERR_INVALID;
	if ((rc = crypto_hmac_sha256(app->key, sizeof(app->key), value, n,
	    hash)) != GH_OK)
		/* NOMEM or CRYPTO, never INVALID: not the caller's input */
		return rc == GH_ERR_INVALID ? GH_ERR_CRYPTO : rc;
	if (keyed_time(value, n, time)) {
		/* the time first, then 208 bits of the HMAC */
		memmove(hash + KEYED_TIME, hash, GH_HASH_BYTES - KEYED_TIME);
		memcpy(hash, time, KEYED_TIME);
	}
	return GH_OK;
}
