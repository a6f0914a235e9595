/*
 * pg_gov.c - governance on PostgreSQL: alerts and their webhook outbox,
 * grant sightings, inventory usage figures, hygiene (store.h; the SQLite
 * twin is sqlite_gov.c).
 *
 * What SQLite's single writer serialises for free is made explicit here:
 * raising an alert and recording a sighting each take a transaction-level
 * advisory lock on their key first, so two nodes cannot both decide "not
 * seen yet"; leasing outbox rows uses FOR UPDATE SKIP LOCKED.
 *
 * Text that may come from a client (user agents, in summaries and
 * evidence) is stored with bytes that are not UTF-8 as '?', as the audit
 * log does.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../util/str.h"

#define DB(s) ((struct pg_store *)(s))

static void
alert_from(const PGresult *r, int i, struct alert_row *a)
{
	memset(a, 0, sizeof(*a));
	a->id = pg_col_int(r, i, 0);
	a->time = pg_col_int(r, i, 1);
	pg_col_text(r, i, 2, a->rule, sizeof(a->rule));
	pg_col_text(r, i, 3, a->severity, sizeof(a->severity));
	pg_col_text(r, i, 4, a->client_id, sizeof(a->client_id));
	pg_col_text(r, i, 5, a->user_id, sizeof(a->user_id));
	pg_col_text(r, i, 6, a->grant_id, sizeof(a->grant_id));
	pg_col_text(r, i, 7, a->summary, sizeof(a->summary));
	pg_col_text(r, i, 8, a->evidence, sizeof(a->evidence));
	pg_col_text(r, i, 9, a->dedupe_key, sizeof(a->dedupe_key));
	a->acked_at = pg_col_int(r, i, 10);
	pg_col_text(r, i, 11, a->acked_by, sizeof(a->acked_by));
	a->delivered_at = pg_col_int(r, i, 12);
	a->attempts = pg_col_int(r, i, 13);
	a->next_attempt_at = pg_col_int(r, i, 14);
}

static const char *
or_null(const char *s)
{
	return s[0] ? s : NULL;
}

/* s, or a cleaned copy kept in *copy (freed by the caller) */
static const char *
utf8(const char *s, char **copy)
{
	if (s == NULL || str_utf8_valid(s))
		return s;
	*copy = str_dup_utf8(s);
	return *copy ? *copy : "?";
}

static enum gh_err
lock_key(struct pg_conn *c, int64_t space, const char *key)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;

	pp_init(&p);
	pp_int(&p, space);
	pp_text(&p, key);
	if ((rc = pg_exec(c, space == PG_LOCK_ALERT ? P_ALERT_LOCK :
	    P_SIGHT_LOCK, &p, &r)) == GH_OK)
		PQclear(r);
	return rc;
}

/* one P_ALERT_RAISE on c (in the caller's transaction) */
static enum gh_err
raise_on(struct pg_conn *c, struct alert_row *a, int64_t quiet_since,
    bool *raised)
{
	struct pg_params p;
	PGresult	*r;
	char		*copies[3] = { NULL };
	enum gh_err	 rc;
	int		 i;

	*raised = false;
	pp_init(&p);
	pp_int(&p, a->time);
	pp_text(&p, a->rule);
	pp_text(&p, a->severity);
	pp_text(&p, or_null(a->client_id));
	pp_text(&p, or_null(a->user_id));
	pp_text(&p, or_null(a->grant_id));
	pp_text(&p, utf8(a->summary, &copies[0]));
	pp_text(&p, utf8(a->evidence, &copies[1]));
	pp_text(&p, utf8(a->dedupe_key, &copies[2]));
	pp_int(&p, quiet_since);
	if ((rc = pg_exec(c, P_ALERT_RAISE, &p, &r)) == GH_OK) {
		if (PQntuples(r) == 1) {
			*raised = true;
			a->id = pg_col_int(r, 0, 0);
		}
		PQclear(r);
	}
	for (i = 0; i < 3; i++)
		free(copies[i]);
	return rc;
}

enum gh_err
pg_alert_insert(struct pg_conn *c, struct alert_row *a)
{
	bool raised;

	/* a quiet period that starts after the alert: nothing folds it */
	return raise_on(c, a, a->time + 1, &raised);
}

static enum gh_err
alert_raise(struct store *s, struct alert_row *a, int64_t quiet_since,
    bool *raised)
{
	struct pg_conn	*c;
	char		*copy = NULL;
	enum gh_err	 rc;

	*raised = false;
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) != GH_OK)
		goto out;
	/* one raiser per key at a time, on any node */
	if ((rc = lock_key(c, PG_LOCK_ALERT, utf8(a->dedupe_key, &copy))) ==
	    GH_OK)
		rc = raise_on(c, a, quiet_since, raised);
	rc = pg_finish(c, rc);
out:
	free(copy);
	return pg_release(DB(s), c, rc);
}

static enum gh_err
alert_rows(PGresult *r, bool (*fn)(void *, const struct alert_row *),
    void *ctx)
{
	struct alert_row a;
	int		 i;

	for (i = 0; i < PQntuples(r); i++) {
		alert_from(r, i, &a);
		if (!fn(ctx, &a))
			break;
	}
	PQclear(r);
	return GH_OK;
}

static enum gh_err
alert_each(struct store *s, bool open_only, const char *client_id,
    unsigned limit, bool (*fn)(void *, const struct alert_row *), void *ctx)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;

	pp_init(&p);
	pp_int(&p, open_only);
	pp_text(&p, client_id);
	pp_int(&p, limit);
	if ((rc = pg_one(s, P_ALERT_LIST, &p, &r, NULL)) != GH_OK)
		return rc;
	return alert_rows(r, fn, ctx);
}

static enum gh_err
alert_count(struct store *s, bool open_only, const char *client_id,
    int64_t *n)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;

	*n = 0;
	pp_init(&p);
	pp_int(&p, open_only);
	pp_text(&p, client_id);
	if ((rc = pg_one(s, P_ALERT_COUNT, &p, &r, NULL)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1)
		*n = pg_col_int(r, 0, 0);
	PQclear(r);
	return GH_OK;
}

static enum gh_err
alert_ack(struct store *s, int64_t id, const char *by, int64_t now)
{
	struct pg_params p;

	pp_init(&p);
	pp_int(&p, id);
	pp_int(&p, now);
	pp_text(&p, by);
	return pg_one_change(s, P_ALERT_ACK, &p);
}

static enum gh_err
alert_claim(struct store *s, int64_t now, int64_t since, int64_t lease,
    unsigned limit, bool (*fn)(void *, const struct alert_row *), void *ctx)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;

	pp_init(&p);
	pp_int(&p, now);
	pp_int(&p, since);
	pp_int(&p, lease);
	pp_int(&p, limit);
	if ((rc = pg_one(s, P_ALERT_CLAIM, &p, &r, NULL)) != GH_OK)
		return rc;
	return alert_rows(r, fn, ctx);
}

static enum gh_err
alert_delivery(struct store *s, int64_t id, bool delivered, int64_t now,
    int64_t next)
{
	struct pg_params p;

	pp_init(&p);
	pp_int(&p, id);
	pp_int(&p, delivered ? now : next);
	return pg_one(s, delivered ? P_ALERT_DELIVERED : P_ALERT_RETRY, &p,
	    NULL, NULL);
}

static enum gh_err
grant_sighting(struct store *s, const char *grant_id, const char *kind,
    const char *value, int64_t now, enum sighting *out)
{
	struct pg_params p;
	struct pg_conn	*c;
	PGresult	*r;
	char		*copy = NULL;
	int64_t		 count = 0, known = 0;
	bool		 begun = false;
	enum gh_err	 rc;

	*out = SIGHTING_KNOWN;
	value = utf8(value, &copy);
	if ((c = pg_acquire(DB(s))) == NULL) {
		free(copy);
		return GH_ERR_STORE;
	}
	if ((rc = pg_begin(c)) != GH_OK)
		goto done;
	begun = true;
	if ((rc = lock_key(c, PG_LOCK_SIGHT, grant_id)) != GH_OK)
		goto done;
	pp_init(&p);
	pp_text(&p, grant_id);
	pp_text(&p, kind);
	pp_text(&p, value);
	if ((rc = pg_exec(c, P_SIGHT_GET, &p, &r)) != GH_OK)
		goto done;
	if (PQntuples(r) == 1) {
		count = pg_col_int(r, 0, 0);
		known = pg_col_int(r, 0, 1);
	}
	PQclear(r);
	if (!known)
		*out = count == 0 ? SIGHTING_FIRST : SIGHTING_NEW;
	if (known || count < GH_MAX_SIGHTINGS) {
		pp_init(&p);
		pp_text(&p, grant_id);
		pp_text(&p, kind);
		pp_text(&p, value);
		pp_int(&p, now);
		rc = pg_cmd(c, P_SIGHT_PUT, &p, NULL);
	}
done:
	if (begun)
		rc = pg_finish(c, rc);
	free(copy);
	return pg_release(DB(s), c, rc);
}

static enum gh_err
client_ids(struct store *s, const char *after, unsigned max,
    char (*ids)[GH_MAX_CLIENT_ID_LEN], unsigned *n)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;
	int		 i;

	*n = 0;
	pp_init(&p);
	pp_text(&p, after);
	pp_int(&p, max);
	if ((rc = pg_one(s, P_CLIENT_IDS, &p, &r, NULL)) != GH_OK)
		return rc;
	for (i = 0; i < PQntuples(r) && *n < max; i++)
		pg_col_text(r, i, 0, ids[(*n)++], GH_MAX_CLIENT_ID_LEN);
	PQclear(r);
	return GH_OK;
}

/* one integer from a statement of (client id [, type or now]) */
static enum gh_err
usage_int(struct pg_conn *c, enum pg_stmt id, const char *client_id,
    const char *type, int64_t now, int64_t *out)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;

	*out = 0;
	pp_init(&p);
	pp_text(&p, client_id);
	if (type)
		pp_text(&p, type);
	else if (id == P_USAGE_TOKENS)
		pp_int(&p, now);
	if ((rc = pg_exec(c, id, &p, &r)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1)
		*out = pg_col_int(r, 0, 0);
	PQclear(r);
	return GH_OK;
}

static enum gh_err
usage_lists(struct pg_conn *c, const char *client_id,
    struct client_usage *u)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;
	int		 i;

	pp_init(&p);
	pp_text(&p, client_id);
	if ((rc = pg_exec(c, P_USAGE_SCOPES, &p, &r)) != GH_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++)
		usage_add_scopes(u, pg_col_str(r, i, 0));
	PQclear(r);
	if ((rc = pg_exec(c, P_USAGE_SIGHTS, &p, &r)) != GH_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++)
		usage_add_sighting(u, pg_col_str(r, i, 0),
		    pg_col_str(r, i, 1));
	PQclear(r);
	return GH_OK;
}

static enum gh_err
client_usage(struct store *s, const char *client_id, int64_t now,
    bool count_tokens, struct client_usage *u)
{
	struct pg_params p;
	struct pg_conn	*c;
	PGresult	*r;
	int64_t		 v;
	enum gh_err	 rc;

	memset(u, 0, sizeof(*u));
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	pp_init(&p);
	pp_text(&p, client_id);
	if ((rc = pg_exec(c, P_USAGE_GRANTS, &p, &r)) != GH_OK)
		goto out;
	if (PQntuples(r) == 1) {
		u->grants = (unsigned)pg_col_int(r, 0, 0);
		u->users = (unsigned)pg_col_int(r, 0, 1);
	}
	PQclear(r);
	if (count_tokens && (rc = usage_int(c, P_USAGE_TOKENS, client_id,
	    NULL, now, &v)) != GH_OK)
		goto out;
	u->live_tokens = count_tokens ? (unsigned)v : 0;
	if ((rc = usage_int(c, P_USAGE_ALERTS, client_id, NULL, now, &v)) !=
	    GH_OK)
		goto out;
	u->open_alerts = (unsigned)v;
	if ((rc = usage_int(c, P_AUDIT_CLIENT_FIRST, client_id,
	    "token.issued", now, &u->first_issued)) != GH_OK ||
	    (rc = usage_int(c, P_AUDIT_CLIENT_LAST, client_id,
	    "token.issued", now, &u->last_issued)) != GH_OK ||
	    (rc = usage_int(c, P_AUDIT_CLIENT_LAST, client_id,
	    "token.refreshed", now, &u->last_refresh)) != GH_OK)
		goto out;
	rc = usage_lists(c, client_id, u);
out:
	return pg_release(DB(s), c, rc);
}

static enum gh_err
audit_of_client(struct store *s, const char *client_id, int64_t since,
    unsigned limit, bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;

	pp_init(&p);
	pp_text(&p, client_id);
	pp_int(&p, since);
	pp_int(&p, limit);
	if ((rc = pg_one(s, P_AUDIT_OF_CLIENT, &p, &r, NULL)) != GH_OK)
		return rc;
	return pg_audit_rows(r, fn, ctx);
}

static enum gh_err
audit_head(struct store *s, int64_t *seq, uint8_t *hash)
{
	PGresult	*r;
	enum gh_err	 rc;

	*seq = 0;
	memset(hash, 0, GH_HASH_BYTES);
	if ((rc = pg_one(s, P_AUDIT_LAST, NULL, &r, NULL)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1) {
		*seq = pg_col_int(r, 0, 0);
		(void)pg_col_hash(r, 0, 1, hash);
	}
	PQclear(r);
	return GH_OK;
}

/* With an event, the UPDATE and the event are one transaction. */
static enum gh_err
grant_expire_unused(struct store *s, int64_t before, int64_t now,
    unsigned *count, const struct change_audit *ev)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	unsigned		 n = 0;
	enum gh_err		 rc;

	*count = 0;
	pp_init(&p);
	pp_int(&p, before);
	pp_int(&p, now);
	if (ev == NULL)
		return pg_one(s, P_GRANTS_EXPIRE, &p, NULL, count);
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) == GH_OK)
		rc = pg_cmd(c, P_GRANTS_EXPIRE, &p, &n);
	if (rc == GH_OK && n > 0)
		rc = pg_change_event_in_tx(DB(s), c, ev, n);
	if ((rc = pg_finish(c, rc)) == GH_OK)
		*count = n;
	return pg_release(DB(s), c, rc);
}

void
pg_gov_ops(struct store_ops *ops)
{
	ops->alert_raise = alert_raise;
	ops->alert_each = alert_each;
	ops->alert_count = alert_count;
	ops->alert_ack = alert_ack;
	ops->alert_claim = alert_claim;
	ops->alert_delivery = alert_delivery;
	ops->grant_sighting = grant_sighting;
	ops->client_ids = client_ids;
	ops->client_usage = client_usage;
	ops->audit_of_client = audit_of_client;
	ops->audit_head = audit_head;
	ops->grant_expire_unused = grant_expire_unused;
}
