/*
 * fuzz_jwt.c - libFuzzer target for jose/jwt_verify.h: client assertions
 * (private_key_jwt) and client JWKS, untrusted text from token requests
 * and from `client add --jwks`.
 *
 * Each input is used three ways:
 *  - as a compact JWS, given to jwt_verify() against a fixed JWKS (one
 *    RSA-2048 and one EC P-256 public key, made once for this file, their
 *    private halves thrown away). Nobody can sign for those keys, so the
 *    answer must never be JWT_OK, and claims must be NULL on failure;
 *    and to jwt_peek_claim(), whose answer must be a NUL-terminated
 *    string that fits;
 *  - as a JWKS, given to jwks_acceptable(): a refusal must say why, and
 *    an accepted document is read again here, independently, and must be
 *    1 to 8 RSA or EC keys with no private member;
 *  - as a JWKS again, to verify two probe tokens (RS256 and ES256, no
 *    kid) whose keys are known: JWT_OK is allowed only if the input holds
 *    the probe's key (the same modulus, or the same x coordinate).
 * Every jwt_verify() is made again with jwt_verify_ours() (typ "JWT", as
 * an id_token_hint is read): the same verdict, or JWT_BAD_TYP for a header
 * whose typ is not JWT, or another for a JWKS of more than 8 keys; a probe
 * it passes must be held by the JWKS too.
 * The input is copied into a heap buffer of exactly its size (plus a NUL
 * where the API takes a C string), so ASan catches reads past it. Any
 * violated invariant calls abort(), so libFuzzer and the replay report it.
 * (A JWKS member such as "n":"AAAAA=AA..." reaches cjose's decoder
 * through jwks_acceptable() and aborts there until jwt_verify.c checks
 * key members itself; run libFuzzer with -fork=1 -ignore_crashes=1 to
 * look past it.)
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjose/base64.h>
#include <jansson.h>

#include "jose/jwt_verify.h"
#include "util/limits.h"
#include "fuzz_check.h"

#define MAX_KEYS	8	/* jwt_verify.h: a client has 1-8 keys */

/* Members that make a JWK private (RFC 7518 6.2.2, 6.3.2, 6.4). */
static const char *const private_members[] = { "d", "p", "q", "dp", "dq",
    "qi", "oth", "k", NULL };

/* The fixed JWKS: no private key for either exists any more. */
static const char fixed_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"fz-rsa\",\"n\":\"imBDXINuhuUIhMZYFv"
    "Yp9oHV72ScQ_0elc6Y9qdvQCLh7ATrcGDKAxWbQjdOUZI02b8D9j9z3qrVGB"
    "dIKIapMnyOyo__Fwrjztrjh_KhsTZ1Ao1OUBJNok0Fz9S3nFndSNhD4-a2G1"
    "ihUfaClJubnVBazbsRcKeqaEcVGLPfa2s2Q9p0GwlYAHDG1mYxmHKkghkbDo"
    "cwnXMDVkjlzG73zXyobhRZkahdi1eBsRKfEeodX62vhmhodGQNDjkNudR-rW"
    "dgirBOkdWAaL-dkpitwJCbMwCXdfdXIHy6o_PjtgTdTMpqTf-m5YYLval7mJ"
    "23NWwAM-q30WEgxWpXa4bsjw\",\"e\":\"AQAB\"},{\"kty\":\"EC\",\"kid\":\"fz-"
    "ec\",\"crv\":\"P-256\",\"x\":\"eKRtHsIlF0IjM7wKtlJMwauTMdOf3NCrIzIUX"
    "oOoUzk\",\"y\":\"f-6h63DtzM5xVmqpAf_N9CIcXaHZrf49WGoLcK3gC4Y\"}]}";

/* The probe keys (public halves; the private ones are gone too). */
static const char probe_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"fz-c-rsa\",\"n\":\"uhhgm19LNxF54nt-"
    "zx9ZCXMHCGEyNCNLg6zeBdIRwc_pq51whPzGlyaXlz7iuY_RHRANU6LchgSw"
    "EoG_d1pe7_kuoEPieEtxJY791gDGm2jGZR8TXKRz7_lA2Tcht9nrd104XLvr"
    "XHvf4Of0cPwqAX8VkNQLnIFgkMg8JkQVG6T0x5_nu8q8NnzxKmndY4z7J7Xi"
    "8MBR0UcuuFAbwafwOaO94l3fShKWTT5r4LaXKGPXp-GYZ3T1gxkbhqkWvGjV"
    "-B0D0Vlrw2iE3Bf_CkBci15EBJOVjmy-VIR8F9lOXTcWN4F9H_kBXip4j9K4"
    "AwNz5MD1Jj4eb8QX1zuUCR9Z5w\",\"e\":\"AQAB\"},{\"kty\":\"EC\",\"kid\":\"f"
    "z-c-ec\",\"crv\":\"P-256\",\"x\":\"2U4RUeeJonwLBo76o2xu-_gC6SLUqVMyb"
    "fyVqrDljdk\",\"y\":\"o2X0OXnnz-ABvIZTtCmWtxQiS0dAA4HPvDS5QynUvQk"
    "\"}]}";

/* Signed by the probe RSA key, without kid. */
static const char probe_rs256[] =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJjbF9mdXp6Iiw"
    "ic3ViIjoiY2xfZnV6eiIsImF1ZCI6Imh0dHBzOi8vZ2guZXhhbXBsZS90b2t"
    "lbiIsImV4cCI6NDEwMjQ0NDgwMCwianRpIjoiZnotMSJ9.nBbCYLHluFJrhV"
    "onspnAcgS4S9TIuuta_6tIivTlnhbc11Xe3fttqhytHYUlzxrUbyJYtojA6r"
    "FT3IsM93pJ4FlULhA3Z3NIgJCAHFjG-xEHhGzUDVa3Fh9u10tL-MXwO9LwBg"
    "OH1o1vsiEWk8RZYs96nBD41cKpCyORC_rXKTn43RE58WLzJ8Zp0R--3grdbR"
    "2txmI7oLrOIVCn3KTAwtzHVTiL9eex3O8Qrx6bDcXTLrORqaF5r_eYZqyUNw"
    "DBN1_Ls6eaq3zlcN4Xv1ffWc26MqyqkiIPoKNMdfx-Cu8YicCqs7ZyrAkO0r"
    "fsdZOFPaZ2KwTxglnbeGPpTwl_BQ";

/* Signed by the probe EC key, without kid. */
static const char probe_es256[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJjbF9mdXp6Iiw"
    "ic3ViIjoiY2xfZnV6eiIsImF1ZCI6Imh0dHBzOi8vZ2guZXhhbXBsZS90b2t"
    "lbiIsImV4cCI6NDEwMjQ0NDgwMCwianRpIjoiZnotMSJ9.J2gOS0eLifXN9S"
    "hzYhctmOd3koQBqgny3yyT67gIno9D1vvwOu_NOh7WBqBNKKdlW5KZtV1K7I"
    "aWIqlxeTfnPg";

/* The probe RSA key's modulus. */
static const char probe_rsa_n[] =
    "uhhgm19LNxF54nt-zx9ZCXMHCGEyNCNLg6zeBdIRwc_pq51whPzGlyaXlz7i"
    "uY_RHRANU6LchgSwEoG_d1pe7_kuoEPieEtxJY791gDGm2jGZR8TXKRz7_lA"
    "2Tcht9nrd104XLvrXHvf4Of0cPwqAX8VkNQLnIFgkMg8JkQVG6T0x5_nu8q8"
    "NnzxKmndY4z7J7Xi8MBR0UcuuFAbwafwOaO94l3fShKWTT5r4LaXKGPXp-GY"
    "Z3T1gxkbhqkWvGjV-B0D0Vlrw2iE3Bf_CkBci15EBJOVjmy-VIR8F9lOXTcW"
    "N4F9H_kBXip4j9K4AwNz5MD1Jj4eb8QX1zuUCR9Z5w";

/* The probe EC key's x coordinate. */
static const char probe_ec_x[] =
    "2U4RUeeJonwLBo76o2xu-_gC6SLUqVMybfyVqrDljdk";

/*
 * base64url text to a big-endian integer without leading zero bytes, read
 * as cjose reads it (up to the first '='), or 0 if cjose would refuse it.
 * cjose 0.6.2's decoder asserts when the characters before an '=' number
 * 1 mod 4, so it only gets a clean prefix here.
 */
static size_t
integer(const char *b64, uint8_t **out)
{
	cjose_err	 err;
	uint8_t		*raw = NULL;
	size_t		 len = 0, n = 0, skip = 0;

	*out = NULL;
	if (b64 == NULL)
		return 0;
	for (; b64[len] != '\0' && b64[len] != '='; len++)
		if (!isalnum((unsigned char)b64[len]) && b64[len] != '-' &&
		    b64[len] != '_')
			return 0;
	if (len % 4 == 1 ||
	    !cjose_base64url_decode(b64, len, &raw, &n, &err))
		return 0;
	while (skip < n && raw[skip] == 0)
		skip++;
	memmove(raw, raw + skip, n - skip);
	*out = raw;
	return n - skip;
}

/* Does some key of `jwks` have member m equal, as a number, to want? */
static bool
holds(const char *jwks, const char *m, const char *want)
{
	json_t	*doc = json_loads(jwks, 0, NULL), *k;
	uint8_t	*a, *b;
	size_t	 i, na, nb;
	bool	 found = false;

	nb = integer(want, &b);
	json_array_foreach(json_object_get(doc, "keys"), i, k) {
		na = integer(json_string_value(json_object_get(k, m)), &a);
		if (a && na == nb && memcmp(a, b, nb) == 0)
			found = true;
		free(a);
	}
	free(b);
	json_decref(doc);
	return found;
}

/* Does the JWT's header (read here, with jansson) say typ `typ`? */
static bool
header_typ_is(const char *jwt, size_t len, const char *typ)
{
	const char	*dot = memchr(jwt, '.', len), *t;
	uint8_t		*raw = NULL;
	size_t		 n = 0;
	cjose_err	 err;
	json_t		*h;
	bool		 is = false;

	if (dot == NULL || (size_t)(dot - jwt) % 4 == 1 ||
	    !cjose_base64url_decode(jwt, (size_t)(dot - jwt), &raw, &n, &err))
		return false;
	h = json_loadb((const char *)raw, n, 0, NULL);
	t = json_string_value(json_object_get(h, "typ"));
	is = t != NULL && strcasecmp(t, typ) == 0;
	json_decref(h);
	free(raw);
	return is;
}

/* More keys in the JWKS than a client may register (jwt_verify reads 8)? */
static bool
keys_over(const char *jwks, size_t n)
{
	json_t	*doc = json_loads(jwks, 0, NULL);
	bool	 over = json_array_size(json_object_get(doc, "keys")) > n;

	json_decref(doc);
	return over;
}

/*
 * jwt_verify's contract: claims NULL unless JWT_OK, and a known code.
 * jwt_verify_ours (typ "JWT", as an id_token_hint is read; its verdict in
 * *ours) keeps the same contract and agrees with it, except for a header
 * whose typ is not JWT (JWT_BAD_TYP) or a JWKS of more than 8 keys (it
 * reads up to GH_MAX_SIGNING_KEYS).
 */
static enum jwt_result
verify(const char *jwt, size_t len, const char *jwks, enum jwt_result *ours)
{
	json_t		*claims = json_null();	/* must be overwritten */
	enum jwt_result	 r = jwt_verify(jwt, len, jwks, &claims), rt;

	check(strcmp(jwt_result_str(r), "invalid") != 0 && r != JWT_BAD_TYP);
	if (r == JWT_OK)
		check(json_is_object(claims));
	else
		check(claims == NULL);
	json_decref(claims);
	claims = json_null();
	rt = jwt_verify_ours(jwt, len, jwks, "JWT", &claims);
	check(strcmp(jwt_result_str(rt), "invalid") != 0);
	if (rt == JWT_OK)
		check(json_is_object(claims));
	else
		check(claims == NULL);
	json_decref(claims);
	check(rt == r || (rt == JWT_BAD_TYP && !header_typ_is(jwt, len,
	    "JWT")) || keys_over(jwks, MAX_KEYS));
	if (ours != NULL)
		*ours = rt;
	return r;
}

static void
check_peek(const char *jwt, size_t len)
{
	static const char *const names[] = { "iss", "sub", "jti", "", NULL };
	static const size_t sizes[] = { 1, 8, GH_MAX_CLIENT_ID_LEN };
	char	out[GH_MAX_CLIENT_ID_LEN];
	size_t	i, j;

	for (i = 0; names[i]; i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			memset(out, 'Z', sizeof(out));
			if (!jwt_peek_claim(jwt, len, names[i], out, sizes[j]))
				continue;
			/* a string that fits, from a token with a payload */
			check(memchr(out, '\0', sizes[j]) != NULL);
			check(memchr(jwt, '.', len) != NULL);
		}
}

/* An accepted JWKS, read again without jwt_verify.c's help. */
static void
check_accepted(const char *text)
{
	json_t		*doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	json_t		*keys = json_object_get(doc, "keys"), *k;
	const char	*kty;
	size_t		 i, j;

	check(strlen(text) < GH_MAX_CLIENT_JWKS);
	check(json_is_array(keys) && json_array_size(keys) >= 1 &&
	    json_array_size(keys) <= MAX_KEYS);
	json_array_foreach(keys, i, k) {
		kty = json_string_value(json_object_get(k, "kty"));
		check(kty && (strcmp(kty, "RSA") == 0 ||
		    strcmp(kty, "EC") == 0));
		for (j = 0; private_members[j]; j++)
			check(json_object_get(k, private_members[j]) == NULL);
	}
	json_decref(doc);
}

/* The probes verify against their own keys, or the test proves nothing. */
static void
check_probes_once(void)
{
	static bool	done;
	char		err[160];
	json_t		*claims = NULL;

	if (done)
		return;
	check(verify(probe_rs256, strlen(probe_rs256), probe_jwks, NULL) ==
	    JWT_OK);
	check(verify(probe_es256, strlen(probe_es256), probe_jwks, NULL) ==
	    JWT_OK);
	/* their typ is JWT: an at+jwt is refused as such */
	check(jwt_verify_ours(probe_rs256, strlen(probe_rs256), probe_jwks,
	    "at+jwt", &claims) == JWT_BAD_TYP && claims == NULL);
	check(jwks_acceptable(fixed_jwks, err, sizeof(err)));
	check(jwks_acceptable(probe_jwks, err, sizeof(err)));
	done = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*jwt, *s, err[160];
	enum jwt_result	 ours;

	check_probes_once();
	/* exact size, no terminator: jwt_verify takes (pointer, length) */
	if ((jwt = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size)
		memcpy(jwt, data, size);
	check(verify(jwt, size, fixed_jwks, &ours) != JWT_OK &&
	    ours != JWT_OK);
	check_peek(jwt, size);
	free(jwt);
	/* a JWKS is a C string */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	err[0] = '\0';
	if (jwks_acceptable(s, err, sizeof(err)))
		check_accepted(s);
	else
		check(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
	if (verify(probe_rs256, strlen(probe_rs256), s, &ours) == JWT_OK ||
	    ours == JWT_OK)
		check(holds(s, "n", probe_rsa_n));
	if (verify(probe_es256, strlen(probe_es256), s, &ours) == JWT_OK ||
	    ours == JWT_OK)
		check(holds(s, "x", probe_ec_x));
	free(s);
	return 0;
}
