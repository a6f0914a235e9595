/*
 * pg_int.h - shared internals of the PostgreSQL backend: the handle, the
 * connection pool, the statement table and small parameter/column helpers.
 *
 * Several server threads (and several nodes) use one database. Each
 * operation borrows one connection from a small pool (pg_acquire), runs its
 * statements on it - in a transaction when there are several - and gives
 * it back (pg_release). The audit leader (pg_wait.c) and the client
 * cache's listener (pg_listen.c) have a connection each of their own, so
 * a process holds at most GH_PG_POOL + 2. Statements are prepared once
 * per connection, on first use. Results come back in binary format;
 * parameters go as text, except the 32-byte hashes, which go as binary
 * bytea.
 *
 * Atomicity does not come from a process lock, as in the SQLite backend,
 * but from PostgreSQL: single use is one conditional UPDATE (or one
 * INSERT ... ON CONFLICT) whose affected-row count decides, under READ
 * COMMITTED a racing UPDATE waits for the winner and then re-checks its
 * WHERE clause on the committed row, so exactly one caller wins whatever
 * the node it runs on. The audit chain is serialised by a transaction-level
 * advisory lock taken before the last event is read.
 */
#ifndef GH_PG_INT_H
#define GH_PG_INT_H

#include <pthread.h>
#include <libpq-fe.h>

#include "store_impl.h"

/* advisory lock keys (pg_advisory_xact_lock), one per serialised job */
#define PG_LOCK_MIGRATE	0x47480001	/* "GH" 1: schema migrations */
#define PG_LOCK_AUDIT	0x47480002	/* "GH" 2: the audit hash chain */
#define PG_LOCK_ALERT	0x47480003	/* "GH" 3: alert de-duplication */
#define PG_LOCK_SIGHT	0x47480004	/* "GH" 4: a grant's sightings */
#define PG_LOCK_PURGE	0x47480005	/* "GH" 5: the background purge */
#define PG_LOCK_KEYS	0x47480006	/* "GH" 6: the first signing keys */

#define PG_MAX_PARAMS	17

enum pg_stmt {
	P_CLIENT_INSERT, P_CLIENT_GET, P_CLIENT_ALL, P_CLIENT_STATUS,
	P_CLIENT_SECRET,
	P_USER_INSERT, P_USER_BY_NAME, P_USER_GET, P_USER_ALL, P_USER_STATUS,
	P_USER_PASSWORD, P_USER_PROFILE,
	P_KEY_INSERT, P_KEY_INSERT_FIRST, P_KEY_ALL, P_KEY_RETIRE,
	P_KEY_DELETE,
	P_JTI_INSERT, P_JTI_PURGE,
	P_PURGE_TOKENS, P_PURGE_CODES, P_PURGE_SESSIONS,
	P_CLIENT_QUARANTINE, P_GRANTS_REVOKE_CLIENT,
	P_GRANT_LIST, P_GRANT_REVOKE_ID, P_GRANTS_REVOKE_USER,
	P_SESSION_INSERT, P_SESSION_GET, P_SESSION_DELETE, P_SESSION_GRANT,
	P_GRANT_FIND, P_GRANT_UPSERT, P_GRANT_TOUCH,
	P_CODE_INSERT, P_CODE_GET, P_CODE_CONSUME, P_FAMILY_INSERT,
	P_FAMILY_REVOKE_CODE, P_FAMILY_REVOKE,
	P_TOKEN_INSERT, P_TOKEN_LIVE, P_TOKEN_GET, P_REFRESH_ROTATE,
	P_TOKEN_REVOKE,
	P_XACT_LOCK, P_AUDIT_INSERT, P_AUDIT_LAST, P_AUDIT_SINCE,
	P_ALERT_LOCK, P_ALERT_RAISE, P_ALERT_LIST, P_ALERT_ACK, P_ALERT_CLAIM,
	P_ALERT_DELIVERED, P_ALERT_RETRY, P_ALERT_COUNT, P_CLIENT_IDS,
	P_SIGHT_LOCK, P_SIGHT_GET, P_SIGHT_PUT,
	P_USAGE_ONE, P_USAGE_BATCH, P_USAGE_SCOPES, P_USAGE_SIGHTS,
	P_AUDIT_OF_CLIENT, P_GRANTS_EXPIRE,
	P_ADMIN_INSERT, P_ADMIN_BY_HASH, P_ADMIN_TOUCH, P_ADMIN_ALL,
	P_ADMIN_DISABLE, P_ADMIN_SESSION_INSERT, P_ADMIN_SESSION_GET,
	P_ADMIN_SESSION_DELETE, P_ADMIN_SESSION_PURGE, P_GRANT_REVOKE_OWN,
	P_CLIENT_ACTIVITY, P_FLUSH_MARK, P_CODE_TAKE, P_AUDIT_INSERT_AFTER,
	P_REFRESH_TAKE, P_SESSIONS_END_USER,
	P_AUDIT_BASE, P_AUDIT_BASE_SET, P_AUDIT_PRUNE,
	P_CODE_FENCE, P_TOKEN_FENCE,
	P_GRANT_GET,
	P_PURGE_GRANTS, P_PURGE_ALERTS,
	/* the token rate rule's counts (pg_rate.c) */
	P_TOKEN_WINDOWS,
	P_COUNT
};

extern const char *const pg_sql[P_COUNT];

/* one pooled connection */
#define PG_SERVER_MAX	32
struct pg_conn {
	PGconn		*conn;		/* NULL until first needed */
	bool		 busy;
	bool		 used;		/* a statement of this borrow ran */
	bool		 defer;		/* borrowed by a deferring thread */
	bool		 prepared[P_COUNT];
	/* its server instance (pg_outcome.c); "" when unknown */
	char		 server[PG_SERVER_MAX];
};

/*
 * Audit appends of this process waiting for their batch (pg_audit.c): the
 * store's leader thread (pg_wait.c) appends the queued rows, a batch in
 * one transaction, and resolves the waits requests hand over.
 */
struct pg_audit_wait;
struct pg_wait;
struct pg_audit_queue {
	pthread_mutex_t		  mu;
	struct pg_audit_wait	 *head;
	struct pg_audit_wait	**tail;
	pthread_cond_t		  work;		/* rows or waits to see to */
	struct pg_wait		 *waits;	/* handed over, unresolved */
	pthread_t		  leader;
	bool			  started;
	bool			  stopping;	/* drain, then the leader ends */
	/* the leader's: the chain's end as its last batch left it */
	bool			  known;
	int64_t			  end_seq;
	uint8_t			  end_hash[GH_HASH_BYTES];
	unsigned		  skip;	/* batches to read the end first */
};

/*
 * Client rows of this node (pg_cache.c): the result of P_CLIENT_GET, at
 * most PG_CACHE_TTL_MS old, in use only while the listener listens.
 */
#define PG_CACHE_SLOTS		64
#define PG_CACHE_TTL_MS		500
#define PG_CLIENTS_CHANNEL	"gh_clients"
struct pg_cache_slot {
	char		 id[GH_MAX_CLIENT_ID_LEN];
	PGresult	*r;		/* NULL: empty */
	int64_t		 at;		/* monotonic ms when read */
};
struct pg_cache {
	pthread_mutex_t	 mu;
	uint64_t	 gen;		/* bumped at every emptying */
	bool		 listening;
	struct pg_cache_slot	 slot[PG_CACHE_SLOTS];
	/* the listener (pg_listen.c) */
	PGconn		*conn;		/* its thread's own */
	pthread_t	 thread;
	bool		 started;
	int		 wake[2];	/* a byte here stops the thread */
};

struct pg_store {
	struct store	 base;		/* must be first */
	char		 url[GH_MAX_PATH];	/* conninfo: may hold a password */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct pg_conn	 pool[GH_PG_POOL];
	struct pg_conn	 lead;		/* the leader's own (pg_lead_acquire) */
	int		 flush_slot;	/* its flush_marks row (pg_wait.c) */
	uint8_t		 audit_key[GH_HASH_BYTES];	/* chain key */
	struct pg_audit_queue audit;
	struct pg_cache	 cache;
};

void		 pg_cache_init(struct pg_cache *k);
void		 pg_cache_destroy(struct pg_cache *k);
/*
 * Connect the listener and start its thread (a serving process only);
 * if that fails, the node reads clients uncached. Stop: at close.
 */
void		 pg_listen_start(struct pg_store *db);
void		 pg_listen_stop(struct pg_cache *k);
/* A hit fills *out; the caller asks the database on a miss. */
bool		 pg_cache_get(struct pg_cache *k, const char *id,
		    struct client_row *out);
/*
 * Take pg_cache_gen before asking the database, and offer the result to
 * pg_cache_put after: it keeps r (one row of P_CLIENT_GET) only if the
 * cache was not emptied in between, and clears it otherwise.
 */
uint64_t	 pg_cache_gen(struct pg_cache *k);
void		 pg_cache_put(struct pg_cache *k, const char *id, PGresult *r,
		    uint64_t gen);
/* Empty it: after every write of this node to clients. */
void		 pg_cache_forget(struct pg_cache *k);
void		 pg_cache_empty_locked(struct pg_cache *k);	/* mu held */
/* Row i of a result with the columns of P_CLIENT_GET (pg_ident.c). */
void		 pg_client_from_row(const PGresult *r, int i,
		    struct client_row *c);

/*
 * Parameters of one statement; NULL text is SQL NULL. PostgreSQL text holds
 * valid UTF-8 only, while SQLite takes any bytes: a text parameter that is
 * not UTF-8 (bad_text) can equal no stored value, so pg_exec answers a
 * SELECT with no rows without asking the server, and refuses a write with
 * GH_ERR_INVALID.
 */
struct pg_params {
	int		 n;
	bool		 bad_text;
	const char	*val[PG_MAX_PARAMS];
	int		 len[PG_MAX_PARAMS];
	int		 fmt[PG_MAX_PARAMS];
	char		 num[PG_MAX_PARAMS][24];	/* integers as text */
};

void		 pp_init(struct pg_params *p);
void		 pp_text(struct pg_params *p, const char *s);
void		 pp_int(struct pg_params *p, int64_t v);
void		 pp_blob(struct pg_params *p, const uint8_t *b, size_t n);

/*
 * Each connection says what it is for (pg_stat_activity's
 * application_name), unless the URL names one itself.
 */
#define PG_APP_POOL	"gatehouse"
#define PG_APP_LISTEN	"gatehouse-listen"
#define PG_APP_AUDIT	"gatehouse-audit"
/* flush_marks rows the nodes' leaders draw theirs from (pg_wait.c) */
#define PG_FLUSH_SLOTS	64
/*
 * A new libpq connection to db's URL, named app, that gives up after
 * GH_PG_CONNECT_TIMEOUT, and on a TCP peer gone silent after
 * GH_PG_TCP_USER_TIMEOUT_MS or its keepalive probes, unless the URL says
 * otherwise: check PQstatus (NULL only when out of memory), PQfinish it.
 */
PGconn		*pg_connect_new(const struct pg_store *db, const char *app);
/*
 * Borrow a connection (waits while all are busy; connects lazily).
 * NULL if no connection to the server could be made: the operation fails
 * with GH_ERR_STORE, and so does a deferring thread's request
 * (pg_defer_fail).
 */
struct pg_conn	*pg_acquire(struct pg_store *db);
/*
 * The leader's connection (pg_wait.c), outside the pool, for one turn:
 * a batch of audit rows, or a flush. Made again if it broke, but at
 * most once while *tried is false (then set): NULL if none could be
 * had. Given back with pg_release like a pooled one.
 */
struct pg_conn	*pg_lead_acquire(struct pg_store *db, bool *tried);
/*
 * On while a take() callback runs on this thread, which holds a
 * connection: pg_acquire then fails (logged) instead of waiting.
 */
void		 pg_in_take(bool on);
/*
 * Give it back; returns rc so operations can end with it. A failure
 * (GH_ERR_STORE, GH_ERR_IO, GH_ERR_NOMEM) in a deferring thread also
 * fails its request (pg_defer_fail), whether or not the caller reports it.
 */
enum gh_err	 pg_release(struct pg_store *db, struct pg_conn *c,
		    enum gh_err rc);

/*
 * Run a prepared statement. *res receives the result (PQclear it) when
 * GH_OK; otherwise it is NULL and the error is mapped: a unique violation
 * is GH_ERR_EXISTS, anything else is logged and GH_ERR_STORE. A broken
 * connection is re-made once if nothing ran on it yet in this borrow.
 */
enum gh_err	 pg_exec(struct pg_conn *c, enum pg_stmt id,
		    const struct pg_params *p, PGresult **res);
/* Run a statement that returns no rows; *changed: rows affected. */
enum gh_err	 pg_cmd(struct pg_conn *c, enum pg_stmt id,
		    const struct pg_params *p, unsigned *changed);
/*
 * Borrow a connection, run one statement, give it back. With res the result
 * is handed over (PQclear it); else *changed gets the rows affected.
 */
enum gh_err	 pg_one(struct store *s, enum pg_stmt id,
		    const struct pg_params *p, PGresult **res,
		    unsigned *changed);
/* The same for a statement that must change exactly one row. */
enum gh_err	 pg_one_change(struct store *s, enum pg_stmt id,
		    const struct pg_params *p);
/* BEGIN, and COMMIT if rc is GH_OK (else ROLLBACK); returns the outcome. */
enum gh_err	 pg_begin(struct pg_conn *c);
/* BEGIN and a first statement in one round trip; *res as pg_exec. */
enum gh_err	 pg_begin_exec(struct pg_conn *c, enum pg_stmt id,
		    const struct pg_params *p, PGresult **res);
/* Rows a command's result says it changed. */
unsigned	 pg_changed(PGresult *r);
enum gh_err	 pg_finish(struct pg_conn *c, enum gh_err rc);
/* Plain SQL without parameters (migrations, transaction control). */
enum gh_err	 pg_simple(struct pg_conn *c, const char *sql);

/*
 * Several statements in one round trip (libpq pipeline mode, pg_pipe.c).
 * A step is prepared pg_sql[id] with p, or plain `sql` (one statement, no
 * parameters) if id is P_COUNT. The server runs them in order; after the
 * first that fails the rest are skipped, and an open transaction is left
 * failed (pg_finish or pg_release rolls it back). With keep, the step's
 * result is handed over in res (PQclear it) when every step succeeded.
 */
struct pg_step {
	enum pg_stmt		 id;
	const char		*sql;
	const struct pg_params	*p;
	bool			 keep;
	PGresult		*res;
};
enum gh_err	 pg_pipe(struct pg_conn *c, struct pg_step *steps, size_t n);
/*
 * How to tell whether a transaction that may have committed did. The
 * fence locks (FOR UPDATE) a row the transaction locked in its first
 * round trip (the code it consumed, the refresh token it rotated): once
 * the fence has it, the transaction has ended and can no longer commit.
 * The probe is then a read that returns rows only if it committed: it
 * finds a row no other transaction writes (for new tokens, the first
 * one's hash). Parameters must outlive the call that takes them.
 */
struct pg_probe {
	enum pg_stmt		 fence;
	const struct pg_params	*fp;
	enum pg_stmt		 id;
	const struct pg_params	*p;
};
/*
 * pg_pipe, for steps that end with COMMIT and have a probe: if the
 * connection breaks under them, pg_outcome resolves what became of them.
 */
enum gh_err	 pg_pipe_probe(struct pg_conn *c, struct pg_step *steps,
		    size_t n, const struct pg_probe *probe);
/*
 * SQL that changes nothing lasting when it runs outside a transaction
 * (SELECT, SHOW, SET, BEGIN, ROLLBACK): safe to send again after the
 * connection broke under it.
 */
bool		 pg_sql_reads(const char *sql);
/*
 * The connection broke under a write that may have committed: it is never
 * sent again, and c is re-made (pg_outcome.c). With a probe, once its
 * fence shows the old transaction ended: GH_OK if the write committed,
 * GH_ERR_STORE if it did not (logged as store_outcome_resolved). Without
 * one, or when that cannot be known safely (another server instance, the
 * old transaction still open after GH_PG_OUTCOME_WAIT_MS): GH_ERR_IO,
 * store_outcome_unknown.
 */
enum gh_err	 pg_outcome(struct pg_conn *c, const struct pg_probe *probe);
/* Note c->server (at each connection made). */
void		 pg_server_note(struct pg_conn *c);

/*
 * store_lazy() is on for db in this thread: a write need not be durable
 * before the answer. It then runs with PG_SQL_NO_FLUSH first.
 */
bool		 pg_lazy_on(const struct pg_store *db);
#define PG_SQL_NO_FLUSH	"SET LOCAL synchronous_commit TO off"

/*
 * Deferred durability on this thread (store_defer_begin .. _end, pg.c).
 * pg_defer_covered: a durable audit row was queued after every write so
 * far, and its commit will flush them. pg_defer_fail: something the
 * request needed failed where its caller may not report it (a store
 * operation that failed, pg_release; an audit row that could not even be
 * queued), so the request's wait must end with rc. pg_defer_end returns
 * whether some write is not covered so, and in *failed the first
 * pg_defer_fail (else GH_OK); the leader then makes one small durable
 * write (pg_wait.c pg_flush).
 */
void		 pg_defer_begin(const struct pg_store *db);
bool		 pg_deferring(const struct pg_store *db);
void		 pg_defer_covered(const struct pg_store *db);
void		 pg_defer_fail(const struct pg_store *db, enum gh_err rc);
bool		 pg_defer_end(const struct pg_store *db, enum gh_err *failed);

/* for pg_pipe.c: statement names, preparing, errors, reconnecting */
#define PG_NAME_MAX	16
void		 pg_stmt_name(enum pg_stmt id, char name[PG_NAME_MAX]);
/* NULL once prepared on c; else the failed result (PQclear it) */
PGresult	*pg_prepare(struct pg_conn *c, enum pg_stmt id);
enum gh_err	 pg_result_error(struct pg_conn *c, const PGresult *r);
/* Re-make c's connection (nothing prepared on the new one yet). */
void		 pg_reset(struct pg_conn *c);

/* column helpers (binary results); NULL reads as "" / 0 / absent */
void		 pg_col_text(const PGresult *r, int row, int col, char *out,
		    size_t outsz);
const char	*pg_col_str(const PGresult *r, int row, int col);
int64_t		 pg_col_int(const PGresult *r, int row, int col);
bool		 pg_col_hash(const PGresult *r, int row, int col,
		    uint8_t out[GH_HASH_BYTES]);

/* migrations (pg_schema.c), run on one connection under an advisory lock */
enum gh_err	 pg_migrate(struct pg_conn *c);

/* operations, by file */
void		 pg_ident_ops(struct store_ops *ops);
void		 pg_token_ops(struct store_ops *ops);
void		 pg_key_ops(struct store_ops *ops);
void		 pg_audit_ops(struct store_ops *ops);
void		 pg_audit_queue_init(struct pg_audit_queue *q);
void		 pg_audit_queue_destroy(struct pg_audit_queue *q);
/* For the leader (pg_wait.c); q->mu held. One batch of queued rows. */
void		 pg_audit_lead(struct pg_store *db);
/* This thread's request rows (a list), handed over; NULL if none. */
struct pg_audit_wait *pg_audit_mine(void);
/*
 * q->mu held: rows (a request's) are waited for from now on; some queued
 * row is, and a batch is due.
 */
void		 pg_audit_want(struct pg_audit_wait *rows);
bool		 pg_audit_wanted(const struct pg_audit_queue *q);
/* All of rows done (q->mu held); *rc: the first failure, else GH_OK. */
bool		 pg_audit_done(const struct pg_audit_wait *rows,
		    enum gh_err *rc);
void		 pg_audit_free(struct pg_audit_wait *rows);
/* Sleep on a condition variable of one's own (in *cv) until *done. */
void		 pg_sleep_until(pthread_mutex_t *mu, pthread_cond_t **cv,
		    const bool *done);
/* The leader thread: started at open, drained and joined at close. */
enum gh_err	 pg_leader_start(struct pg_store *db);
void		 pg_leader_stop(struct pg_store *db);
void		 pg_wait_ops(struct store_ops *ops);
void		 pg_gov_ops(struct store_ops *ops);
void		 pg_retention_ops(struct store_ops *ops);
/* Audit events of a result with the columns of P_AUDIT_SINCE, to fn;
 * the result is cleared. */
enum gh_err	 pg_audit_rows(PGresult *r,
		    bool (*fn)(void *, const struct audit_row *), void *ctx);
/*
 * Chain and insert one audit event inside the transaction open on c (an
 * event committed with the change it records, struct change_audit): the
 * chain lock, held to the caller's commit, the last event, the insert.
 */
enum gh_err	 pg_change_event_in_tx(struct pg_store *db, struct pg_conn *c,
		    const struct change_audit *ev, unsigned changed);
enum gh_err	 pg_audit_in_tx(struct pg_store *db, struct pg_conn *c,
		    const struct audit_row *a);
/*
 * One statement that must change one row, with its event ev (may be
 * NULL) in the same transaction: both or neither; GH_ERR_NOT_FOUND, and
 * no event, when it changed no row (pg_ident.c).
 */
enum gh_err	 pg_change_with_event(struct store *s, enum pg_stmt id,
		    const struct pg_params *p, const struct change_audit *ev);
/* Insert an alert unconditionally (no de-duplication) on connection c. */
enum gh_err	 pg_alert_insert(struct pg_conn *c, struct alert_row *a);
void		 pg_admin_ops(struct store_ops *ops);
/* registered by pg_retention_ops: pg.c is at its line limit */
void		 pg_rate_ops(struct store_ops *ops);

#endif
