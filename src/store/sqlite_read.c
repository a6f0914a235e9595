/*
 * sqlite_read.c - hot reads of the SQLite backend on read-only
 * connections (sqlite_int.h).
 *
 * The writer connection is shared by every request and its lock is held
 * through each commit, a quarter of a millisecond of WAL writes. Reads
 * that need only committed rows (clients, users, browser sessions,
 * grants, live tokens) go instead to one of GH_SQLITE_READERS read-only
 * connections: WAL readers never block on the writer, and each request
 * thread keeps to one reader, so threads seldom share a reader's lock.
 *
 * A reader's page cache is dropped whenever another connection committed
 * since its last read, i.e. nearly always under load, so it is small
 * (GH_SQLITE_READER_KIB): it holds the pages of one read, not the tree.
 *
 * What is read here is committed, never a write still in the open batch:
 * every request that writes one of these rows waits for its commit
 * before it answers (sqlite_sync.c), and no request writes one and reads
 * it back.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "sqlite_int.h"
#include "../util/limits.h"
#include "../util/log.h"

struct sq_reader {
	pthread_mutex_t	 mu;
	sqlite3		*db;
	sqlite3_stmt	*stmts[S_COUNT];
};

/* this thread's reader, and the one its current read holds */
static atomic_uint	 next_slot;
static _Thread_local unsigned		 slot;
static _Thread_local bool		 slotted;
static _Thread_local struct sq_reader	*held;

void
sq_readers_open(struct sqlite_store *db, const char *path)
{
	struct sq_reader	*r;
	char			 pragma[48];
	int			 i;

	if ((r = calloc(GH_SQLITE_READERS, sizeof(*r))) == NULL)
		return;		/* reads use the writer */
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%d",
	    GH_SQLITE_READER_KIB);
	for (i = 0; i < GH_SQLITE_READERS; i++) {
		pthread_mutex_init(&r[i].mu, NULL);
		if (sqlite3_open_v2(path, &r[i].db, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
		    sqlite3_exec(r[i].db, pragma, NULL, NULL, NULL) !=
		    SQLITE_OK) {
			db->readers = r;
			sq_readers_close(db);
			return;
		}
		sqlite3_busy_timeout(r[i].db, 5000);
	}
	db->readers = r;
}

void
sq_readers_close(struct sqlite_store *db)
{
	struct sq_reader	*r = db->readers;
	int			 i, k;

	if (r == NULL)
		return;
	for (i = 0; i < GH_SQLITE_READERS; i++) {
		for (k = 0; k < S_COUNT; k++)
			sqlite3_finalize(r[i].stmts[k]);
		sqlite3_close(r[i].db);	/* NULL is a no-op */
		pthread_mutex_destroy(&r[i].mu);
	}
	free(r);
	db->readers = NULL;
}

sqlite3_stmt *
sq_read_stmt(struct sqlite_store *db, enum stmt_id id)
{
	struct sq_reader	*r;

	if (db->readers == NULL) {
		sq_lock(db);
		return sq_stmt(db, id);
	}
	if (!slotted) {
		slot = atomic_fetch_add(&next_slot, 1) % GH_SQLITE_READERS;
		slotted = true;
	}
	r = held = &db->readers[slot];
	pthread_mutex_lock(&r->mu);
	return sq_read_also(db, id);
}

sqlite3_stmt *
sq_read_also(struct sqlite_store *db, enum stmt_id id)
{
	struct sq_reader	*r = held;
	sqlite3_stmt		*st;

	if (db->readers == NULL)
		return sq_stmt(db, id);
	if ((st = r->stmts[id]) == NULL) {
		if (sqlite3_prepare_v3(r->db, sqlite_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			(void)sq_read_error(db, SQLITE_ERROR);
			return NULL;
		}
		r->stmts[id] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

enum gh_err
sq_read_done(struct sqlite_store *db, enum gh_err rc)
{
	if (db->readers == NULL)
		return sq_release(db, rc);
	pthread_mutex_unlock(&held->mu);
	held = NULL;
	return rc;
}

enum gh_err
sq_read_error(struct sqlite_store *db, int rc)
{
	if (db->readers == NULL)
		return sq_error(db, rc);
	if (rc == SQLITE_NOMEM)
		return GH_ERR_NOMEM;
	log_kv(LOG_ERROR, "store_error", "backend", "sqlite", "msg",
	    sqlite3_errmsg(held->db), NULL);
	return GH_ERR_STORE;
}

enum gh_err
sq_read_one(struct sqlite_store *db, enum stmt_id id, const char *key,
    void (*from)(sqlite3_stmt *, void *), void *out)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	if ((st = sq_read_stmt(db, id)) != NULL) {
		sq_bind_text(st, 1, key);
		r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			from(st, out);
			rc = GH_OK;
		} else {
			rc = r == SQLITE_DONE ? GH_ERR_NOT_FOUND :
			    sq_read_error(db, r);
		}
		sqlite3_reset(st);
	}
	return sq_read_done(db, rc);
}
