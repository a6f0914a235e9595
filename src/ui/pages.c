/*
 * pages.c - HTML pages, written with the escaping helpers of http/.
 *
 * Every dynamic value goes through html_escape(); the page skeleton and
 * its strings are constants. A page that cannot be built (too large, no
 * memory) becomes a 503 and the server keeps serving.
 */
#include <string.h>

#include "pages.h"
#include "../http/escape.h"
#include "../http/reply.h"
#include "../oauth/authz_request.h"
#include "../oauth/scope.h"
#include "../util/str.h"

static const char css[] =
    "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;"
    "margin:0}main{max-width:26rem;margin:4rem auto;background:#fff;"
    "padding:2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    "h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 "
    ".2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;"
    "box-sizing:border-box;border:1px solid #b8bfcc;border-radius:4px}"
    "button{margin-top:1rem;padding:.55rem 1.1rem;border:0;border-radius:4px;"
    "background:#2457c5;color:#fff;font-size:1rem;cursor:pointer}"
    "button.secondary{background:#e3e6ec;color:#1d2330;margin-left:.5rem}"
    ".error{color:#a1161b}.muted{color:#5b6475;font-size:.9rem}"
    "ul.scopes li{margin:.35rem 0}code{background:#eef0f4;padding:0 .2rem}";

struct page {
	struct buf	b;
	enum gh_err	rc;
};

static void
put(struct page *p, const char *s)
{
	if (p->rc == GH_OK)
		p->rc = buf_puts(&p->b, s);
}

static void
esc(struct page *p, const char *s)
{
	if (p->rc == GH_OK)
		p->rc = html_escape(&p->b, s ? s : "");
}

static void
page_begin(struct page *p, const char *title)
{
	buf_init(&p->b, GH_MAX_REPLY_LEN);
	p->rc = GH_OK;
	put(p, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<link rel=\"stylesheet\" href=\"/assets/gatehouse.css\"><title>");
	esc(p, title);
	put(p, " - Gatehouse</title></head><body><main><h1>");
	esc(p, title);
	put(p, "</h1>");
}

static void
page_end(struct page *p, struct http_response *r, int status)
{
	put(p, "</main></body></html>\n");
	if (p->rc != GH_OK ||
	    reply_html(r, status, buf_str(&p->b), p->b.len) != GH_OK)
		reply_unavailable(r);
	buf_free(&p->b);
}

static void
hidden(struct page *p, const char *name, const char *value)
{
	put(p, "<input type=\"hidden\" name=\"");
	esc(p, name);
	put(p, "\" value=\"");
	esc(p, value);
	put(p, "\">");
}

/* the prompt words to carry forward: all but "login", satisfied here */
static void
hidden_prompt(struct page *p, const char *prompt)
{
	char		out[128] = "";
	size_t		len = 0;
	struct slice	w;

	while (words_next(&prompt, &w)) {
		if (slice_eq_cstr(w, "login") || len + w.len + 2 >= sizeof(out))
			continue;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, w.p, w.len);
		len += w.len;
		out[len] = '\0';
	}
	if (len)
		hidden(p, "prompt", out);
}

static void
form_begin(struct page *p, const struct page_form *f)
{
	size_t i;

	put(p, "<form method=\"post\" action=\"/authorize\">");
	hidden(p, "csrf", f->csrf);
	for (i = 0; authz_param_names[i]; i++) {
		const char *v = params_get(f->params, authz_param_names[i]);

		if (v == NULL)
			continue;
		if (strcmp(authz_param_names[i], "prompt") == 0) {
			if (f->keep_prompt)
				hidden_prompt(p, v);
			continue;
		}
		/* answered by the sign-in that led to the consent page */
		if (!f->keep_prompt &&
		    strcmp(authz_param_names[i], "max_age") == 0)
			continue;
		hidden(p, authz_param_names[i], v);
	}
}

void
page_error(struct http_response *r, int status, const char *title,
    const char *message)
{
	struct page p;

	page_begin(&p, title);
	put(&p, "<p class=\"error\">");
	esc(&p, message);
	put(&p, "</p><p class=\"muted\">You were not sent back to the "
	    "application because the request could not be trusted. Close "
	    "this page and start again from the application.</p>");
	page_end(&p, r, status);
}

void
page_login(struct http_response *r, const struct page_form *f,
    const char *client_name, const char *error)
{
	struct page p;

	page_begin(&p, "Sign in");
	put(&p, "<p class=\"muted\">to continue to <strong>");
	esc(&p, client_name);
	put(&p, "</strong></p>");
	if (error) {
		put(&p, "<p class=\"error\" role=\"alert\">");
		esc(&p, error);
		put(&p, "</p>");
	}
	form_begin(&p, f);
	hidden(&p, "gh_action", "login");
	put(&p, "<label for=\"username\">Username</label>"
	    "<input type=\"text\" id=\"username\" name=\"username\" "
	    "autocomplete=\"username\" required autofocus value=\"");
	esc(&p, params_get(f->params, "login_hint"));
	put(&p, "\">"
	    "<label for=\"password\">Password</label>"
	    "<input type=\"password\" id=\"password\" name=\"password\" "
	    "autocomplete=\"current-password\" required>"
	    "<button type=\"submit\">Sign in</button></form>");
	page_end(&p, r, 200);
}

static void
scope_list(struct page *p, const char *scope)
{
	char		 word[GH_MAX_SCOPE_NAME + 1];
	const char	*words;
	struct slice	 w;

	put(p, "<ul class=\"scopes\">");
	while (words_next(&scope, &w)) {
		if (w.len > GH_MAX_SCOPE_NAME)
			break;
		memcpy(word, w.p, w.len);
		word[w.len] = '\0';
		put(p, "<li>");
		if ((words = scope_describe(word)) != NULL) {
			esc(p, words);
		} else {
			put(p, "Access the application's <code>");
			esc(p, word);
			put(p, "</code> permission");
		}
		put(p, "</li>");
	}
	put(p, "</ul>");
}

void
page_consent(struct http_response *r, const struct page_form *f,
    const struct consent_view *v)
{
	struct page p;

	page_begin(&p, "Allow access?");
	put(&p, "<p><strong>");
	esc(&p, v->client_name);
	put(&p, "</strong> (owned by ");
	esc(&p, v->owner);
	put(&p, ") wants to:</p>");
	scope_list(&p, v->scope);
	put(&p, "<p class=\"muted\">Signed in as ");
	esc(&p, v->username);
	put(&p, ". If you allow, you will be sent to <code>");
	esc(&p, v->redirect_host);
	put(&p, "</code>. You can revoke this access later.</p>");
	form_begin(&p, f);
	hidden(&p, "gh_action", "consent");
	put(&p, "<button type=\"submit\" name=\"decision\" value=\"allow\">"
	    "Allow</button><button type=\"submit\" name=\"decision\" "
	    "value=\"deny\" class=\"secondary\">Deny</button></form>");
	page_end(&p, r, 200);
}

void
page_stylesheet(struct http_response *r)
{
	buf_reset(&r->body);
	if (buf_append(&r->body, css, sizeof(css) - 1) != GH_OK) {
		reply_unavailable(r);
		return;
	}
	r->status = 200;
	r->kind = REPLY_API;
	r->content_type = "text/css; charset=utf-8";
	r->cache_control = "public, max-age=3600";
}
