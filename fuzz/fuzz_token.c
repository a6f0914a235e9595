/*
 * fuzz_token.c - libFuzzer target for what a caller presents as a token
 * and for decimal numbers in requests:
 *  - secret_hash() (oauth/secret.h) reads every presented code, access or
 *    refresh token, client secret and session cookie before the store
 *    sees it. It must refuse exactly the empty value and values of
 *    GH_MAX_JWT_LEN bytes or more (GH_ERR_INVALID), and otherwise give the HMAC-SHA256 of
 *    the value under the server key (computed here with OpenSSL's HMAC()),
 *    except for a well-formed time-keyed value: the prefix of a code, an
 *    access or a refresh token, then 44 base64url characters of 33 bytes
 *    whose first byte is version 1. Those hash to the value's 6 bytes of
 *    time followed by the first 26 bytes of that HMAC. The keyed form is
 *    recognised here with a decoder of this file's own.
 *  - parse_u64() (util/str.h) reads Content-Length, max_age and the admin
 *    API's numbers: for three ranges, its answer must be what a plain
 *    reading here gives (1-20 digits and nothing else, or GH_ERR_PARSE;
 *    no overflow and within the range, or GH_ERR_LIMIT).
 * The input is used whole as the number and, up to its first NUL, as the
 * token, copied into a heap buffer of exactly that size so ASan catches a
 * read past it. Any violated invariant calls abort().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "app.h"
#include "oauth/secret.h"
#include "util/limits.h"
#include "util/str.h"
#include "fuzz_check.h"

/* The 6 time bytes of a well-formed keyed value, read independently. */
static bool
keyed(const char *v, size_t n, uint8_t time[6])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t		 raw[33];
	const char	*c;
	uint32_t	 acc = 0;
	size_t		 i, bits = 0, o = 0;

	if (n != 8 + 44 || (memcmp(v, "gate_ac_", 8) != 0 &&
	    memcmp(v, "gate_at_", 8) != 0 && memcmp(v, "gate_rt_", 8) != 0))
		return false;
	for (i = 8; i < n; i++) {
		if (v[i] == '\0' || (c = strchr(alphabet, v[i])) == NULL)
			return false;
		acc = acc << 6 | (uint32_t)(c - alphabet);
		if ((bits += 6) >= 8) {
			bits -= 8;
			raw[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (o != sizeof(raw) || raw[0] != 0x01)
		return false;
	memcpy(time, raw + 1, 6);
	return true;
}

static void
check_hash(const struct app *app, const char *v)
{
	uint8_t		got[GH_HASH_BYTES], mac[GH_HASH_BYTES];
	uint8_t		want[GH_HASH_BYTES], time[6];
	unsigned int	len = 0;
	size_t		n = strlen(v);
	enum gh_err	rc = secret_hash(app, v, got);

	/* GH_ERR_INVALID for exactly those; no other error here */
	check(rc == (n > 0 && n < GH_MAX_JWT_LEN ? GH_OK : GH_ERR_INVALID));
	if (rc != GH_OK)
		return;
	check(HMAC(EVP_sha256(), app->key, sizeof(app->key),
	    (const uint8_t *)v, n, mac, &len) != NULL && len == sizeof(mac));
	if (keyed(v, n, time)) {
		memcpy(want, time, 6);
		memcpy(want + 6, mac, sizeof(want) - 6);
	} else {
		memcpy(want, mac, sizeof(want));
	}
	check(memcmp(got, want, sizeof(want)) == 0);
}

static void
check_number(const char *p, size_t n, uint64_t min, uint64_t max)
{
	uint64_t	v = 0, got = 12345;
	size_t		i;
	enum gh_err	want = GH_OK, rc;

	if (n == 0 || n > 20)
		want = GH_ERR_PARSE;
	for (i = 0; i < n && want == GH_OK; i++)
		if (p[i] < '0' || p[i] > '9')
			want = GH_ERR_PARSE;
	for (i = 0; i < n && want == GH_OK; i++) {
		if (v > UINT64_MAX / 10 ||
		    v * 10 > UINT64_MAX - (uint64_t)(p[i] - '0'))
			want = GH_ERR_LIMIT;
		else
			v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (want == GH_OK && (v < min || v > max))
		want = GH_ERR_LIMIT;
	rc = parse_u64((struct slice){ p, n }, min, max, &got);
	check(rc == want);
	check(rc != GH_OK ? got == 12345 : got == v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct app	 app;	/* only its key is read */
	char			*buf;
	size_t			 n;

	if (size > 2 * GH_MAX_JWT_LEN)
		return 0;
	memset(app.key, 0x5a, sizeof(app.key));
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	check_number(buf, size, 0, UINT64_MAX);
	check_number(buf, size, 0, 315360000);
	check_number(buf, size, 1, 65535);
	free(buf);

	n = strnlen((const char *)data, size);
	if ((buf = malloc(n + 1)) == NULL)
		return 0;
	memcpy(buf, data, n);
	buf[n] = '\0';
	check_hash(&app, buf);
	free(buf);
	return 0;
}
