/*
 * crypto.h - the primitives Gatehouse needs from OpenSSL libcrypto:
 * random bytes, SHA-256, HMAC-SHA-256, constant-time compare, wiping,
 * base64url and hex.
 *
 * Secret handling rule: a secret that arrives (token, code, client secret)
 * is hashed with crypto_keyed_hash() before it goes near the store, and the
 * plaintext buffer is wiped with crypto_wipe() once used.
 */
#ifndef GH_CRYPTO_H
#define GH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "limits.h"

enum gh_err	crypto_random(void *out, size_t n);
void		crypto_sha256(const void *in, size_t n,
		    uint8_t out[GH_HASH_BYTES]);
enum gh_err	crypto_hmac_sha256(const uint8_t *key, size_t keylen,
		    const void *in, size_t n, uint8_t out[GH_HASH_BYTES]);
/*
 * The same HMAC over input given in pieces: begin, any number of
 * updates, then end (which frees and wipes h) or, to give up, abort.
 * After a failed begin, h holds nothing to free.
 */
struct crypto_hmac {
	void	*ctx;		/* EVP_MD_CTX */
	uint8_t	 key[64];	/* the key, padded to SHA-256's block */
};
enum gh_err	crypto_hmac_begin(struct crypto_hmac *h, const uint8_t *key,
		    size_t keylen);
enum gh_err	crypto_hmac_update(struct crypto_hmac *h, const void *in,
		    size_t n);
enum gh_err	crypto_hmac_end(struct crypto_hmac *h,
		    uint8_t out[GH_HASH_BYTES]);
void		crypto_hmac_abort(struct crypto_hmac *h);
/* Equal lengths are required; unequal lengths return false at once. */
bool		crypto_ct_eq(const void *a, size_t alen, const void *b,
		    size_t blen);
void		crypto_wipe(void *p, size_t n);

/* base64url without padding (RFC 4648 5, RFC 7636 appendix A) */
size_t		b64url_len(size_t n);	/* encoded length, without NUL */
void		b64url_encode(const uint8_t *in, size_t n, char *out);
/* Returns decoded length, or -1 if malformed or longer than outmax. */
long		b64url_decode(const char *in, size_t n, uint8_t *out,
		    size_t outmax);
/* standard base64 with padding: HTTP Basic (RFC 7617), webhook signatures */
long		b64std_decode(const char *in, size_t n, uint8_t *out,
		    size_t outmax);
size_t		b64std_len(size_t n);	/* encoded length, without NUL */
void		b64std_encode(const uint8_t *in, size_t n, char *out);

void		hex_encode(const uint8_t *in, size_t n, char *out);
/* Value of one hex digit (either case), or -1. */
int		hex_digit(char c);

/*
 * A fresh secret: `prefix` followed by base64url of GH_SECRET_BYTES random
 * bytes. `out` must hold GH_MAX_TOKEN_LEN bytes.
 */
enum gh_err	crypto_new_secret(const char *prefix, char *out, size_t outsz);

#endif
