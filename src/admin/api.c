/*
 * api.c - the admin HTTP API (see api.h): authenticate, parse the bounded
 * parameters, call one action or read, answer JSON.
 *
 * Reads of the store never happen inside another store walk (the store
 * is not re-entered): lists are collected first, then turned into JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "actions.h"
#include "admin_auth.h"
#include "api.h"
#include "client_detail.h"
#include "../governance/gov_json.h"
#include "../http/form_body.h"
#include "../http/reply.h"
#include "../util/clock.h"
#include "../util/limits.h"
#include "../util/str.h"

/* one API call: who, from where, with which parameters */
struct call {
	struct admin_row	admin;
	struct admin_origin	origin;
	struct params		p;
};

static void
api_reply(struct http_response *resp, int status, json_t *o)
{
	resp->body.max = GH_MAX_ADMIN_REPLY;
	if (reply_json(resp, status, o) != GH_OK)
		reply_unavailable(resp);
}

static void
api_error(struct http_response *resp, int status, const char *code,
    const char *desc)
{
	api_reply(resp, status, json_pack("{s:s, s:s}", "error", code,
	    "error_description", desc));
}

static void
api_store_error(struct http_response *resp, enum gh_err rc)
{
	if (rc == GH_ERR_NOT_FOUND)
		api_error(resp, 404, "not_found", "no such object");
	else
		reply_unavailable(resp);
}

/*
 * Authenticate and parse the query (GET) or the form body (POST).
 * False when the reply is already made.
 */
static bool
api_begin(struct app *app, const struct http_request *req,
    struct http_response *resp, struct call *k)
{
	enum gh_err	rc;
	int64_t		retry;
	char		after[24];

	params_init(&k->p);
	rc = admin_authenticate(app, req, &k->admin, &retry);
	if (rc == GH_ERR_LIMIT) {
		api_error(resp, 429, "too_many_requests", "too many wrong "
		    "credentials from this address; retry later");
		snprintf(after, sizeof(after), "%lld", (long long)retry);
		if (response_header(resp, "Retry-After", after) != GH_OK)
			reply_unavailable(resp);
		return false;
	}
	if (rc == GH_ERR_NOT_FOUND) {
		api_error(resp, 401, "invalid_token",
		    "an admin credential is required (Authorization: Bearer)");
		if (response_header(resp, "WWW-Authenticate", req->authorization ?
		    "Bearer realm=\"gatehouse-admin\", error=\"invalid_token\"" :
		    "Bearer realm=\"gatehouse-admin\"") != GH_OK)
			reply_unavailable(resp);
		return false;
	}
	if (rc != GH_OK) {
		reply_unavailable(resp);
		return false;
	}
	admin_origin_init(&k->origin, k->admin.name, req);
	if (req->method == HTTP_POST)
		rc = form_body_parse(req, &k->p);
	else
		rc = form_parse(req->query, req->query_len, &k->p);
	if (rc == GH_OK && params_first_dup(&k->p) == NULL)
		return true;
	if (rc == GH_ERR_NOMEM)
		reply_unavailable(resp);
	else if (rc == GH_ERR_INVALID)
		api_error(resp, 415, "invalid_request", "the body must be "
		    "application/x-www-form-urlencoded");
	else if (rc == GH_ERR_LIMIT)
		api_error(resp, 413, "invalid_request", "request too large");
	else
		api_error(resp, 400, "invalid_request", rc == GH_OK ?
		    "a parameter was repeated" : "malformed parameters");
	params_free(&k->p);
	return false;
}

/* an optional number parameter in [min, max]; false if malformed */
static bool
num_param(const struct params *p, const char *name, uint64_t min,
    uint64_t max, uint64_t *out)
{
	const char *v = params_get(p, name);

	if (v == NULL)
		return true;
	return parse_u64(slice_cstr(v), min, max, out) == GH_OK;
}

/* an identifier parameter: present, bounded, printable */
static const char *
id_param(const struct params *p, const char *name, size_t max)
{
	const char *v = params_get(p, name);

	if (v == NULL || v[0] == '\0' || strlen(v) >= max ||
	    !str_printable(v))
		return NULL;
	return v;
}

/*
 * One page of the inventory, riskiest first: `limit` apps (at most
 * GH_INVENTORY_PAGE, which keeps a reply under GH_MAX_ADMIN_REPLY) from
 * `offset`, with the total and the offset of the next page (null after
 * the last). The whole is ranked for every page: a page is a slice of
 * one ranking only if nothing changed between the calls. Past
 * GH_INVENTORY_MAX apps it is an error that says so, never a part.
 */
void
api_inventory(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call	 k;
	json_t		*all, *page;
	uint64_t	 offset = 0, limit = GH_INVENTORY_PAGE;
	size_t		 i, n;
	enum gh_err	 rc;
	char		 why[64];

	if (!api_begin(app, req, resp, &k))
		return;
	if (!num_param(&k.p, "offset", 0, UINT32_MAX, &offset) ||
	    !num_param(&k.p, "limit", 1, GH_INVENTORY_PAGE, &limit)) {
		snprintf(why, sizeof(why), "offset is 0 or more, limit 1 to %d",
		    GH_INVENTORY_PAGE);
		api_error(resp, 400, "invalid_request", why);
		goto out;
	}
	if ((rc = inventory_sorted(app, clock_now(), GH_INVENTORY_MAX,
	    &all)) == GH_ERR_LIMIT) {
		snprintf(why, sizeof(why), "more than %d apps: the inventory "
		    "is not ranked", GH_INVENTORY_MAX);
		api_error(resp, 503, "inventory_too_large", why);
		goto out;
	}
	if (rc != GH_OK || (page = json_array()) == NULL) {
		json_decref(all);
		reply_unavailable(resp);
		goto out;
	}
	n = json_array_size(all);
	for (i = (size_t)offset; i < n && i < offset + limit; i++)
		if (json_array_append(page, json_array_get(all, i)) != 0)
			break;
	if (i < n && i < offset + limit) {	/* out of memory */
		json_decref(page);
		reply_unavailable(resp);
	} else {
		api_reply(resp, 200, json_pack("{s:o, s:I, s:o}", "clients",
		    page, "total", (json_int_t)n, "next_offset", i < n ?
		    json_integer((json_int_t)i) : json_null()));
	}
	json_decref(all);
out:
	params_free(&k.p);
}

void
api_client(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call		 k;
	struct client_detail	*d;
	const char		*id;
	int64_t			 now = clock_now();
	enum gh_err		 rc;

	if (!api_begin(app, req, resp, &k))
		return;
	if ((id = id_param(&k.p, "client_id", GH_MAX_CLIENT_ID_LEN)) == NULL) {
		api_error(resp, 400, "invalid_request", "client_id is required");
	} else if ((rc = client_detail_load(app, id, now, &d)) != GH_OK) {
		api_store_error(resp, rc);
	} else {
		api_reply(resp, 200, client_detail_json(app, d, now));
		free(d);
	}
	params_free(&k.p);
}

/* a username to its id; replies 404 itself */
static bool
user_id_of(struct app *app, struct http_response *resp, const char *name,
    char out[GH_ID_LEN])
{
	struct user_row	u;
	enum gh_err	rc;

	if (strlen(name) > GH_MAX_USERNAME_LEN) {
		api_error(resp, 400, "invalid_request", "user is too long");
		return false;
	}
	if ((rc = store_user_by_name(app->store, name, &u)) != GH_OK) {
		api_store_error(resp, rc);
		return false;
	}
	str_copy(out, GH_ID_LEN, u.id);
	return true;
}

/*
 * A list being collected from a store walk. A walk stops when its
 * callback says so; `failed` tells a stop for lack of memory from the
 * end of the list, so that a shorter list is never answered as the list.
 */
struct list {
	json_t	*items;
	size_t	 n;
	bool	 more;		/* stopped at GH_MAX_ADMIN_LIST */
	bool	 failed;	/* an item could not be added */
};

static bool
list_add(struct list *l, json_t *item)
{
	if (json_array_append_new(l->items, item) == 0)
		return true;
	l->failed = true;
	return false;
}

/* A walk's list, or NULL if it failed or stopped short. */
static json_t *
list_take(struct list *l, enum gh_err rc)
{
	if (rc == GH_OK && !l->failed)
		return l->items;
	json_decref(l->items);
	l->items = NULL;
	return NULL;
}

static bool
list_grant(void *ctx, const struct grant_row *g)
{
	struct list *l = ctx;

	if (l->n == GH_MAX_ADMIN_LIST) {
		l->more = true;
		return false;
	}
	l->n++;
	return list_add(l, grant_json(g));
}

void
api_grants(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call		 k;
	struct list		 l = { NULL, 0, false, false };
	const char		*client, *user;
	char			 uid[GH_ID_LEN];
	json_t			*items;

	if (!api_begin(app, req, resp, &k))
		return;
	client = params_get(&k.p, "client_id");
	user = params_get(&k.p, "user");
	if (client && strlen(client) >= GH_MAX_CLIENT_ID_LEN) {
		api_error(resp, 400, "invalid_request", "client_id is too long");
		goto out;
	}
	if (user && !user_id_of(app, resp, user, uid))
		goto out;
	if ((l.items = json_array()) == NULL ||
	    (items = list_take(&l, store_grant_each(app->store, client,
	    user ? uid : NULL, list_grant, &l))) == NULL) {
		json_decref(l.items);
		reply_unavailable(resp);
		goto out;
	}
	api_reply(resp, 200, json_pack("{s:o, s:b}", "grants", items,
	    "truncated", l.more));
out:
	params_free(&k.p);
}

void
api_grants_revoke(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call		 k;
	const char		*gid, *cid, *user, *reason, *id;
	char			 uid[GH_ID_LEN];
	enum grant_scope	 what;
	unsigned		 n = 0;
	enum gh_err		 rc;

	if (!api_begin(app, req, resp, &k))
		return;
	gid = params_get(&k.p, "grant_id");
	cid = params_get(&k.p, "client_id");
	user = params_get(&k.p, "user");
	reason = params_get(&k.p, "reason");
	if ((gid != NULL) + (cid != NULL) + (user != NULL) != 1) {
		api_error(resp, 400, "invalid_request", "give exactly one of "
		    "grant_id, client_id, user");
		goto out;
	}
	if (!action_reason_ok(reason)) {
		api_error(resp, 400, "invalid_request", "reason is required "
		    "(1-256 printable characters)");
		goto out;
	}
	if ((gid && id_param(&k.p, "grant_id", GH_ID_LEN) == NULL) ||
	    (cid && id_param(&k.p, "client_id", GH_MAX_CLIENT_ID_LEN) ==
	    NULL)) {
		api_error(resp, 400, "invalid_request", "malformed id");
		goto out;
	}
	if (user && !user_id_of(app, resp, user, uid))
		goto out;
	what = gid ? GRANT_ONE : cid ? GRANTS_OF_CLIENT : GRANTS_OF_USER;
	id = gid ? gid : cid ? cid : uid;
	rc = action_revoke(app, &k.origin.o, what, id, reason, &n);
	if (rc == GH_ERR_NOT_FOUND)
		api_error(resp, 404, "not_found", "no such client");
	else if (rc != GH_OK)
		reply_unavailable(resp);
	else if (what == GRANT_ONE && n == 0)
		api_error(resp, 404, "not_found", "no such live grant");
	else
		api_reply(resp, 200, json_pack("{s:i}", "grants_revoked",
		    (int)n));
out:
	params_free(&k.p);
}

void
api_quarantine(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call	 k;
	const char	*id, *reason;
	unsigned	 n = 0;
	enum gh_err	 rc;

	if (!api_begin(app, req, resp, &k))
		return;
	id = id_param(&k.p, "client_id", GH_MAX_CLIENT_ID_LEN);
	reason = params_get(&k.p, "reason");
	if (id == NULL || !action_reason_ok(reason)) {
		api_error(resp, 400, "invalid_request", "client_id and reason "
		    "(1-256 printable characters) are required");
		goto out;
	}
	rc = action_quarantine(app, &k.origin.o, id, reason, &n);
	if (rc != GH_OK)
		api_store_error(resp, rc);
	else
		api_reply(resp, 200, json_pack("{s:s, s:s, s:i}", "client_id",
		    id, "status", "quarantined", "grants_revoked", (int)n));
out:
	params_free(&k.p);
}

static bool
list_alert(void *ctx, const struct alert_row *a)
{
	return list_add(ctx, alert_json(a));
}

void
api_alerts(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call	 k;
	struct list	 l = { NULL, 0, false, false };
	const char	*all, *client;
	json_t		*items;
	int64_t		 total;
	bool		 open_only;

	if (!api_begin(app, req, resp, &k))
		return;
	all = params_get(&k.p, "all");
	client = params_get(&k.p, "client_id");
	if ((all && strcmp(all, "1") != 0 && strcmp(all, "0") != 0) ||
	    (client && strlen(client) >= GH_MAX_CLIENT_ID_LEN)) {
		api_error(resp, 400, "invalid_request", "all is 0 or 1; "
		    "client_id is a client id");
		goto out;
	}
	open_only = !(all && all[0] == '1');
	if ((l.items = json_array()) == NULL ||
	    (items = list_take(&l, store_alert_each(app->store, open_only,
	    client, GH_MAX_ADMIN_LIST, list_alert, &l))) == NULL) {
		json_decref(l.items);
		reply_unavailable(resp);
		goto out;
	}
	/* the list is bounded: say how many there are, and that it is cut */
	if (store_alert_count(app->store, open_only, client, &total) !=
	    GH_OK) {
		json_decref(items);
		reply_unavailable(resp);
		goto out;
	}
	/* two reads, not one snapshot: an ack in between lowers the count */
	if (total < (int64_t)json_array_size(items))
		total = (int64_t)json_array_size(items);
	api_reply(resp, 200, json_pack("{s:o, s:I, s:b}", "alerts", items,
	    "total", (json_int_t)total, "truncated",
	    total > (int64_t)json_array_size(items)));
out:
	params_free(&k.p);
}

void
api_alerts_ack(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call	 k;
	uint64_t	 id = 0;
	enum gh_err	 rc;

	if (!api_begin(app, req, resp, &k))
		return;
	if (params_get(&k.p, "id") == NULL ||
	    !num_param(&k.p, "id", 1, INT64_MAX, &id)) {
		api_error(resp, 400, "invalid_request", "id is an alert id");
		goto out;
	}
	rc = action_alert_ack(app, &k.origin.o, (int64_t)id, k.origin.actor);
	if (rc == GH_ERR_NOT_FOUND)
		api_error(resp, 404, "not_found", "no such open alert");
	else if (rc != GH_OK)
		reply_unavailable(resp);
	else
		api_reply(resp, 200, json_pack("{s:I, s:s, s:s}", "id",
		    (json_int_t)id, "status", "acknowledged", "acked_by",
		    k.origin.actor));
out:
	params_free(&k.p);
}

struct audit_page {
	int64_t		 since;
	int64_t		 last_seq;
	unsigned	 scanned;
	struct list	 events;
};

static bool
page_event(void *ctx, const struct audit_row *r)
{
	struct audit_page *pg = ctx;

	pg->scanned++;
	pg->last_seq = r->seq;
	if (r->time < pg->since)
		return true;
	/* else a page cut short would end the walk (next_after null) */
	return list_add(&pg->events, audit_json(r));
}

/*
 * One page scans at most `limit` events after seq `after` and returns
 * those at or after `since`; next_after continues the walk (null: done).
 */
void
api_audit(struct app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct call		 k;
	struct audit_page	 pg = { 0, 0, 0, { NULL, 0, false, false } };
	uint64_t		 since = 0, after = 0, limit = GH_MAX_AUDIT_PAGE;
	json_t			*events;

	if (!api_begin(app, req, resp, &k))
		return;
	if (!num_param(&k.p, "since", 0, INT64_MAX, &since) ||
	    !num_param(&k.p, "after", 0, INT64_MAX, &after) ||
	    !num_param(&k.p, "limit", 1, GH_MAX_AUDIT_PAGE, &limit)) {
		api_error(resp, 400, "invalid_request", "since (Unix time), "
		    "after (sequence) and limit (1-1000) are numbers");
		goto out;
	}
	pg.since = (int64_t)since;
	pg.last_seq = (int64_t)after;
	if ((pg.events.items = json_array()) == NULL ||
	    (events = list_take(&pg.events, store_audit_each(app->store,
	    (int64_t)after, (unsigned)limit, page_event, &pg))) == NULL) {
		json_decref(pg.events.items);
		reply_unavailable(resp);
		goto out;
	}
	api_reply(resp, 200, json_pack("{s:o, s:o}", "events", events,
	    "next_after", pg.scanned == limit ?
	    json_integer(pg.last_seq) : json_null()));
out:
	params_free(&k.p);
}
