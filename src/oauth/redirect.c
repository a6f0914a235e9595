/* redirect.c - see redirect.h. */
#include <stdarg.h>
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
scheme_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return !first && ((c >= '0' && c <= '9') || c == '+' || c == '-' ||
	    c == '.');
}

bool
redirect_uri_acceptable(const char *uri)
{
	size_t		 n = strlen(uri), i, slen, hlen;
	const char	*auth, *colon;

	if (n == 0 || n >= GH_MAX_REDIRECT_LEN || strchr(uri, '#'))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || uri[i] == 0x7f ||
		    uri[i] == '\\' || uri[i] == '"' || uri[i] == '<' ||
		    uri[i] == '>')
			return false;
	if ((colon = strchr(uri, ':')) == NULL || colon == uri)
		return false;
	slen = (size_t)(colon - uri);
	for (i = 0; i < slen; i++)
		if (!scheme_char(uri[i], i == 0))
			return false;
	if (slen == 5 && strncmp(uri, "https", 5) == 0) {
		if (strncmp(colon, "://", 3) != 0)
			return false;
	} else if (slen == 4 && strncmp(uri, "http", 4) == 0) {
		if (strncmp(colon, "://", 3) != 0)
			return false;
	} else {
		/* private-use scheme: reverse domain name (RFC 8252 7.1) */
		if (memchr(uri, '.', slen) == NULL)
			return false;
		/* no userinfo here either */
		if (strncmp(colon, "://", 3) == 0 && memchr(colon + 3, '@',
		    strcspn(colon + 3, "/?")) != NULL)
			return false;
		return strncmp(uri, "javascript", 10) != 0 &&
		    strncmp(uri, "data", 4) != 0;
	}
	auth = colon + 3;
	hlen = strcspn(auth, "/?");
	if (hlen == 0 || memchr(auth, '@', hlen))
		return false;	/* no empty host, no userinfo */
	if (slen == 4) {
		/* http: loopback only, port allowed */
		size_t h = auth[0] == '[' ? strcspn(auth, "]") + 1 :
		    strcspn(auth, ":/?");
		if (h > hlen || !loopback(auth, h))
			return false;
		/* after the host: nothing, or ':' and a decimal port */
		if (h < hlen && (auth[h] != ':' ||
		    strspn(auth + h + 1, "0123456789") != hlen - h - 1))
			return false;
	}
	return true;
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
