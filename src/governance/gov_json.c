/* gov_json.c - see gov_json.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "gov_json.h"
#include "inventory.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/log.h"
#include "../util/str.h"

/*
 * Stored JSON (evidence, details) is text we wrote. Text that does not
 * load is a failure like any other: out of memory, jansson reports a
 * syntax error (or loads a string short), so the two cannot be told
 * apart, and the row without it would be a silently shorter answer.
 */
static json_t *
stored(const char *text)
{
	return json_parse(text, 0, NULL);
}

json_t *
alert_json(const struct alert_row *a)
{
	json_t *ev = a->evidence[0] ? stored(a->evidence) : json_object();
	char	summary[GH_MAX_ALERT_TEXT];

	if (ev == NULL)
		return NULL;
	/* a stored summary that is no UTF-8 is listed cleaned, not lost */
	str_copy_utf8(summary, sizeof(summary), a->summary);
	return json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:o, "
	    "s:s, s:o, s:s?, s:o}", "id", (json_int_t)a->id,
	    "time", (json_int_t)a->time, "rule", a->rule,
	    "severity", a->severity,
	    "client_id", a->client_id[0] ? a->client_id : NULL,
	    "user_id", a->user_id[0] ? a->user_id : NULL,
	    "grant_id", a->grant_id[0] ? a->grant_id : NULL,
	    "summary", summary, "evidence", ev,
	    "status", a->acked_at ? "acknowledged" : "open",
	    "acked_at", a->acked_at ? json_integer(a->acked_at) : json_null(),
	    "acked_by", a->acked_at ? a->acked_by : NULL,
	    "delivered_at", a->delivered_at ?
	    json_integer(a->delivered_at) : json_null());
}

json_t *
grant_json(const struct grant_row *g)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "grant_id", g->id, "client_id", g->client_id,
	    "user_id", g->user_id, "username", g->username, "scope", g->scope,
	    "created_at", (json_int_t)g->created_at,
	    "last_used_at", (json_int_t)g->last_used_at);
}

json_t *
audit_json(const struct audit_row *r)
{
	json_t	*o;
	char	 hx[GH_HASH_HEX + 1];

	hex_encode(r->hash, GH_HASH_BYTES, hx);
	o = json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, "
	    "s:s}", "seq", (json_int_t)r->seq, "time", (json_int_t)r->time,
	    "type", r->type, "actor", r->actor, "client_id", r->client_id,
	    "user_id", r->user_id, "grant_id", r->grant_id,
	    "remote_addr", r->remote_addr, "user_agent", r->user_agent,
	    "hash", hx);
	/* set_new releases a detail it could not add, and fails on NULL */
	if (o && r->detail &&
	    json_object_set_new(o, "detail", stored(r->detail)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct collected {
	const struct conf	*conf;
	int64_t			 now;
	size_t			 max;
	json_t			*items;
	bool			 failed;	/* out of memory */
	bool			 too_many;	/* more than max */
};

/* Each entry carries its client's creation ("_c") for the order of ties. */
static bool
collect(void *ctx, const struct client_row *c, const struct client_usage *u,
    const struct risk *r)
{
	struct collected	*k = ctx;
	json_t			*o;

	if (json_array_size(k->items) >= k->max) {
		k->too_many = true;
		return false;
	}
	o = inventory_json(k->conf, c, u, r, k->now);
	if (o != NULL && json_object_set_new(o, "_c",
	    json_integer(c->created_at)) == 0 &&
	    json_array_append(k->items, o) == 0) {
		json_decref(o);
		return true;
	}
	json_decref(o);
	k->failed = true;
	return false;
}

static json_int_t
field(const void *p, const char *name)
{
	return json_integer_value(json_object_get(*(json_t *const *)p, name));
}

static const char *
id_of(const void *p)
{
	const char *s = json_string_value(json_object_get(*(json_t *const *)p,
	    "client_id"));

	return s ? s : "";
}

/* riskiest first; ties: the older client first, then by id (a total order) */
static int
by_risk(const void *a, const void *b)
{
	json_int_t ra = field(a, "risk"), rb = field(b, "risk");
	json_int_t ca = field(a, "_c"), cb = field(b, "_c");

	if (ra != rb)
		return ra < rb ? 1 : -1;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	return strcmp(id_of(a), id_of(b));
}

static void
too_many(size_t max)
{
	char n[24];

	snprintf(n, sizeof(n), "%zu", max);
	log_kv(LOG_ERROR, "inventory_too_large", "limit", n, "what",
	    "more apps than the inventory ranks; nothing listed", NULL);
}

enum gh_err
inventory_sorted(struct app *app, int64_t now, size_t max, json_t **out)
{
	struct collected k = { &app->conf, now, max, json_array(), false,
	    false };
	json_t		**v = NULL;
	json_t		 *sorted = NULL;
	size_t		  i, n;
	enum gh_err	  rc = GH_ERR_NOMEM;

	*out = NULL;
	if (k.items == NULL)
		goto out;
	if ((rc = inventory_each(app, now, true, collect, &k)) != GH_OK)
		goto out;
	rc = GH_ERR_NOMEM;
	if (k.too_many) {
		too_many(max);
		rc = GH_ERR_LIMIT;
		goto out;
	}
	n = json_array_size(k.items);
	if (k.failed || (v = calloc(n + 1, sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(k.items, i);
	qsort(v, n, sizeof(*v), by_risk);
	if ((sorted = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		json_object_del(v[i], "_c");
		if (json_array_append(sorted, v[i]) != 0) {
			json_decref(sorted);
			sorted = NULL;
			goto out;
		}
	}
	*out = sorted;
	rc = GH_OK;
out:
	free(v);
	json_decref(k.items);
	return rc;
}

void
revocation_detail(const char *reason, unsigned n, char *out, size_t outsz)
{
	audit_detail(json_pack("{s:s, s:i}", "reason", reason,
	    "grants_revoked", (int)n), out, outsz);
}
