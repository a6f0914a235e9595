/*
 * pg.c - the PostgreSQL backend: opening, the connection pool and the
 * audit leader's connection outside it, statement execution, transactions
 * and their durability (store_lazy, deferred requests), and the
 * parameter/column helpers (pg_int.h). Operations live in pg_ident.c
 * (clients, users, sessions), pg_token.c (grants, codes, tokens),
 * pg_keys.c (keys, replay cache, purge) and pg_audit.c; a request's wait,
 * and the thread that ends it, in pg_wait.c.
 *
 * The URL may carry a password: it is handed to libpq and never logged.
 */
#include <endian.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "pg_int.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/str.h"

void
pp_init(struct pg_params *p)
{
	memset(p, 0, sizeof(*p));
}

static int
pp_next(struct pg_params *p)
{
	/* PG_MAX_PARAMS bounds every statement of pg_sql; overflow is a bug */
	if (p->n >= PG_MAX_PARAMS)
		abort();
	return p->n++;
}

void
pp_text(struct pg_params *p, const char *s)
{
	int i = pp_next(p);

	if (s != NULL && !str_utf8_valid(s))
		p->bad_text = true;
	p->val[i] = s;
	p->len[i] = 0;
	p->fmt[i] = 0;
}

void
pp_int(struct pg_params *p, int64_t v)
{
	int i = pp_next(p);

	snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, v);
	p->val[i] = p->num[i];
	p->fmt[i] = 0;
}

void
pp_blob(struct pg_params *p, const uint8_t *b, size_t n)
{
	int i = pp_next(p);

	p->val[i] = (const char *)b;
	p->len[i] = (int)n;
	p->fmt[i] = 1;		/* binary bytea */
}

/* libpq prints server notices on stderr; the CLI's output stays ours */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

#define STR(x)	#x
#define XSTR(x)	STR(x)

/*
 * Writes outside a request's deferral must be durable when their commit
 * returns, and a deferring request ends with a durable commit: with
 * synchronous_commit off for the database, the role or in the URL's
 * options, none would be. Turn it on for this session, and say so; any
 * other value (local, remote_write, on, remote_apply) flushes locally and
 * is kept. Our transactions never wait between statements for long, so a
 * session idle inside one for GH_PG_IDLE_TX_MS has lost its client, and
 * the server ends it. Single use relies on READ COMMITTED (a row re-read
 * once its lock is granted): a stricter default fails a race's loser.
 */
static bool
pg_session_durable(struct pg_conn *c)
{
	PGresult	*r = PQexec(c->conn, "SET idle_in_transaction_session_"
			    "timeout = " XSTR(GH_PG_IDLE_TX_MS) "; SET "
			    "default_transaction_isolation = 'read committed'");
	bool		 ok, off;

	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok)
		return false;
	r = PQexec(c->conn, "SHOW synchronous_commit");
	ok = r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK &&
	    PQntuples(r) == 1;
	off = ok && strcmp(PQgetvalue(r, 0, 0), "off") == 0;
	PQclear(r);
	if (!ok || !off)
		return ok;
	log_kv(LOG_WARN, "store_setting_overridden", "backend", "postgres",
	    "setting", "synchronous_commit", "was", "off", "now", "on", NULL);
	r = PQexec(c->conn, "SET synchronous_commit TO on");
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok;
}

PGconn *
pg_connect_new(const struct pg_store *db, const char *app)
{
	const char *const	keys[] = { "connect_timeout",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "tcp_user_timeout", "fallback_application_name", "dbname", NULL };
	const char *const	vals[] = { GH_PG_CONNECT_TIMEOUT,
	    GH_PG_KEEPALIVES_IDLE, GH_PG_KEEPALIVES_INTERVAL,
	    GH_PG_KEEPALIVES_COUNT, GH_PG_TCP_USER_TIMEOUT_MS, app, db->url,
	    NULL };

	/* the URL is expanded after the others, so it can override them */
	return PQconnectdbParams(keys, vals, 1);
}

/*
 * (Re)connect c, named app. Store mutex NOT held: connecting can take a
 * while.
 */
static bool
pg_connect(struct pg_store *db, struct pg_conn *c, const char *app)
{
	if (c->conn)
		PQfinish(c->conn);
	memset(c->prepared, 0, sizeof(c->prepared));
	c->conn = pg_connect_new(db, app);
	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK &&
	    pg_session_durable(c)) {
		PQsetNoticeProcessor(c->conn, quiet, NULL);
		pg_server_note(c);
		return true;
	}
	/* libpq's message names host and user, never the password */
	log_kv(LOG_ERROR, "store_error", "backend", "postgres", "msg",
	    c->conn ? PQerrorMessage(c->conn) : "out of memory", NULL);
	PQfinish(c->conn);
	c->conn = NULL;
	return false;
}

/*
 * Set while a take() callback runs (store_code_take, store_refresh_take)
 * on a connection of this thread: a store call from there could wait for
 * a second connection that the callers waiting on the same row hold.
 */
static __thread bool in_take;

void
pg_in_take(bool on)
{
	in_take = on;
}

/*
 * An idle connection has nothing to read: data or an end of file means
 * the server has ended it (a restart, pg_terminate_backend).
 */
static bool
idle_dead(struct pg_conn *c)
{
	struct pollfd pfd = { .fd = PQsocket(c->conn), .events = POLLIN };

	return pfd.fd < 0 || poll(&pfd, 1, 0) != 0;
}

struct pg_conn *
pg_acquire(struct pg_store *db)
{
	struct pg_conn	*c = NULL;
	size_t		 i;

	if (in_take) {
		log_kv(LOG_ERROR, "store_error", "backend", "postgres", "msg",
		    "store called from inside a take callback", NULL);
		pg_defer_fail(db, GH_ERR_STORE);
		return NULL;
	}

	pthread_mutex_lock(&db->mu);
	while (c == NULL) {
		/* an open idle connection first, then an unopened slot */
		for (i = 0; i < GH_PG_POOL && c == NULL; i++)
			if (!db->pool[i].busy && db->pool[i].conn != NULL)
				c = &db->pool[i];
		for (i = 0; i < GH_PG_POOL && c == NULL; i++)
			if (!db->pool[i].busy)
				c = &db->pool[i];
		if (c == NULL)
			pthread_cond_wait(&db->cv, &db->mu);
	}
	c->busy = true;
	pthread_mutex_unlock(&db->mu);
	c->used = false;
	c->defer = pg_deferring(db);
	if ((c->conn == NULL || PQstatus(c->conn) != CONNECTION_OK ||
	    idle_dead(c)) && !pg_connect(db, c, PG_APP_POOL)) {
		/* the caller's operation fails with GH_ERR_STORE */
		(void)pg_release(db, c, GH_ERR_STORE);
		return NULL;
	}
	return c;
}

/*
 * Under load every parked answer waits for the leader's next batch: were
 * its connection borrowed from the pool, the leader would wait its turn
 * behind the very requests that wait for it, and their latency would
 * grow with the load. So it has its own, made at open, and only the
 * leader's thread uses it.
 */
struct pg_conn *
pg_lead_acquire(struct pg_store *db, bool *tried)
{
	struct pg_conn *c = &db->lead;

	c->used = false;
	c->defer = false;
	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK &&
	    !idle_dead(c))
		return c;
	/* a database down costs one connect timeout a turn, not one a row */
	if (*tried)
		return NULL;
	*tried = true;
	return pg_connect(db, c, PG_APP_AUDIT) ? c : NULL;
}

/*
 * Every operation that got a connection ends here, with its outcome, and
 * one that got none fails through here too (pg_acquire). A store failure
 * in a deferring thread fails the request's wait as well, whether or not
 * the caller looked at the result (an audit append, a sighting, an alert
 * it logs and goes on from): the request must not be answered as if its
 * writes were made, as on SQLite (sq_release). Only real failures do:
 * the database's (GH_ERR_STORE), an outcome unknown (GH_ERR_IO), out of
 * memory. Answers the caller acts on are not: NOT_FOUND, CONFLICT (a
 * lost race, rolled back), EXISTS (a unique violation: an id taken),
 * INVALID (text no row can hold, a take() callback's refusal), LIMIT;
 * nor GH_ERR_BUSY, which only pg_outcome.c's fence sees, and turns into
 * GH_ERR_IO.
 */
enum gh_err
pg_release(struct pg_store *db, struct pg_conn *c, enum gh_err rc)
{
	if (rc == GH_ERR_STORE || rc == GH_ERR_IO || rc == GH_ERR_NOMEM)
		pg_defer_fail(db, rc);
	/* never hand on a connection inside a transaction */
	if (c->conn != NULL && PQstatus(c->conn) == CONNECTION_OK &&
	    PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		(void)pg_simple(c, "ROLLBACK");
	if (c == &db->lead)
		return rc;		/* not the pool's */
	pthread_mutex_lock(&db->mu);
	c->busy = false;
	pthread_cond_signal(&db->cv);
	pthread_mutex_unlock(&db->mu);
	return rc;
}

enum gh_err
pg_result_error(struct pg_conn *c, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg;

	if (state != NULL && strcmp(state, "23505") == 0)
		return GH_ERR_EXISTS;		/* unique_violation */
	if (state != NULL && strcmp(state, "55P03") == 0)
		return GH_ERR_BUSY;	/* lock_not_available (pg_outcome.c) */
	/* the primary message only: DETAIL may quote row values */
	msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL)
		msg = PQerrorMessage(c->conn);
	log_kv(LOG_ERROR, "store_error", "backend", "postgres", "sqlstate",
	    state ? state : "-", "msg", msg, NULL);
	if (r == NULL && PQstatus(c->conn) == CONNECTION_OK)
		return GH_ERR_NOMEM;
	return GH_ERR_STORE;
}

void
pg_stmt_name(enum pg_stmt id, char name[PG_NAME_MAX])
{
	snprintf(name, PG_NAME_MAX, "gh%d", (int)id);
}

PGresult *
pg_prepare(struct pg_conn *c, enum pg_stmt id)
{
	char		 name[PG_NAME_MAX];
	PGresult	*r;

	if (c->prepared[id])
		return NULL;
	pg_stmt_name(id, name);
	r = PQprepare(c->conn, name, pg_sql[id], 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return r;
	PQclear(r);
	c->prepared[id] = true;
	return NULL;
}

/* Send one statement: prepared pg_sql[id], or plain `sql` if id==P_COUNT */
static PGresult *
send_once(struct pg_conn *c, enum pg_stmt id, const char *sql,
    const struct pg_params *p)
{
	char		 name[PG_NAME_MAX];
	PGresult	*r;

	if (id == P_COUNT)
		return PQexec(c->conn, sql);
	if ((r = pg_prepare(c, id)) != NULL)
		return r;
	pg_stmt_name(id, name);
	return PQexecPrepared(c->conn, name, p ? p->n : 0, p ? p->val : NULL,
	    p ? p->len : NULL, p ? p->fmt : NULL, 1);
}

bool
pg_sql_reads(const char *sql)
{
	static const char *const kw[] = { "SELECT", "SHOW", "SET", "BEGIN",
	    "ROLLBACK" };
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strncmp(sql, kw[i], strlen(kw[i])) == 0)
			return true;
	return false;
}

/*
 * A reset is a new session: synchronous_commit is turned on again as
 * pg_connect does, or the session is not used (its socket shut, so the
 * next use fails and the connection is made anew).
 */
void
pg_reset(struct pg_conn *c)
{
	PQreset(c->conn);
	memset(c->prepared, 0, sizeof(c->prepared));
	if (PQstatus(c->conn) == CONNECTION_OK && !pg_session_durable(c))
		(void)shutdown(PQsocket(c->conn), SHUT_RDWR);
	pg_server_note(c);
}

static enum gh_err
run(struct pg_conn *c, enum pg_stmt id, const char *sql,
    const struct pg_params *p, PGresult **res)
{
	PGresult	*r;
	ExecStatusType	 st;
	enum gh_err	 rc;
	const char	*q;
	bool		 in_tx;

	*res = NULL;
	if (p != NULL && p->bad_text) {
		/* no stored text equals it; nothing can store it (pg_int.h) */
		if (strncmp(pg_sql[id], "SELECT", 6) != 0)
			return GH_ERR_INVALID;
		if ((*res = PQmakeEmptyPGresult(c->conn,
		    PGRES_TUPLES_OK)) == NULL)
			return GH_ERR_NOMEM;
		return GH_OK;
	}
	in_tx = PQtransactionStatus(c->conn) != PQTRANS_IDLE;
	r = send_once(c, id, sql, p);
	st = PQresultStatus(r);
	/*
	 * The connection broke under this statement. A COMMIT, or a write
	 * outside a transaction (it commits by itself), may have committed
	 * before the break: it is not sent twice, and its outcome is unknown
	 * (GH_ERR_IO; pg_outcome.c: no single statement has a probe), even
	 * late in a borrow, where a kill switch's COMMIT comes. A read, or a
	 * BEGIN, as the borrow's first statement is sent again on a new
	 * connection. A write inside a transaction went with it: a plain
	 * failure. (pg_acquire re-makes connections that died while idle
	 * before they are used.)
	 */
	q = sql ? sql : pg_sql[id];
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    PQstatus(c->conn) == CONNECTION_BAD &&
	    (strcmp(q, "COMMIT") == 0 || (!in_tx && !pg_sql_reads(q)))) {
		PQclear(r);
		return pg_outcome(c, NULL);
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !c->used &&
	    PQstatus(c->conn) == CONNECTION_BAD) {
		PQclear(r);
		pg_reset(c);
		log_kv(LOG_WARN, "store_reconnect", "backend", "postgres",
		    NULL);
		r = send_once(c, id, sql, p);
		st = PQresultStatus(r);
	}
	c->used = true;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		*res = r;
		return GH_OK;
	}
	rc = pg_result_error(c, r);
	PQclear(r);
	return rc;
}

enum gh_err
pg_exec(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
    PGresult **res)
{
	return run(c, id, NULL, p, res);
}

unsigned
pg_changed(PGresult *r)
{
	const char	*t = PQcmdTuples(r);
	uint64_t	 n = 0;

	if (t[0] != '\0' && parse_u64(slice_cstr(t), 0, UINT_MAX, &n) != GH_OK)
		n = 0;
	return (unsigned)n;
}

enum gh_err
pg_cmd(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
    unsigned *changed)
{
	PGresult	*r;
	enum gh_err	 rc;

	if ((rc = run(c, id, NULL, p, &r)) != GH_OK)
		return rc;
	if (changed)
		*changed = pg_changed(r);
	PQclear(r);
	return GH_OK;
}

enum gh_err
pg_simple(struct pg_conn *c, const char *sql)
{
	PGresult	*r;
	enum gh_err	 rc;

	if ((rc = run(c, P_COUNT, sql, NULL, &r)) == GH_OK)
		PQclear(r);
	return rc;
}

/*
 * Deferred durability (store_defer_begin .. store_defer_end, store.h) on
 * this thread. Its writes commit without waiting for their WAL flush, and
 * owed records that one did since the last durable audit row the request
 * queued. That row's commit comes after the writes', and PostgreSQL
 * flushes the WAL up to a commit record, so every write before it is
 * durable once the row is (pg_wait.c waits for it). Writes after it, or
 * without one, are flushed by pg_flush. A flow or a refresh then waits
 * for one WAL flush, not two.
 */
static __thread struct {
	const struct pg_store	*db;
	bool			 owed;
	enum gh_err		 failed;	/* pg_defer_fail */
} defer;

void
pg_defer_begin(const struct pg_store *db)
{
	defer.db = db;
	defer.owed = false;
	defer.failed = GH_OK;
}

bool
pg_deferring(const struct pg_store *db)
{
	return defer.db == db;
}

void
pg_defer_covered(const struct pg_store *db)
{
	if (defer.db == db)
		defer.owed = false;
}

void
pg_defer_fail(const struct pg_store *db, enum gh_err rc)
{
	if (defer.db == db && defer.failed == GH_OK)
		defer.failed = rc;
}

bool
pg_defer_end(const struct pg_store *db, enum gh_err *failed)
{
	bool owed = defer.db == db && defer.owed;

	*failed = defer.db == db ? defer.failed : GH_OK;
	defer.db = NULL;
	defer.owed = false;
	defer.failed = GH_OK;
	return owed;
}

/*
 * A transaction's opening steps: BEGIN, and for a deferring thread the
 * SET that lets its commit skip the flush (which store_defer_end owes).
 */
static size_t
begin_steps(struct pg_conn *c, struct pg_step *steps)
{
	steps[0] = (struct pg_step){ .id = P_COUNT, .sql = "BEGIN" };
	if (!c->defer)
		return 1;
	defer.owed = true;
	steps[1] = (struct pg_step){ .id = P_COUNT, .sql = PG_SQL_NO_FLUSH };
	return 2;
}

enum gh_err
pg_begin(struct pg_conn *c)
{
	struct pg_step steps[2];

	return pg_pipe(c, steps, begin_steps(c, steps));
}

/* BEGIN and the transaction's first statement in one round trip. */
enum gh_err
pg_begin_exec(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
    PGresult **res)
{
	struct pg_step	 steps[3];
	size_t		 n = begin_steps(c, steps);
	enum gh_err	 rc;

	steps[n++] = (struct pg_step){ .id = id, .p = p, .keep = true };
	*res = NULL;
	if ((rc = pg_pipe(c, steps, n)) == GH_OK)
		*res = steps[n - 1].res;
	return rc;
}

enum gh_err
pg_finish(struct pg_conn *c, enum gh_err rc)
{
	if (rc == GH_OK && (rc = pg_simple(c, "COMMIT")) == GH_OK)
		return GH_OK;
	if (PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		(void)pg_simple(c, "ROLLBACK");
	return rc;
}

/*
 * store_lazy(): writes of this thread need not be durable before the
 * answer (a code's issuance). Such a write commits without waiting for
 * its WAL flush (synchronous_commit off for that transaction only). A
 * later durable commit, on any node, flushes the WAL up to itself and so
 * this write with it; a crash can lose only writes no durable one
 * followed, never leave a gap before one.
 */
static __thread const struct pg_store *lazy_store;

static void
pg_lazy(struct store *s, bool on)
{
	lazy_store = on ? (const struct pg_store *)s : NULL;
}

bool
pg_lazy_on(const struct pg_store *db)
{
	return lazy_store == db;
}

/* One write as its own transaction, not waiting for the flush. */
static enum gh_err
lazy_cmd(struct pg_conn *c, enum pg_stmt id, const struct pg_params *p,
    unsigned *changed)
{
	struct pg_step	 steps[4] = {
		{ .id = P_COUNT, .sql = "BEGIN" },
		{ .id = P_COUNT, .sql = PG_SQL_NO_FLUSH },
		{ .id = id, .p = p, .keep = true },
		{ .id = P_COUNT, .sql = "COMMIT" },
	};
	enum gh_err	 rc;

	if ((rc = pg_pipe(c, steps, 4)) != GH_OK)
		return rc;
	if (changed)
		*changed = pg_changed(steps[2].res);
	PQclear(steps[2].res);
	return GH_OK;
}

/*
 * Borrow a connection and run one statement. With out_res, the result is
 * handed over (the caller clears it); otherwise *changed gets the number of
 * rows affected. The connection is given back before returning.
 */
enum gh_err
pg_one(struct store *s, enum pg_stmt id, const struct pg_params *p,
    PGresult **out_res, unsigned *changed)
{
	struct pg_conn	*c;
	enum gh_err	 rc;

	if ((c = pg_acquire(((struct pg_store *)s))) == NULL)
		return GH_ERR_STORE;
	if (out_res) {
		rc = pg_exec(c, id, p, out_res);
	} else if (pg_lazy_on((struct pg_store *)s)) {
		rc = lazy_cmd(c, id, p, changed);
	} else if (c->defer) {
		defer.owed = true;
		rc = lazy_cmd(c, id, p, changed);
	} else {
		rc = pg_cmd(c, id, p, changed);
	}
	return pg_release(((struct pg_store *)s), c, rc);
}

/* A statement that must change exactly one row. */
enum gh_err
pg_one_change(struct store *s, enum pg_stmt id, const struct pg_params *p)
{
	unsigned	n = 0;
	enum gh_err	rc = pg_one(s, id, p, NULL, &n);

	return rc != GH_OK ? rc : n == 1 ? GH_OK : GH_ERR_NOT_FOUND;
}

void
pg_col_text(const PGresult *r, int row, int col, char *out, size_t outsz)
{
	size_t n;

	out[0] = '\0';
	if (PQgetisnull(r, row, col) || outsz == 0)
		return;
	n = (size_t)PQgetlength(r, row, col);
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, PQgetvalue(r, row, col), n);
	out[n] = '\0';
}

const char *
pg_col_str(const PGresult *r, int row, int col)
{
	/* libpq ends every value with a NUL, binary ones included */
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int64_t
pg_col_int(const PGresult *r, int row, int col)
{
	const char	*v = PQgetvalue(r, row, col);
	uint64_t	 u8;
	uint32_t	 u4;
	uint16_t	 u2;

	if (PQgetisnull(r, row, col))
		return 0;
	switch (PQgetlength(r, row, col)) {
	case 8:
		memcpy(&u8, v, 8);
		return (int64_t)be64toh(u8);
	case 4:
		memcpy(&u4, v, 4);
		return (int32_t)be32toh(u4);
	case 2:
		memcpy(&u2, v, 2);
		return (int16_t)be16toh(u2);
	case 1:
		return (uint8_t)v[0];	/* boolean */
	}
	return 0;
}

bool
pg_col_hash(const PGresult *r, int row, int col, uint8_t out[GH_HASH_BYTES])
{
	if (PQgetisnull(r, row, col) ||
	    PQgetlength(r, row, col) != GH_HASH_BYTES)
		return false;
	memcpy(out, PQgetvalue(r, row, col), GH_HASH_BYTES);
	return true;
}

static void
pg_close(struct store *s)
{
	struct pg_store	*db = (struct pg_store *)s;
	size_t		 i;

	pg_cache_destroy(&db->cache);
	/* it drains the audit queue on its connection: before that goes */
	pg_leader_stop(db);
	PQfinish(db->lead.conn);
	for (i = 0; i < GH_PG_POOL; i++)
		if (db->pool[i].conn)
			PQfinish(db->pool[i].conn);
	crypto_wipe(db->url, sizeof(db->url));
	pthread_cond_destroy(&db->cv);
	pthread_mutex_destroy(&db->mu);
	pg_audit_queue_destroy(&db->audit);
	free(db);
}

static void
set_audit_key(struct store *s, const uint8_t *key)
{
	memcpy(((struct pg_store *)s)->audit_key, key, GH_HASH_BYTES);
}

static struct store_ops ops;
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;

static void
ops_init(void)
{
	ops.close = pg_close;
	ops.lazy = pg_lazy;
	ops.set_audit_key = set_audit_key;
	pg_ident_ops(&ops);
	pg_token_ops(&ops);
	pg_key_ops(&ops);
	pg_audit_ops(&ops);
	pg_wait_ops(&ops);
	pg_gov_ops(&ops);
	pg_retention_ops(&ops);
	pg_admin_ops(&ops);
}

enum gh_err
pg_store_open(const char *url, bool serve, struct store **out)
{
	struct pg_store	*db;
	struct pg_conn	*c;
	enum gh_err	 rc;

	pthread_once(&ops_once, ops_init);
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return GH_ERR_NOMEM;
	db->base.ops = &ops;
	pthread_mutex_init(&db->mu, NULL);
	pthread_cond_init(&db->cv, NULL);
	pg_audit_queue_init(&db->audit);
	pg_cache_init(&db->cache);
	if (!str_copy(db->url, sizeof(db->url), url)) {
		pg_close(&db->base);
		return GH_ERR_LIMIT;
	}
	if ((c = pg_acquire(db)) == NULL) {
		pg_close(&db->base);
		return GH_ERR_STORE;
	}
	rc = pg_release(db, c, pg_migrate(c));
	/* the leader's connection now, as the pool's first: the store works */
	if (rc == GH_OK && !pg_connect(db, &db->lead, PG_APP_AUDIT))
		rc = GH_ERR_STORE;
	if (rc == GH_OK)
		rc = pg_leader_start(db);
	if (rc != GH_OK) {
		pg_close(&db->base);
		return rc;
	}
	/* a short admin command reads clients uncached */
	if (serve)
		pg_listen_start(db);
	*out = &db->base;
	return GH_OK;
}
