/*
 * sqlite.c - the embedded SQLite backend: opening, migrations, the
 * statement cache and helpers. Operations live in sqlite_ident.c
 * (clients, users, sessions) and sqlite_token.c (grants, codes, tokens,
 * audit).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
 * Per thread: a request's writes are waited for once, at its end
 * (store_defer_begin/end), and the writes that need no wait at all
 * (store_lazy).
 */
/*
 * A request's wait, on the heap: store_defer_detach() hands it to the
 * caller, and the thread goes on to other requests while the flusher
 * still holds it in its queue.
 */
struct sq_wait {
	struct store_wait	 base;
	struct group_sync	*g;
	struct sync_wait	 w;	/* the batches the request wrote in */
	enum gh_err		 failed;	/* an operation's store failure */
};

static _Thread_local struct {
	struct sqlite_store	*db;	/* NULL: not deferring */
	struct sq_wait		*wait;	/* NULL: nothing written yet */
	enum gh_err		 failed;	/* an operation's store failure */
	struct sqlite_store	*lazy;	/* NULL: every write waits */
} deferred;

uint64_t
sq_batch_newest(struct sqlite_store *db)
{
	uint64_t n;

	pthread_mutex_lock(&db->mu);
	n = db->tx_seq;
	pthread_mutex_unlock(&db->mu);
	return n;
}

enum gh_err
sq_batch_open(struct sqlite_store *db)
{
	enum gh_err rc;

	if (db->tx_open)
		return GH_OK;
	sq_sync_intent(db->sync, true);
	if ((rc = sq_exec_simple(db, S_TX_BEGIN)) != GH_OK) {
		sq_sync_intent(db->sync, false);
		return rc;
	}
	db->tx_open = true;
	db->tx_seq++;
	db->tx_start_total = db->last_total =
	    sqlite3_total_changes64(db->db);
	return GH_OK;
}

enum gh_err
sq_batch_close(struct sqlite_store *db, bool commit)
{
	enum gh_err rc = GH_ERR_STORE;

	if (commit)
		rc = sq_exec_simple(db, S_TX_COMMIT);
	if (rc != GH_OK && !sqlite3_get_autocommit(db->db))
		(void)sq_exec_simple(db, S_TX_ROLLBACK);
	db->tx_open = false;
	sq_sync_intent(db->sync, false);
	return commit ? rc : GH_OK;
}

/*
 * Release the store. If a batch is open with writes in it, the operation
 * wrote in it or ran on the writer after other requests' writes: what it
 * did or saw (a revocation that changed no row because another request's,
 * not yet durable, had) holds only once that batch is durable. Wait for
 * that now, at store_defer_end() when the thread defers, or not at all for
 * a lazy write (the flusher is only asked to commit it). A store failure
 * in a deferring thread also fails its store_defer_end(), whether or not
 * the caller looked at the result (an audit append, say).
 */
enum gh_err
sq_release(struct sqlite_store *db, enum gh_err rc)
{
	struct sync_wait	 local = { 0 };
	struct sync_wait	*w = NULL;
	uint64_t		 batch = 0;
	int64_t			 total;
	enum gh_err		 wrc;

	if (db->sync != NULL && db->tx_open) {
		total = sqlite3_total_changes64(db->db);
		if (sqlite3_get_autocommit(db->db)) {
			/* an error made SQLite roll the whole batch back */
			db->tx_open = false;
			sq_sync_intent(db->sync, false);
			sq_sync_lost(db->sync, db->tx_seq);
			db->last_total = total;
			if (rc == GH_OK)
				rc = GH_ERR_STORE;
		} else if (total == db->tx_start_total) {
			/* nothing written in it yet: end it, free the lock */
			(void)sq_batch_close(db, false);
		} else {
			db->last_total = total;
			batch = db->tx_seq;
		}
	}
	if (deferred.db == db && deferred.failed == GH_OK &&
	    (rc == GH_ERR_STORE || rc == GH_ERR_IO || rc == GH_ERR_NOMEM))
		deferred.failed = rc;
	if (batch != 0 && deferred.lazy == db)
		sq_sync_kick(db->sync, batch);
	else if (batch != 0) {
		if (deferred.db == db && deferred.wait == NULL &&
		    (deferred.wait = calloc(1, sizeof(*deferred.wait))) != NULL)
			deferred.wait->g = db->sync;
		/* out of memory: this write is waited for here, at once */
		w = deferred.db == db && deferred.wait != NULL ?
		    &deferred.wait->w : &local;
		sq_sync_note(db->sync, w, batch);
	}
	pthread_mutex_unlock(&db->mu);
	if (w == &local && (wrc = sq_sync_wait(db->sync, w)) != GH_OK &&
	    rc == GH_OK)
		rc = wrc;
	return rc;
}

static void
sqlite_defer_begin(struct store *s)
{
	deferred.db = (struct sqlite_store *)s;
	deferred.failed = GH_OK;
	deferred.wait = NULL;
}

static void
sqlite_lazy(struct store *s, bool on)
{
	deferred.lazy = on ? (struct sqlite_store *)s : NULL;
}

static bool
sqlite_durable(struct store *s)
{
	struct sqlite_store *db = (struct sqlite_store *)s;

	return db->sync == NULL || sq_sync_durable(db->sync);
}

static void
wait_watch(struct store_wait *base, void (*wake)(void *), void *arg)
{
	struct sq_wait *sw = (struct sq_wait *)base;

	sq_sync_watch(sw->g, &sw->w, wake, arg);
}

static enum gh_err
wait_end(struct store_wait *base)
{
	struct sq_wait	*sw = (struct sq_wait *)base;
	enum gh_err	 rc = sq_sync_wait(sw->g, &sw->w);

	if (sw->failed != GH_OK)
		rc = sw->failed;
	free(sw);
	return rc;
}

/*
 * The request is over: hand its wait to the caller when it has one,
 * else the outcome now (a store failure, or GH_OK: nothing to wait for).
 */
static enum gh_err
sqlite_defer_detach(struct store *s, struct store_wait **out)
{
	struct sq_wait	*sw = deferred.wait;
	enum gh_err	 failed = deferred.failed;

	(void)s;
	deferred.db = NULL;
	deferred.wait = NULL;
	*out = NULL;
	if (sw == NULL)
		return failed;
	sw->base.watch = wait_watch;
	sw->base.end = wait_end;
	sw->failed = failed;
	*out = &sw->base;
	return GH_OK;
}

static enum gh_err
sqlite_defer_end(struct store *s)
{
	struct store_wait	*w;
	enum gh_err		 rc;

	if ((rc = sqlite_defer_detach(s, &w)) != GH_OK || w == NULL)
		return rc;
	return wait_end(w);
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
	/*
	 * Every write joins the open batch (sqlite_sync.c). Transaction
	 * control is ours alone (SQLite counts BEGIN IMMEDIATE as a write).
	 */
	if (db->sync != NULL && !db->tx_open && id > S_ROLLBACK_TO &&
	    !sqlite3_stmt_readonly(st) && sq_batch_open(db) != GH_OK)
		return NULL;
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

	/* the flusher commits and syncs whatever is owed, then stops */
	sq_sync_close(db->sync);
	sq_ckpt_close(db->ckpt);
	if (db->tx_open)
		(void)sq_exec_simple(db, S_TX_COMMIT);
	sq_readers_close(db);
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(db->stmts[i]);
	sqlite3_close(db->db);
	pthread_mutex_destroy(&db->mu);
	free(db);
}

/* After each commit: how many frames the WAL holds (store lock held). */
static int
wal_hook(void *arg, sqlite3 *conn, const char *name, int frames)
{
	struct sqlite_store *db = arg;

	(void)conn;
	(void)name;
	db->wal_frames = frames;
	return SQLITE_OK;
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
	ops.defer_detach = sqlite_defer_detach;
	ops.durable = sqlite_durable;
	ops.lazy = sqlite_lazy;
	sqlite_ident_ops(&ops);
	sqlite_token_ops(&ops);
	sqlite_key_ops(&ops);
	sqlite_gov_ops(&ops);
	sqlite_audit_ops(&ops);
	sqlite_retention_ops(&ops);
	sqlite_rate_ops(&ops);
	sqlite_admin_ops(&ops);
}

/*
 * One of the database's files, if it exists, must be this user's and
 * nobody else's: it holds password hashes, emails, the audit trail and
 * the sealed signing keys. A file of ours that others may read is made
 * 0600 (a new one is already: main() sets the umask, and SQLite gives the
 * -wal and -shm it creates the database's mode). A file of another user
 * is refused: whoever owns it can read and rewrite every row. So is a
 * symbolic link (own_files() passes the database's real path): a -wal or
 * -shm planted as one would otherwise have its target, any file of this
 * user, made 0600. It is looked at through an O_PATH descriptor, because
 * closing a readable one would drop the POSIX locks SQLite holds on the
 * file in this process (another store open on it).
 */
static enum gh_err
own_file(const char *path)
{
	struct stat	 st;
	char		 proc[64], was[8];
	const char	*why = NULL;
	int		 fd;

	if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? GH_OK : GH_ERR_IO;
	if (fstat(fd, &st) != 0)
		why = "cannot be examined";
	else if (S_ISLNK(st.st_mode))
		why = "is a symbolic link";
	else if (!S_ISREG(st.st_mode))
		why = "is not a regular file";
	else if (st.st_uid != geteuid())
		why = "is owned by another user, who could read and change "
		    "every row: chown it to the user that runs gatehouse";
	if (why == NULL && (st.st_mode & 077) != 0) {
		/* the file fd names, not whatever the path names by now */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		snprintf(was, sizeof(was), "%04o", (unsigned)(st.st_mode &
		    07777));
		if (chmod(proc, S_IRUSR | S_IWUSR) == 0)
			log_kv(LOG_WARN, "store_mode_tightened", "path", path,
			    "was", was, "now", "0600", NULL);
		else
			why = "is readable by others and its mode cannot be "
			    "changed (chmod 600 it)";
	}
	close(fd);
	if (why == NULL)
		return GH_OK;
	log_kv(LOG_ERROR, "store_file_refused", "path", path, "msg", why,
	    NULL);
	return GH_ERR_INVALID;
}

/*
 * The database file and its -wal and -shm, as own_file() wants them. The
 * database may be reached through a symbolic link (a folder on another
 * disk, say): SQLite follows it and keeps the -wal and -shm beside the
 * file it names, so those are the ones looked at.
 */
static enum gh_err
own_files(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char		name[GH_MAX_PATH + 8], *real;
	const char	*base = path;
	size_t		i;
	enum gh_err	rc = GH_OK;
	int		n;

	if ((real = realpath(path, NULL)) != NULL)
		base = real;
	else if (errno != ENOENT)
		return GH_ERR_IO;
	for (i = 0; rc == GH_OK && i < sizeof(suffix) / sizeof(suffix[0]);
	    i++) {
		n = snprintf(name, sizeof(name), "%s%s", base, suffix[i]);
		rc = n < 0 || (size_t)n >= sizeof(name) ? GH_ERR_LIMIT :
		    own_file(name);
	}
	free(real);
	return rc;
}

enum gh_err
sqlite_store_open(const char *path, bool serve, struct store **out)
{
	struct sqlite_store	*db;
	enum gh_err		 rc = GH_ERR_STORE;

	pthread_once(&ops_once, ops_init);
	if ((rc = own_files(path)) != GH_OK)
		return rc;
	rc = GH_ERR_STORE;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return GH_ERR_NOMEM;
	db->base.ops = &ops;
	pthread_mutex_init(&db->mu, NULL);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	    sq_walbuf_vfs()) != SQLITE_OK) {
		log_kv(LOG_ERROR, "store_error", "backend", "sqlite", "msg",
		    db->db ? sqlite3_errmsg(db->db) : "open failed", NULL);
		goto fail;
	}
	sqlite3_busy_timeout(db->db, 5000);
	/*
	 * WAL lets the admin command write while the server runs;
	 * synchronous=FULL makes every commit durable before we answer.
	 */
	/*
	 * temp_store=MEMORY: an operation's savepoint inside the batch
	 * keeps its undo log in memory, not in a temporary file created
	 * and unlinked per operation. cache_size: 4 MiB of pages, so the
	 * hot B-tree pages of a busy batch stay in memory.
	 */
	if (exec_sql(db->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-4096;") != GH_OK)
		goto fail;
	if ((rc = migrate(db->db)) != GH_OK)
		goto fail;
	/* group commit when we can fsync the WAL ourselves, else FULL */
	if ((db->sync = sq_sync_open(db, path)) != NULL &&
	    exec_sql(db->db, "PRAGMA synchronous=NORMAL;") != GH_OK) {
		sq_sync_close(db->sync);
		db->sync = NULL;
	}
	/*
	 * A server checkpoints in the background (a WAL hook replaces
	 * SQLite's own) and reads on a pool. An admin command does neither,
	 * and leaves checkpoints to the server, or to the last connection's
	 * close, which checkpoints the whole WAL.
	 */
	if (serve && db->sync != NULL &&
	    (db->ckpt = sq_ckpt_open(path)) != NULL)
		sqlite3_wal_hook(db->db, wal_hook, db);
	if (!serve)
		(void)sqlite3_wal_autocheckpoint(db->db, 0);
	if (serve && db->sync != NULL)
		sq_readers_open(db, path);
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
sq_begin(struct sqlite_store *db)
{
	enum gh_err rc;

	if (db->sync != NULL && (rc = sq_batch_open(db)) != GH_OK)
		return rc;
	return sq_exec_simple(db, S_SAVEPOINT);
}

enum gh_err
sq_finish_tx(struct sqlite_store *db, enum gh_err rc)
{
	if (rc == GH_OK && (rc = sq_exec_simple(db, S_RELEASE)) == GH_OK)
		return GH_OK;
	/* undo this operation only; the batch keeps the others' writes */
	if (!sqlite3_get_autocommit(db->db) &&
	    sq_exec_simple(db, S_ROLLBACK_TO) == GH_OK)
		(void)sq_exec_simple(db, S_RELEASE);
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
