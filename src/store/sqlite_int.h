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
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_CLIENT_INSERT, S_CLIENT_GET, S_CLIENT_ALL, S_CLIENT_STATUS,
	S_CLIENT_SECRET,
	S_USER_INSERT, S_USER_BY_NAME, S_USER_GET, S_USER_ALL, S_USER_STATUS,
	S_USER_PASSWORD, S_USER_PROFILE,
	S_KEY_INSERT, S_KEY_ALL, S_KEY_RETIRE, S_KEY_DELETE,
	S_JTI_INSERT, S_JTI_PURGE,
	S_PURGE_TOKENS, S_PURGE_CODES, S_PURGE_SESSIONS, S_PURGE_FAMILIES,
	S_CLIENT_QUARANTINE, S_GRANTS_REVOKE_CLIENT,
	S_GRANT_LIST, S_GRANT_REVOKE_ID, S_GRANTS_REVOKE_USER,
	S_SESSION_INSERT, S_SESSION_GET, S_SESSION_DELETE,
	S_GRANT_FIND, S_GRANT_INSERT, S_GRANT_UPDATE,
	S_CODE_INSERT, S_CODE_GET, S_CODE_CONSUME, S_FAMILY_INSERT,
	S_FAMILY_REVOKE_CODE, S_FAMILY_REVOKE,
	S_TOKEN_INSERT, S_TOKEN_LIVE, S_TOKEN_GET, S_REFRESH_ROTATE,
	S_TOKEN_REVOKE, S_GRANT_TOUCH,
	S_AUDIT_INSERT, S_AUDIT_LAST, S_AUDIT_SINCE,
	S_ALERT_RAISE, S_ALERT_LIST, S_ALERT_ACK, S_ALERT_CLAIM,
	S_ALERT_DELIVERED, S_ALERT_RETRY,
	S_SIGHT_GET, S_SIGHT_PUT,
	S_USAGE_GRANTS, S_USAGE_SCOPES, S_USAGE_TOKENS, S_USAGE_SIGHTS,
	S_USAGE_ALERTS, S_AUDIT_CLIENT_FIRST, S_AUDIT_CLIENT_LAST,
	S_AUDIT_OF_CLIENT, S_GRANTS_EXPIRE,
	S_ADMIN_INSERT, S_ADMIN_BY_HASH, S_ADMIN_TOUCH, S_ADMIN_ALL,
	S_ADMIN_DISABLE, S_ADMIN_SESSION_INSERT, S_ADMIN_SESSION_GET,
	S_ADMIN_SESSION_DELETE, S_ADMIN_SESSION_PURGE, S_GRANT_REVOKE_OWN,
	S_CLIENT_ACTIVITY,
	S_COUNT
};

struct sqlite_store {
	struct store	 base;		/* must be first */
	sqlite3		*db;
	pthread_mutex_t	 mu;
	sqlite3_stmt	*stmts[S_COUNT];
	/* group commit (sqlite_sync.c) */
	struct group_sync *sync;	/* NULL: every commit fsyncs */
	int64_t		 last_total;	/* sqlite3_total_changes seen */
	uint8_t		 audit_key[GH_HASH_BYTES];	/* chain key */
	struct audit_queue *audit_queue;	/* sqlite_audit.c */
};

/*
 * Group commit. Commits are written to the WAL without an fsync
 * (synchronous=NORMAL); before a writing operation returns, sq_release()
 * waits until an fsync of the WAL covers its commit (or the thread's
 * store_defer_end() does). One fsync covers every
 * commit made before it started, so concurrent requests share it.
 */
struct group_sync;
struct group_sync *sq_sync_open(const char *db_path);
void		 sq_sync_close(struct group_sync *g);
/* Note a commit (store lock held); returns its sequence number. */
uint64_t	 sq_sync_note(struct group_sync *g);
/* Wait until commit `seq` is durable (store lock NOT held). */
enum gh_err	 sq_sync_wait(struct group_sync *g, uint64_t seq);

extern const char *const sqlite_sql[S_COUNT];

/* Prepared (once) and reset statement; NULL on failure. Lock held. */
sqlite3_stmt	*sq_stmt(struct sqlite_store *db, enum stmt_id id);
enum gh_err	 sq_error(struct sqlite_store *db, int rc);
enum gh_err	 sq_exec_simple(struct sqlite_store *db, enum stmt_id id);
void		 sq_lock(struct sqlite_store *db);
void		 sq_unlock(struct sqlite_store *db);
/*
 * Unlock at the end of an operation: if it committed a change, wait until
 * that change is durable. Returns rc, or GH_ERR_IO if it could not be made
 * durable (the caller must not acknowledge it).
 */
enum gh_err	 sq_release(struct sqlite_store *db, enum gh_err rc);
/*
 * The two halves of sq_release(): note the commit the operation made, if
 * any (lock held; 0 when nothing changed), and, lock released, make the
 * commit `seq` durable before returning or, when the thread defers
 * (store_defer_begin), at its store_defer_end().
 */
uint64_t	 sq_commit_seq(struct sqlite_store *db);
enum gh_err	 sq_durable(struct sqlite_store *db, uint64_t seq,
		    enum gh_err rc);

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

/* the batching audit writer's queue (sqlite_audit.c) */
struct audit_queue;
struct audit_queue *sq_audit_queue_new(void);
void		 sq_audit_queue_free(struct audit_queue *q);

/* shared by the operation files */
enum gh_err	 sq_step_done(struct sqlite_store *db, sqlite3_stmt *st);
enum gh_err	 sq_finish_tx(struct sqlite_store *db, enum gh_err rc);
/* one audit row from the columns of S_AUDIT_SINCE (strings borrowed) */
void		 sq_audit_from_row(sqlite3_stmt *st, struct audit_row *r);
/* Step a bound statement with those columns, each row to fn; resets it. */
enum gh_err	 sq_audit_rows(struct sqlite_store *db, sqlite3_stmt *st,
		    bool (*fn)(void *, const struct audit_row *), void *ctx);
/* Insert an alert unconditionally (no de-duplication), lock held. */
enum gh_err	 sq_alert_insert(struct sqlite_store *db, struct alert_row *a);

#endif
