/*
 * html.h - building an HTML page in a bounded buffer: constant markup
 * goes in with page_put(), every dynamic value through page_esc() (or
 * page_printf() for numbers). The first failure sticks, so a page is
 * written without checks and page_end() turns a failed page into a 503.
 *
 * Pages carry no script; the stylesheet is /assets/gatehouse.css.
 */
#ifndef GH_HTML_H
#define GH_HTML_H

#include <stdint.h>

#include "../http/request.h"

struct page {
	struct buf	b;
	enum gh_err	rc;
};

/* A page of at most `max` bytes; `wide`: the console's full-width main. */
void	page_begin(struct page *p, const char *title);
void	page_begin_wide(struct page *p, const char *title, size_t max);
void	page_put(struct page *p, const char *s);
void	page_esc(struct page *p, const char *s);
void	page_printf(struct page *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	page_hidden(struct page *p, const char *name, const char *value);
/* A UTC date and time, "2025-01-31 14:05", or "never" for 0. */
void	page_time(struct page *p, int64_t t);
/* Close the page and reply with it (or 503); frees the buffer. */
void	page_end(struct page *p, struct http_response *r, int status);

#endif
