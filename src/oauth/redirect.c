/* redirect.c - see redirect.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "redirect.h"
#include "../http/escape.h"
#include "../util/limits.h"
#include "../util/str.h"

static bool
loopback(const char *host, size_t n)
{
	return (n == 9 && strncmp(host, "localhost", 9) == 0) ||
	    (n == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	    (n == 5 && strncmp(host, "[::1]", 5) == 0);
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
scheme_char(char c, bool first)
{
	if (is_alpha(c))
		return true;
	return !first && (is_digit(c) || c == '+' || c == '-' || c == '.');
}

/*
 * The bytes of a URI (RFC 3986 2): printable ASCII among unreserved,
 * reserved and '%' starting %XX. Refused on top: '#' (a redirect URI has
 * no fragment, RFC 6749 3.1.2), '*' (a literal wildcard: matching is
 * exact, so it could only be a mistake) and '[' ']' outside the host of
 * an IPv6 literal ([brackets_from, brackets_to) of u). So nothing
 * stored is ever text JSON cannot carry, or that a browser would read
 * differently from us.
 */
static bool
uri_chars_ok(const char *u, size_t n, size_t brackets_from,
    size_t brackets_to)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = u[i];

		if (is_alpha(c) || is_digit(c) || (c != '\0' &&
		    strchr("-._~:/?@!$&'()+,;=", c) != NULL))
			continue;
		if (c == '%' && i + 2 < n && is_hex(u[i + 1]) &&
		    is_hex(u[i + 2])) {
			i += 2;
			continue;
		}
		if ((c == '[' || c == ']') && i >= brackets_from &&
		    i < brackets_to)
			continue;
		return false;
	}
	return true;
}

/*
 * A DNS host name (letters, digits and inner hyphens, in dot-separated
 * labels of 1 to 63) or a dotted-quad IPv4 address: what a browser can
 * reach. One whose last label is all digits must be the IPv4 address
 * (browsers read "1.2.3.999" as a broken address, not a name).
 */
static bool
host_name_ok(const char *h, size_t n)
{
	char		 ip[16];
	struct in_addr	 a4;
	size_t		 i, label = 0, last = 0;
	bool		 digits = true;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return false;
			last = i - label;
			label = 0;
			continue;
		}
		if (!is_alpha(h[i]) && !is_digit(h[i]) &&
		    !(h[i] == '-' && label > 0))
			return false;
		label++;
	}
	for (i = last; i < n; i++)
		digits = digits && is_digit(h[i]);
	if (!digits)
		return true;
	if (n >= sizeof(ip))
		return false;
	memcpy(ip, h, n);
	ip[n] = '\0';
	return inet_pton(AF_INET, ip, &a4) == 1;
}

/* "[" IPv6address "]" (RFC 3986 3.2.2; no zone, no IPvFuture) */
static bool
host_ipv6_ok(const char *h, size_t n)
{
	char		 ip[INET6_ADDRSTRLEN];
	struct in6_addr	 a6;

	if (n < 4 || h[0] != '[' || h[n - 1] != ']' || n - 2 >= sizeof(ip))
		return false;
	memcpy(ip, h + 1, n - 2);
	ip[n - 2] = '\0';
	return inet_pton(AF_INET6, ip, &a6) == 1;
}

/*
 * The authority of an http(s) URI, `alen` bytes: a host (name, IPv4, or
 * IPv6 in brackets), then nothing or ':' and a port of 1 to 65535. No
 * userinfo: "https://app.example@evil.example/" goes to evil.example.
 * *hlen is the host's length.
 */
static bool
authority_ok(const char *auth, size_t alen, size_t *hlen)
{
	uint64_t	port;
	size_t		h;

	if (memchr(auth, '@', alen) != NULL)
		return false;
	if (alen > 0 && auth[0] == '[') {
		const char *close = memchr(auth, ']', alen);

		if (close == NULL)
			return false;
		h = (size_t)(close - auth) + 1;
		if (!host_ipv6_ok(auth, h))
			return false;
	} else {
		h = strcspn(auth, ":");
		if (h > alen)
			h = alen;
		if (!host_name_ok(auth, h))
			return false;
	}
	*hlen = h;
	if (h == alen)
		return true;
	return auth[h] == ':' && alen - h - 1 <= 5 &&
	    parse_u64((struct slice){ auth + h + 1, alen - h - 1 }, 1, 65535,
	    &port) == GH_OK;
}

bool
redirect_uri_acceptable(const char *uri)
{
	size_t		 n = strlen(uri), i, slen, alen, hlen;
	const char	*auth, *colon;
	bool		 http;

	if (n == 0 || n >= GH_MAX_REDIRECT_LEN)
		return false;
	if ((colon = strchr(uri, ':')) == NULL || colon == uri)
		return false;
	slen = (size_t)(colon - uri);
	for (i = 0; i < slen; i++)
		if (!scheme_char(uri[i], i == 0))
			return false;
	http = slen == 4 && strncmp(uri, "http", 4) == 0;
	if (!http && !(slen == 5 && strncmp(uri, "https", 5) == 0)) {
		/* private-use scheme: reverse domain name (RFC 8252 7.1) */
		if (memchr(uri, '.', slen) == NULL || !uri_chars_ok(uri, n, 0, 0))
			return false;
		/* no userinfo here either */
		if (strncmp(colon, "://", 3) == 0 && memchr(colon + 3, '@',
		    strcspn(colon + 3, "/?")) != NULL)
			return false;
		return strncmp(uri, "javascript", 10) != 0 &&
		    strncmp(uri, "data", 4) != 0;
	}
	if (strncmp(colon, "://", 3) != 0)
		return false;
	auth = colon + 3;
	alen = strcspn(auth, "/?");
	/* brackets only around the host: the authority's first byte on */
	if (!uri_chars_ok(uri, n, (size_t)(auth - uri), (size_t)(auth - uri) +
	    (auth[0] == '[' ? strcspn(auth, "]") + 1 : 0)))
		return false;
	if (!authority_ok(auth, alen, &hlen))
		return false;
	/* http: loopback only (RFC 8252 7.3), port allowed */
	return !http || loopback(auth, hlen);
}

const char *
redirect_match(const struct client_row *c, const char *requested)
{
	size_t i;

	if (requested == NULL)
		return c->nredirect == 1 ? c->redirect_uris[0] : NULL;
	/* exact string comparison, no normalisation (RFC 9700 4.1.3) */
	for (i = 0; i < c->nredirect; i++)
		if (strcmp(c->redirect_uris[i], requested) == 0)
			return c->redirect_uris[i];
	return NULL;
}

enum gh_err
redirect_build(struct buf *out, const char *base, ...)
{
	va_list		 ap;
	const char	*k, *v;
	char		 sep = strchr(base, '?') ? '&' : '?';
	enum gh_err	 rc;

	if ((rc = buf_puts(out, base)) != GH_OK)
		return rc;
	if (sep == '&' && out->len && out->data[out->len - 1] == '?')
		sep = 0;	/* base ends with '?': nothing to separate */
	va_start(ap, base);
	while (rc == GH_OK && (k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v == NULL)
			continue;
		if (sep)
			rc = buf_putc(out, sep);
		sep = '&';
		if (rc == GH_OK)
			rc = buf_puts(out, k);
		if (rc == GH_OK)
			rc = buf_putc(out, '=');
		if (rc == GH_OK)
			rc = url_encode(out, v);
	}
	va_end(ap);
	return rc;
}
