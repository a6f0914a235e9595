/*
 * fuzz_basic.c - libFuzzer target for basic_decode() (http/basic.h). The
 * input is the value of an Authorization header.
 *
 * The header is a NUL-terminated heap copy, as client_auth.c passes it.
 * The id and secret buffers are heap blocks of exactly the given size,
 * filled with a non-zero pattern first, so that:
 *  - ASan sees any write past either buffer;
 *  - on failure the whole secret buffer must read back as zeros, which is
 *    the promise of basic.h ("wiped by the decoder on every failure
 *    path"); a pattern byte left over is a path that forgot to wipe;
 *  - on success both outputs are non-empty and NUL-terminated inside
 *    their buffers, and the header did use the Basic scheme.
 * The sizes are client_auth.c's, then small and zero ones.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/basic.h"
#include "util/limits.h"
#include "fuzz_check.h"

#define PATTERN	0xa5

static const struct {
	size_t	id, secret;
} sizes[] = {
	{ GH_MAX_CLIENT_ID_LEN, GH_MAX_SECRET_LEN },
	{ 8, 8 },
	{ 1, 1 },
	{ 0, 0 },
};

static bool
all_zero(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\0')
			return false;
	return true;
}

/* A non-empty C string that ends inside its n-byte buffer. */
static bool
terminated(const char *p, size_t n)
{
	return n > 0 && p[0] != '\0' && memchr(p, '\0', n) != NULL;
}

static void
decode(const char *h, size_t len, size_t idsz, size_t secretsz)
{
	char		*id, *secret;
	enum gh_err	 rc;

	/* malloc(0) may return NULL; keep one byte to watch instead */
	id = malloc(idsz ? idsz : 1);
	secret = malloc(secretsz ? secretsz : 1);
	if (id == NULL || secret == NULL)
		abort();
	memset(id, PATTERN, idsz ? idsz : 1);
	memset(secret, PATTERN, secretsz ? secretsz : 1);
	rc = basic_decode(h, len, id, idsz, secret, secretsz);
	if (rc == GH_OK) {
		check(basic_is_basic(h));
		check(terminated(id, idsz));
		check(terminated(secret, secretsz));
	} else
		check(all_zero(secret, secretsz));
	/* a zero-sized buffer must not be written at all */
	if (idsz == 0)
		check((unsigned char)id[0] == PATTERN);
	if (secretsz == 0)
		check((unsigned char)secret[0] == PATTERN);
	free(id);
	free(secret);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*h;
	size_t	 i;

	if ((h = malloc(size + 1)) == NULL)
		return 0;
	if (size)
		memcpy(h, data, size);
	h[size] = '\0';
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		decode(h, size, sizes[i].id, sizes[i].secret);
	free(h);
	return 0;
}
