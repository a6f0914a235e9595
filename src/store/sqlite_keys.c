/*
 * sqlite_keys.c - SQLite upkeep: our signing keys, the replay cache of
 * client assertion ids, and purging rows past any use.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

#define DB(s) ((struct sqlite_store *)(s))

static enum gh_err
key_insert(struct store *s, const struct key_row *k)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_KEY_INSERT)) != NULL) {
		sq_bind_text(st, 1, k->kid);
		sq_bind_text(st, 2, k->alg);
		sq_bind_text(st, 3, k->private_sealed);
		sq_bind_text(st, 4, k->public_jwk);
		sqlite3_bind_int64(st, 5, k->created_at);
		sqlite3_bind_int64(st, 6, k->activate_at);
		r = sqlite3_step(st);
		rc = r == SQLITE_DONE ? GH_OK : sq_error(DB(s), r);
		sqlite3_reset(st);
	}
	return sq_release(DB(s), rc);
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

static enum gh_err
key_update(struct store *s, enum stmt_id id, const char *kid, int64_t now)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), id)) != NULL) {
		sq_bind_text(st, 1, kid);
		if (id == S_KEY_RETIRE)
			sqlite3_bind_int64(st, 2, now);
		r = sqlite3_step(st);
		rc = r != SQLITE_DONE ? sq_error(DB(s), r) :
		    sqlite3_changes(DB(s)->db) == 1 ? GH_OK : GH_ERR_NOT_FOUND;
		sqlite3_reset(st);
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
key_retire(struct store *s, const char *kid, int64_t now)
{
	return key_update(s, S_KEY_RETIRE, kid, now);
}

static enum gh_err
key_delete(struct store *s, const char *kid)
{
	return key_update(s, S_KEY_DELETE, kid, 0);
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

static enum gh_err
purge(struct store *s, int64_t now, int64_t keep, unsigned batch,
    unsigned *deleted)
{
	static const enum stmt_id ids[] = { S_PURGE_SESSIONS, S_PURGE_CODES,
	    S_PURGE_TOKENS, S_PURGE_FAMILIES };
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_OK;
	size_t		 i;
	int		 r;

	*deleted = 0;
	sq_lock(DB(s));
	for (i = 0; rc == GH_OK && i < sizeof(ids) / sizeof(ids[0]); i++) {
		if ((st = sq_stmt(DB(s), ids[i])) == NULL) {
			rc = GH_ERR_STORE;
			break;
		}
		sqlite3_bind_int64(st, 1, ids[i] == S_PURGE_SESSIONS ? now :
		    now - keep);
		sqlite3_bind_int64(st, 2, batch);
		r = sqlite3_step(st);
		if (r == SQLITE_DONE) {
			if ((unsigned)sqlite3_changes(DB(s)->db) > *deleted)
				*deleted = (unsigned)sqlite3_changes(DB(s)->db);
		} else {
			rc = sq_error(DB(s), r);
		}
		sqlite3_reset(st);
	}
	return sq_release(DB(s), rc);
}

void
sqlite_key_ops(struct store_ops *ops)
{
	ops->key_insert = key_insert;
	ops->key_each = key_each;
	ops->key_retire = key_retire;
	ops->key_delete = key_delete;
	ops->jti_use = jti_use;
	ops->purge = purge;
}
