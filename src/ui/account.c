/*
 * account.c - the connected-apps pages (see account.h): load the browser
 * session, check the CSRF token of every POST, list, confirm, revoke.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "html.h"
#include "../governance/audit.h"
#include "../governance/gov_json.h"
#include "../http/escape.h"
#include "../http/form_body.h"
#include "../http/reply.h"
#include "../oauth/login.h"
#include "../oauth/session.h"
#include "../util/clock.h"
#include "../util/str.h"

#define MAX_APPS 200	/* grants listed for one user */

struct visit {
	struct browser	b;
	char		csrf[CSRF_TOKEN_LEN];
	struct params	p;
};

/* one connected app: the grant and what the user knows the client by */
struct app_entry {
	struct grant_row	g;
	char			name[GH_MAX_NAME_FIELD];
	char			owner[GH_MAX_NAME_FIELD];
};

struct app_list {
	struct app_entry	*e;
	size_t			 n;
};

static void
redirect(struct http_response *resp, const char *to)
{
	if (reply_redirect(resp, 303, to) != GH_OK)
		reply_unavailable(resp);
}

static void
message(struct http_response *resp, int status, const char *title,
    const char *text)
{
	struct page p;

	page_begin(&p, title);
	page_put(&p, "<p class=\"error\">");
	page_esc(&p, text);
	page_put(&p, "</p><p><a href=\"/account\">Your connected apps</a></p>");
	page_end(&p, resp, status);
}

/* False when the reply is made (then call finish()). */
static bool
visit_begin(struct app *app, const struct http_request *req,
    struct http_response *resp, struct visit *v)
{
	enum gh_err rc;

	memset(v, 0, sizeof(*v));
	if (browser_load(app, req, NULL, &v->b) != GH_OK ||
	    browser_csrf_ensure(app, &v->b) != GH_OK ||
	    browser_csrf_token(app, &v->b, v->csrf) != GH_OK) {
		reply_unavailable(resp);
		return false;
	}
	if (req->method == HTTP_POST)
		rc = form_body_parse(req, &v->p);
	else
		rc = form_parse(req->query, req->query_len, &v->p);
	if (rc != GH_OK || params_first_dup(&v->p)) {
		if (rc == GH_ERR_NOMEM)
			reply_unavailable(resp);
		else
			message(resp, rc == GH_ERR_LIMIT ? 413 : 400,
			    "Bad request", "The request is malformed.");
		return false;
	}
	if (req->method == HTTP_POST && (rc = browser_csrf_check(app, &v->b,
	    params_get(&v->p, "csrf"))) != GH_OK) {
		if (rc != GH_ERR_INVALID)
			reply_unavailable(resp);	/* no verdict */
		else
			message(resp, 403, "Form expired", "This form expired "
			    "or did not come from this site. Reload the page "
			    "and try again.");
		return false;
	}
	return true;
}

static void
finish(struct app *app, struct visit *v, struct http_response *resp)
{
	if (browser_set_cookies(app, &v->b, resp) != GH_OK)
		reply_unavailable(resp);
	params_free(&v->p);
}

static void
login_page(struct http_response *resp, const struct visit *v,
    const char *error, int status)
{
	struct page p;

	page_begin(&p, "Sign in");
	page_put(&p, "<p class=\"muted\">to review the apps connected to your "
	    "account</p>");
	if (error) {
		page_put(&p, "<p class=\"error\" role=\"alert\">");
		page_esc(&p, error);
		page_put(&p, "</p>");
	}
	page_put(&p, "<form method=\"post\" action=\"/account/login\">");
	page_hidden(&p, "csrf", v->csrf);
	page_put(&p, "<label for=\"username\">Username</label>"
	    "<input type=\"text\" id=\"username\" name=\"username\" "
	    "autocomplete=\"username\" required autofocus>"
	    "<label for=\"password\">Password</label>"
	    "<input type=\"password\" id=\"password\" name=\"password\" "
	    "autocomplete=\"current-password\" required>"
	    "<button type=\"submit\">Sign in</button></form>");
	page_end(&p, resp, status);
}

/* The same checks as the authorization endpoint's login, same timing. */
static void
login_post(struct app *app, const struct http_request *req,
    struct visit *v, struct http_response *resp)
{
	const char		*name = params_get(&v->p, "username");
	const char		*pw = params_get(&v->p, "password");
	struct audit_origin	 o = { req->remote_addr, req->user_agent,
	    "user" };
	struct audit_subject	 s = { NULL, NULL, NULL };
	struct login_attempt	 a = { name, pw, &o, NULL };
	struct login_verdict	 lv;
	struct user_row		 u;

	/* a store or Argon2 failure, or too many logins, is no verdict */
	if (login_check(app, &a, &u, &lv) != GH_OK) {
		reply_unavailable(resp);
		return;
	}
	if (lv.retry_after > 0) {	/* refused unchecked: the form again */
		login_page(resp, v, "Too many sign-in attempts. Wait a "
		    "little, then try again.", 200);
		login_reply_throttled(resp, lv.retry_after);
		return;
	}
	s.user_id = lv.known ? u.id : NULL;
	if (!lv.ok) {
		login_audit_failure(app, &a, &lv, &u);
		login_page(resp, v, "Wrong username or password.", 401);
		return;
	}
	if (browser_login(app, &v->b, &u, resp) != GH_OK) {
		reply_unavailable(resp);
		return;
	}
	audit_event(app, &o, "login.success", &s, NULL);
	redirect(resp, "/account");
}

void
ui_account_login(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct visit v;

	if (!visit_begin(app, req, resp, &v))
		goto out;
	if (req->method == HTTP_POST)
		login_post(app, req, &v, resp);
	else if (v.b.has_session)
		redirect(resp, "/account");
	else
		login_page(resp, &v, NULL, 200);
out:
	finish(app, &v, resp);
}

static bool
add_grant(void *ctx, const struct grant_row *g)
{
	struct app_list *l = ctx;

	l->e[l->n++].g = *g;
	return l->n < MAX_APPS;
}

/* the user's live grants, with their clients' names (store not re-entered
 * from inside the walk) */
static enum gh_err
load_apps(struct app *app, const char *user_id, struct app_list *l)
{
	struct client_row	*c;
	enum gh_err		 rc;
	size_t			 i;

	if ((l->e = calloc(MAX_APPS, sizeof(*l->e))) == NULL ||
	    (c = malloc(sizeof(*c))) == NULL)
		return GH_ERR_NOMEM;
	rc = store_grant_each(app->store, NULL, user_id, add_grant, l);
	for (i = 0; rc == GH_OK && i < l->n; i++) {
		rc = store_client_get(app->store, l->e[i].g.client_id, c);
		if (rc == GH_ERR_NOT_FOUND) {
			str_copy(l->e[i].name, sizeof(l->e[i].name),
			    l->e[i].g.client_id);
			rc = GH_OK;
		} else if (rc == GH_OK) {
			str_copy(l->e[i].name, sizeof(l->e[i].name), c->name);
			str_copy(l->e[i].owner, sizeof(l->e[i].owner),
			    c->owner);
		}
	}
	free(c);
	return rc;
}

static void
apps_page(struct http_response *resp, const struct visit *v,
    const struct app_list *l, const char *notice)
{
	struct page	p;
	struct buf	enc;
	size_t		i;

	page_begin_wide(&p, "Connected apps", GH_MAX_ADMIN_REPLY);
	page_put(&p, "<nav><span class=\"muted\">Signed in as ");
	page_esc(&p, v->b.session.username);
	page_put(&p, "</span><form method=\"post\" "
	    "action=\"/account/logout\">");
	page_hidden(&p, "csrf", v->csrf);
	page_put(&p, "<button type=\"submit\" class=\"secondary\">Sign out"
	    "</button></form></nav>");
	if (notice) {
		page_put(&p, "<p class=\"notice\" role=\"status\">");
		page_esc(&p, notice);
		page_put(&p, "</p>");
	}
	if (l->n == 0) {
		page_put(&p, "<p class=\"muted\">No app has access to your "
		    "account.</p>");
		page_end(&p, resp, 200);
		return;
	}
	page_put(&p, "<p class=\"muted\">These apps can act for you. Revoke "
	    "any you no longer use.</p><table id=\"apps\"><thead><tr>"
	    "<th>App</th><th>Owner</th><th>Access</th><th>Granted</th>"
	    "<th>Last used</th><th></th></tr></thead><tbody>");
	for (i = 0; i < l->n; i++) {
		page_put(&p, "<tr><td>");
		page_esc(&p, l->e[i].name);
		page_put(&p, "</td><td>");
		page_esc(&p, l->e[i].owner);
		page_put(&p, "</td><td>");
		page_esc(&p, l->e[i].g.scope);
		page_put(&p, "</td><td>");
		page_time(&p, l->e[i].g.created_at);
		page_put(&p, "</td><td>");
		page_time(&p, l->e[i].g.last_used_at);
		page_put(&p, "</td><td><a class=\"danger\" "
		    "href=\"/account/revoke?grant_id=");
		buf_init(&enc, GH_MAX_URI_LEN);
		if (url_encode(&enc, l->e[i].g.id) != GH_OK)
			p.rc = GH_ERR_NOMEM;
		page_esc(&p, buf_str(&enc));
		buf_free(&enc);
		page_put(&p, "\">Revoke</a></td></tr>");
	}
	page_put(&p, "</tbody></table>");
	page_end(&p, resp, 200);
}

void
ui_account(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct visit	 v;
	struct app_list	 l = { NULL, 0 };
	const char	*done;

	if (!visit_begin(app, req, resp, &v))
		goto out;
	if (!v.b.has_session) {
		redirect(resp, "/account/login");
		goto out;
	}
	if (load_apps(app, v.b.session.user_id, &l) != GH_OK) {
		reply_unavailable(resp);
		goto out;
	}
	done = params_get(&v.p, "done");
	apps_page(resp, &v, &l, done && strcmp(done, "revoked") == 0 ?
	    "Access revoked: that app can no longer act for you." : NULL);
out:
	free(l.e);
	finish(app, &v, resp);
}

static void
confirm_page(struct http_response *resp, const struct visit *v,
    const struct app_entry *e)
{
	struct page p;

	page_begin(&p, "Revoke access?");
	page_put(&p, "<p><strong>");
	page_esc(&p, e->name);
	page_put(&p, "</strong> (owned by ");
	page_esc(&p, e->owner);
	page_put(&p, ") will lose access to your account at once: <code>");
	page_esc(&p, e->g.scope);
	page_put(&p, "</code>. It would have to ask you again.</p>"
	    "<form method=\"post\" action=\"/account/revoke\">");
	page_hidden(&p, "csrf", v->csrf);
	page_hidden(&p, "grant_id", e->g.id);
	page_put(&p, "<button type=\"submit\" class=\"danger\">Revoke access"
	    "</button> <a href=\"/account\">Cancel</a></form>");
	page_end(&p, resp, 200);
}

static void
revoke_post(struct app *app, const struct http_request *req,
    const struct visit *v, const struct app_entry *e,
    struct http_response *resp)
{
	struct audit_origin	 o = { req->remote_addr, req->user_agent,
	    "user" };
	struct audit_subject	 s = { e->g.client_id, v->b.session.user_id,
	    e->g.id };
	char			 detail[GH_MAX_AUDIT_DETAIL];
	enum gh_err		 rc;

	rc = store_grant_revoke_own(app->store, e->g.id, v->b.session.user_id,
	    "revoked by the user", clock_now());
	if (rc == GH_ERR_NOT_FOUND) {
		message(resp, 404, "Not found", "That access was already "
		    "revoked.");
		return;
	}
	if (rc != GH_OK) {
		reply_unavailable(resp);
		return;
	}
	revocation_detail("revoked by the user", 1, detail, sizeof(detail));
	audit_event(app, &o, "grant.revoked", &s, detail);
	redirect(resp, "/account?done=revoked");
}

void
ui_account_revoke(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct visit	 v;
	struct app_list	 l = { NULL, 0 };
	const char	*gid;
	size_t		 i;

	if (!visit_begin(app, req, resp, &v))
		goto out;
	if (!v.b.has_session) {
		if (req->method == HTTP_POST)
			message(resp, 403, "Signed out", "Sign in again.");
		else
			redirect(resp, "/account/login");
		goto out;
	}
	gid = params_get(&v.p, "grant_id");
	if (gid == NULL || strlen(gid) >= GH_ID_LEN) {
		message(resp, 400, "Bad request", "Which app?");
		goto out;
	}
	/* only grants of the signed-in user are found here */
	if (load_apps(app, v.b.session.user_id, &l) != GH_OK) {
		reply_unavailable(resp);
		goto out;
	}
	for (i = 0; i < l.n; i++)
		if (strcmp(l.e[i].g.id, gid) == 0)
			break;
	if (i == l.n)
		message(resp, 404, "Not found", "No such app is connected to "
		    "your account.");
	else if (req->method == HTTP_POST)
		revoke_post(app, req, &v, &l.e[i], resp);
	else
		confirm_page(resp, &v, &l.e[i]);
out:
	free(l.e);
	finish(app, &v, resp);
}

/* Sign out (POST with the CSRF token): every node forgets the session. */
void
ui_account_logout(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct audit_origin	 o = { req->remote_addr, req->user_agent,
	    "user" };
	struct audit_subject	 s = { NULL, NULL, NULL };
	struct visit		 v;
	bool			 had;

	if (!visit_begin(app, req, resp, &v))
		goto out;
	had = v.b.has_session;
	if (browser_logout(app, &v.b, resp) != GH_OK) {
		reply_unavailable(resp);
		goto out;
	}
	if (had) {
		s.user_id = v.b.session.user_id;
		audit_event(app, &o, "logout", &s, NULL);
	}
	redirect(resp, "/account/login");
out:
	finish(app, &v, resp);
}
