/*
 * util.c - small helpers of the load driver: monotonic time, bounded
 * number parsing, base64 (url and standard), the PKCE S256 pair
 * (RFC 7636 4.1-4.2), form escaping, and two tiny extractors (a JSON
 * string member, a query parameter) that only need to understand what
 * Gatehouse itself emits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ghbench.h"

int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Decimal only, no sign, no trailing junk, at most max. */
bool
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

bool
str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static bool
b64(const char *alpha, bool pad, const unsigned char *in, size_t n,
    char *out, size_t outsz)
{
	size_t	 i, o = 0;
	uint32_t v;

	if ((n + 2) / 3 * 4 + 1 > outsz)
		return false;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return true;
}

bool
b64url(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	return b64("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_", false, in, n, out, outsz);
}

bool
b64std(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	return b64("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/", true, in, n, out, outsz);
}

/* RFC 7636: a 43-char verifier from 32 random bytes, S256 challenge. */
bool
pkce_pair(char *verifier, size_t vsz, char *challenge, size_t csz)
{
	unsigned char	 rnd[32], dig[SHA256_DIGEST_LENGTH];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    !b64url(rnd, sizeof(rnd), verifier, vsz))
		return false;
	SHA256((const unsigned char *)verifier, strlen(verifier), dig);
	return b64url(dig, sizeof(dig), challenge, csz);
}

/* application/x-www-form-urlencoded, unreserved characters kept. */
bool
form_escape(const char *in, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		  o = 0;
	unsigned char	  ch;

	for (; *in != '\0'; in++) {
		ch = (unsigned char)*in;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			if (o + 1 >= outsz)
				return false;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= outsz)
				return false;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (o >= outsz)
		return false;
	out[o] = '\0';
	return true;
}

/*
 * The string value of "key" in a compact JSON object as Gatehouse writes
 * it (jansson, no spaces). Tokens never hold escapes; a value with a
 * backslash is refused rather than half-decoded.
 */
bool
json_str(const char *body, size_t len, const char *key, char *out,
    size_t outsz)
{
	char		 pat[64];
	const char	*p, *end = body + len, *v;
	size_t		 plen, n;

	plen = (size_t)snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if (plen >= sizeof(pat))
		return false;
	for (p = body; p + plen <= end; p++) {
		if (memcmp(p, pat, plen) != 0)
			continue;
		v = p + plen;
		for (n = 0; v + n < end && v[n] != '"'; n++)
			if (v[n] == '\\')
				return false;
		if (v + n >= end || n >= outsz)
			return false;
		memcpy(out, v, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The percent-decoded value of key in the query of url. */
bool
query_param(const char *url, const char *key, char *out, size_t outsz)
{
	const char	*p = strchr(url, '?'), *end;
	size_t		 klen = strlen(key), o = 0;
	int		 hi, lo;

	if (p == NULL)
		return false;
	for (p++; *p != '\0'; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "&#");
		if ((size_t)(end - p) <= klen || strncmp(p, key, klen) != 0 ||
		    p[klen] != '=')
			continue;
		for (p += klen + 1; p < end; p++) {
			if (o + 1 >= outsz)
				return false;
			if (*p == '%' && end - p >= 3 &&
			    (hi = hexval(p[1])) >= 0 &&
			    (lo = hexval(p[2])) >= 0) {
				out[o++] = (char)(hi << 4 | lo);
				p += 2;
			} else {
				out[o++] = *p == '+' ? ' ' : *p;
			}
		}
		out[o] = '\0';
		return true;
	}
	return false;
}
