/*
 * sqlite_gov.c - SQLite operations for governance: alerts and their
 * webhook outbox, grant sightings, inventory usage figures, hygiene.
 *
 * The decisions that must hold under concurrency are single statements:
 * raising an alert only if no open one shares its key, and leasing a batch
 * of alerts for delivery.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "../util/str.h"

#define DB(s) ((struct sqlite_store *)(s))

static void
alert_from_row(sqlite3_stmt *st, struct alert_row *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sq_col_int(st, 0);
	a->time = sq_col_int(st, 1);
	sq_col_text(st, 2, a->rule, sizeof(a->rule));
	sq_col_text(st, 3, a->severity, sizeof(a->severity));
	sq_col_text(st, 4, a->client_id, sizeof(a->client_id));
	sq_col_text(st, 5, a->user_id, sizeof(a->user_id));
	sq_col_text(st, 6, a->grant_id, sizeof(a->grant_id));
	sq_col_text(st, 7, a->summary, sizeof(a->summary));
	sq_col_text(st, 8, a->evidence, sizeof(a->evidence));
	sq_col_text(st, 9, a->dedupe_key, sizeof(a->dedupe_key));
	a->acked_at = sq_col_int(st, 10);
	sq_col_text(st, 11, a->acked_by, sizeof(a->acked_by));
	a->delivered_at = sq_col_int(st, 12);
	a->attempts = sq_col_int(st, 13);
	a->next_attempt_at = sq_col_int(st, 14);
}

static const char *
or_null(const char *s)
{
	return s[0] ? s : NULL;
}

/* one S_ALERT_RAISE; the lock is held */
static enum gh_err
raise_locked(struct sqlite_store *db, struct alert_row *a,
    int64_t quiet_since, bool *raised)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;

	*raised = false;
	if ((st = sq_stmt(db, S_ALERT_RAISE)) == NULL)
		return GH_ERR_STORE;
	sqlite3_bind_int64(st, 1, a->time);
	sq_bind_text(st, 2, a->rule);
	sq_bind_text(st, 3, a->severity);
	sq_bind_text(st, 4, or_null(a->client_id));
	sq_bind_text(st, 5, or_null(a->user_id));
	sq_bind_text(st, 6, or_null(a->grant_id));
	sq_bind_text(st, 7, a->summary);
	sq_bind_text(st, 8, a->evidence);
	sq_bind_text(st, 9, a->dedupe_key);
	sqlite3_bind_int64(st, 10, quiet_since);
	if ((rc = sq_step_done(db, st)) == GH_OK &&
	    sqlite3_changes(db->db) == 1) {
		*raised = true;
		a->id = sqlite3_last_insert_rowid(db->db);
	}
	return rc;
}

enum gh_err
sq_alert_insert(struct sqlite_store *db, struct alert_row *a)
{
	bool raised;

	/* a quiet period that starts after the alert: nothing folds it */
	return raise_locked(db, a, a->time + 1, &raised);
}

static enum gh_err
alert_raise(struct store *s, struct alert_row *a, int64_t quiet_since,
    bool *raised)
{
	enum gh_err rc;

	sq_lock(DB(s));
	rc = raise_locked(DB(s), a, quiet_since, raised);
	return sq_release(DB(s), rc);
}

/* rows of an alert statement to fn; the statement is bound already */
static enum gh_err
alert_rows(struct sqlite_store *db, sqlite3_stmt *st,
    bool (*fn)(void *, const struct alert_row *), void *ctx)
{
	struct alert_row a;
	bool		 more = true;
	int		 x;

	/* step to the end even when fn stops: a RETURNING must complete */
	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		if (!more)
			continue;
		alert_from_row(st, &a);
		more = fn(ctx, &a);
	}
	sqlite3_reset(st);
	return x == SQLITE_DONE ? GH_OK : sq_error(db, x);
}

static enum gh_err
alert_each(struct store *s, bool open_only, const char *client_id,
    unsigned limit, bool (*fn)(void *, const struct alert_row *), void *ctx)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ALERT_LIST)) != NULL) {
		sqlite3_bind_int(st, 1, open_only);
		sq_bind_text(st, 2, client_id);
		sqlite3_bind_int64(st, 3, limit);
		rc = alert_rows(DB(s), st, fn, ctx);
	}
	sq_unlock(DB(s));
	return rc;
}

/* on the writer, as alert_each: the count agrees with the list */
static enum gh_err
alert_count(struct store *s, bool open_only, const char *client_id,
    int64_t *n)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 x;

	*n = 0;
	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ALERT_COUNT)) != NULL) {
		sqlite3_bind_int(st, 1, open_only);
		sq_bind_text(st, 2, client_id);
		if ((x = sqlite3_step(st)) == SQLITE_ROW) {
			*n = sq_col_int(st, 0);
			rc = GH_OK;
		} else {
			rc = sq_error(DB(s), x);
		}
		sqlite3_reset(st);
	}
	sq_unlock(DB(s));
	return rc;
}

static enum gh_err
alert_ack(struct store *s, int64_t id, const char *by, int64_t now)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ALERT_ACK)) != NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
		sq_bind_text(st, 3, by);
		if ((rc = sq_step_done(DB(s), st)) == GH_OK &&
		    sqlite3_changes(DB(s)->db) != 1)
			rc = GH_ERR_NOT_FOUND;
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
alert_claim(struct store *s, int64_t now, int64_t since, int64_t lease,
    unsigned limit, bool (*fn)(void *, const struct alert_row *), void *ctx)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ALERT_CLAIM)) != NULL) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, since);
		sqlite3_bind_int64(st, 3, lease);
		sqlite3_bind_int64(st, 4, limit);
		rc = alert_rows(DB(s), st, fn, ctx);
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
alert_delivery(struct store *s, int64_t id, bool delivered, int64_t now,
    int64_t next)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	st = sq_stmt(DB(s), delivered ? S_ALERT_DELIVERED : S_ALERT_RETRY);
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, delivered ? now : next);
		rc = sq_step_done(DB(s), st);
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
grant_sighting(struct store *s, const char *grant_id, const char *kind,
    const char *value, int64_t now, enum sighting *out)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	int64_t			 count = 0, known = 0;
	enum gh_err		 rc;
	int			 x;

	*out = SIGHTING_KNOWN;
	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, S_SIGHT_GET)) == NULL) {
		rc = GH_ERR_STORE;
	} else {
		sq_bind_text(st, 1, grant_id);
		sq_bind_text(st, 2, kind);
		sq_bind_text(st, 3, value);
		if ((x = sqlite3_step(st)) == SQLITE_ROW) {
			count = sq_col_int(st, 0);
			known = sq_col_int(st, 1);
		} else {
			rc = sq_error(db, x);
		}
		sqlite3_reset(st);
	}
	if (rc == GH_OK && !known)
		*out = count == 0 ? SIGHTING_FIRST : SIGHTING_NEW;
	/* a full grant keeps its list: the newcomer is reported, not kept */
	if (rc == GH_OK && (known || count < GH_MAX_SIGHTINGS)) {
		if ((st = sq_stmt(db, S_SIGHT_PUT)) == NULL) {
			rc = GH_ERR_STORE;
		} else {
			sq_bind_text(st, 1, grant_id);
			sq_bind_text(st, 2, kind);
			sq_bind_text(st, 3, value);
			sqlite3_bind_int64(st, 4, now);
			rc = sq_step_done(db, st);
		}
	}
	rc = sq_finish_tx(db, rc);
out:
	return sq_release(db, rc);
}

/* On a reader, as the usage figures of store_client_usage_batch. */
static enum gh_err
client_ids(struct store *s, const char *after, unsigned max,
    char (*ids)[GH_MAX_CLIENT_ID_LEN], unsigned *n)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc = GH_ERR_STORE;
	int			 x;

	*n = 0;
	if ((st = sq_read_stmt(db, S_CLIENT_IDS)) != NULL) {
		sq_bind_text(st, 1, after);
		sqlite3_bind_int64(st, 2, max);
		while ((x = sqlite3_step(st)) == SQLITE_ROW)
			if (*n < max)
				sq_col_text(st, 0, ids[(*n)++],
				    GH_MAX_CLIENT_ID_LEN);
		sqlite3_reset(st);
		rc = x == SQLITE_DONE ? GH_OK : sq_read_error(db, x);
	}
	return sq_read_done(db, rc);
}

/* the figures after a usage row's 17 client columns (USAGE_OF_CLIENTS) */
#define USAGE_COL	17

static void
usage_from_row(sqlite3_stmt *st, struct client_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->grants = (unsigned)sq_col_int(st, USAGE_COL);
	u->users = (unsigned)sq_col_int(st, USAGE_COL + 1);
	u->live_tokens = (unsigned)sq_col_int(st, USAGE_COL + 2);
	u->open_alerts = (unsigned)sq_col_int(st, USAGE_COL + 3);
	u->first_issued = sq_col_int(st, USAGE_COL + 4);
	u->last_issued = sq_col_int(st, USAGE_COL + 5);
	u->last_refresh = sq_col_int(st, USAGE_COL + 6);
}

static const char *
col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? (const char *)s : "";
}

/*
 * The scopes and sightings of the n clients just read (ids rows[0] to
 * rows[n - 1], in order), one statement each for all of them, on the
 * same reader.
 */
static enum gh_err
usage_lists(struct sqlite_store *db, const struct client_row *rows,
    struct client_usage *usage, unsigned n)
{
	static const enum stmt_id lists[] = { S_USAGE_SCOPES, S_USAGE_SIGHTS };
	struct client_usage	*u;
	sqlite3_stmt		*st;
	unsigned		 at = 0;
	size_t			 i;
	int			 x;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if ((st = sq_read_also(db, lists[i])) == NULL)
			return GH_ERR_STORE;
		sq_bind_text(st, 1, rows[0].id);
		sq_bind_text(st, 2, rows[n - 1].id);
		while ((x = sqlite3_step(st)) == SQLITE_ROW) {
			u = usage_in_batch(rows, usage, n, col_str(st, 0),
			    &at);
			if (u != NULL && lists[i] == S_USAGE_SCOPES)
				usage_add_scopes(u, col_str(st, 1));
			else if (u != NULL)
				usage_add_sighting(u, col_str(st, 1),
				    col_str(st, 2));
		}
		sqlite3_reset(st);
		if (x != SQLITE_DONE)
			return sq_read_error(db, x);
	}
	return GH_OK;
}

/*
 * Up to max clients of statement id (S_USAGE_ONE: the client `key`;
 * S_USAGE_BATCH: those after `key`) with their usage, in three
 * statements whatever their number. On a reader: the live-token count
 * walks every token of a client, which takes seconds with millions of
 * them, and must not hold the writer.
 */
static enum gh_err
usage_read(struct sqlite_store *db, enum stmt_id id, const char *key,
    unsigned max, int64_t now, bool count_tokens, struct client_row *rows,
    struct client_usage *usage, unsigned *n)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 x = SQLITE_DONE;

	*n = 0;
	if ((st = sq_read_stmt(db, id)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, count_tokens);
	sq_bind_text(st, 3, key);
	if (id == S_USAGE_BATCH)
		sqlite3_bind_int64(st, 4, max);
	while (*n < max && (x = sqlite3_step(st)) == SQLITE_ROW) {
		sq_client_from_row(st, &rows[*n]);
		usage_from_row(st, &usage[(*n)++]);
	}
	sqlite3_reset(st);
	if (*n < max && x != SQLITE_DONE)
		rc = sq_read_error(db, x);
	else
		rc = *n > 0 ? usage_lists(db, rows, usage, *n) : GH_OK;
out:
	if (rc != GH_OK)
		*n = 0;
	return sq_read_done(db, rc);
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
	rc = usage_read(DB(s), S_USAGE_ONE, client_id, 1, now, count_tokens,
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
	return usage_read(DB(s), S_USAGE_BATCH, after, max, now,
	    count_tokens, rows, usage, n);
}

static enum gh_err
audit_of_client(struct store *s, const char *client_id, int64_t since,
    unsigned limit, bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_AUDIT_OF_CLIENT)) != NULL) {
		sq_bind_text(st, 1, client_id);
		sqlite3_bind_int64(st, 2, since);
		sqlite3_bind_int64(st, 3, limit);
		rc = sq_audit_rows(DB(s), st, fn, ctx);
	}
	sq_unlock(DB(s));
	return rc;
}

/* The UPDATE and its event, if any, in one savepoint. */
static enum gh_err
grant_expire_unused(struct store *s, int64_t before, int64_t now,
    unsigned *count, const struct change_audit *ev)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc;
	unsigned		 n = 0;

	*count = 0;
	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, S_GRANTS_EXPIRE)) == NULL) {
		rc = GH_ERR_STORE;
	} else {
		sqlite3_bind_int64(st, 1, before);
		sqlite3_bind_int64(st, 2, now);
		if ((rc = sq_step_done(db, st)) == GH_OK)
			n = (unsigned)sqlite3_changes(db->db);
	}
	rc = sq_finish_with_event_n(db, rc, ev, n, count);
out:
	return sq_release(db, rc);
}

void
sqlite_gov_ops(struct store_ops *ops)
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
	ops->grant_expire_unused = grant_expire_unused;
}
