/*
 * sqlite_audit.c - the audit log of the SQLite backend: a hash chain
 * (store.h) appended by a batching writer.
 *
 * Every request writes one to three audit events, and a transaction of its
 * own for each would cost a commit (WAL frames for the table and its
 * index) per event. Instead appenders queue their event and wait; one of
 * them becomes the writer, takes every event queued so far, and extends
 * the chain with all of them in one IMMEDIATE transaction. Each appender
 * returns only when the transaction holding its event is durable (group
 * commit, sqlite_sync.c), or, when its thread defers, makes that wait part
 * of the request's one wait before the answer (store_defer_end); so an
 * acknowledged event is never lost, and the chain order is the order the
 * writer took the events in.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

#define DB(s) ((struct sqlite_store *)(s))
#define BATCH_MAX 256		/* events in one transaction */

struct audit_wait {
	const struct audit_row	*row;
	enum gh_err		 rc;
	uint64_t		 seq;	/* the commit holding it */
	bool			 done;
	struct audit_wait	*next;
};

struct audit_queue {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct audit_wait	*head, **tail;
	bool			 writing;
};

struct audit_queue *
sq_audit_queue_new(void)
{
	struct audit_queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->tail = &q->head;
	return q;
}

void
sq_audit_queue_free(struct audit_queue *q)
{
	if (q == NULL)
		return;
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static enum gh_err
audit_last(struct sqlite_store *db, int64_t *seq, uint8_t hash[GH_HASH_BYTES])
{
	sqlite3_stmt	*st = sq_stmt(db, S_AUDIT_LAST);
	int		 r;

	*seq = 0;
	memset(hash, 0, GH_HASH_BYTES);
	if (st == NULL)
		return GH_ERR_STORE;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*seq = sq_col_int(st, 0);
		if (sqlite3_column_bytes(st, 1) == GH_HASH_BYTES)
			memcpy(hash, sqlite3_column_blob(st, 1),
			    GH_HASH_BYTES);
	}
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? GH_OK : sq_error(db, r);
}

static enum gh_err
insert(struct sqlite_store *db, struct audit_row *r)
{
	sqlite3_stmt *st;

	if ((st = sq_stmt(db, S_AUDIT_INSERT)) == NULL)
		return GH_ERR_STORE;
	sqlite3_bind_int64(st, 1, r->seq);
	sqlite3_bind_int64(st, 2, r->time);
	sq_bind_text(st, 3, r->type);
	sq_bind_text(st, 4, r->actor);
	sq_bind_text(st, 5, r->client_id);
	sq_bind_text(st, 6, r->user_id);
	sq_bind_text(st, 7, r->grant_id);
	sq_bind_text(st, 8, r->remote_addr);
	sq_bind_text(st, 9, r->user_agent);
	sq_bind_text(st, 10, r->detail);
	sq_bind_blob(st, 11, r->prev_hash, GH_HASH_BYTES);
	sq_bind_blob(st, 12, r->hash, GH_HASH_BYTES);
	return sq_step_done(db, st);
}

/*
 * One transaction for the events of `batch`, in order. Each appender waits
 * for its durability in its own thread (sq_durable), so a thread deferring
 * its waits defers this one as well, and the next batch is written while
 * this one is being synced.
 */
static enum gh_err
write_batch(struct sqlite_store *db, struct audit_wait *batch, uint64_t *seqp)
{
	struct audit_row	 r;
	struct audit_wait	*w;
	int64_t			 seq;
	uint8_t			 prev[GH_HASH_BYTES];
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_exec_simple(db, S_BEGIN)) != GH_OK)
		goto out;
	rc = audit_last(db, &seq, prev);
	for (w = batch; w && rc == GH_OK; w = w->next) {
		r = *w->row;
		r.seq = ++seq;
		memcpy(r.prev_hash, prev, GH_HASH_BYTES);
		audit_chain_hash(db->audit_key, r.prev_hash, &r, r.hash);
		if ((rc = insert(db, &r)) == GH_OK)
			memcpy(prev, r.hash, GH_HASH_BYTES);
	}
	rc = sq_finish_tx(db, rc);
out:
	*seqp = sq_commit_seq(db);
	pthread_mutex_unlock(&db->mu);
	return rc;
}

static enum gh_err
audit_append(struct store *s, const struct audit_row *a)
{
	struct audit_queue	*q = DB(s)->audit_queue;
	struct audit_wait	 me = { a, GH_OK, 0, false, NULL };
	struct audit_wait	*batch, *w, *next;
	uint64_t		 seq = 0;
	unsigned		 n;
	enum gh_err		 rc;

	pthread_mutex_lock(&q->mu);
	*q->tail = &me;
	q->tail = &me.next;
	while (!me.done) {
		if (q->writing) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		/* our turn to write: take up to BATCH_MAX queued events */
		q->writing = true;
		batch = q->head;
		for (w = batch, n = 1; w->next && n < BATCH_MAX; n++)
			w = w->next;
		q->head = w->next;
		if (q->head == NULL)
			q->tail = &q->head;
		w->next = NULL;
		pthread_mutex_unlock(&q->mu);

		rc = write_batch(DB(s), batch, &seq);

		pthread_mutex_lock(&q->mu);
		for (w = batch; w; w = next) {
			next = w->next;
			w->rc = rc;
			w->seq = seq;
			w->done = true;		/* w may be gone after this */
		}
		q->writing = false;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return sq_durable(DB(s), me.seq, me.rc);	/* ours, or deferred */
}

static enum gh_err
audit_head(struct store *s, int64_t *seq, uint8_t *hash)
{
	enum gh_err rc;

	sq_lock(DB(s));
	rc = audit_last(DB(s), seq, hash);
	sq_unlock(DB(s));
	return rc;
}

enum gh_err
sq_audit_rows(struct sqlite_store *db, sqlite3_stmt *st,
    bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	struct audit_row r;
	int		 x;

	while ((x = sqlite3_step(st)) == SQLITE_ROW) {
		sq_audit_from_row(st, &r);
		if (!fn(ctx, &r))
			break;
	}
	sqlite3_reset(st);
	return x == SQLITE_ROW || x == SQLITE_DONE ? GH_OK : sq_error(db, x);
}

static enum gh_err
audit_each(struct store *s, int64_t after, unsigned limit,
    bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_AUDIT_SINCE)) != NULL) {
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int64(st, 2, limit);
		rc = sq_audit_rows(DB(s), st, fn, ctx);
	}
	sq_unlock(DB(s));
	return rc;
}

static void
set_audit_key(struct store *s, const uint8_t *key)
{
	memcpy(DB(s)->audit_key, key, GH_HASH_BYTES);
}

void
sqlite_audit_ops(struct store_ops *ops)
{
	ops->audit_append = audit_append;
	ops->audit_each = audit_each;
	ops->audit_head = audit_head;
	ops->set_audit_key = set_audit_key;
}
