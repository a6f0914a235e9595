/*
 * sqlite_retention.c - audit retention on SQLite (store.h,
 * store_audit_prune): the oldest events of the chain go in bounded
 * batches, each batch with the new base and its own audit.pruned event in
 * one savepoint, so the trail never shows a deletion that no event
 * records, and an event that cannot be stored deletes nothing. What goes
 * is read and verified first (store_prune_step), under the store lock.
 */
#include <string.h>

#include "sqlite_int.h"

#define DB(s) ((struct sqlite_store *)(s))

/* The base and the newest seq, in one statement (lock held). */
static enum gh_err
read_base(struct sqlite_store *db, struct audit_base *out)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;
	int		 x;

	memset(out, 0, sizeof(*out));
	if ((st = sq_stmt(db, S_AUDIT_BASE)) == NULL)
		return GH_ERR_STORE;
	if ((x = sqlite3_step(st)) == SQLITE_ROW) {
		out->seq = sq_col_int(st, 0);
		if (sqlite3_column_bytes(st, 1) == GH_HASH_BYTES)
			memcpy(out->hash, sqlite3_column_blob(st, 1),
			    GH_HASH_BYTES);
		out->head_seq = sq_col_int(st, 2);
		if ((out->has_mac = sqlite3_column_bytes(st, 3) ==
		    GH_HASH_BYTES))
			memcpy(out->mac, sqlite3_column_blob(st, 3),
			    GH_HASH_BYTES);
		rc = GH_OK;
	} else
		rc = sq_error(db, x);
	sqlite3_reset(st);
	return rc;
}

static enum gh_err
audit_base(struct store *s, struct audit_base *out)
{
	enum gh_err rc;

	sq_lock(DB(s));
	rc = read_base(DB(s), out);
	sq_unlock(DB(s));
	return rc;
}

/* How far this batch may go, from base b (struct prune_walk). */
static enum gh_err
walk(struct sqlite_store *db, const struct audit_prune *p,
    const struct audit_base *b, struct prune_walk *w)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;

	if ((rc = store_prune_begin(w, db->audit_key, p->before, b)) !=
	    GH_OK)
		return rc;
	if ((st = sq_stmt(db, S_AUDIT_SINCE)) == NULL)
		return GH_ERR_STORE;
	sqlite3_bind_int64(st, 1, b->seq);
	sqlite3_bind_int64(st, 2, p->batch);
	rc = sq_audit_rows(db, st, store_prune_step, w);
	return rc != GH_OK ? rc : w->rc;
}

/*
 * Delete what the walk took, exactly its n events after the base, and
 * move the base to the last of them.
 */
static enum gh_err
cut(struct sqlite_store *db, const struct audit_base *b,
    const struct prune_walk *w)
{
	sqlite3_stmt	*st;
	uint8_t		 mac[GH_HASH_BYTES];
	enum gh_err	 rc;

	if ((rc = audit_base_mac(db->audit_key, w->seq, w->hash, mac)) !=
	    GH_OK)
		return rc;
	if ((st = sq_stmt(db, S_AUDIT_PRUNE)) == NULL)
		return GH_ERR_STORE;
	sqlite3_bind_int64(st, 1, b->seq);
	sqlite3_bind_int64(st, 2, w->seq);
	if ((rc = sq_step_done(db, st)) != GH_OK)
		return rc;
	if ((unsigned)sqlite3_changes(db->db) != w->n)
		return GH_ERR_CONFLICT;
	if ((st = sq_stmt(db, S_AUDIT_BASE_SET)) == NULL)
		return GH_ERR_STORE;
	sqlite3_bind_int64(st, 1, w->seq);
	sq_bind_blob(st, 2, w->hash, GH_HASH_BYTES);
	sq_bind_blob(st, 3, mac, GH_HASH_BYTES);
	if ((rc = sq_step_done(db, st)) != GH_OK)
		return rc;
	return sqlite3_changes(db->db) == 1 ? GH_OK : GH_ERR_CONFLICT;
}

/*
 * The event before the deletion, while the chain's end is still there to
 * chain it to (a batch may take every event but the one it appends).
 */
static enum gh_err
audit_prune(struct store *s, struct audit_prune *p,
    const struct change_audit *ev)
{
	struct sqlite_store	*db = DB(s);
	struct audit_base	 b;
	struct prune_walk	 w;
	struct audit_row	 r;
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		goto out;
	if ((rc = read_base(db, &b)) == GH_OK)
		rc = walk(db, p, &b, &w);
	if (rc == GH_OK && store_prune_took(&w, p, ev, &r) &&
	    (rc = sq_audit_insert(db, &r)) == GH_OK)
		rc = cut(db, &b, &w);
	rc = sq_finish_tx(db, rc);
out:
	if ((rc = sq_release(db, rc)) != GH_OK) {
		p->through_seq = 0;
		p->events = 0;
	}
	return rc;
}

void
sqlite_retention_ops(struct store_ops *ops)
{
	ops->audit_base = audit_base;
	ops->audit_prune = audit_prune;
}
