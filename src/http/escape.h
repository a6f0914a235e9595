/*
 * escape.h - output encoders: HTML text/attribute escaping and URL
 * component encoding. Everything that reaches a page or a Location header
 * from data goes through one of these.
 */
#ifndef GH_ESCAPE_H
#define GH_ESCAPE_H

#include "../util/buf.h"

/* Escapes & < > " ' so the result is safe in text and quoted attributes. */
enum gh_err	html_escape(struct buf *b, const char *s);
/* RFC 3986 unreserved characters pass; everything else is %XX. */
enum gh_err	url_encode(struct buf *b, const char *s);

#endif
