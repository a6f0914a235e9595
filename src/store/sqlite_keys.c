/*
 * sqlite_keys.c - SQLite upkeep: our signing keys, the replay cache of
 * client assertion ids, and purging rows past any use.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

#define DB(s) ((struct sqlite_store *)(s))

/*
 * One key, lock held, in the caller's savepoint. A first key that is
 * not inserted (a key of its alg is stored) is GH_ERR_EXISTS, like a
 * taken kid.
 */
static enum gh_err
key_insert_one(struct sqlite_store *db, const struct key_row *k, bool first)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;
	int		 r;

	if ((st = sq_stmt(db, first ? S_KEY_INSERT_FIRST : S_KEY_INSERT)) ==
	    NULL)
		return GH_ERR_STORE;
	sq_bind_text(st, 1, k->kid);
	sq_bind_text(st, 2, k->alg);
	sq_bind_text(st, 3, k->private_sealed);
	sq_bind_text(st, 4, k->public_jwk);
	sqlite3_bind_int64(st, 5, k->created_at);
	sqlite3_bind_int64(st, 6, k->activate_at);
	r = sqlite3_step(st);
	rc = r != SQLITE_DONE ? sq_error(db, r) :
	    sqlite3_changes(db->db) == 1 ? GH_OK : GH_ERR_EXISTS;
	sqlite3_reset(st);
	return rc;
}

/*
 * The n INSERTs, each followed by its event if any, in one savepoint:
 * the first failure rolls back every key and event before it.
 */
static enum gh_err
keys_insert(struct store *s, const struct key_row *k,
    const struct change_audit *ev, size_t n, bool first)
{
	struct sqlite_store	*db = DB(s);
	enum gh_err		 rc;
	size_t			 i;

	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		return sq_release(db, rc);
	for (i = 0; rc == GH_OK && i < n; i++)
		if ((rc = key_insert_one(db, &k[i], first)) == GH_OK &&
		    ev != NULL)
			rc = sq_change_event(db, &ev[i], 1);
	return sq_release(db, sq_finish_tx(db, rc));
}

static enum gh_err
key_each(struct store *s, bool (*fn)(void *, const struct key_row *),
    void *ctx)
{
	sqlite3_stmt	*st;
	struct key_row	*k;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	if ((k = malloc(sizeof(*k))) == NULL)
		return GH_ERR_NOMEM;
	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_KEY_ALL)) != NULL) {
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			memset(k, 0, sizeof(*k));
			sq_col_text(st, 0, k->kid, sizeof(k->kid));
			sq_col_text(st, 1, k->alg, sizeof(k->alg));
			sq_col_text(st, 2, k->private_sealed,
			    sizeof(k->private_sealed));
			sq_col_text(st, 3, k->public_jwk, sizeof(k->public_jwk));
			k->created_at = sq_col_int(st, 4);
			k->activate_at = sq_col_int(st, 5);
			k->retire_at = sq_col_int(st, 6);
			if (!fn(ctx, k))
				break;
		}
		rc = r == SQLITE_ROW || r == SQLITE_DONE ? GH_OK :
		    sq_error(DB(s), r);
		sqlite3_reset(st);
	}
	sq_unlock(DB(s));
	memset(k, 0, sizeof(*k));
	free(k);
	return rc;
}

/* one statement on one key, lock held: GH_ERR_NOT_FOUND if it changed none */
static enum gh_err
key_update(struct sqlite_store *db, enum stmt_id id, const char *kid,
    int64_t now)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;
	int		 r;

	if ((st = sq_stmt(db, id)) == NULL)
		return GH_ERR_STORE;
	sq_bind_text(st, 1, kid);
	if (id == S_KEY_RETIRE)
		sqlite3_bind_int64(st, 2, now);
	r = sqlite3_step(st);
	rc = r != SQLITE_DONE ? sq_error(db, r) :
	    sqlite3_changes(db->db) == 1 ? GH_OK : GH_ERR_NOT_FOUND;
	sqlite3_reset(st);
	return rc;
}

/* The UPDATE and its event, if any, in one savepoint. */
static enum gh_err
key_retire(struct store *s, const char *kid, int64_t now,
    const struct change_audit *ev)
{
	struct sqlite_store	*db = DB(s);
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		return sq_release(db, rc);
	rc = key_update(db, S_KEY_RETIRE, kid, now);
	return sq_release(db, sq_finish_with_event(db, rc, ev));
}

/* The DELETE and its event, if any, in one savepoint. */
static enum gh_err
key_delete(struct store *s, const char *kid, const struct change_audit *ev)
{
	struct sqlite_store	*db = DB(s);
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		return sq_release(db, rc);
	rc = key_update(db, S_KEY_DELETE, kid, 0);
	return sq_release(db, sq_finish_with_event(db, rc, ev));
}

static enum gh_err
jti_use(struct store *s, const char *client_id, const uint8_t *hash,
    int64_t expires_at, int64_t now)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	sq_lock(DB(s));
	/* keep the cache bounded: drop what has expired */
	if ((st = sq_stmt(DB(s), S_JTI_PURGE)) != NULL) {
		sqlite3_bind_int64(st, 1, now);
		(void)sqlite3_step(st);
		sqlite3_reset(st);
	}
	if ((st = sq_stmt(DB(s), S_JTI_INSERT)) != NULL) {
		sq_bind_text(st, 1, client_id);
		sq_bind_blob(st, 2, hash, GH_HASH_BYTES);
		sqlite3_bind_int64(st, 3, expires_at);
		r = sqlite3_step(st);
		rc = r == SQLITE_DONE ? GH_OK : sq_error(DB(s), r);
		if (rc == GH_ERR_EXISTS)
			rc = GH_ERR_CONFLICT;
		sqlite3_reset(st);
	}
	return sq_release(DB(s), rc);
}

/*
 * One purge statement bound with its cutoff and batch (and, for alerts,
 * the end of the webhook's window); *n its changes.
 */
static enum gh_err
purge_table(struct sqlite_store *db, enum stmt_id id, int64_t cutoff,
    int64_t unsent, unsigned batch, unsigned *n)
{
	sqlite3_stmt	*st;
	int		 r;

	if ((st = sq_stmt(db, id)) == NULL)
		return GH_ERR_STORE;
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, batch);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, unsent);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return sq_error(db, r);
	*n = (unsigned)sqlite3_changes(db->db);
	return GH_OK;
}

/*
 * A batch of parents (`first`, which returns their ids), then what each
 * leaves behind (`then`, bound with one id): tokens and the families they
 * leave empty, grants and their sightings. The ids come back from the
 * DELETE (RETURNING), so no pass ever scans the second table.
 */
static enum gh_err
purge_with(struct sqlite_store *db, enum stmt_id first, enum stmt_id then,
    int64_t cutoff, unsigned batch, unsigned *parents, unsigned *children)
{
	sqlite3_stmt	*st;
	char		(*ids)[GH_ID_LEN];
	enum gh_err	 rc = GH_OK;
	unsigned	 n = 0, i;
	int		 r;

	*parents = *children = 0;
	if ((ids = calloc(batch ? batch : 1, sizeof(*ids))) == NULL)
		return GH_ERR_NOMEM;
	if ((st = sq_stmt(db, first)) == NULL) {
		rc = GH_ERR_STORE;
		goto out;
	}
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, batch);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (n < batch)
			sq_col_text(st, 0, ids[n++], sizeof(ids[0]));
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		rc = sq_error(db, r);
		goto out;
	}
	*parents = n;
	for (i = 0; i < n; i++) {
		if ((st = sq_stmt(db, then)) == NULL) {
			rc = GH_ERR_STORE;
			goto out;
		}
		sq_bind_text(st, 1, ids[i]);
		r = sqlite3_step(st);
		sqlite3_reset(st);
		if (r != SQLITE_DONE) {
			rc = sq_error(db, r);
			goto out;
		}
		*children += (unsigned)sqlite3_changes(db->db);
	}
out:
	free(ids);
	return rc;
}

/*
 * In this order, in one transaction: the grants go only once their
 * families and codes have (the foreign keys do not cascade). *deleted is
 * the most rows of one batched table; sightings, at most 2 x
 * GH_MAX_SIGHTINGS per grant, are bounded by the grants' batch and not
 * counted in it (the caller calls again while it equals the batch).
 */
static enum gh_err
purge(struct store *s, int64_t now, int64_t keep, int64_t alert_keep,
    unsigned batch, unsigned *deleted)
{
	struct sqlite_store	*db = DB(s);
	int64_t			 unsent = now - GH_ALERT_SEND_SECONDS;
	unsigned		 n[7] = { 0, 0, 0, 0, 0, 0, 0 };
	enum gh_err		 rc;
	int			 i;

	*deleted = 0;
	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		return sq_release(db, rc);
	if ((rc = purge_table(db, S_PURGE_SESSIONS, now, 0, batch, &n[0])) ==
	    GH_OK &&
	    (rc = purge_table(db, S_PURGE_CODES, now - keep, 0, batch,
	    &n[1])) == GH_OK &&
	    (rc = purge_with(db, S_PURGE_TOKENS, S_PURGE_FAMILY, now - keep,
	    batch, &n[2], &n[3])) == GH_OK &&
	    (rc = purge_with(db, S_PURGE_GRANTS, S_PURGE_SIGHTINGS,
	    now - keep, batch, &n[4], &n[6])) == GH_OK && alert_keep > 0)
		rc = purge_table(db, S_PURGE_ALERTS, now - alert_keep, unsent,
		    batch, &n[5]);
	rc = sq_finish_tx(db, rc);
	for (i = 0; rc == GH_OK && i < 6; i++)
		if (n[i] > *deleted)
			*deleted = n[i];
	return sq_release(db, rc);
}

void
sqlite_key_ops(struct store_ops *ops)
{
	ops->keys_insert = keys_insert;
	ops->key_each = key_each;
	ops->key_retire = key_retire;
	ops->key_delete = key_delete;
	ops->jti_use = jti_use;
	ops->purge = purge;
}
