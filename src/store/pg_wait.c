/*
 * pg_wait.c - a request's durability on PostgreSQL, and the thread that
 * leads the audit batches (pg_audit.c).
 *
 * A request is durable once its queued audit rows are committed and, when
 * some write of it is not covered by a durable row (pg.c, owed) or a row
 * failed, after one more durable write (pg_flush); a row it could not
 * even queue, or any other store operation of it that failed
 * (pg_defer_fail), fails it as a failed row does, whether or not the
 * operation's caller reported the failure. The request's
 * thread need not sleep on that: store_defer_detach() hands the request's
 * rows and its owed flag over as a wait (struct pg_wait), and the HTTP
 * server parks the connection, not the thread, until the wait's wake.
 *
 * So no batch may depend on a waiting request to lead it. One thread per
 * store, the leader, started at open, does all of it, on a connection of its
 * own (pg_lead_acquire): borrowed from the pool, every answer waiting for a
 * batch would wait too for a request to give a connection back. It works in
 * a loop: first it resolves the waits whose rows are all done (one pg_flush
 * covers all of them that owe one: a flush is durable up to itself, past
 * every commit before it), then, if some queued row is waited for, it
 * appends the next batch of queued rows, then it sleeps until a row or a
 * wait comes. A request's rows are waited for only from its end
 * (pg_audit.c), so a request still running does not get a batch, and a
 * flush, per row. Resolving before each batch means a wait is resolved
 * before any row queued after it is committed, whatever the rows of that
 * wait. Callers that wait in their thread (the CLI, the background passes,
 * an append outside a request, store_defer_end) only sleep on their own
 * condition variable; the leader ends their wait as it does a batch's, or a
 * handed-over wait's. Wakes are called without the queue's mutex (a wake
 * takes other locks), and each wait may be freed as soon as it is woken.
 *
 * At close the leader is told to stop and joined: it first appends every
 * queued row and resolves every wait (on a dead database, with an error),
 * so nothing acknowledged is lost and no watched wait is left unwoken.
 * Its connection is closed after that (pg.c).
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../util/crypto.h"

#define DB(s) ((struct pg_store *)(s))

/* a request's wait, handed over by defer_detach */
struct pg_wait {
	struct store_wait	 base;
	struct pg_store		*db;
	struct pg_audit_wait	*rows;	/* the request's (pg_audit_mine) */
	bool			 owed;	/* a write no durable row covers */
	enum gh_err		 failed;	/* pg_defer_fail, else GH_OK */
	enum gh_err		 rc;
	bool			 done;
	pthread_cond_t		*cv;	/* set while a thread waits for it */
	void			(*wake)(void *);
	void			*wake_arg;
	struct pg_wait		*next;	/* in q->waits, then a resolved list */
};

/*
 * A flush_marks row for this store, past the slots 0..GH_PG_POOL-1 that
 * older versions used: one of PG_FLUSH_SLOTS, drawn at random, so two
 * nodes seldom share one, and the table stays at most that big.
 */
static int
flush_slot(void)
{
	uint32_t r = 0;

	(void)crypto_random(&r, sizeof(r));	/* 0 if it failed: still a row */
	return GH_PG_POOL + (int)(r % PG_FLUSH_SLOTS);
}

/*
 * One durable write, not deferred: the WAL is flushed up to it. The
 * leader's, on its connection, in the flush_marks row of this store
 * (flush_slot). The row is locked until its commit is flushed, so nodes
 * that shared one would flush in turn instead of together.
 */
static enum gh_err
pg_flush(struct pg_store *db)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	bool			 tried = false;

	if ((c = pg_lead_acquire(db, &tried)) == NULL)
		return GH_ERR_STORE;
	pp_init(&p);
	pp_int(&p, db->flush_slot);
	return pg_release(db, c, pg_cmd(c, P_FLUSH_MARK, &p, NULL));
}

/*
 * Resolve the waits whose rows are all done: one pg_flush for all those
 * that owe one or lost a row, then their waiters and watchers are woken.
 * q->mu held (let go while flushing and waking). False if none was ready,
 * and then q->mu was held throughout.
 */
static bool
resolve(struct pg_store *db, struct pg_audit_queue *q)
{
	struct pg_wait	*ready = NULL, *woken = NULL, *w, **pp;
	bool		 flush = false;
	enum gh_err	 frc = GH_OK;

	for (pp = &q->waits; (w = *pp) != NULL;) {
		if (!pg_audit_done(w->rows, &w->rc)) {
			pp = &w->next;
			continue;
		}
		/* an operation that failed (pg_defer_fail) fails it too */
		if (w->rc == GH_OK)
			w->rc = w->failed;
		*pp = w->next;
		w->next = ready;
		ready = w;
		/* after a failure too: others may have seen its writes */
		flush = flush || w->owed || w->rc != GH_OK;
	}
	if (ready == NULL)
		return false;
	if (flush) {
		pthread_mutex_unlock(&q->mu);
		frc = pg_flush(db);
		pthread_mutex_lock(&q->mu);
	}
	while ((w = ready) != NULL) {
		ready = w->next;
		if (w->rc == GH_OK && w->owed)
			w->rc = frc;
		w->done = true;
		/* its thread needs q->mu to return: w stays */
		if (w->cv != NULL)
			pthread_cond_signal(w->cv);
		if (w->wake != NULL) {
			w->next = woken;
			woken = w;
		}
	}
	if (woken != NULL) {
		pthread_mutex_unlock(&q->mu);
		/* each may be ended (freed) once woken: read on first */
		while ((w = woken) != NULL) {
			woken = w->next;
			w->wake(w->wake_arg);
		}
		pthread_mutex_lock(&q->mu);
	}
	return true;
}

/*
 * The leader. When no wait is ready, every wait left has a row queued,
 * and wanted (a wait's rows were queued before it was handed over, and
 * only this thread takes rows off): so the leader leads while a wait is
 * left, and stopping with the queue empty leaves no wait behind. At a
 * stop every queued row is appended, wanted or not.
 */
static void *
leader(void *arg)
{
	struct pg_store		*db = arg;
	struct pg_audit_queue	*q = &db->audit;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (resolve(db, q))
			continue;
		if (q->head != NULL && (q->stopping || pg_audit_wanted(q)))
			pg_audit_lead(db);
		else if (q->stopping)
			break;
		else
			pthread_cond_wait(&q->work, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

enum gh_err
pg_leader_start(struct pg_store *db)
{
	struct pg_audit_queue *q = &db->audit;

	db->flush_slot = flush_slot();
	if (pthread_create(&q->leader, NULL, leader, db) != 0)
		return GH_ERR_NOMEM;
	q->started = true;
	return GH_OK;
}

void
pg_leader_stop(struct pg_store *db)
{
	struct pg_audit_queue *q = &db->audit;

	if (!q->started)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->leader, NULL);
	q->started = false;
}

/* Until the leader has resolved w; q->mu held. */
static void
wait_resolved(struct pg_audit_queue *q, struct pg_wait *w)
{
	pg_sleep_until(&q->mu, &w->cv, &w->done);
}

static void
wait_watch(struct store_wait *base, void (*wake)(void *), void *arg)
{
	struct pg_wait		*w = (struct pg_wait *)base;
	struct pg_audit_queue	*q = &w->db->audit;

	pthread_mutex_lock(&q->mu);
	if (!w->done) {
		w->wake = wake;
		w->wake_arg = arg;
		wake = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	if (wake != NULL)
		wake(arg);	/* resolved already */
}

static enum gh_err
wait_end(struct store_wait *base)
{
	struct pg_wait		*w = (struct pg_wait *)base;
	struct pg_audit_queue	*q = &w->db->audit;
	enum gh_err		 rc;

	pthread_mutex_lock(&q->mu);
	wait_resolved(q, w);
	pthread_mutex_unlock(&q->mu);
	rc = w->rc;
	pg_audit_free(w->rows);
	free(w);
	return rc;
}

static void
defer_begin(struct store *s)
{
	pg_defer_begin(DB(s));
}

/*
 * The request is over: hand its rows and what it owes to the leader, and
 * the wait to the caller. Nothing queued, nothing owed: no wait, and the
 * outcome at once (a store operation that failed fails it). Out
 * of memory, the wait is made on the stack and waited for here.
 */
static enum gh_err
defer_detach(struct store *s, struct store_wait **out)
{
	struct pg_store		*db = DB(s);
	struct pg_audit_queue	*q = &db->audit;
	struct pg_wait		 local, *w;
	enum gh_err		 failed, rc;
	bool			 owed = pg_defer_end(db, &failed);
	struct pg_audit_wait	*rows = pg_audit_mine();

	*out = NULL;
	if (rows == NULL && !owed)
		return failed;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		memset(&local, 0, sizeof(local));
		w = &local;
	}
	w->base.watch = wait_watch;
	w->base.end = wait_end;
	w->db = db;
	w->rows = rows;
	w->owed = owed;
	w->failed = failed;
	pthread_mutex_lock(&q->mu);
	pg_audit_want(rows);
	w->next = q->waits;
	q->waits = w;
	pthread_cond_signal(&q->work);
	if (w != &local) {
		pthread_mutex_unlock(&q->mu);
		*out = &w->base;
		return GH_OK;
	}
	wait_resolved(q, w);
	pthread_mutex_unlock(&q->mu);
	rc = w->rc;
	pg_audit_free(rows);
	return rc;
}

/* For a caller that cannot park: the same wait, in this thread. */
static enum gh_err
defer_end(struct store *s)
{
	struct store_wait	*w;
	enum gh_err		 rc;

	if ((rc = defer_detach(s, &w)) != GH_OK || w == NULL)
		return rc;
	return wait_end(w);
}

void
pg_wait_ops(struct store_ops *ops)
{
	ops->defer_begin = defer_begin;
	ops->defer_end = defer_end;
	ops->defer_detach = defer_detach;
}
