/* escape.c - see escape.h. */
#include <string.h>

#include "escape.h"

enum gh_err
html_escape(struct buf *b, const char *s)
{
	enum gh_err rc = GH_OK;

	for (; *s && rc == GH_OK; s++) {
		switch (*s) {
		case '&':	rc = buf_puts(b, "&amp;"); break;
		case '<':	rc = buf_puts(b, "&lt;"); break;
		case '>':	rc = buf_puts(b, "&gt;"); break;
		case '"':	rc = buf_puts(b, "&quot;"); break;
		case '\'':	rc = buf_puts(b, "&#39;"); break;
		default:	rc = buf_putc(b, *s); break;
		}
	}
	return rc;
}

enum gh_err
url_encode(struct buf *b, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";
	enum gh_err rc = GH_OK;

	for (; *s && rc == GH_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			rc = buf_putc(b, (char)c);
		} else {
			char e[3] = { '%', hx[c >> 4], hx[c & 15] };
			rc = buf_append(b, e, 3);
		}
	}
	return rc;
}
