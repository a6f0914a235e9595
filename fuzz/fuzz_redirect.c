/*
 * fuzz_redirect.c - libFuzzer target for the redirect URI rules
 * (oauth/redirect.h): redirect_uri_acceptable(), redirect_match() and
 * redirect_build().
 *
 * Input layout, one URI per line ('\n'): every line but the last is a
 * registered redirect URI (at most GH_MAX_REDIRECTS), the last line is the
 * redirect_uri of the request. Checked:
 *  - acceptable() never passes a URI that breaks the rules of redirect.h
 *    (safe_uri below: printable ASCII that RFC 3986 allows, '%' only as
 *    %XX, no fragment, '*', userinfo in any scheme or script scheme; an
 *    http(s) host that is a name of non-empty labels or a bracketed IPv6
 *    address, then a port of 1 to 5 digits or nothing; http only to a
 *    loopback host); the whole input, newlines included, is tried as one
 *    URI too;
 *  - a match is one of the client's own strings and byte-identical to the
 *    requested one (RFC 9700 4.1.3), and an identical string always
 *    matches; a missing redirect_uri matches only a single registration;
 *  - redirect_build() output starts with the base, adds only URL-encoded
 *    bytes, and form_parse() reads the same parameters back.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/form.h"
#include "oauth/redirect.h"
#include "util/limits.h"
#include "fuzz_check.h"

#define ISSUER	"https://issuer.example"

static bool
loopback(const char *h, size_t n)
{
	return (n == 9 && memcmp(h, "localhost", 9) == 0) ||
	    (n == 9 && memcmp(h, "127.0.0.1", 9) == 0) ||
	    (n == 5 && memcmp(h, "[::1]", 5) == 0);
}

/*
 * The host of an http(s) URI, as a browser could reach it: "[" IPv6 "]"
 * (hex digits, ':' and '.', with a ':'), or dot-separated labels of
 * letters, digits and '-', none empty. Nothing else: no '*', no '%', no
 * empty host.
 */
static bool
safe_host(const char *h, size_t n)
{
	size_t	i, label = 0;

	if (n >= 2 && h[0] == '[') {
		if (h[n - 1] != ']' || memchr(h, ':', n) == NULL)
			return false;
		for (i = 1; i + 1 < n; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' &&
			    h[i] != '.')
				return false;
		return true;
	}
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)h[i]) || h[i] == '-') {
			label++;
		} else {
			return false;
		}
	}
	return label > 0;
}

/*
 * http(s): a well-formed host without userinfo, then nothing or ':' and
 * 1 to 5 digits; http to loopback only.
 */
static bool
safe_authority(const char *auth, bool http)
{
	size_t alen = strcspn(auth, "/?#"), h;

	if (alen == 0 || memchr(auth, '@', alen) != NULL)
		return false;
	/* the host ends at ':' (port) or at the end of the authority */
	h = auth[0] == '[' ? strcspn(auth, "]") + 1 : strcspn(auth, ":/?#");
	if (h > alen || !safe_host(auth, h))
		return false;
	if (h < alen && (auth[h] != ':' || alen - h - 1 == 0 ||
	    alen - h - 1 > 5 ||
	    strspn(auth + h + 1, "0123456789") != alen - h - 1))
		return false;
	return !http || loopback(auth, h);
}

/*
 * Printable ASCII only, and none of the bytes RFC 3986 does not allow in
 * a URI; no '*' (a wildcard) and no '#'; '%' only as %XX. So every
 * accepted URI is text that JSON carries as it is.
 */
static bool
safe_bytes(const char *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f ||
		    strchr("#*\\\"<>{}|^`", u[i]) != NULL)
			return false;
		if (u[i] == '%' && (i + 2 >= n ||
		    !isxdigit((unsigned char)u[i + 1]) ||
		    !isxdigit((unsigned char)u[i + 2])))
			return false;
	}
	return true;
}

/* The security rules redirect.h promises, written out independently. */
static bool
safe_uri(const char *u)
{
	static const char *const bad[] = {
		"javascript", "data", "vbscript", "file", NULL
	};
	size_t	 n = strlen(u), i, slen;

	if (n == 0 || n >= GH_MAX_REDIRECT_LEN || !safe_bytes(u, n))
		return false;
	slen = strcspn(u, ":");
	if (slen == 0 || slen == n)
		return false;
	for (i = 0; bad[i] != NULL; i++)
		if (slen == strlen(bad[i]) && strncasecmp(u, bad[i], slen) == 0)
			return false;
	/* whatever the scheme, an authority never carries userinfo */
	if (strncmp(u + slen, "://", 3) == 0 && memchr(u + slen + 3, '@',
	    strcspn(u + slen + 3, "/?#")) != NULL)
		return false;
	if (strncasecmp(u, "https:", 6) == 0)
		return strncmp(u, "https://", 8) == 0 &&
		    safe_authority(u + 8, false);
	if (strncasecmp(u, "http:", 5) == 0)
		return strncmp(u, "http://", 7) == 0 &&
		    safe_authority(u + 7, true);
	/* a private-use scheme is a reverse domain name (RFC 8252 7.1) */
	return memchr(u, '.', slen) != NULL;
}

/* Only unreserved bytes, %XX, '=' and '&' may follow the base. */
static bool
encoded(const char *s)
{
	for (; *s; s++)
		if (strchr("-._~%=&", *s) == NULL &&
		    !(*s >= 'A' && *s <= 'Z') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= '0' && *s <= '9'))
			return false;
	return true;
}

static void
check_param(const struct params *p, const char *name, const char *want)
{
	const char *got = params_get(p, name);

	if (want == NULL || want[0] == '\0')
		check(got == NULL);	/* omitted or sent empty */
	else
		check(got != NULL && strcmp(got, want) == 0);
}

static void
check_build(const char *base, const char *code, const char *state)
{
	struct buf	 b;
	struct params	 p;
	const char	*q;
	enum gh_err	 rc;

	buf_init(&b, GH_MAX_URI_LEN);	/* as authorize.c */
	rc = redirect_build(&b, base, "code", code, "error", NULL,
	    "state", state, "iss", ISSUER, NULL);
	check(rc == GH_OK || rc == GH_ERR_LIMIT);
	if (rc == GH_OK) {
		q = buf_str(&b);
		check(b.len == strlen(q));
		check(strncmp(q, base, strlen(base)) == 0);
		q += strlen(base);
		if (*q == '?' || *q == '&')
			q++;
		else
			check(base[0] != '\0' && base[strlen(base) - 1] == '?');
		check(encoded(q));
		rc = form_parse(q, strlen(q), &p);
		check(rc == GH_OK || rc == GH_ERR_LIMIT);
		if (rc == GH_OK) {
			check(params_first_dup(&p) == NULL);
			check_param(&p, "code", code);
			check_param(&p, "error", NULL);
			check_param(&p, "state", state);
			check_param(&p, "iss", ISSUER);
			params_free(&p);
		}
	}
	buf_free(&b);
}

static void
check_match(const struct client_row *c, const char *req)
{
	const char	*m;
	size_t		 i;
	bool		 same = false;

	for (i = 0; i < c->nredirect; i++)
		same = same || strcmp(c->redirect_uris[i], req) == 0;
	m = redirect_match(c, req);
	check((m != NULL) == same);
	if (m != NULL) {
		/* one of the client's own strings, byte for byte */
		check((const char *)c->redirect_uris <= m &&
		    m < (const char *)(c->redirect_uris + c->nredirect));
		check(strlen(m) == strlen(req) &&
		    memcmp(m, req, strlen(req)) == 0);
	}
	m = redirect_match(c, NULL);
	check(c->nredirect == 1 ? m == c->redirect_uris[0] : m == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct client_row c;	/* 32 KiB: not on the stack */
	char	*all, *lines, *line, *next, *req;

	if ((all = malloc(size + 1)) == NULL)
		return 0;
	if ((lines = malloc(size + 1)) == NULL) {
		free(all);
		return 0;
	}
	memcpy(all, data, size);
	all[size] = '\0';
	memcpy(lines, all, size + 1);
	check(!redirect_uri_acceptable(all) || safe_uri(all));

	memset(&c, 0, sizeof(c));
	for (line = lines; (next = strchr(line, '\n')) != NULL;
	    line = next + 1) {
		*next = '\0';
		check(!redirect_uri_acceptable(line) || safe_uri(line));
		if (c.nredirect < GH_MAX_REDIRECTS &&
		    strlen(line) < GH_MAX_REDIRECT_LEN)
			memcpy(c.redirect_uris[c.nredirect++], line,
			    strlen(line) + 1);
	}
	req = line;
	check(!redirect_uri_acceptable(req) || safe_uri(req));
	check_match(&c, req);
	check_build(req, lines, all);
	if (c.nredirect > 0)
		check_build(c.redirect_uris[0], req, NULL);
	free(lines);
	free(all);
	return 0;
}
