/* aead.c - see aead.h. OpenSSL EVP AES-256-GCM. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "aead.h"
#include "crypto.h"

#define NONCE	12
#define TAG	16
#define MAXPLAIN 65536

char *
aead_seal(const uint8_t key[AEAD_KEY_BYTES], const char *aad,
    const void *plain, size_t n)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	uint8_t		*raw = NULL;
	char		*out = NULL;
	int		 len, fin;

	if (n > MAXPLAIN || (raw = malloc(NONCE + n + TAG)) == NULL)
		return NULL;
	if (crypto_random(raw, NONCE) != GH_OK ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const uint8_t *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, raw + NONCE, &len, plain, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, raw + NONCE + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG,
	    raw + NONCE + n) != 1)
		goto out;
	if ((out = malloc(b64url_len(NONCE + n + TAG) + 1)) != NULL)
		b64url_encode(raw, NONCE + n + TAG, out);
out:
	EVP_CIPHER_CTX_free(ctx);
	if (raw) {
		crypto_wipe(raw, NONCE + n + TAG);
		free(raw);
	}
	return out;
}

char *
aead_open(const uint8_t key[AEAD_KEY_BYTES], const char *aad,
    const char *sealed, size_t *n)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	size_t		 slen = strlen(sealed), max = slen;
	uint8_t		*raw;
	char		*plain = NULL;
	long		 rlen;
	int		 len, fin;
	size_t		 clen;

	if ((raw = malloc(max)) == NULL)
		return NULL;
	rlen = b64url_decode(sealed, slen, raw, max);
	if (rlen < NONCE + TAG || rlen - NONCE - TAG > MAXPLAIN)
		goto out;
	clen = (size_t)rlen - NONCE - TAG;
	if ((plain = malloc(clen + 1)) == NULL)
		goto out;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &len, (const uint8_t *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(ctx, (uint8_t *)plain, &len, raw + NONCE,
	    (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG,
	    raw + NONCE + clen) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + len, &fin) != 1) {
		crypto_wipe(plain, clen + 1);
		free(plain);
		plain = NULL;
		goto out;
	}
	plain[clen] = '\0';
	*n = clen;
out:
	EVP_CIPHER_CTX_free(ctx);
	crypto_wipe(raw, max);
	free(raw);
	return plain;
}
