/* html.c - see html.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "html.h"
#include "../http/escape.h"
#include "../http/reply.h"

void
page_put(struct page *p, const char *s)
{
	if (p->rc == GH_OK)
		p->rc = buf_puts(&p->b, s);
}

void
page_esc(struct page *p, const char *s)
{
	if (p->rc == GH_OK)
		p->rc = html_escape(&p->b, s ? s : "");
}

void
page_printf(struct page *p, const char *fmt, ...)
{
	char	tmp[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (p->rc == GH_OK)
			p->rc = GH_ERR_LIMIT;
		return;
	}
	page_put(p, tmp);
}

static void
begin(struct page *p, const char *title, size_t max, const char *main_tag)
{
	buf_init(&p->b, max);
	p->rc = GH_OK;
	page_put(p, "<!doctype html><html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<link rel=\"stylesheet\" href=\"/assets/gatehouse.css\"><title>");
	page_esc(p, title);
	page_put(p, " - Gatehouse</title></head><body>");
	page_put(p, main_tag);
	page_put(p, "<h1>");
	page_esc(p, title);
	page_put(p, "</h1>");
}

void
page_begin(struct page *p, const char *title)
{
	begin(p, title, GH_MAX_REPLY_LEN, "<main>");
}

void
page_begin_wide(struct page *p, const char *title, size_t max)
{
	begin(p, title, max, "<main class=\"wide\">");
}

void
page_hidden(struct page *p, const char *name, const char *value)
{
	page_put(p, "<input type=\"hidden\" name=\"");
	page_esc(p, name);
	page_put(p, "\" value=\"");
	page_esc(p, value);
	page_put(p, "\">");
}

void
page_time(struct page *p, int64_t t)
{
	struct tm	tm;
	time_t		tt = (time_t)t;
	char		s[32];

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%d %H:%M", &tm) == 0) {
		page_put(p, "never");
		return;
	}
	page_put(p, s);
}

void
page_end(struct page *p, struct http_response *r, int status)
{
	page_put(p, "</main></body></html>\n");
	if (r->body.max < p->b.max)
		r->body.max = p->b.max;
	if (p->rc != GH_OK ||
	    reply_html(r, status, buf_str(&p->b), p->b.len) != GH_OK)
		reply_unavailable(r);
	buf_free(&p->b);
}
