/*
 * console.c - the admin console's handlers (see console.h): who is
 * signed in, the CSRF check of every POST, which page or action.
 * Rendering is in console_pages.c; actions are admin/actions.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "console_pages.h"
#include "../admin/actions.h"
#include "../admin/admin_auth.h"
#include "../admin/client_detail.h"
#include "../governance/gov_json.h"
#include "../http/escape.h"
#include "../http/form_body.h"
#include "../http/reply.h"
#include "../oauth/login.h"
#include "../oauth/session.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/str.h"

#define MAX_ALERTS_SHOWN 200

struct console {
	char			admin[GH_MAX_ADMIN_NAME + 1];
	struct admin_origin	origin;
	struct browser		b;
	char			csrf[CSRF_TOKEN_LEN];
	struct params		p;
	struct console_view	v;
};

/* the fixed notices a redirect may ask for (?done=) */
static const char *
notice_of(const char *done)
{
	if (done == NULL)
		return NULL;
	if (strcmp(done, "quarantined") == 0)
		return "Client quarantined: its tokens are dead, its grants "
		    "revoked and its secret, if it had one, replaced.";
	if (strcmp(done, "revoked") == 0)
		return "Access revoked: the grant's tokens are dead.";
	if (strcmp(done, "acked") == 0)
		return "Alert acknowledged.";
	return NULL;
}

static void
finish(struct app *app, struct console *k, struct http_response *resp)
{
	if (browser_set_cookies(app, &k->b, resp) != GH_OK)
		reply_unavailable(resp);
	params_free(&k->p);
}

static void
redirect(struct http_response *resp, const char *to)
{
	if (reply_redirect(resp, 303, to) != GH_OK)
		reply_unavailable(resp);
}

static bool
parse(const struct http_request *req, struct console *k,
    struct http_response *resp)
{
	enum gh_err rc;

	if (req->method == HTTP_POST)
		rc = form_body_parse(req, &k->p);
	else
		rc = form_parse(req->query, req->query_len, &k->p);
	if (rc == GH_OK && params_first_dup(&k->p) == NULL)
		return true;
	if (rc == GH_ERR_NOMEM)
		reply_unavailable(resp);
	else
		console_message(resp, &k->v, rc == GH_ERR_LIMIT ? 413 : 400,
		    "Bad request", "The request is malformed.");
	return false;
}

/*
 * Who is there, with the CSRF token for this page's forms. A POST must
 * carry a valid token; `need_admin`: a signed-in admin, else the login.
 * False when the reply is already made (then call finish()).
 */
static bool
console_begin(struct app *app, const struct http_request *req,
    struct http_response *resp, struct console *k, bool need_admin)
{
	enum gh_err rc;

	memset(k, 0, sizeof(*k));
	k->v.admin = k->admin;
	k->v.csrf = k->csrf;
	if (browser_load(app, req, NULL, &k->b) != GH_OK ||
	    browser_csrf_ensure(app, &k->b) != GH_OK ||
	    browser_csrf_token(app, &k->b, k->csrf) != GH_OK) {
		reply_unavailable(resp);
		return false;
	}
	rc = admin_session_load(app, req, k->admin);
	if (rc != GH_OK && rc != GH_ERR_NOT_FOUND) {
		reply_unavailable(resp);
		return false;
	}
	if (rc != GH_OK)
		k->admin[0] = '\0';
	admin_origin_init(&k->origin, k->admin, req);
	if (!parse(req, k, resp))
		return false;
	if (need_admin && k->admin[0] == '\0') {
		if (req->method == HTTP_POST)
			console_message(resp, &k->v, 403, "Signed out",
			    "Your console session ended; sign in again.");
		else
			redirect(resp, "/admin/login");
		return false;
	}
	if (req->method == HTTP_POST && (rc = browser_csrf_check(app, &k->b,
	    params_get(&k->p, "csrf"))) != GH_OK) {
		if (rc != GH_ERR_INVALID)
			reply_unavailable(resp);	/* no verdict */
		else
			console_message(resp, &k->v, 403, "Form expired",
			    "This form expired or did not come from this "
			    "console. Go back, reload the page and try again.");
		return false;
	}
	k->v.notice = notice_of(params_get(&k->p, "done"));
	return true;
}

void
ui_admin_home(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console k;

	if (console_begin(app, req, resp, &k, true))
		redirect(resp, "/admin/inventory");
	finish(app, &k, resp);
}

static void
login_post(struct app *app, const struct http_request *req,
    struct console *k, struct http_response *resp)
{
	struct admin_row	 a;
	char			*cred = (char *)params_get(&k->p, "credential");
	int64_t			 retry;
	enum gh_err		 rc;

	/* counted per address and folded in the audit (admin_auth.h) */
	rc = admin_login_check(app, req, cred, &a, &retry);
	if (cred)
		crypto_wipe(cred, strlen(cred));
	if (rc == GH_ERR_LIMIT) {
		console_login_page(resp, &k->v, "Too many wrong credentials "
		    "from this address. Wait a little, then try again.", 200);
		login_reply_throttled(resp, retry);
		return;
	}
	if (rc == GH_ERR_NOT_FOUND) {
		console_login_page(resp, &k->v, "That credential is not valid.",
		    401);
		return;
	}
	if (rc != GH_OK || admin_session_start(app, a.name, resp) != GH_OK) {
		reply_unavailable(resp);
		return;
	}
	admin_origin_init(&k->origin, a.name, req);
	audit_event(app, &k->origin.o, "admin.login", NULL, NULL);
	redirect(resp, "/admin/inventory");
}

void
ui_admin_login(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console k;

	if (!console_begin(app, req, resp, &k, false))
		goto out;
	if (req->method == HTTP_POST)
		login_post(app, req, &k, resp);
	else if (k.admin[0])
		redirect(resp, "/admin/inventory");
	else
		console_login_page(resp, &k.v, NULL, 200);
out:
	finish(app, &k, resp);
}

void
ui_admin_logout(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console k;

	if (console_begin(app, req, resp, &k, true)) {
		if (admin_session_end(app, req, resp) != GH_OK) {
			reply_unavailable(resp);
		} else {
			audit_event(app, &k.origin.o, "admin.logout", NULL,
			    NULL);
			redirect(resp, "/admin/login");
		}
	}
	finish(app, &k, resp);
}

void
ui_admin_inventory(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console	 k;
	const char	*sort, *order, *from;
	json_t		*items;
	uint64_t	 offset = 0;
	enum gh_err	 rc;
	char		 why[128];

	if (!console_begin(app, req, resp, &k, true))
		goto out;
	sort = console_sort_key(params_get(&k.p, "sort"));
	order = params_get(&k.p, "order");
	/* a malformed offset is the first page, as a bad sort is by risk */
	if ((from = params_get(&k.p, "offset")) != NULL &&
	    parse_u64(slice_cstr(from), 0, UINT32_MAX, &offset) != GH_OK)
		offset = 0;
	if (sort == NULL)
		sort = "risk";
	rc = inventory_sorted(app, clock_now(), GH_INVENTORY_MAX, &items);
	if (rc == GH_ERR_LIMIT) {
		snprintf(why, sizeof(why), "More than %d apps are registered: "
		    "the inventory is not ranked past that many (see the "
		    "server log).", GH_INVENTORY_MAX);
		console_message(resp, &k.v, 503, "Inventory too large", why);
		goto out;
	}
	if (rc != GH_OK) {
		reply_unavailable(resp);
		goto out;
	}
	console_inventory_page(resp, &k.v, items, sort, order ?
	    strcmp(order, "asc") != 0 : strcmp(sort, "name") != 0 &&
	    strcmp(sort, "owner") != 0 && strcmp(sort, "status") != 0,
	    (size_t)offset);
	json_decref(items);
out:
	finish(app, &k, resp);
}

static const char *
client_param(struct console *k)
{
	const char *id = params_get(&k->p, "client_id");

	if (id == NULL || id[0] == '\0' || strlen(id) >= GH_MAX_CLIENT_ID_LEN ||
	    !str_printable(id))
		return NULL;
	return id;
}

void
ui_admin_client(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console		 k;
	struct client_detail	*d;
	const char		*id;
	enum gh_err		 rc;

	if (!console_begin(app, req, resp, &k, true))
		goto out;
	if ((id = client_param(&k)) == NULL) {
		console_message(resp, &k.v, 400, "Bad request",
		    "Which client? (client_id)");
		goto out;
	}
	rc = client_detail_load(app, id, clock_now(), &d);
	if (rc == GH_ERR_NOT_FOUND) {
		console_message(resp, &k.v, 404, "Not found", "No such client.");
	} else if (rc != GH_OK) {
		reply_unavailable(resp);
	} else {
		console_client_page(resp, &k.v, d);
		free(d);
	}
out:
	finish(app, &k, resp);
}

struct alert_list {
	struct alert_row	*rows;
	size_t			 n;
};

static bool
add_alert(void *ctx, const struct alert_row *a)
{
	struct alert_list *l = ctx;

	l->rows[l->n++] = *a;
	return l->n < MAX_ALERTS_SHOWN;
}

void
ui_admin_alerts(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console		 k;
	struct alert_list	 l = { NULL, 0 };
	const char		*all;
	bool			 open_only;
	int64_t			 total;

	if (!console_begin(app, req, resp, &k, true))
		goto out;
	all = params_get(&k.p, "all");
	open_only = !(all && strcmp(all, "1") == 0);
	if ((l.rows = calloc(MAX_ALERTS_SHOWN, sizeof(*l.rows))) == NULL ||
	    store_alert_each(app->store, open_only, NULL, MAX_ALERTS_SHOWN,
	    add_alert, &l) != GH_OK ||
	    store_alert_count(app->store, open_only, NULL, &total) != GH_OK) {
		reply_unavailable(resp);
		goto out;
	}
	/* two reads, not one snapshot: never fewer than are shown */
	console_alerts_page(resp, &k.v, l.rows, l.n, total > (int64_t)l.n ?
	    (size_t)total : l.n, !open_only);
out:
	free(l.rows);
	finish(app, &k, resp);
}

static const struct confirm_view confirms[] = {
	{ "quarantine", "Quarantine this client?", "The client is disabled at "
	    "once: every token it holds stops working, every grant is revoked "
	    "and its secret is replaced by one nobody knows.",
	    "Quarantine client", NULL, NULL, NULL },
	{ "revoke_grant", "Revoke this grant?", "The user's access through "
	    "this client ends now: every token of the grant stops working.",
	    "Revoke grant", NULL, NULL, NULL },
	{ "revoke_client", "Revoke every grant of this client?", "Every "
	    "user's access through this client ends now; the client itself "
	    "stays registered.", "Revoke every grant", NULL, NULL, NULL },
};

void
ui_admin_confirm(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console		 k;
	struct confirm_view	 c;
	struct client_row	*row = NULL;
	const char		*action, *id, *gid;
	size_t			 i;
	enum gh_err		 rc;

	if (!console_begin(app, req, resp, &k, true))
		goto out;
	action = params_get(&k.p, "action");
	id = client_param(&k);
	gid = params_get(&k.p, "grant_id");
	for (i = 0; action && i < sizeof(confirms) / sizeof(confirms[0]); i++)
		if (strcmp(confirms[i].action, action) == 0)
			break;
	if (action == NULL || i == sizeof(confirms) / sizeof(confirms[0]) ||
	    id == NULL || (strcmp(action, "revoke_grant") == 0) !=
	    (gid != NULL) || (gid && (strlen(gid) >= GH_ID_LEN ||
	    !str_printable(gid)))) {
		console_message(resp, &k.v, 400, "Bad request",
		    "Unknown action or missing client.");
		goto out;
	}
	if ((row = malloc(sizeof(*row))) == NULL) {
		reply_unavailable(resp);
		goto out;
	}
	if ((rc = store_client_get(app->store, id, row)) != GH_OK) {
		if (rc == GH_ERR_NOT_FOUND)
			console_message(resp, &k.v, 404, "Not found",
			    "No such client.");
		else
			reply_unavailable(resp);
		goto out;
	}
	c = confirms[i];
	c.client_id = row->id;
	c.client_name = row->name;
	c.grant_id = gid;
	console_confirm_page(resp, &k.v, &c);
out:
	free(row);
	finish(app, &k, resp);
}

/* where to go after an action: the client page, or the alerts list */
static void
back_to(struct http_response *resp, const char *client_id, const char *back,
    const char *done)
{
	struct buf	to;
	enum gh_err	rc;

	buf_init(&to, GH_MAX_URI_LEN);
	if (back && strcmp(back, "alerts") == 0)
		rc = buf_printf(&to, "/admin/alerts?done=%s", done);
	else if (back && strcmp(back, "alerts-all") == 0)
		rc = buf_printf(&to, "/admin/alerts?all=1&done=%s", done);
	else if ((rc = buf_puts(&to, "/admin/client?client_id=")) == GH_OK &&
	    (rc = url_encode(&to, client_id ? client_id : "")) == GH_OK)
		rc = buf_printf(&to, "&done=%s", done);
	if (rc == GH_OK)
		redirect(resp, buf_str(&to));
	else
		reply_unavailable(resp);
	buf_free(&to);
}

static void
do_ack(struct app *app, struct console *k, struct http_response *resp)
{
	const char	*v = params_get(&k->p, "id");
	const char	*back = params_get(&k->p, "back");
	uint64_t	 id;
	enum gh_err	 rc;

	if (v == NULL || parse_u64(slice_cstr(v), 1, INT64_MAX, &id) !=
	    GH_OK || back == NULL || strlen(back) > 8 + GH_MAX_CLIENT_ID_LEN) {
		console_message(resp, &k->v, 400, "Bad request",
		    "Which alert?");
		return;
	}
	rc = action_alert_ack(app, &k->origin.o, (int64_t)id, k->origin.actor);
	if (rc == GH_ERR_NOT_FOUND)
		console_message(resp, &k->v, 404, "Not found",
		    "No such open alert.");
	else if (rc != GH_OK)
		reply_unavailable(resp);
	else
		back_to(resp, strncmp(back, "client:", 7) == 0 ? back + 7 :
		    NULL, back, "acked");
}

static void
do_revoke_or_quarantine(struct app *app, struct console *k,
    const char *action, struct http_response *resp)
{
	const char	*id = client_param(k);
	const char	*gid = params_get(&k->p, "grant_id");
	const char	*reason = params_get(&k->p, "reason");
	unsigned	 n = 0;
	enum gh_err	 rc;

	if (id == NULL || !action_reason_ok(reason) ||
	    (strcmp(action, "revoke_grant") == 0 && (gid == NULL ||
	    strlen(gid) >= GH_ID_LEN || !str_printable(gid)))) {
		console_message(resp, &k->v, 400, "Bad request",
		    "A client and a reason (1-256 printable characters) are "
		    "required.");
		return;
	}
	if (strcmp(action, "quarantine") == 0)
		rc = action_quarantine(app, &k->origin.o, id, reason, &n);
	else if (strcmp(action, "revoke_grant") == 0)
		rc = action_revoke(app, &k->origin.o, GRANT_ONE, gid, reason,
		    &n);
	else
		rc = action_revoke(app, &k->origin.o, GRANTS_OF_CLIENT, id,
		    reason, &n);
	if (rc == GH_OK && strcmp(action, "revoke_grant") == 0 && n == 0)
		rc = GH_ERR_NOT_FOUND;
	if (rc == GH_ERR_NOT_FOUND)
		console_message(resp, &k->v, 404, "Not found",
		    "Nothing to act on: no such client or live grant.");
	else if (rc != GH_OK)
		reply_unavailable(resp);
	else
		back_to(resp, id, NULL, strcmp(action, "quarantine") == 0 ?
		    "quarantined" : "revoked");
}

void
ui_admin_action(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct console	 k;
	const char	*action;

	if (!console_begin(app, req, resp, &k, true))
		goto out;
	action = params_get(&k.p, "action");
	if (action && strcmp(action, "ack") == 0)
		do_ack(app, &k, resp);
	else if (action && (strcmp(action, "quarantine") == 0 ||
	    strcmp(action, "revoke_grant") == 0 ||
	    strcmp(action, "revoke_client") == 0))
		do_revoke_or_quarantine(app, &k, action, resp);
	else
		console_message(resp, &k.v, 400, "Bad request",
		    "Unknown action.");
out:
	finish(app, &k, resp);
}
