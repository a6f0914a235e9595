/*
 * aead.h - AES-256-GCM sealing of small secrets at rest (signing keys).
 *
 * The sealed form is text: base64url(nonce(12) || ciphertext || tag(16)).
 * `aad` binds the ciphertext to its row (e.g. the key id) so a sealed value
 * cannot be moved to another row.
 */
#ifndef GH_AEAD_H
#define GH_AEAD_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define AEAD_KEY_BYTES 32

/* Returns a malloc'd NUL-terminated string, or NULL. */
char	       *aead_seal(const uint8_t key[AEAD_KEY_BYTES], const char *aad,
		    const void *plain, size_t n);
/* Returns malloc'd plaintext (NUL-terminated, *n set), or NULL if forged. */
char	       *aead_open(const uint8_t key[AEAD_KEY_BYTES], const char *aad,
		    const char *sealed, size_t *n);

#endif
