/*
 * sqlite.c - the embedded SQLite backend: opening, migrations, the
 * statement cache and helpers. Operations live in sqlite_ident.c
 * (clients, users, sessions) and sqlite_token.c (grants, codes, tokens,
 * audit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "sqlite_schema.h"
#include "../util/log.h"
#include "../util/str.h"

void
sq_lock(struct sqlite_store *db)
{
	pthread_mutex_lock(&db->mu);
}

void
sq_unlock(struct sqlite_store *db)
{
	(void)sq_release(db, GH_OK);
}

/*
 * Durability waits a thread has put off (store_defer_begin): the newest
 * commit it made while deferring, and the store it made it in; and
 * whether its writes need no wait at all (store_lazy).
 */
static _Thread_local struct {
	struct sqlite_store	*db;	/* NULL: not deferring */
	uint64_t		 seq;	/* 0: nothing to wait for */
	struct sqlite_store	*lazy;	/* NULL: every write waits */
} deferred;

uint64_t
sq_commit_seq(struct sqlite_store *db)
{
	int64_t total = sqlite3_total_changes64(db->db);

	if (db->sync == NULL || total == db->last_total ||
	    !sqlite3_get_autocommit(db->db))
		return 0;
	db->last_total = total;
	return sq_sync_note(db->sync);
}

enum gh_err
sq_durable(struct sqlite_store *db, uint64_t seq, enum gh_err rc)
{
	if (seq == 0 || deferred.lazy == db)
		return rc;
	if (deferred.db == db) {
		if (seq > deferred.seq)
			deferred.seq = seq;
		return rc;
	}
	if (sq_sync_wait(db->sync, seq) != GH_OK) {
		log_kv(LOG_ERROR, "store_sync_failed", "backend", "sqlite",
		    "msg", "fdatasync of the WAL failed", NULL);
		return rc == GH_OK ? GH_ERR_IO : rc;
	}
	return rc;
}

/*
 * Release the store. If the operation changed anything (its transaction
 * has committed by now), it must be durable before the caller answers:
 * wait for that now, or at store_defer_end() when the thread defers.
 */
enum gh_err
sq_release(struct sqlite_store *db, enum gh_err rc)
{
	uint64_t seq = sq_commit_seq(db);

	pthread_mutex_unlock(&db->mu);
	return sq_durable(db, seq, rc);
}

static void
sqlite_defer_begin(struct store *s)
{
	deferred.db = (struct sqlite_store *)s;
	deferred.seq = 0;
}

static void
sqlite_lazy(struct store *s, bool on)
{
	deferred.lazy = on ? (struct sqlite_store *)s : NULL;
}

static enum gh_err
sqlite_defer_end(struct store *s)
{
	uint64_t seq = deferred.seq;

	deferred.db = NULL;
	deferred.seq = 0;
	return sq_durable((struct sqlite_store *)s, seq, GH_OK);
}

enum gh_err
sq_error(struct sqlite_store *db, int rc)
{
	int ext = sqlite3_extended_errcode(db->db);

	if (rc == SQLITE_CONSTRAINT && (ext == SQLITE_CONSTRAINT_UNIQUE ||
	    ext == SQLITE_CONSTRAINT_PRIMARYKEY))
		return GH_ERR_EXISTS;
	if (rc == SQLITE_NOMEM)
		return GH_ERR_NOMEM;
	log_kv(LOG_ERROR, "store_error", "backend", "sqlite", "msg",
	    sqlite3_errmsg(db->db), NULL);
	return GH_ERR_STORE;
}

sqlite3_stmt *
sq_stmt(struct sqlite_store *db, enum stmt_id id)
{
	sqlite3_stmt *st = db->stmts[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(db->db, sqlite_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			(void)sq_error(db, SQLITE_ERROR);
			return NULL;
		}
		db->stmts[id] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

enum gh_err
sq_exec_simple(struct sqlite_store *db, enum stmt_id id)
{
	sqlite3_stmt	*st = sq_stmt(db, id);
	int		 rc;

	if (st == NULL)
		return GH_ERR_STORE;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GH_OK : sq_error(db, rc);
}

int
sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
sq_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	return sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC);
}

void
sq_col_text(sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_copy(out, outsz, t ? (const char *)t : "");
}

int64_t
sq_col_int(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int64(st, i);
}

static enum gh_err
exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_kv(LOG_ERROR, "store_error", "backend", "sqlite", "msg",
		    msg ? msg : "exec failed", NULL);
		sqlite3_free(msg);
		return GH_ERR_STORE;
	}
	return GH_OK;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Apply pending migrations, each in its own transaction. */
static enum gh_err
migrate(sqlite3 *db)
{
	char	 pragma[64];
	int	 v;

	if (exec_sql(db, "BEGIN IMMEDIATE") != GH_OK)
		return GH_ERR_STORE;
	v = user_version(db);
	if (v < 0 || v > sqlite_migration_count) {
		log_kv(LOG_ERROR, "store_error", "msg",
		    "database schema is newer than this binary", NULL);
		exec_sql(db, "ROLLBACK");
		return GH_ERR_STORE;
	}
	for (; v < sqlite_migration_count; v++) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    v + 1);
		if (exec_sql(db, sqlite_migrations[v]) != GH_OK ||
		    exec_sql(db, pragma) != GH_OK) {
			exec_sql(db, "ROLLBACK");
			return GH_ERR_STORE;
		}
		log_kv(LOG_INFO, "store_migrated", "backend", "sqlite",
		    "version", pragma + 22, NULL);
	}
	return exec_sql(db, "COMMIT");
}

static void
sqlite_close(struct store *s)
{
	struct sqlite_store	*db = (struct sqlite_store *)s;
	int			 i;

	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmts[i]);
	sq_sync_close(db->sync);
	sqlite3_close(db->db);
	sq_audit_queue_free(db->audit_queue);
	pthread_mutex_destroy(&db->mu);
	free(db);
}

static struct store_ops ops;
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;

static void
ops_init(void)
{
	/*
	 * Before SQLite initializes: no global memory statistics (a global
	 * mutex taken on every allocation of every thread); each connection
	 * is serialized by its store's own mutex.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	ops.close = sqlite_close;
	ops.defer_begin = sqlite_defer_begin;
	ops.defer_end = sqlite_defer_end;
	ops.lazy = sqlite_lazy;
	sqlite_ident_ops(&ops);
	sqlite_token_ops(&ops);
	sqlite_key_ops(&ops);
	sqlite_gov_ops(&ops);
	sqlite_audit_ops(&ops);
	sqlite_admin_ops(&ops);
}

enum gh_err
sqlite_store_open(const char *path, struct store **out)
{
	struct sqlite_store	*db;
	enum gh_err		 rc = GH_ERR_STORE;

	pthread_once(&ops_once, ops_init);
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return GH_ERR_NOMEM;
	db->base.ops = &ops;
	pthread_mutex_init(&db->mu, NULL);
	if ((db->audit_queue = sq_audit_queue_new()) == NULL) {
		pthread_mutex_destroy(&db->mu);
		free(db);
		return GH_ERR_NOMEM;
	}
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_kv(LOG_ERROR, "store_error", "backend", "sqlite", "msg",
		    db->db ? sqlite3_errmsg(db->db) : "open failed", NULL);
		goto fail;
	}
	sqlite3_busy_timeout(db->db, 5000);
	/*
	 * WAL lets the admin command write while the server runs;
	 * synchronous=FULL makes every commit durable before we answer.
	 */
	if (exec_sql(db->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;") != GH_OK)
		goto fail;
	if ((rc = migrate(db->db)) != GH_OK)
		goto fail;
	/* group commit when we can fsync the WAL ourselves, else FULL */
	if ((db->sync = sq_sync_open(path)) != NULL &&
	    exec_sql(db->db, "PRAGMA synchronous=NORMAL;") != GH_OK) {
		sq_sync_close(db->sync);
		db->sync = NULL;
	}
	db->last_total = sqlite3_total_changes64(db->db);
	*out = &db->base;
	return GH_OK;
fail:
	sqlite_close(&db->base);
	return rc == GH_OK ? GH_ERR_STORE : rc;
}

enum gh_err
sq_step_done(struct sqlite_store *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GH_OK : sq_error(db, rc);
}

enum gh_err
sq_finish_tx(struct sqlite_store *db, enum gh_err rc)
{
	if (rc == GH_OK && (rc = sq_exec_simple(db, S_COMMIT)) == GH_OK)
		return GH_OK;
	(void)sq_exec_simple(db, S_ROLLBACK);
	return rc;
}

static const char *
col_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL :
	    (const char *)sqlite3_column_text(st, i);
}

void
sq_audit_from_row(sqlite3_stmt *st, struct audit_row *r)
{
	memset(r, 0, sizeof(*r));
	r->seq = sq_col_int(st, 0);
	r->time = sq_col_int(st, 1);
	r->type = col_or_null(st, 2);
	r->actor = col_or_null(st, 3);
	r->client_id = col_or_null(st, 4);
	r->user_id = col_or_null(st, 5);
	r->grant_id = col_or_null(st, 6);
	r->remote_addr = col_or_null(st, 7);
	r->user_agent = col_or_null(st, 8);
	r->detail = col_or_null(st, 9);
	if (sqlite3_column_bytes(st, 10) == GH_HASH_BYTES)
		memcpy(r->prev_hash, sqlite3_column_blob(st, 10),
		    GH_HASH_BYTES);
	if (sqlite3_column_bytes(st, 11) == GH_HASH_BYTES)
		memcpy(r->hash, sqlite3_column_blob(st, 11), GH_HASH_BYTES);
}
