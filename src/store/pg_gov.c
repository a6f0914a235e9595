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

/* the figures after a usage row's 17 client columns (USAGE_OF_CLIENTS) */
#define USAGE_COL	17

static void
usage_from(const PGresult *r, int i, struct client_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->grants = (unsigned)pg_col_int(r, i, USAGE_COL);
	u->users = (unsigned)pg_col_int(r, i, USAGE_COL + 1);
	u->live_tokens = (unsigned)pg_col_int(r, i, USAGE_COL + 2);
	u->open_alerts = (unsigned)pg_col_int(r, i, USAGE_COL + 3);
	u->first_issued = pg_col_int(r, i, USAGE_COL + 4);
	u->last_issued = pg_col_int(r, i, USAGE_COL + 5);
	u->last_refresh = pg_col_int(r, i, USAGE_COL + 6);
}

/* The scopes and sightings (results of the lists' steps) into usage. */
static void
usage_fold(const PGresult *scopes, const PGresult *sights,
    const struct client_row *rows, struct client_usage *usage, unsigned n)
{
	struct client_usage	*u;
	unsigned		 at = 0;
	int			 i;

	for (i = 0; i < PQntuples(scopes); i++)
		if ((u = usage_in_batch(rows, usage, n,
		    pg_col_str(scopes, i, 0), &at)) != NULL)
			usage_add_scopes(u, pg_col_str(scopes, i, 1));
	at = 0;
	for (i = 0; i < PQntuples(sights); i++)
		if ((u = usage_in_batch(rows, usage, n,
		    pg_col_str(sights, i, 0), &at)) != NULL)
			usage_add_sighting(u, pg_col_str(sights, i, 1),
			    pg_col_str(sights, i, 2));
}

/*
 * Up to max clients of statement id (P_USAGE_ONE: the client `key`;
 * P_USAGE_BATCH: those after `key`) with their usage, in two round trips
 * whatever their number: the clients with their figures, then their
 * scopes and sightings (which need the first and last id). One
 * read-only snapshot (REPEATABLE READ) holds the three together. It
 * ends with a ROLLBACK, not a COMMIT: pg_pipe then knows that nothing
 * sent can have committed, and treats a connection broken under it as a
 * failed read, not as a write of unknown outcome.
 */
static enum gh_err
usage_read(struct pg_store *db, enum pg_stmt id, const char *key,
    unsigned max, int64_t now, bool count_tokens, struct client_row *rows,
    struct client_usage *usage, unsigned *n)
{
	struct pg_params p, lp;
	struct pg_step	 head[2], lists[3];
	struct pg_conn	*c;
	PGresult	*r;
	enum gh_err	 rc;
	int		 i;

	*n = 0;
	pp_init(&p);
	pp_int(&p, now);
	pp_int(&p, count_tokens);
	pp_text(&p, key);
	if (id == P_USAGE_BATCH)
		pp_int(&p, max);
	if ((c = pg_acquire(db)) == NULL)
		return GH_ERR_STORE;
	head[0] = (struct pg_step){ .id = P_COUNT,
	    .sql = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" };
	head[1] = (struct pg_step){ .id = id, .p = &p, .keep = true };
	if ((rc = pg_pipe(c, head, 2)) != GH_OK)
		goto out;
	r = head[1].res;
	for (i = 0; i < PQntuples(r) && *n < max; i++) {
		pg_client_from_row(r, i, &rows[*n]);
		usage_from(r, i, &usage[(*n)++]);
	}
	PQclear(r);
	if (*n == 0)
		goto out;		/* pg_release ends the snapshot */
	pp_init(&lp);
	pp_text(&lp, rows[0].id);
	pp_text(&lp, rows[*n - 1].id);
	lists[0] = (struct pg_step){ .id = P_USAGE_SCOPES, .p = &lp,
	    .keep = true };
	lists[1] = (struct pg_step){ .id = P_USAGE_SIGHTS, .p = &lp,
	    .keep = true };
	lists[2] = (struct pg_step){ .id = P_COUNT, .sql = "ROLLBACK" };
	if ((rc = pg_pipe(c, lists, 3)) != GH_OK)
		goto out;
	usage_fold(lists[0].res, lists[1].res, rows, usage, *n);
	PQclear(lists[0].res);
	PQclear(lists[1].res);
out:
	if (rc != GH_OK)
		*n = 0;
	return pg_release(db, c, rc);
}

/* The same read as a batch's, of one client (the client detail page). */
static enum gh_err
client_usage(struct store *s, const char *client_id, int64_t now,
    bool count_tokens, struct client_usage *u)
{
	struct client_row	*c;
	unsigned		 n;
	enum gh_err		 rc;

	memset(u, 0, sizeof(*u));
	if ((c = malloc(sizeof(*c))) == NULL)
		return GH_ERR_NOMEM;
	rc = usage_read(DB(s), P_USAGE_ONE, client_id, 1, now, count_tokens,
	    c, u, &n);
	if (n == 0)
		memset(u, 0, sizeof(*u));	/* no such client: no usage */
	free(c);
	return rc;
}

static enum gh_err
client_usage_batch(struct store *s, const char *after, unsigned max,
    int64_t now, bool count_tokens, struct client_row *rows,
    struct client_usage *usage, unsigned *n)
{
	*n = 0;
	if (max == 0)
		return GH_OK;
	return usage_read(DB(s), P_USAGE_BATCH, after, max, now,
	    count_tokens, rows, usage, n);
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
	ops->client_usage_batch = client_usage_batch;
	ops->audit_of_client = audit_of_client;
	ops->audit_head = audit_head;
	ops->grant_expire_unused = grant_expire_unused;
}
