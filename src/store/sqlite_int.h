/*
 * sqlite_int.h - shared internals of the SQLite backend: the handle, the
 * prepared statement table and small bind/column helpers.
 *
 * One connection serves the process, guarded by a mutex: SQLite runs one
 * writer at a time anyway, and one connection lets every statement be
 * prepared once. Each public operation takes the lock, runs its statements
 * (in a transaction when there are several) and releases it.
 */
#ifndef GH_SQLITE_INT_H
#define GH_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store_impl.h"

enum stmt_id {
	S_TX_BEGIN, S_TX_COMMIT, S_TX_ROLLBACK,
	S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
	S_CLIENT_INSERT, S_CLIENT_GET, S_CLIENT_ALL, S_CLIENT_STATUS,
	S_CLIENT_SECRET,
	S_USER_INSERT, S_USER_BY_NAME, S_USER_GET, S_USER_ALL, S_USER_STATUS,
	S_USER_PASSWORD, S_USER_PROFILE,
	S_KEY_INSERT, S_KEY_INSERT_FIRST, S_KEY_ALL, S_KEY_RETIRE,
	S_KEY_DELETE,
	S_JTI_INSERT, S_JTI_PURGE,
	S_PURGE_TOKENS, S_PURGE_CODES, S_PURGE_SESSIONS, S_PURGE_FAMILY,
	S_CLIENT_QUARANTINE, S_GRANTS_REVOKE_CLIENT,
	S_GRANT_LIST, S_GRANT_REVOKE_ID, S_GRANTS_REVOKE_USER,
	S_SESSION_INSERT, S_SESSION_GET, S_SESSION_GRANT, S_SESSION_DELETE,
	S_SESSIONS_END_USER,
	S_GRANT_FIND, S_GRANT_INSERT, S_GRANT_UPDATE,
	S_CODE_INSERT, S_CODE_GET, S_CODE_CONSUME, S_FAMILY_INSERT,
	S_FAMILY_REVOKE_CODE, S_FAMILY_REVOKE,
	S_TOKEN_INSERT, S_TOKEN_LIVE, S_TOKEN_GET, S_REFRESH_ROTATE,
	S_TOKEN_REVOKE, S_GRANT_TOUCH,
	S_AUDIT_INSERT, S_AUDIT_LAST, S_AUDIT_SINCE,
	S_ALERT_RAISE, S_ALERT_LIST, S_ALERT_ACK, S_ALERT_CLAIM,
	S_ALERT_DELIVERED, S_ALERT_RETRY, S_ALERT_COUNT, S_CLIENT_IDS,
	S_SIGHT_GET, S_SIGHT_PUT,
	S_USAGE_ONE, S_USAGE_BATCH, S_USAGE_SCOPES, S_USAGE_SIGHTS,
	S_AUDIT_OF_CLIENT, S_GRANTS_EXPIRE,
	S_ADMIN_INSERT, S_ADMIN_BY_HASH, S_ADMIN_TOUCH, S_ADMIN_ALL,
	S_ADMIN_DISABLE, S_ADMIN_SESSION_INSERT, S_ADMIN_SESSION_GET,
	S_ADMIN_SESSION_DELETE, S_ADMIN_SESSION_PURGE, S_GRANT_REVOKE_OWN,
	S_CLIENT_ACTIVITY,
	S_AUDIT_BASE, S_AUDIT_BASE_SET, S_AUDIT_PRUNE,
	S_GRANT_GET,
	S_PURGE_GRANTS, S_PURGE_SIGHTINGS, S_PURGE_ALERTS,
	/* the token rate rule's counts (sqlite_rate.c) */
	S_TOKEN_WINDOWS,
	S_COUNT
};

struct sqlite_store {
	struct store	 base;		/* must be first */
	sqlite3		*db;
	pthread_mutex_t	 mu;
	sqlite3_stmt	*stmts[S_COUNT];
	/* group commit (sqlite_sync.c); all under mu */
	struct group_sync *sync;	/* NULL: every commit fsyncs */
	bool		 tx_open;	/* a batch is open */
	uint64_t	 tx_seq;	/* number of the newest batch */
	int64_t		 tx_start_total;	/* total changes when it opened */
	int64_t		 last_total;	/* total changes already noted */
	/* background checkpoints (sqlite_ckpt.c); under mu */
	struct wal_ckpt	*ckpt;		/* NULL: SQLite's own, in COMMIT */
	int		 wal_frames;	/* in the WAL after the last commit */
	int		 wal_kicked;	/* wal_frames at the last kick */
	uint8_t		 audit_key[GH_HASH_BYTES];	/* chain key */
	/* read-only connections for hot reads (sqlite_read.c) */
	struct sq_reader *readers;	/* NULL: reads use the writer */
};

/*
 * Group commit (sqlite_sync.c). A write opens the batch if none is open
 * (sq_stmt() does it for any statement that writes, sq_begin() for a
 * multi-statement operation, which then runs in a savepoint); the
 * flusher thread commits it and fdatasyncs the WAL. sq_release() notes
 * the batch an operation wrote in and waits until it is durable.
 */
struct group_sync;
struct sync_wait {
	uint64_t		 first, last;	/* batches written in */
	enum gh_err		 rc;		/* GH_OK unless one failed */
	bool			 queued, done;
	pthread_cond_t		*cv;		/* set while its thread sleeps */
	void			(*wake)(void *);	/* or this, once */
	void			*wake_arg;
	struct sync_wait	*next, *wake_next;
};
/*
 * The VFS that writes a commit's WAL frames in one write (sqlite_walbuf.c)
 * for the writer connection; NULL if it could not be registered.
 */
const char	*sq_walbuf_vfs(void);

struct group_sync *sq_sync_open(struct sqlite_store *db, const char *path);
/* Waits until every requested batch is resolved, then stops. */
void		 sq_sync_close(struct group_sync *g);
/* Take (on) or drop the cross-process write intent lock. */
void		 sq_sync_intent(struct group_sync *g, bool on);
/* `w` wrote in `batch` (store lock held). */
void		 sq_sync_note(struct group_sync *g, struct sync_wait *w,
		    uint64_t batch);
/* Ask for `batch` to be committed and synced, without waiting. */
void		 sq_sync_kick(struct group_sync *g, uint64_t batch);
/* Wait until w's batches are durable (store lock NOT held). */
enum gh_err	 sq_sync_wait(struct group_sync *g, struct sync_wait *w);
/*
 * Instead of waiting: call wake(arg) once, when w's batches are resolved,
 * from the flusher's thread, or from this one at once if they are. Then
 * sq_sync_wait() returns the outcome without sleeping.
 */
void		 sq_sync_watch(struct group_sync *g, struct sync_wait *w,
		    void (*wake)(void *), void *arg);
/* False once a sync failed (store_durable). */
bool		 sq_sync_durable(struct group_sync *g);
/* Wait until every batch up to `upto` is durable (store lock NOT held). */
enum gh_err	 sq_sync_barrier(struct group_sync *g, uint64_t upto);
/* SQLite rolled `batch` back: its waiters fail (store lock held). */
void		 sq_sync_lost(struct group_sync *g, uint64_t batch);

/*
 * Checkpoints in a thread of their own (sqlite_ckpt.c): kick asks for a
 * passive one soon and never waits; now runs one in the caller's thread.
 */
struct wal_ckpt;
struct wal_ckpt	*sq_ckpt_open(const char *path);
void		 sq_ckpt_close(struct wal_ckpt *c);
void		 sq_ckpt_kick(struct wal_ckpt *c);
void		 sq_ckpt_now(struct wal_ckpt *c);
/* After a commit (store lock held): kick, or catch up for a restart. */
void		 sq_ckpt_after_commit(struct sqlite_store *db);

/* Open a batch if none is open / end it (store lock held). */
enum gh_err	 sq_batch_open(struct sqlite_store *db);
enum gh_err	 sq_batch_close(struct sqlite_store *db, bool commit);
/* The newest batch's number, open or not (takes the store lock). */
uint64_t	 sq_batch_newest(struct sqlite_store *db);

extern const char *const sqlite_sql[S_COUNT];

/* Prepared (once) and reset statement; NULL on failure. Lock held. */
sqlite3_stmt	*sq_stmt(struct sqlite_store *db, enum stmt_id id);
enum gh_err	 sq_error(struct sqlite_store *db, int rc);
enum gh_err	 sq_exec_simple(struct sqlite_store *db, enum stmt_id id);
void		 sq_lock(struct sqlite_store *db);
void		 sq_unlock(struct sqlite_store *db);
/*
 * Unlock at the end of an operation: if it changed anything, wait until
 * that change is durable (or leave the wait to store_defer_end()).
 * Returns rc, or an error if it could not be made durable (the caller
 * must not acknowledge it then).
 */
enum gh_err	 sq_release(struct sqlite_store *db, enum gh_err rc);

/*
 * Hot reads of committed rows (sqlite_read.c): on one of a few read-only
 * connections when there are readers, else on the writer (store lock), so
 * they never wait behind the writer's lock, which is held through every
 * commit. sq_read_stmt() returns the prepared, reset statement (NULL on
 * failure); sq_read_done() ends the read either way and returns rc;
 * sq_read_error() maps a SQLite error of that connection.
 */
void		 sq_readers_open(struct sqlite_store *db, const char *path);
void		 sq_readers_close(struct sqlite_store *db);
sqlite3_stmt	*sq_read_stmt(struct sqlite_store *db, enum stmt_id id);
/* another statement of the same read, on the connection it holds */
sqlite3_stmt	*sq_read_also(struct sqlite_store *db, enum stmt_id id);
enum gh_err	 sq_read_done(struct sqlite_store *db, enum gh_err rc);
enum gh_err	 sq_read_error(struct sqlite_store *db, int rc);
/* One row by a text key (parameter 1) on a reader, decoded by from(). */
enum gh_err	 sq_read_one(struct sqlite_store *db, enum stmt_id id,
		    const char *key, void (*from)(sqlite3_stmt *, void *),
		    void *out);

/* bind helpers: NULL strings bind SQL NULL */
int	sq_bind_text(sqlite3_stmt *st, int i, const char *s);
int	sq_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n);
/* copy a text column into a fixed buffer ("" for NULL) */
void	sq_col_text(sqlite3_stmt *st, int i, char *out, size_t outsz);
int64_t	sq_col_int(sqlite3_stmt *st, int i);

/* operations, by file */
void		 sqlite_ident_ops(struct store_ops *ops);
void		 sqlite_token_ops(struct store_ops *ops);
void		 sqlite_key_ops(struct store_ops *ops);
void		 sqlite_gov_ops(struct store_ops *ops);
void		 sqlite_admin_ops(struct store_ops *ops);
void		 sqlite_audit_ops(struct store_ops *ops);
void		 sqlite_retention_ops(struct store_ops *ops);
void		 sqlite_rate_ops(struct store_ops *ops);

/* shared by the operation files */
enum gh_err	 sq_step_done(struct sqlite_store *db, sqlite3_stmt *st);
/*
 * A multi-statement operation: sq_begin() opens a savepoint (in the
 * batch), sq_finish_tx() releases it when rc is GH_OK and otherwise rolls
 * back this operation's statements only; it returns rc.
 */
enum gh_err	 sq_begin(struct sqlite_store *db);
enum gh_err	 sq_finish_tx(struct sqlite_store *db, enum gh_err rc);
/*
 * Chain and insert one audit event inside the caller's savepoint (lock
 * held): an event committed with the change it records.
 */
enum gh_err	 sq_audit_insert(struct sqlite_store *db,
		    const struct audit_row *a);
/* The event of a change of `changed` rows (struct change_audit), ditto. */
enum gh_err	 sq_change_event(struct sqlite_store *db,
		    const struct change_audit *ev, unsigned changed);
/*
 * End a change's savepoint (sq_begin) with its event ev (may be NULL;
 * struct change_audit) inserted first when rc is GH_OK: the change is
 * kept only together with its event. Returns the outcome
 * (sqlite_ident.c).
 */
enum gh_err	 sq_finish_with_event(struct sqlite_store *db, enum gh_err rc,
		    const struct change_audit *ev);
enum gh_err	 sq_finish_with_event_n(struct sqlite_store *db, enum gh_err rc,
		    const struct change_audit *ev, unsigned n, unsigned *count);
/* a client row from the columns of CLIENT_COLS, first in st's row */
void		 sq_client_from_row(sqlite3_stmt *st, struct client_row *c);
/* one audit row from the columns of S_AUDIT_SINCE (strings borrowed) */
void		 sq_audit_from_row(sqlite3_stmt *st, struct audit_row *r);
/* Step a bound statement with those columns, each row to fn; resets it. */
enum gh_err	 sq_audit_rows(struct sqlite_store *db, sqlite3_stmt *st,
		    bool (*fn)(void *, const struct audit_row *), void *ctx);
/* Insert an alert unconditionally (no de-duplication), lock held. */
enum gh_err	 sq_alert_insert(struct sqlite_store *db, struct alert_row *a);

#endif
