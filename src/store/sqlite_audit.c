/*
 * sqlite_audit.c - the audit log of the SQLite backend: a hash chain
 * (store.h). An append reads the chain's head and inserts the next event
 * under the store lock, in the open batch (sqlite_sync.c), so the events
 * of concurrent requests share their commit and sync with the writes they
 * record, and the chain order is the order the appends took the lock in.
 * The append returns only when the event is durable, or, when its thread
 * defers, makes that part of the request's one wait before the answer
 * (store_defer_end): an acknowledged event is never lost.
 */
#include <string.h>

#include "sqlite_int.h"

#define DB(s) ((struct sqlite_store *)(s))

/* The chain's last row from st (S_AUDIT_LAST); a SQLite result code. */
static int
audit_last(sqlite3_stmt *st, int64_t *seq, uint8_t hash[GH_HASH_BYTES])
{
	int r = sqlite3_step(st);

	*seq = 0;
	memset(hash, 0, GH_HASH_BYTES);
	if (r == SQLITE_ROW) {
		*seq = sq_col_int(st, 0);
		if (sqlite3_column_bytes(st, 1) == GH_HASH_BYTES)
			memcpy(hash, sqlite3_column_blob(st, 1),
			    GH_HASH_BYTES);
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? SQLITE_ROW : r;
}

static enum gh_err
insert(struct sqlite_store *db, struct audit_row *r)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(db, S_AUDIT_INSERT)) == NULL)
		return GH_ERR_STORE;
	sqlite3_bind_int64(st, 1, r->seq);
	sqlite3_bind_int64(st, 2, r->time);
	sq_bind_text(st, 3, r->type);
	sq_bind_text(st, 4, r->actor);
	sq_bind_text(st, 5, r->client_id);
	sq_bind_text(st, 6, r->user_id);
	sq_bind_text(st, 7, r->grant_id);
	sq_bind_text(st, 8, r->remote_addr);
	sq_bind_text(st, 9, r->user_agent);
	sq_bind_text(st, 10, r->detail);
	sq_bind_blob(st, 11, r->prev_hash, GH_HASH_BYTES);
	sq_bind_blob(st, 12, r->hash, GH_HASH_BYTES);
	return sq_step_done(db, st);
}

/*
 * Chain `a` after the last event and insert it; the store lock is held
 * and a savepoint open (sq_begin), the caller's own when the event goes
 * with a change (struct change_audit).
 */
enum gh_err
sq_audit_insert(struct sqlite_store *db, const struct audit_row *a)
{
	struct audit_row	 r = *a;
	int64_t			 seq;
	sqlite3_stmt		*st;
	enum gh_err		 rc;
	int			 x;

	if ((st = sq_stmt(db, S_AUDIT_LAST)) == NULL)
		return GH_ERR_STORE;
	if ((x = audit_last(st, &seq, r.prev_hash)) != SQLITE_ROW)
		return sq_error(db, x);
	r.seq = seq + 1;
	/* no hash, no event: a wrong one would read as an edit */
	if ((rc = audit_chain_hash(db->audit_key, r.prev_hash, &r, r.hash)) !=
	    GH_OK)
		return rc;
	return insert(db, &r);
}

/* The event of a change of `changed` rows, in the open savepoint. */
enum gh_err
sq_change_event(struct sqlite_store *db, const struct change_audit *ev,
    unsigned changed)
{
	struct audit_row r;

	store_change_event(ev, changed, &r);
	return sq_audit_insert(db, &r);
}

static enum gh_err
audit_append(struct store *s, const struct audit_row *a)
{
	struct sqlite_store	*db = DB(s);
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_begin(db)) == GH_OK)
		rc = sq_finish_tx(db, sq_audit_insert(db, a));
	return sq_release(db, rc);
}

/*
 * The head for an anchor outside the database: committed rows only (a
 * reader), and returned once every batch committed by then is durable. An
 * anchor naming an event that a crash could still take back would make
 * the chain look rewritten after it.
 */
static enum gh_err
audit_head(struct store *s, int64_t *seq, uint8_t *hash)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc = GH_ERR_STORE;
	uint64_t		 upto;
	int			 x;

	if ((st = sq_read_stmt(db, S_AUDIT_LAST)) != NULL)
		rc = (x = audit_last(st, seq, hash)) == SQLITE_ROW ? GH_OK :
		    sq_read_error(db, x);
	if ((rc = sq_read_done(db, rc)) != GH_OK || db->sync == NULL)
		return rc;
	/* the open batch too: without readers the read ran on the writer */
	upto = sq_batch_newest(db);
	return sq_sync_barrier(db->sync, upto);
}

enum gh_err
sq_audit_rows(struct sqlite_store *db, sqlite3_stmt *st,
    bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	struct audit_row r;
	int		 x;

	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		sq_audit_from_row(st, &r);
		if (!fn(ctx, &r))
			break;
	}
	sqlite3_reset(st);
	return x == SQLITE_ROW || x == SQLITE_DONE ? GH_OK : sq_error(db, x);
}

static enum gh_err
audit_each(struct store *s, int64_t after, unsigned limit,
    bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_AUDIT_SINCE)) != NULL) {
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int64(st, 2, limit);
		rc = sq_audit_rows(DB(s), st, fn, ctx);
	}
	sq_unlock(DB(s));
	return rc;
}

static void
set_audit_key(struct store *s, const uint8_t *key)
{
	memcpy(DB(s)->audit_key, key, GH_HASH_BYTES);
}

void
sqlite_audit_ops(struct store_ops *ops)
{
	ops->audit_append = audit_append;
	ops->audit_each = audit_each;
	ops->audit_head = audit_head;
	ops->set_audit_key = set_audit_key;
}
