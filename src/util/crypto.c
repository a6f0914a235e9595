/*
 * crypto.c - thin, checked wrappers over OpenSSL libcrypto (see crypto.h).
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
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

/*
 * SHA-256 fetched once. In OpenSSL 3 the legacy EVP_sha256() and the
 * one-shot SHA256()/HMAC() look the algorithm up in the provider store on
 * every call, which cost more than hashing a token; a fetched EVP_MD
 * skips that. It lives as long as the process.
 */
static EVP_MD		*sha256_md;
static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md != NULL ? sha256_md : EVP_sha256();
}

/* SHA-256 of a || b into out, with ctx. */
static enum gh_err
digest2(EVP_MD_CTX *ctx, const void *a, size_t an, const void *b, size_t bn,
    uint8_t out[GH_HASH_BYTES])
{
	unsigned int len = 0;

	if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, an) != 1 ||
	    (bn > 0 && EVP_DigestUpdate(ctx, b, bn) != 1) ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != GH_HASH_BYTES)
		return GH_ERR_CRYPTO;
	return GH_OK;
}

void
crypto_sha256(const void *in, size_t n, uint8_t out[GH_HASH_BYTES])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || digest2(ctx, in, n, NULL, 0, out) != GH_OK)
		SHA256(in, n, out);	/* allocation failed: the slow path */
	EVP_MD_CTX_free(ctx);
}

/* HMAC (RFC 2104) over SHA-256, block size 64 bytes. */
#define HMAC_BLOCK 64

enum gh_err
crypto_hmac_begin(struct crypto_hmac *h, const uint8_t *key, size_t keylen)
{
	uint8_t		pad[HMAC_BLOCK];
	enum gh_err	rc = GH_ERR_CRYPTO;
	size_t		i;

	memset(h, 0, sizeof(*h));
	if ((h->ctx = EVP_MD_CTX_new()) == NULL)
		return GH_ERR_NOMEM;
	if (keylen > HMAC_BLOCK) {
		if (digest2(h->ctx, key, keylen, NULL, 0, h->key) != GH_OK)
			goto out;
	} else if (keylen > 0) {
		memcpy(h->key, key, keylen);
	}
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = h->key[i] ^ 0x36;
	if (EVP_DigestInit_ex(h->ctx, sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(h->ctx, pad, sizeof(pad)) == 1)
		rc = GH_OK;
out:
	crypto_wipe(pad, sizeof(pad));
	if (rc != GH_OK)
		crypto_hmac_abort(h);
	return rc;
}

enum gh_err
crypto_hmac_update(struct crypto_hmac *h, const void *in, size_t n)
{
	if (h->ctx == NULL || (n > 0 && EVP_DigestUpdate(h->ctx, in, n) != 1))
		return GH_ERR_CRYPTO;
	return GH_OK;
}

enum gh_err
crypto_hmac_end(struct crypto_hmac *h, uint8_t out[GH_HASH_BYTES])
{
	uint8_t		pad[HMAC_BLOCK], inner[GH_HASH_BYTES];
	unsigned int	len = 0;
	enum gh_err	rc = GH_ERR_CRYPTO;
	size_t		i;

	if (h->ctx == NULL)
		return rc;
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = h->key[i] ^ 0x5c;
	if (EVP_DigestFinal_ex(h->ctx, inner, &len) == 1 &&
	    len == GH_HASH_BYTES)
		rc = digest2(h->ctx, pad, sizeof(pad), inner, sizeof(inner),
		    out);
	crypto_wipe(pad, sizeof(pad));
	crypto_wipe(inner, sizeof(inner));
	crypto_hmac_abort(h);
	return rc;
}

void
crypto_hmac_abort(struct crypto_hmac *h)
{
	EVP_MD_CTX_free(h->ctx);
	crypto_wipe(h, sizeof(*h));
}

enum gh_err
crypto_hmac_sha256(const uint8_t *key, size_t keylen, const void *in,
    size_t n, uint8_t out[GH_HASH_BYTES])
{
	struct crypto_hmac	h;
	enum gh_err		rc;

	if ((rc = crypto_hmac_begin(&h, key, keylen)) != GH_OK)
		return rc;
	if ((rc = crypto_hmac_update(&h, in, n)) != GH_OK) {
		crypto_hmac_abort(&h);
		return rc;
	}
	return crypto_hmac_end(&h, out);
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

size_t
b64std_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
b64std_encode(const uint8_t *in, size_t n, char *out)
{
	size_t	len, i;

	b64url_encode(in, n, out);
	len = strlen(out);
	for (i = 0; i < len; i++)
		out[i] = out[i] == '-' ? '+' : out[i] == '_' ? '/' : out[i];
	while (len % 4 != 0)
		out[len++] = '=';
	out[len] = '\0';
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
