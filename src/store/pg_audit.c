/*
 * pg_audit.c - the audit log on PostgreSQL: append-only, hash-chained
 * (store.h, audit_chain_hash).
 *
 * An append reads the last event and inserts the next one in one
 * transaction. With several connections and several nodes, two appends
 * could read the same last event and fork the chain; a transaction-level
 * advisory lock, taken before the read and released at commit, makes
 * every writer of this database take turns. The lock is held through the
 * commit's WAL flush, so one append per transaction would allow one
 * flush's worth of events a turn: a process instead queues its appends,
 * and the store's leader thread (pg_wait.c) appends everything queued (up
 * to GH_PG_AUDIT_BATCH rows) in one transaction, one lock and one flush,
 * while the next ones queue. A caller outside a request returns once its
 * row is committed; a request's rows are waited for at its end, or by
 * the wait it hands over (pg_wait.c). If a batch fails, its rows are
 * retried one by one, so one bad row fails only itself.
 *
 * PostgreSQL text is UTF-8 only; an event field that is not (a client id
 * or user agent as a client sent it) is stored, and hashed, with each bad
 * byte as '?', so the event is kept and its chain still verifies.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../util/str.h"

#define DB(s) ((struct pg_store *)(s))

/* The chain's last event, from a P_AUDIT_LAST result (cleared). */
static void
audit_last(PGresult *r, int64_t *seq, uint8_t hash[GH_HASH_BYTES])
{
	*seq = 0;
	memset(hash, 0, GH_HASH_BYTES);
	if (PQntuples(r) == 1) {
		*seq = pg_col_int(r, 0, 0);
		(void)pg_col_hash(r, 0, 1, hash);
	}
	PQclear(r);
}

static void
audit_params(struct pg_params *p, const struct audit_row *a)
{
	pp_init(p);
	pp_int(p, a->seq);
	pp_int(p, a->time);
	pp_text(p, a->type);
	pp_text(p, a->actor);
	pp_text(p, a->client_id);
	pp_text(p, a->user_id);
	pp_text(p, a->grant_id);
	pp_text(p, a->remote_addr);
	pp_text(p, a->user_agent);
	pp_text(p, a->detail);
	pp_blob(p, a->prev_hash, GH_HASH_BYTES);
	pp_blob(p, a->hash, GH_HASH_BYTES);
}

/*
 * Point every text field of r at a copy of its own, as UTF-8 (a bad byte
 * as '?'): a queued row outlives the caller's strings.
 */
static enum gh_err
own_fields(struct audit_row *r, char *copies[8])
{
	const char	**f[8] = { &r->type, &r->actor, &r->client_id,
			    &r->user_id, &r->grant_id, &r->remote_addr,
			    &r->user_agent, &r->detail };
	size_t		  i;

	for (i = 0; i < 8; i++) {
		if (*f[i] == NULL)
			continue;
		copies[i] = str_utf8_valid(*f[i]) ? strdup(*f[i]) :
		    str_dup_utf8(*f[i]);
		if (copies[i] == NULL)
			return GH_ERR_NOMEM;
		*f[i] = copies[i];
	}
	return GH_OK;
}

struct pg_audit_wait {
	struct audit_row	 r;
	struct pg_params	 p;		/* the row's INSERT */
	bool			 lazy;		/* store_lazy() was on */
	char			*copies[8];	/* own_fields() */
	enum gh_err		 rc;
	bool			 done;
	bool			 wanted;	/* someone waits for it now */
	pthread_cond_t		*cv;		/* set while its thread sleeps */
	struct pg_audit_wait	*next;		/* in the queue */
	struct pg_audit_wait	*mine;		/* a deferring request's */
};

/*
 * During a request (store_defer_begin), appends are queued and the
 * request waits for all of its rows once, at its end (pg_wait.c): its
 * rows are wanted only then, so they share one batch, so one flush,
 * instead of one each (a token request's two events).
 */
static __thread struct pg_audit_wait *mine;

void
pg_audit_queue_init(struct pg_audit_queue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work, NULL);
	q->head = NULL;
	q->tail = &q->head;
	q->waits = NULL;
	q->started = false;
	q->stopping = false;
}

void
pg_audit_queue_destroy(struct pg_audit_queue *q)
{
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
}

/*
 * Chain rows w[0..n-1] after the event (seq, prev) and make their INSERT
 * steps; the chain's new end goes back in seq and prev. An error is a
 * hash that could not be made: nothing of the batch may be sent.
 */
static enum gh_err
chain_rows(struct pg_store *db, struct pg_audit_wait **w, size_t n,
    int64_t *seq, uint8_t prev[GH_HASH_BYTES], struct pg_step *steps)
{
	struct audit_row	*r;
	size_t			 i;
	enum gh_err		 rc;

	for (i = 0; i < n; i++) {
		r = &w[i]->r;
		r->seq = ++*seq;
		memcpy(r->prev_hash, prev, GH_HASH_BYTES);
		if ((rc = audit_chain_hash(db->audit_key, r->prev_hash, r,
		    r->hash)) != GH_OK)
			return rc;
		memcpy(prev, r->hash, GH_HASH_BYTES);
		audit_params(&w[i]->p, r);
		steps[i] = (struct pg_step){ .id = P_AUDIT_INSERT,
		    .p = &w[i]->p };
	}
	steps[n] = (struct pg_step){ .id = P_COUNT, .sql = "COMMIT" };
	return GH_OK;
}

/*
 * The first steps of a batch: BEGIN, the chain lock (its key goes in
 * *lock), maybe no flush. Returns how many.
 */
static size_t
open_steps(struct pg_step *steps, struct pg_params *lock, bool lazy)
{
	pp_init(lock);
	pp_int(lock, PG_LOCK_AUDIT);
	steps[0] = (struct pg_step){ .id = P_COUNT, .sql = "BEGIN" };
	steps[1] = (struct pg_step){ .id = P_XACT_LOCK, .p = lock };
	if (!lazy)
		return 2;
	steps[2] = (struct pg_step){ .id = P_COUNT, .sql = PG_SQL_NO_FLUSH };
	return 3;
}

/*
 * One round trip when this process wrote the chain's end last: BEGIN, the
 * lock, the inserts after the end it knows, COMMIT. Each insert is made
 * only if the event before it is there with the hash it names. If another
 * node has appended since, the first insert's seq is taken: GH_ERR_EXISTS,
 * and the transaction failed. If the end is gone (its commit was lost in
 * a crash of the database: lazy rows commit without waiting for their
 * flush), no insert finds its predecessor: GH_ERR_CONFLICT, and nothing
 * was written.
 */
static enum gh_err
append_after_end(struct pg_store *db, struct pg_conn *c,
    struct pg_audit_wait **w, size_t n, bool lazy)
{
	struct pg_audit_queue	*q = &db->audit;
	struct pg_step		 steps[GH_PG_AUDIT_BATCH + 4];
	struct pg_params	 lock;
	uint8_t			 prev[GH_HASH_BYTES];
	int64_t			 seq = q->end_seq;
	size_t			 k, i;
	enum gh_err		 rc;

	k = open_steps(steps, &lock, lazy);
	memcpy(prev, q->end_hash, GH_HASH_BYTES);
	if ((rc = chain_rows(db, w, n, &seq, prev, steps + k)) != GH_OK)
		return rc;		/* nothing sent yet */
	for (i = k; i < k + n; i++)
		steps[i].id = P_AUDIT_INSERT_AFTER;
	steps[k + n - 1].keep = true;
	if ((rc = pg_pipe(c, steps, k + n + 1)) != GH_OK)
		return rc;
	/* the last insert ran only if every one before it did */
	if (pg_changed(steps[k + n - 1].res) != 1)
		rc = GH_ERR_CONFLICT;
	PQclear(steps[k + n - 1].res);
	if (rc == GH_OK) {
		q->end_seq = seq;
		memcpy(q->end_hash, prev, GH_HASH_BYTES);
	}
	return rc;
}

/*
 * In two round trips: BEGIN, the lock and the chain's last event; then
 * the inserts and COMMIT.
 */
static enum gh_err
append_read_end(struct pg_store *db, struct pg_conn *c,
    struct pg_audit_wait **w, size_t n, bool lazy)
{
	struct pg_audit_queue	*q = &db->audit;
	struct pg_step		 steps[GH_PG_AUDIT_BATCH + 4];
	struct pg_params	 lock;
	uint8_t			 prev[GH_HASH_BYTES];
	int64_t			 seq;
	size_t			 k;
	enum gh_err		 rc;

	k = open_steps(steps, &lock, lazy);
	steps[k++] = (struct pg_step){ .id = P_AUDIT_LAST, .keep = true };
	if ((rc = pg_pipe(c, steps, k)) != GH_OK)
		return rc;
	audit_last(steps[k - 1].res, &seq, prev);
	/* pg_release rolls back the open transaction on an error */
	if ((rc = chain_rows(db, w, n, &seq, prev, steps)) != GH_OK)
		return rc;
	/* a failed insert skips COMMIT; pg_release rolls the rest back */
	if ((rc = pg_pipe(c, steps, n + 1)) == GH_OK) {
		q->known = true;
		q->end_seq = seq;
		memcpy(q->end_hash, prev, GH_HASH_BYTES);
	}
	return rc;
}

/*
 * Rows w[0..n-1], in order, in one transaction under the chain lock, on
 * the leader's own connection (*tried: pg_lead_acquire). A batch of lazy
 * rows only (store_lazy) commits without waiting for its flush, as the
 * write it records did. Only the leader calls this, so the chain's end it
 * remembers (q->known) is its own to read and write. When another node
 * has appended since, the end is read first for the next PG_AUDIT_SKIP
 * batches, as nodes taking turns would miss every time.
 */
#define PG_AUDIT_SKIP	8
static enum gh_err
append_rows(struct pg_store *db, struct pg_audit_wait **w, size_t n,
    bool *tried, bool *reached)
{
	struct pg_audit_queue	*q = &db->audit;
	struct pg_conn		*c;
	enum gh_err		 rc = GH_ERR_EXISTS;	/* read the end */
	size_t			 i;
	bool			 lazy = true;

	for (i = 0; i < n; i++)
		lazy = lazy && w[i]->lazy;
	if ((*reached = (c = pg_lead_acquire(db, tried)) != NULL) == false)
		return GH_ERR_STORE;
	if (q->known && q->skip == 0) {
		rc = append_after_end(db, c, w, n, lazy);
		/* a miss: roll back what failed, then read the end */
		if (rc == GH_ERR_EXISTS || rc == GH_ERR_CONFLICT) {
			q->skip = PG_AUDIT_SKIP;
			rc = pg_finish(c, GH_ERR_EXISTS);
		}
	} else if (q->skip > 0)
		q->skip--;
	if (rc == GH_ERR_EXISTS)
		rc = append_read_end(db, c, w, n, lazy);
	if (rc != GH_OK)
		q->known = false;
	return pg_release(db, c, rc);
}

/* The leader's turn: called and returns with q->mu held. */
void
pg_audit_lead(struct pg_store *db)
{
	struct pg_audit_queue	*q = &db->audit;
	struct pg_audit_wait	*batch[GH_PG_AUDIT_BATCH];
	enum gh_err		 rc;
	size_t			 n = 0, i;
	bool			 tried = false, reached;

	while (n < GH_PG_AUDIT_BATCH && q->head != NULL) {
		batch[n++] = q->head;
		q->head = q->head->next;
	}
	if (q->head == NULL)
		q->tail = &q->head;
	pthread_mutex_unlock(&q->mu);
	rc = append_rows(db, batch, n, &tried, &reached);
	/*
	 * A failed batch is tried again row by row, so one bad row fails
	 * alone; not when its outcome is unknown (GH_ERR_IO: the connection
	 * broke under its COMMIT), which would append every row twice, nor
	 * when no connection could be had (the database is down: a retry
	 * per row would cost a connect timeout each). The connection is made
	 * again at most once for the whole batch, retries included.
	 */
	for (i = 0; i < n; i++)
		batch[i]->rc = rc != GH_OK && rc != GH_ERR_IO && reached &&
		    n > 1 ? append_rows(db, &batch[i], 1, &tried, &reached) :
		    rc;
	pthread_mutex_lock(&q->mu);
	for (i = 0; i < n; i++) {
		batch[i]->done = true;
		/* its thread needs q->mu to return: batch[i] stays */
		if (batch[i]->cv != NULL)
			pthread_cond_signal(batch[i]->cv);
	}
}

/*
 * Until *done, mu held: the caller sleeps on a condition variable of its
 * own, set in *cv meanwhile, so that the leader wakes only the waiters
 * whose rows or waits it finished, not every waiter.
 */
void
pg_sleep_until(pthread_mutex_t *mu, pthread_cond_t **cv, const bool *done)
{
	pthread_cond_t mine_cv = PTHREAD_COND_INITIALIZER;

	*cv = &mine_cv;
	while (!*done)
		pthread_cond_wait(&mine_cv, mu);
	*cv = NULL;
	pthread_cond_destroy(&mine_cv);
}

/* Until w is committed, or failed; q->mu held. */
static void
wait_done(struct pg_audit_queue *q, struct pg_audit_wait *w)
{
	pg_sleep_until(&q->mu, &w->cv, &w->done);
}

/* q->mu held; the leader is told if someone waits for w */
static void
enqueue(struct pg_audit_queue *q, struct pg_audit_wait *w)
{
	*q->tail = w;
	q->tail = &w->next;
	if (w->wanted)
		pthread_cond_signal(&q->work);
}

static void
free_wait(struct pg_audit_wait *w)
{
	size_t i;

	for (i = 0; i < 8; i++)
		free(w->copies[i]);
	free(w);
}

struct pg_audit_wait *
pg_audit_mine(void)
{
	struct pg_audit_wait *rows = mine;

	mine = NULL;
	return rows;
}

bool
pg_audit_done(const struct pg_audit_wait *rows, enum gh_err *rc)
{
	*rc = GH_OK;
	for (; rows != NULL; rows = rows->mine) {
		if (!rows->done)
			return false;
		if (*rc == GH_OK)
			*rc = rows->rc;
	}
	return true;
}

void
pg_audit_want(struct pg_audit_wait *rows)
{
	for (; rows != NULL; rows = rows->mine)
		rows->wanted = true;
}

bool
pg_audit_wanted(const struct pg_audit_queue *q)
{
	const struct pg_audit_wait *w;

	for (w = q->head; w != NULL; w = w->next)
		if (w->wanted)
			return true;
	return false;
}

void
pg_audit_free(struct pg_audit_wait *rows)
{
	struct pg_audit_wait *next;

	for (; rows != NULL; rows = next) {
		next = rows->mine;
		free_wait(rows);
	}
}

/* The event of a change of `changed` rows, in c's transaction. */
enum gh_err
pg_change_event_in_tx(struct pg_store *db, struct pg_conn *c,
    const struct change_audit *ev, unsigned changed)
{
	struct audit_row r;

	store_change_event(ev, changed, &r);
	return pg_audit_in_tx(db, c, &r);
}

/*
 * One event in the caller's transaction, outside the queue: the lock
 * waits for any batch of the queue's leader (or of another node) to
 * commit. The leader's idea of the chain's end goes stale; its next batch
 * misses and reads the end, as after another node's append.
 */
enum gh_err
pg_audit_in_tx(struct pg_store *db, struct pg_conn *c,
    const struct audit_row *a)
{
	struct audit_row	 r = *a;
	struct pg_params	 lock, p;
	struct pg_step		 steps[2];
	char			*copies[8] = { NULL };
	int64_t			 seq;
	enum gh_err		 rc;
	size_t			 i;

	if ((rc = own_fields(&r, copies)) != GH_OK)
		goto out;
	pp_init(&lock);
	pp_int(&lock, PG_LOCK_AUDIT);
	steps[0] = (struct pg_step){ .id = P_XACT_LOCK, .p = &lock };
	steps[1] = (struct pg_step){ .id = P_AUDIT_LAST, .keep = true };
	if ((rc = pg_pipe(c, steps, 2)) != GH_OK)
		goto out;
	audit_last(steps[1].res, &seq, r.prev_hash);
	r.seq = seq + 1;
	/* no hash, no event: a wrong one would read as an edit */
	if ((rc = audit_chain_hash(db->audit_key, r.prev_hash, &r, r.hash)) ==
	    GH_OK) {
		audit_params(&p, &r);
		rc = pg_cmd(c, P_AUDIT_INSERT, &p, NULL);
	}
out:
	for (i = 0; i < 8; i++)
		free(copies[i]);
	return rc;
}

/*
 * A row that could not even be queued (out of memory). A request's
 * caller commonly logs an audit failure and goes on, so the request's
 * wait is failed too, as a row failed in its batch fails it: the answer
 * is never sent without its event (as pg_release does for an operation
 * that failed, and sq_release on SQLite).
 */
static enum gh_err
not_queued(struct pg_store *db, enum gh_err rc)
{
	pg_defer_fail(db, rc);
	return rc;
}

/*
 * Queue a copy of a. In a deferring request it is waited for at the
 * request's end (pg_wait.c); otherwise now.
 */
static enum gh_err
audit_append(struct store *s, const struct audit_row *a)
{
	struct pg_store		*db = DB(s);
	struct pg_audit_queue	*q = &db->audit;
	struct pg_audit_wait	*w;
	enum gh_err		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return not_queued(db, GH_ERR_NOMEM);
	w->r = *a;
	w->lazy = pg_lazy_on(db);
	if ((rc = own_fields(&w->r, w->copies)) != GH_OK) {
		free_wait(w);
		return not_queued(db, rc);
	}
	w->wanted = !pg_deferring(db);
	pthread_mutex_lock(&q->mu);
	enqueue(q, w);
	if (pg_deferring(db)) {
		pthread_mutex_unlock(&q->mu);
		if (!w->lazy)
			pg_defer_covered(db);
		w->mine = mine;
		mine = w;
		return GH_OK;
	}
	wait_done(q, w);
	pthread_mutex_unlock(&q->mu);
	rc = w->rc;
	free_wait(w);
	return rc;
}

enum gh_err
pg_audit_rows(PGresult *r, bool (*fn)(void *, const struct audit_row *),
    void *ctx)
{
	struct audit_row a;
	int		 i;

	for (i = 0; i < PQntuples(r); i++) {
		memset(&a, 0, sizeof(a));
		a.seq = pg_col_int(r, i, 0);
		a.time = pg_col_int(r, i, 1);
		a.type = pg_col_str(r, i, 2);
		a.actor = pg_col_str(r, i, 3);
		a.client_id = pg_col_str(r, i, 4);
		a.user_id = pg_col_str(r, i, 5);
		a.grant_id = pg_col_str(r, i, 6);
		a.remote_addr = pg_col_str(r, i, 7);
		a.user_agent = pg_col_str(r, i, 8);
		a.detail = pg_col_str(r, i, 9);
		(void)pg_col_hash(r, i, 10, a.prev_hash);
		(void)pg_col_hash(r, i, 11, a.hash);
		if (!fn(ctx, &a))
			break;
	}
	PQclear(r);
	return GH_OK;
}

static enum gh_err
audit_each(struct store *s, int64_t after, unsigned limit,
    bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_int(&p, after);
	pp_int(&p, limit);
	if ((rc = pg_one(s, P_AUDIT_SINCE, &p, &r, NULL)) != GH_OK)
		return rc;
	return pg_audit_rows(r, fn, ctx);
}

void
pg_audit_ops(struct store_ops *ops)
{
	ops->audit_append = audit_append;
	ops->audit_each = audit_each;
}
