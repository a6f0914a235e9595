/* inventory.c - see inventory.h. */
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "../util/str.h"

#define DAY		86400

int64_t
inventory_idle_days(const struct client_row *c, const struct client_usage *u,
    int64_t now)
{
	int64_t last = c->created_at;

	if (u->last_issued > last)
		last = u->last_issued;
	if (u->last_refresh > last)
		last = u->last_refresh;
	return now > last ? (now - last) / DAY : 0;
}

static unsigned
count_words(const char *list)
{
	struct slice	w;
	unsigned	n = 0;

	while (words_next(&list, &w))
		n++;
	return n;
}

static void
factor(struct risk *r, const char *name, int points)
{
	if (r->n < RISK_MAX_FACTORS)
		r->factors[r->n++] = name;
	r->score += points;
}

void
inventory_risk(const struct conf *conf, const struct client_row *c,
    const struct client_usage *u, int64_t now, struct risk *r)
{
	int64_t	secret_at = c->secret_rotated_at ? c->secret_rotated_at :
	    c->created_at;
	int	alerts;

	memset(r, 0, sizeof(*r));
	if (count_words(c->scopes) > 4)
		factor(r, "broad_scopes", 15);
	if (c->auth_method == AUTH_SECRET_BASIC ||
	    c->auth_method == AUTH_SECRET_POST)
		factor(r, "shared_secret", 10);
	if (c->is_public && words_has(c->scopes, "offline_access"))
		factor(r, "public_offline_access", 20);
	if (conf->client_unused_days > 0 && c->status == CLIENT_ACTIVE &&
	    inventory_idle_days(c, u, now) >= conf->client_unused_days)
		factor(r, u->grants ? "unused_with_live_grants" : "unused",
		    u->grants ? 30 : 15);
	if (conf->secret_max_age_days > 0 && c->has_secret &&
	    (now - secret_at) / DAY >= conf->secret_max_age_days)
		factor(r, "stale_secret", 15);
	if (!c->is_public && c->networks[0] == '\0')
		factor(r, "no_network_allowlist", 5);
	if (u->open_alerts) {
		alerts = u->open_alerts > 3 ? 3 : (int)u->open_alerts;
		factor(r, "open_alerts", 10 * alerts);
	}
	if (r->score > 100)
		r->score = 100;
}

static json_t *
time_or_null(int64_t t)
{
	return t ? json_integer(t) : json_null();
}

/* The parts of s between separators, or NULL (never fewer parts). */
static json_t *
lines(const char *s, char sep)
{
	json_t		*a = json_array();
	const char	*p = s, *e;

	while (a && *p) {
		e = strchr(p, sep);
		if (e == NULL)
			e = p + strlen(p);
		if (e > p && json_array_append_new(a, json_stringn(p,
		    (size_t)(e - p))) != 0) {
			json_decref(a);
			return NULL;
		}
		p = *e ? e + 1 : e;
	}
	return a;
}

json_t *
inventory_json(const struct conf *conf, const struct client_row *c,
    const struct client_usage *u, const struct risk *r, int64_t now)
{
	json_t	*factors = json_array();
	int64_t	 secret_at = c->secret_rotated_at ? c->secret_rotated_at :
	    c->created_at;
	unsigned i;

	(void)conf;
	for (i = 0; factors && i < r->n; i++)
		if (json_array_append_new(factors,
		    json_string(r->factors[i])) != 0) {
			json_decref(factors);
			factors = NULL;		/* the pack below fails */
		}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:i, "
	    "s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:i, s:o}",
	    "client_id", c->id, "name", c->name, "owner", c->owner,
	    "status", client_status_name(c->status),
	    "type", c->is_public ? "public" : "confidential",
	    "auth_method", client_auth_name(c->auth_method),
	    "allowed_scopes", lines(c->scopes, ' '),
	    "granted_scopes", lines(u->granted_scopes, ' '),
	    "grants", (int)u->grants, "users", (int)u->users,
	    "live_tokens", (int)u->live_tokens,
	    "open_alerts", (int)u->open_alerts,
	    "first_issued", time_or_null(u->first_issued),
	    "last_issued", time_or_null(u->last_issued),
	    "last_refresh", time_or_null(u->last_refresh),
	    "networks", lines(u->networks, ' '),
	    "user_agents", lines(u->agents, '\n'),
	    "credential_age_days", c->has_secret ?
	    json_integer((now - secret_at) / DAY) : json_null(),
	    "idle_days", (json_int_t)inventory_idle_days(c, u, now),
	    "risk", r->score, "risk_factors", factors);
}

/*
 * Every client, however many: a batch at a time (a keyset on the id),
 * each batch read with its usage in three statements
 * (store_client_usage_batch), not client after client: every page of
 * the ranking reads every client's usage, and reading each client's row
 * and usage took 9 statements (on PostgreSQL as many round trips) per
 * client. Memory stays one batch, and fn runs once the store is done
 * with the batch, so it may use the store (hygiene disables clients).
 * A client added meanwhile below the batch's last id is met by the next
 * walk.
 */
enum gh_err
inventory_each(struct app *app, int64_t now, bool count_tokens,
    bool (*fn)(void *, const struct client_row *, const struct client_usage *,
    const struct risk *), void *ctx)
{
	char			 after[GH_MAX_CLIENT_ID_LEN] = "";
	struct client_row	*rows = NULL;
	struct client_usage	*usage = NULL;
	struct risk		 r;
	enum gh_err		 rc = GH_ERR_NOMEM;
	unsigned		 i, n;

	/* 256 rows of 43 KB: most of it the bulky fields, never written */
	if ((rows = malloc(GH_INVENTORY_BATCH * sizeof(*rows))) == NULL ||
	    (usage = malloc(GH_INVENTORY_BATCH * sizeof(*usage))) == NULL)
		goto out;
	do {
		if ((rc = store_client_usage_batch(app->store, after,
		    GH_INVENTORY_BATCH, now, count_tokens, rows, usage,
		    &n)) != GH_OK)
			goto out;
		/* an id cut to fit comes back again: never walk in circles */
		if (n > 0 && strcmp(rows[0].id, after) == 0) {
			rc = GH_ERR_LIMIT;
			goto out;
		}
		for (i = 0; i < n; i++) {
			inventory_risk(&app->conf, &rows[i], &usage[i], now,
			    &r);
			if (!fn(ctx, &rows[i], &usage[i], &r)) {
				rc = GH_OK;
				goto out;
			}
		}
		if (n > 0)
			str_copy(after, sizeof(after), rows[n - 1].id);
	} while (n == GH_INVENTORY_BATCH);
	rc = GH_OK;
out:
	free(usage);
	free(rows);
	return rc;
}
