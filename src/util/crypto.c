/*
 * crypto.c - thin, checked wrappers over OpenSSL libcrypto (see crypto.h).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "crypto.h"

enum gh_err
crypto_random(void *out, size_t n)
{
	if (n > 0x7fffffff || RAND_bytes(out, (int)n) != 1)
		return GH_ERR_CRYPTO;
	return GH_OK;
}

void
crypto_sha256(const void *in, size_t n, uint8_t out[GH_HASH_BYTES])
{
	SHA256(in, n, out);
}

enum gh_err
crypto_hmac_sha256(const uint8_t *key, size_t keylen, const void *in,
    size_t n, uint8_t out[GH_HASH_BYTES])
{
	unsigned int olen = 0;

	if (keylen > 0x7fffffff)
		return GH_ERR_CRYPTO;
	if (HMAC(EVP_sha256(), key, (int)keylen, in, n, out, &olen) == NULL ||
	    olen != GH_HASH_BYTES)
		return GH_ERR_CRYPTO;
	return GH_OK;
}

bool
crypto_ct_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void
crypto_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64url_len(size_t n)
{
	return (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
}

void
b64url_encode(const uint8_t *in, size_t n, char *out)
{
	size_t	 i;
	char	*o = out;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		*o++ = b64url_alphabet[(v >> 18) & 63];
		*o++ = b64url_alphabet[(v >> 12) & 63];
		*o++ = b64url_alphabet[(v >> 6) & 63];
		*o++ = b64url_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		*o++ = b64url_alphabet[(v >> 18) & 63];
		*o++ = b64url_alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*o++ = b64url_alphabet[(v >> 18) & 63];
		*o++ = b64url_alphabet[(v >> 12) & 63];
		*o++ = b64url_alphabet[(v >> 6) & 63];
	}
	*o = '\0';
}

static int
b64_value(char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

static long
b64_decode(const char *in, size_t n, uint8_t *out, size_t outmax, bool url)
{
	uint32_t acc = 0;
	size_t	 i, bits = 0, o = 0;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64_value(in[i], url);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outmax)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* leftover bits must be zero (canonical encoding) */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	return (long)o;
}

long
b64url_decode(const char *in, size_t n, uint8_t *out, size_t outmax)
{
	return b64_decode(in, n, out, outmax, true);
}

long
b64std_decode(const char *in, size_t n, uint8_t *out, size_t outmax)
{
	size_t pad = 0;

	if (n % 4 != 0)
		return -1;
	while (pad < 2 && n > pad && in[n - 1 - pad] == '=')
		pad++;
	return b64_decode(in, n - pad, out, outmax, false);
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

enum gh_err
crypto_new_secret(const char *prefix, char *out, size_t outsz)
{
	uint8_t	raw[GH_SECRET_BYTES];
	size_t	plen = strlen(prefix);
	enum gh_err rc;

	if (plen + b64url_len(sizeof(raw)) + 1 > outsz)
		return GH_ERR_LIMIT;
	if ((rc = crypto_random(raw, sizeof(raw))) != GH_OK)
		return rc;
	memcpy(out, prefix, plen);
	b64url_encode(raw, sizeof(raw), out + plen);
	crypto_wipe(raw, sizeof(raw));
	return GH_OK;
}
