/*
 * secret.h - minting and hashing the secrets Gatehouse hands out.
 *
 * Every code, token, session id and client secret is random from the
 * CSPRNG behind a recognisable prefix (so secret scanners can find leaked
 * ones), given to its holder once, and stored only as a keyed hash.
 *
 * Session ids and client secrets: 256 random bits, stored as
 * HMAC-SHA-256(server key, value).
 *
 * Codes, access and refresh tokens are looked up by their stored hash
 * millions of times over, in a B-tree: a random key would put every new
 * row on a random leaf. Their body is therefore a version byte (1), the
 * issue time in milliseconds (6 bytes, big-endian) and 208 random bits;
 * the stored key is that time followed by the first 208 bits of the
 * HMAC, so new rows go to the tree's newest leaves. The time is no
 * secret (the row holds it anyway); 208 bits are far beyond guessing.
 * Values minted before (256 random bits) still hash as they did.
 */
#ifndef GH_SECRET_H
#define GH_SECRET_H

#include <stdbool.h>
#include <stdint.h>
#include "../app.h"

#define PREFIX_CODE		"gate_ac_"
#define PREFIX_ACCESS		"gate_at_"
#define PREFIX_REFRESH		"gate_rt_"
#define PREFIX_CLIENT_SECRET	"gate_cs_"
#define PREFIX_SESSION		"gate_ss_"

/* New secret in out (GH_MAX_TOKEN_LEN bytes) and its hash. */
enum gh_err	secret_mint(const struct app *app, const char *prefix,
		    char *out, uint8_t hash[GH_HASH_BYTES]);
/*
 * Hash of a presented value. GH_ERR_INVALID: it cannot be one of ours
 * (empty, or too long), so it matches nothing. Any other error is ours
 * (the HMAC failed, e.g. OpenSSL could not allocate): callers answer it
 * as a server failure (503), never as an unknown value, since "unknown"
 * is a verdict (invalid_grant, a 200 from /revoke) that was not reached.
 */
enum gh_err	secret_hash(const struct app *app, const char *value,
		    uint8_t hash[GH_HASH_BYTES]);

#endif
