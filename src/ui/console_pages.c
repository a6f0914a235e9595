/*
 * console_pages.c - rendering of the admin console (see console_pages.h).
 * Values from the store reach the page only through page_esc(), numbers
 * through page_printf("%lld"); links carry values url-encoded.
 */
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "console_pages.h"
#include "../http/escape.h"
#include "../http/reply.h"
#include "../util/limits.h"

/* the sortable columns of the inventory; numbers sort biggest first */
static const struct column {
	const char	*key;
	const char	*label;
	bool		 number;
} columns[] = {
	{ "risk", "Risk", true },
	{ "name", "Name", false },
	{ "owner", "Owner", false },
	{ "status", "Status", false },
	{ "users", "Users", true },
	{ "live_tokens", "Live tokens", true },
	{ "open_alerts", "Open alerts", true },
	{ "idle_days", "Idle days", true },
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

const char *
console_sort_key(const char *name)
{
	size_t i;

	for (i = 0; name && i < NCOLUMNS; i++)
		if (strcmp(columns[i].key, name) == 0)
			return columns[i].key;
	return NULL;
}

/* a query value, url-encoded into the page (then escaped for the attr) */
static void
url_value(struct page *p, const char *s)
{
	struct buf b;

	buf_init(&b, GH_MAX_URI_LEN);
	if (p->rc == GH_OK)
		p->rc = url_encode(&b, s ? s : "");
	page_esc(p, buf_str(&b));
	buf_free(&b);
}

static void
client_link(struct page *p, const char *id, const char *text)
{
	page_put(p, "<a href=\"/admin/client?client_id=");
	url_value(p, id);
	page_put(p, "\">");
	page_esc(p, text);
	page_put(p, "</a>");
}

static void
begin(struct page *p, const struct console_view *v, const char *title)
{
	page_begin_wide(p, title, GH_MAX_ADMIN_REPLY);
	if (v->admin && v->admin[0]) {
		page_put(p, "<nav><a href=\"/admin/inventory\">Inventory</a>"
		    "<a href=\"/admin/alerts\">Alerts</a>"
		    "<span class=\"muted\">signed in as ");
		page_esc(p, v->admin);
		page_put(p, "</span><form method=\"post\" "
		    "action=\"/admin/logout\">");
		page_hidden(p, "csrf", v->csrf);
		page_put(p, "<button type=\"submit\" class=\"secondary\">"
		    "Sign out</button></form></nav>");
	}
	if (v->notice) {
		page_put(p, "<p class=\"notice\" role=\"status\">");
		page_esc(p, v->notice);
		page_put(p, "</p>");
	}
}

void
console_login_page(struct http_response *r, const struct console_view *v,
    const char *error, int status)
{
	struct page p;

	begin(&p, v, "Gatehouse console");
	page_put(&p, "<p class=\"muted\">Paste an admin credential (made with "
	    "<code>gatehouse admin add</code>).</p>");
	if (error) {
		page_put(&p, "<p class=\"error\" role=\"alert\">");
		page_esc(&p, error);
		page_put(&p, "</p>");
	}
	page_put(&p, "<form method=\"post\" action=\"/admin/login\">");
	page_hidden(&p, "csrf", v->csrf);
	page_put(&p, "<label for=\"credential\">Admin credential</label>"
	    "<input type=\"password\" id=\"credential\" name=\"credential\" "
	    "autocomplete=\"off\" required autofocus maxlength=\"127\">"
	    "<button type=\"submit\">Sign in</button></form>");
	page_end(&p, r, status);
}

void
console_message(struct http_response *r, const struct console_view *v,
    int status, const char *title, const char *message)
{
	struct page p;

	begin(&p, v, title);
	page_put(&p, "<p class=\"error\">");
	page_esc(&p, message);
	page_put(&p, "</p><p><a href=\"/admin/inventory\">Back to the "
	    "inventory</a></p>");
	page_end(&p, r, status);
}

struct sort_by {
	const struct column	*col;
	bool			 desc;
};

static int
compare(const void *a, const void *b, void *ctx)
{
	const struct sort_by	*s = ctx;
	json_t			*x = json_object_get(*(json_t *const *)a,
	    s->col->key);
	json_t			*y = json_object_get(*(json_t *const *)b,
	    s->col->key);
	int			 c;

	if (s->col->number) {
		json_int_t i = json_integer_value(x), j = json_integer_value(y);

		c = i < j ? -1 : i > j ? 1 : 0;
	} else {
		c = strcmp(json_string_value(x) ? json_string_value(x) : "",
		    json_string_value(y) ? json_string_value(y) : "");
	}
	return s->desc ? -c : c;
}

static void
sort_header(struct page *p, const struct column *col, const char *sort,
    bool desc)
{
	bool	current = strcmp(col->key, sort) == 0;
	/* a second click on the current column flips the order */
	bool	next_desc = current ? !desc : col->number;

	page_put(p, "<th><a href=\"/admin/inventory?sort=");
	page_put(p, col->key);
	page_put(p, next_desc ? "&amp;order=desc\">" : "&amp;order=asc\">");
	page_put(p, col->label);
	if (current)
		page_put(p, desc ? " &#9660;" : " &#9650;");
	page_put(p, "</a></th>");
}

static const char *
risk_class(json_int_t risk)
{
	return risk >= 50 ? "risk-high" : risk >= 25 ? "risk-med" : "";
}

static void
inventory_row(struct page *p, json_t *o)
{
	json_t		*f = json_object_get(o, "risk_factors"), *x;
	json_int_t	 risk = json_integer_value(json_object_get(o, "risk"));
	size_t		 i;

	page_printf(p, "<tr><td class=\"%s\">%lld</td><td>", risk_class(risk),
	    (long long)risk);
	client_link(p, json_string_value(json_object_get(o, "client_id")),
	    json_string_value(json_object_get(o, "name")));
	page_put(p, "<br><code>");
	page_esc(p, json_string_value(json_object_get(o, "client_id")));
	page_put(p, "</code></td><td>");
	page_esc(p, json_string_value(json_object_get(o, "owner")));
	page_put(p, "</td><td>");
	page_esc(p, json_string_value(json_object_get(o, "status")));
	page_printf(p, "</td><td>%lld</td><td>%lld</td><td>%lld</td>"
	    "<td>%lld</td><td>",
	    (long long)json_integer_value(json_object_get(o, "users")),
	    (long long)json_integer_value(json_object_get(o, "live_tokens")),
	    (long long)json_integer_value(json_object_get(o, "open_alerts")),
	    (long long)json_integer_value(json_object_get(o, "idle_days")));
	json_array_foreach(f, i, x) {
		if (i)
			page_put(p, ", ");
		page_esc(p, json_string_value(x));
	}
	page_put(p, "</td></tr>");
}

/* a link to the page of the inventory from `offset`, in the same order */
static void
page_link(struct page *p, const char *sort, bool desc, size_t offset,
    const char *label)
{
	page_put(p, "<a href=\"/admin/inventory?sort=");
	page_put(p, sort);
	page_printf(p, "&amp;order=%s&amp;offset=%zu\">", desc ? "desc" : "asc",
	    offset);
	page_put(p, label);
	page_put(p, "</a> ");
}

void
console_inventory_page(struct http_response *r, const struct console_view *v,
    json_t *items, const char *sort, bool desc, size_t offset)
{
	struct page	 p;
	struct sort_by	 s = { &columns[0], desc };
	json_t		**rows;
	size_t		 i, n = json_array_size(items);
	size_t		 end;

	for (i = 0; i < NCOLUMNS; i++)
		if (strcmp(columns[i].key, sort) == 0)
			s.col = &columns[i];
	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL) {
		reply_unavailable(r);
		return;
	}
	for (i = 0; i < n; i++)
		rows[i] = json_array_get(items, i);
	/* the list arrives riskiest first; other columns are sorted here */
	if (strcmp(s.col->key, "risk") != 0 || !desc)
		qsort_r(rows, n, sizeof(*rows), compare, &s);
	if (offset > n)
		offset = n;
	end = n - offset > GH_INVENTORY_PAGE ? offset + GH_INVENTORY_PAGE : n;
	begin(&p, v, "App inventory");
	page_printf(&p, "<p class=\"muted\">%zu apps", n);
	if (offset < end && (offset > 0 || end < n))
		page_printf(&p, ", %zu to %zu shown", offset + 1, end);
	else if (offset >= end && n > 0)
		page_put(&p, ", none past the last");
	page_put(&p, ". Risk is 0-100; the factors say why.</p>"
	    "<table id=\"inventory\"><thead><tr>");
	for (i = 0; i < NCOLUMNS; i++)
		sort_header(&p, &columns[i], s.col->key, desc);
	page_put(&p, "<th>Risk factors</th></tr></thead><tbody>");
	for (i = offset; i < end; i++)
		inventory_row(&p, rows[i]);
	page_put(&p, "</tbody></table>");
	if (offset > 0 || end < n) {
		page_put(&p, "<p id=\"pages\">");
		if (offset > 0)
			page_link(&p, s.col->key, desc, offset >
			    GH_INVENTORY_PAGE ? offset - GH_INVENTORY_PAGE : 0,
			    "Previous");
		if (end < n)
			page_link(&p, s.col->key, desc, end, "Next");
		page_put(&p, "</p>");
	}
	free(rows);
	page_end(&p, r, 200);
}

static void
confirm_link(struct page *p, const char *action, const char *client_id,
    const char *grant_id, const char *label)
{
	page_put(p, "<a class=\"danger\" href=\"/admin/confirm?action=");
	page_put(p, action);
	page_put(p, "&amp;client_id=");
	url_value(p, client_id);
	if (grant_id) {
		page_put(p, "&amp;grant_id=");
		url_value(p, grant_id);
	}
	page_put(p, "\">");
	page_put(p, label);
	page_put(p, "</a>");
}

static void
fact(struct page *p, const char *label, const char *value)
{
	page_put(p, "<dt>");
	page_put(p, label);
	page_put(p, "</dt><dd>");
	page_esc(p, value);
	page_put(p, "</dd>");
}

static void
client_facts(struct page *p, const struct client_detail *d)
{
	const struct client_row *c = &d->c;
	unsigned		 i;

	page_put(p, "<dl class=\"facts\">");
	fact(p, "Client ID", c->id);
	fact(p, "Owner", c->owner);
	fact(p, "Status", client_status_name(c->status));
	fact(p, "Type", c->is_public ? "public" : "confidential");
	fact(p, "Authentication", client_auth_name(c->auth_method));
	fact(p, "Allowed scopes", c->scopes);
	fact(p, "Granted scopes", d->u.granted_scopes[0] ?
	    d->u.granted_scopes : "none");
	fact(p, "Networks seen", d->u.networks[0] ? d->u.networks : "none");
	page_printf(p, "<dt>Users</dt><dd>%u</dd><dt>Live tokens</dt>"
	    "<dd id=\"live-tokens\">%u</dd><dt>Last token</dt><dd>",
	    d->u.users, d->u.live_tokens);
	page_time(p, d->u.last_issued);
	page_put(p, "</dd><dt>Last refresh</dt><dd>");
	page_time(p, d->u.last_refresh);
	page_printf(p, "</dd><dt>Risk</dt><dd class=\"%s\">%d",
	    risk_class(d->risk.score), d->risk.score);
	for (i = 0; i < d->risk.n; i++) {
		page_put(p, i ? ", " : " (");
		page_esc(p, d->risk.factors[i]);
	}
	page_put(p, d->risk.n ? ")</dd></dl>" : "</dd></dl>");
}

/*
 * A bounded list says what it leaves out, with the real total: a note
 * above the table, so it is read before the rows. `kind`: "alerts" or
 * "open alerts"; open_hidden: how many of those left out are open.
 */
static void
alerts_more(struct page *p, size_t shown, size_t total, const char *kind,
    size_t open_hidden)
{
	if (total <= shown)
		return;
	page_printf(p, "<p class=\"muted\" id=\"alerts-more\">%zu more %s "
	    "not shown (%zu in all", total - shown, kind, total);
	if (open_hidden > 0)
		page_printf(p, "; %zu of them open", open_hidden);
	page_put(p, "). Open alerts come first, the most severe first, then "
	    "the newest.</p>");
}

static void
alert_table(struct page *p, const struct console_view *v,
    const struct alert_row *a, size_t n, const char *back)
{
	size_t i;

	if (n == 0) {
		page_put(p, "<p class=\"muted\">No alerts.</p>");
		return;
	}
	page_put(p, "<table class=\"alerts\"><thead><tr><th>Time</th>"
	    "<th>Severity</th><th>Rule</th><th>Client</th><th>Summary</th>"
	    "<th>State</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		page_put(p, "<tr><td>");
		page_time(p, a[i].time);
		page_put(p, "</td><td>");
		page_esc(p, a[i].severity);
		page_put(p, "</td><td>");
		page_esc(p, a[i].rule);
		page_put(p, "</td><td>");
		if (a[i].client_id[0])
			client_link(p, a[i].client_id, a[i].client_id);
		page_put(p, "</td><td>");
		page_esc(p, a[i].summary);
		page_put(p, "</td><td>");
		if (a[i].acked_at) {
			page_put(p, "acknowledged by ");
			page_esc(p, a[i].acked_by);
		} else {
			page_put(p, "<form method=\"post\" "
			    "action=\"/admin/action\">");
			page_hidden(p, "csrf", v->csrf);
			page_hidden(p, "action", "ack");
			page_printf(p, "<input type=\"hidden\" name=\"id\" "
			    "value=\"%lld\">", (long long)a[i].id);
			page_hidden(p, "back", back);
			page_put(p, "<button type=\"submit\">Acknowledge"
			    "</button></form>");
		}
		page_put(p, "</td></tr>");
	}
	page_put(p, "</tbody></table>");
}

static void
grant_table(struct page *p, const struct client_detail *d)
{
	size_t i;

	if (d->ngrants == 0) {
		page_put(p, "<p class=\"muted\">No live grants.</p>");
		return;
	}
	page_put(p, "<table id=\"grants\"><thead><tr><th>User</th>"
	    "<th>Scope</th><th>Granted</th><th>Last used</th><th></th></tr>"
	    "</thead><tbody>");
	for (i = 0; i < d->ngrants; i++) {
		page_put(p, "<tr><td>");
		page_esc(p, d->grants[i].username);
		page_put(p, "</td><td>");
		page_esc(p, d->grants[i].scope);
		page_put(p, "</td><td>");
		page_time(p, d->grants[i].created_at);
		page_put(p, "</td><td>");
		page_time(p, d->grants[i].last_used_at);
		page_put(p, "</td><td>");
		confirm_link(p, "revoke_grant", d->c.id, d->grants[i].id,
		    "Revoke");
		page_put(p, "</td></tr>");
	}
	page_put(p, "</tbody></table>");
	if (d->more_grants)
		page_printf(p, "<p class=\"muted\">Only the first %d grants "
		    "are shown.</p>", DETAIL_MAX_GRANTS);
}

void
console_client_page(struct http_response *r, const struct console_view *v,
    const struct client_detail *d)
{
	struct page	p;
	struct buf	back;
	size_t		i, open_shown = 0;

	begin(&p, v, d->c.name);
	client_facts(&p, d);
	if (d->c.status != CLIENT_QUARANTINED) {
		page_put(&p, "<p>");
		confirm_link(&p, "quarantine", d->c.id, NULL,
		    "Quarantine (kill switch)");
		page_put(&p, "</p>");
	}
	page_put(&p, "<h2>Tokens per hour, last 7 days</h2>");
	chart_activity(&p, d->since, d->hours, d->issued, d->refreshed);
	page_put(&p, "<h2>Grants</h2>");
	grant_table(&p, d);
	if (d->ngrants > 1) {
		page_put(&p, "<p>");
		confirm_link(&p, "revoke_client", d->c.id, NULL,
		    "Revoke every grant");
		page_put(&p, "</p>");
	}
	page_put(&p, "<h2>Alerts</h2>");
	buf_init(&back, GH_MAX_URI_LEN);
	if (buf_puts(&back, "client:") != GH_OK ||
	    buf_puts(&back, d->c.id) != GH_OK)
		p.rc = GH_ERR_NOMEM;
	for (i = 0; i < d->nalerts; i++)
		if (d->alerts[i].acked_at == 0)
			open_shown++;
	alerts_more(&p, d->nalerts, d->alerts_total, "alerts",
	    d->u.open_alerts > open_shown ? d->u.open_alerts - open_shown :
	    0);
	alert_table(&p, v, d->alerts, d->nalerts, buf_str(&back));
	buf_free(&back);
	page_end(&p, r, 200);
}

void
console_alerts_page(struct http_response *r, const struct console_view *v,
    const struct alert_row *alerts, size_t n, size_t total, bool all)
{
	struct page p;

	begin(&p, v, all ? "All alerts" : "Open alerts");
	page_put(&p, all ? "<p><a href=\"/admin/alerts\">Only open alerts</a>"
	    "</p>" : "<p><a href=\"/admin/alerts?all=1\">Include acknowledged"
	    "</a></p>");
	alerts_more(&p, n, total, all ? "alerts" : "open alerts", 0);
	alert_table(&p, v, alerts, n, all ? "alerts-all" : "alerts");
	page_end(&p, r, 200);
}

void
console_confirm_page(struct http_response *r, const struct console_view *v,
    const struct confirm_view *c)
{
	struct page p;

	begin(&p, v, c->title);
	page_put(&p, "<p>");
	page_esc(&p, c->what);
	page_put(&p, "</p><p>Client: <strong>");
	page_esc(&p, c->client_name);
	page_put(&p, "</strong> <code>");
	page_esc(&p, c->client_id);
	page_put(&p, "</code>");
	if (c->grant_id) {
		page_put(&p, "<br>Grant: <code>");
		page_esc(&p, c->grant_id);
		page_put(&p, "</code>");
	}
	page_put(&p, "</p><form method=\"post\" action=\"/admin/action\">");
	page_hidden(&p, "csrf", v->csrf);
	page_hidden(&p, "action", c->action);
	page_hidden(&p, "client_id", c->client_id);
	if (c->grant_id)
		page_hidden(&p, "grant_id", c->grant_id);
	page_put(&p, "<label for=\"reason\">Reason (kept in the audit log)"
	    "</label><input type=\"text\" id=\"reason\" name=\"reason\" "
	    "required maxlength=\"256\"><button type=\"submit\" "
	    "class=\"danger\">");
	page_esc(&p, c->button);
	page_put(&p, "</button> <a href=\"/admin/client?client_id=");
	url_value(&p, c->client_id);
	page_put(&p, "\">Cancel</a></form>");
	page_end(&p, r, 200);
}
