/*
 * pages.c - HTML pages, written with the escaping helpers of http/.
 *
 * Every dynamic value goes through html_escape(); the page skeleton and
 * its strings are constants. A page that cannot be built (too large, no
 * memory) becomes a 503 and the server keeps serving.
 */
#include <string.h>

#include "html.h"
#include "pages.h"
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
    "ul.scopes li{margin:.35rem 0}code{background:#eef0f4;padding:0 .2rem}"
    /* the admin console and the connected-apps page */
    "main.wide{max-width:72rem;margin:1.5rem auto}"
    "nav{display:flex;gap:1.2rem;align-items:center;margin-bottom:1rem}"
    "nav form{margin-left:auto}nav button{margin:0}"
    "table{border-collapse:collapse;width:100%;font-size:.92rem}"
    "th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid "
    "#e3e6ec;vertical-align:top}th a{color:inherit}"
    "td form{display:inline}td button{margin:0;padding:.3rem .7rem;"
    "font-size:.85rem}button.danger,a.danger{background:#a1161b;color:#fff}"
    "a.danger{padding:.3rem .7rem;border-radius:4px;text-decoration:none;"
    "font-size:.85rem}.notice{background:#e7f4ea;padding:.6rem;"
    "border-radius:4px}.risk-high{color:#a1161b;font-weight:bold}"
    ".risk-med{color:#9a5b00;font-weight:bold}"
    "svg.chart{width:100%;height:auto;max-width:760px}"
    ".legend-issued{color:#2457c5}.legend-refreshed{color:#d9730d}"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.3rem 1rem}dl.facts dt{color:#5b6475}dl.facts dd{margin:0}";

/*
 * The prompt to carry forward: the set authz_parse() read, each value
 * once and in a fixed order, whatever repetitions were sent (OIDC Core
 * 3.1.2.1 gives a list of values, none meaning more when repeated), and
 * without "login", which the form carrying it answers. Written in full or
 * not at all: a value that did not fit would fail the page (503), never
 * be dropped.
 */
static void
hidden_prompt(struct page *p, const struct authz_request *r)
{
	const struct {
		bool		 on;
		const char	*word;
	} set[] = {
		{ r->prompt_none, "none" },
		{ r->prompt_consent, "consent" },
		{ r->prompt_select, "select_account" },
	};
	char	out[sizeof("none consent select_account")];
	size_t	len = 0, n, i;

	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		if (!set[i].on)
			continue;
		n = strlen(set[i].word);
		if (len + (len > 0) + n >= sizeof(out)) {
			p->rc = GH_ERR_LIMIT;
			return;
		}
		if (len > 0)
			out[len++] = ' ';
		memcpy(out + len, set[i].word, n);
		len += n;
	}
	out[len] = '\0';
	if (len > 0)
		page_hidden(p, "prompt", out);
}

static void
form_begin(struct page *p, const struct page_form *f)
{
	size_t i;

	page_put(p, "<form method=\"post\" action=\"/authorize\">");
	page_hidden(p, "csrf", f->csrf);
	for (i = 0; authz_param_names[i]; i++) {
		const char *v = params_get(f->params, authz_param_names[i]);

		if (v == NULL)
			continue;
		if (strcmp(authz_param_names[i], "prompt") == 0) {
			if (f->keep_prompt)
				hidden_prompt(p, f->req);
			continue;
		}
		if (!f->keep_max_age &&
		    strcmp(authz_param_names[i], "max_age") == 0)
			continue;
		page_hidden(p, authz_param_names[i], v);
	}
}

void
page_error(struct http_response *r, int status, const char *title,
    const char *message)
{
	struct page p;

	page_begin(&p, title);
	page_put(&p, "<p class=\"error\">");
	page_esc(&p, message);
	page_put(&p, "</p><p class=\"muted\">You were not sent back to the "
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
	page_put(&p, "<p class=\"muted\">to continue to <strong>");
	page_esc(&p, client_name);
	page_put(&p, "</strong></p>");
	if (error) {
		page_put(&p, "<p class=\"error\" role=\"alert\">");
		page_esc(&p, error);
		page_put(&p, "</p>");
	}
	form_begin(&p, f);
	page_hidden(&p, "gh_action", "login");
	page_put(&p, "<label for=\"username\">Username</label>"
	    "<input type=\"text\" id=\"username\" name=\"username\" "
	    "autocomplete=\"username\" required autofocus value=\"");
	page_esc(&p, params_get(f->params, "login_hint"));
	page_put(&p, "\">"
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

	page_put(p, "<ul class=\"scopes\">");
	while (words_next(&scope, &w)) {
		if (w.len > GH_MAX_SCOPE_NAME)
			break;
		memcpy(word, w.p, w.len);
		word[w.len] = '\0';
		page_put(p, "<li>");
		if ((words = scope_describe(word)) != NULL) {
			page_esc(p, words);
		} else {
			page_put(p, "Access the application's <code>");
			page_esc(p, word);
			page_put(p, "</code> permission");
		}
		page_put(p, "</li>");
	}
	page_put(p, "</ul>");
}

void
page_consent(struct http_response *r, const struct page_form *f,
    const struct consent_view *v)
{
	struct page p;

	page_begin(&p, "Allow access?");
	page_put(&p, "<p><strong>");
	page_esc(&p, v->client_name);
	page_put(&p, "</strong> (owned by ");
	page_esc(&p, v->owner);
	page_put(&p, ") wants to:</p>");
	scope_list(&p, v->scope);
	page_put(&p, "<p class=\"muted\">Signed in as ");
	page_esc(&p, v->username);
	page_put(&p, ". If you allow, you will be sent to <code>");
	page_esc(&p, v->redirect_host);
	page_put(&p, "</code>. You can revoke this access later.</p>");
	form_begin(&p, f);
	page_hidden(&p, "gh_action", "consent");
	/* the user this page asks: its answer is theirs only (authorize.c) */
	page_hidden(&p, "gh_user", v->username);
	page_put(&p, "<button type=\"submit\" name=\"decision\" value=\"allow\">"
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
