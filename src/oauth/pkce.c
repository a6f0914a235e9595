/* pkce.c - see pkce.h. */
#include <string.h>

#include "pkce.h"
#include "../util/crypto.h"
#include "../util/limits.h"

static bool
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool
pkce_challenge_valid(const char *c)
{
	size_t i, n = strlen(c);

	if (n != GH_S256_CHALLENGE_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!is_b64url(c[i]))
			return false;
	/* 43 chars carry 258 bits for 256: the last two must be zero */
	return strchr("AEIMQUYcgkosw048", c[n - 1]) != NULL;
}

bool
pkce_verifier_valid(const char *v)
{
	size_t i, n = strlen(v);

	if (n < GH_PKCE_MIN || n > GH_PKCE_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!is_b64url(v[i]) && v[i] != '.' && v[i] != '~')
			return false;
	return true;
}

bool
pkce_verify(const char *verifier, const char *challenge)
{
	uint8_t	digest[GH_HASH_BYTES];
	char	enc[GH_S256_CHALLENGE_LEN + 1];

	if (!pkce_verifier_valid(verifier) || !pkce_challenge_valid(challenge))
		return false;
	crypto_sha256(verifier, strlen(verifier), digest);
	b64url_encode(digest, sizeof(digest), enc);
	return crypto_ct_eq(enc, GH_S256_CHALLENGE_LEN, challenge,
	    GH_S256_CHALLENGE_LEN);
}
