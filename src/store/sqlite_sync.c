/*
 * sqlite_sync.c - group commit for the SQLite backend (sqlite_int.h).
 *
 * Writes of concurrent requests share one transaction, the batch, and one
 * fdatasync. The first write after a commit opens the batch (BEGIN
 * IMMEDIATE, sq_batch_open()); every operation runs inside it, a
 * multi-statement one within a savepoint, and notes the batch number it
 * wrote in. One flusher thread per store commits the open batch when
 * somebody needs it, fdatasyncs the WAL (journal_mode=WAL with
 * synchronous=NORMAL appends each commit to the -wal file without a sync,
 * and the appends are sequential, so one sync makes the whole commit
 * durable), and then wakes every waiter of that batch. While the disk
 * syncs one batch, the next one fills: the busier the server, the more
 * requests share a commit, a write of the WAL's hot pages (the audit
 * table's last leaf, an index's right edge) and a sync.
 *
 * A waiter is a struct sync_wait, on the caller's stack or the thread's
 * deferred wait (store_defer_begin): the batches it wrote in, first to
 * last, and the outcome. It is queued under the store lock, before the
 * batch can be committed, so no outcome is ever missed; the flusher
 * resolves batches strictly in order and dequeues a waiter once its last
 * batch is resolved.
 *
 * Other processes (the admin command) must still get the write lock while
 * the server is busy, and SQLite's busy handler only polls: a batch is
 * almost always open under load, so a poller could lose every time. Every
 * process therefore takes an exclusive flock(2) on the -wal file before it
 * opens a write transaction and drops it when the transaction ends. The
 * kernel queues the waiter in flock and wakes it when the lock is dropped,
 * so the admin command gets the next turn. (SQLite's own locks are POSIX
 * record locks on other files; flock is independent of them.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_int.h"
#include "../util/limits.h"
#include "../util/log.h"

struct group_sync {
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* the flusher sleeps here */
	struct sqlite_store	*db;
	pthread_t		 thread;
	bool			 started;
	bool			 stop;
	atomic_bool		 broken;	/* a sync failed: commit nothing */
	uint64_t		 wanted;	/* newest batch somebody needs */
	uint64_t		 resolved;	/* every batch <= this is done */
	struct sync_wait	*waiters;
	char			 path[GH_MAX_PATH + 8];
	int			 fd;		/* the -wal file */
};

static void *flusher(void *arg);

struct group_sync *
sq_sync_open(struct sqlite_store *db, const char *db_path)
{
	struct group_sync *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->db = db;
	if (snprintf(g->path, sizeof(g->path), "%s-wal", db_path) >=
	    (int)sizeof(g->path) ||
	    (g->fd = open(g->path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->work, NULL);
	if (pthread_create(&g->thread, NULL, flusher, g) != 0) {
		sq_sync_close(g);
		return NULL;
	}
	g->started = true;
	return g;
}

/* Stop the flusher once every requested batch is resolved. */
void
sq_sync_close(struct group_sync *g)
{
	if (g == NULL)
		return;
	if (g->started) {
		pthread_mutex_lock(&g->mu);
		g->stop = true;
		pthread_cond_signal(&g->work);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->thread, NULL);
	}
	close(g->fd);
	pthread_cond_destroy(&g->work);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void
sq_sync_intent(struct group_sync *g, bool on)
{
	/* a failure (not EINTR) leaves SQLite's busy handler to arbitrate */
	while (flock(g->fd, on ? LOCK_EX : LOCK_UN) != 0 && errno == EINTR)
		;
}

void
sq_sync_note(struct group_sync *g, struct sync_wait *w, uint64_t batch)
{
	pthread_mutex_lock(&g->mu);
	/*
	 * Queue w again once the flusher has resolved and dequeued it: a
	 * request that writes after its earlier batches are durable must
	 * still wait for the new one (w->rc keeps an earlier failure).
	 */
	if (!w->queued || w->done) {
		w->first = batch;
		w->done = false;
		w->queued = true;
		w->next = g->waiters;
		g->waiters = w;
	}
	w->last = batch;
	pthread_mutex_unlock(&g->mu);
}

/* Somebody needs `batch` committed and synced (g->mu held). */
static void
want(struct group_sync *g, uint64_t batch)
{
	if (batch > g->wanted) {
		g->wanted = batch;
		pthread_cond_signal(&g->work);
	}
}

void
sq_sync_kick(struct group_sync *g, uint64_t batch)
{
	pthread_mutex_lock(&g->mu);
	want(g, batch);
	pthread_mutex_unlock(&g->mu);
}

/*
 * Each waiter sleeps on a condition variable of its own, so the flusher
 * wakes only the threads whose batches it resolved, not every waiter.
 */
enum gh_err
sq_sync_wait(struct group_sync *g, struct sync_wait *w)
{
	pthread_cond_t	cv = PTHREAD_COND_INITIALIZER;
	enum gh_err	rc;

	pthread_mutex_lock(&g->mu);
	if (w->queued)
		want(g, w->last);
	w->cv = &cv;
	while (w->queued && !w->done)
		pthread_cond_wait(&cv, &g->mu);
	w->cv = NULL;
	rc = w->rc;
	w->queued = false;
	pthread_mutex_unlock(&g->mu);
	pthread_cond_destroy(&cv);
	return rc;
}

void
sq_sync_watch(struct group_sync *g, struct sync_wait *w,
    void (*wake)(void *), void *arg)
{
	pthread_mutex_lock(&g->mu);
	if (w->queued && !w->done) {
		w->wake = wake;
		w->wake_arg = arg;
		want(g, w->last);
		arg = NULL;
		wake = NULL;
	}
	pthread_mutex_unlock(&g->mu);
	if (wake != NULL)
		wake(arg);	/* resolved already */
}

/*
 * Wait until every batch up to `upto` is resolved (store lock NOT held):
 * for a reader that must not act on what is committed but not yet durable.
 */
enum gh_err
sq_sync_barrier(struct group_sync *g, uint64_t upto)
{
	struct sync_wait w = { 0 };

	pthread_mutex_lock(&g->mu);
	if (upto > g->resolved) {
		w.first = w.last = upto;
		w.queued = true;
		w.next = g->waiters;
		g->waiters = &w;
	}
	pthread_mutex_unlock(&g->mu);
	return w.queued ? sq_sync_wait(g, &w) : GH_OK;
}

/* Batch `batch` failed: every waiter that wrote in it fails (g->mu held). */
static void
fail_batch(struct group_sync *g, uint64_t batch, enum gh_err rc)
{
	struct sync_wait *w;

	for (w = g->waiters; w != NULL; w = w->next)
		if (w->first <= batch && batch <= w->last)
			w->rc = rc;
}

void
sq_sync_lost(struct group_sync *g, uint64_t batch)
{
	pthread_mutex_lock(&g->mu);
	fail_batch(g, batch, GH_ERR_STORE);
	pthread_mutex_unlock(&g->mu);
	sq_sync_kick(g, batch);
}

/*
 * The WAL's inode number, asked for alone. A stat() that reports the
 * times marks them as read, and on Linux 6.13+ (multigrain timestamps)
 * the next write then takes a fine-grained modification time, so every
 * fdatasync on ext4 without a journal also wrote the inode: one more disk
 * write per commit. statx() with STATX_INO leaves the times alone.
 */
static bool
wal_ino(int dirfd, const char *path, int flags, struct statx *sx)
{
	return statx(dirfd, path, flags, STATX_INO, sx) == 0 &&
	    (sx->stx_mask & STATX_INO) != 0;
}

/*
 * Reopen the WAL if SQLite replaced the file. Only the flusher changes
 * g->fd, so it checks without the store lock; the swap takes the lock,
 * since the write intent's flock (sq_sync_intent) uses the descriptor.
 */
static void
wal_reopen_if_replaced(struct group_sync *g)
{
	struct statx	a, b;
	int		fd;

	if (wal_ino(AT_FDCWD, g->path, 0, &a) &&
	    wal_ino(g->fd, "", AT_EMPTY_PATH, &b) &&
	    (a.stx_ino != b.stx_ino || a.stx_dev_major != b.stx_dev_major ||
	    a.stx_dev_minor != b.stx_dev_minor) &&
	    (fd = open(g->path, O_RDONLY | O_CLOEXEC)) >= 0) {
		pthread_mutex_lock(&g->db->mu);
		close(g->fd);
		g->fd = fd;
		pthread_mutex_unlock(&g->db->mu);
	}
}

bool
sq_sync_durable(struct group_sync *g)
{
	return !atomic_load(&g->broken);
}

/*
 * Commit the open batch, if any, and make it durable. Returns the newest
 * batch number now resolved and its outcome.
 *
 * After a failed fdatasync nothing more is committed: Linux reports a
 * writeback error once and may have dropped the pages it concerned, so
 * the next sync could succeed over a hole in the WAL, and recovery after a
 * crash would stop at that hole, taking later acknowledged batches with
 * it. Every later batch is rolled back and fails, and store_durable() says
 * the server must stop; a restart recovers from what the disk holds.
 */
static uint64_t
flush_once(struct group_sync *g, enum gh_err *rc)
{
	struct sqlite_store	*db = g->db;
	uint64_t		 batch;
	bool			 committed = false;

	*rc = GH_OK;
	pthread_mutex_lock(&db->mu);
	if (db->tx_open && atomic_load(&g->broken)) {
		(void)sq_batch_close(db, false);
		*rc = GH_ERR_IO;
	} else if (db->tx_open) {
		*rc = sq_batch_close(db, true);
		if ((committed = *rc == GH_OK))
			sq_ckpt_after_commit(db);
	}
	batch = db->tx_seq;
	pthread_mutex_unlock(&db->mu);
	if (committed)
		wal_reopen_if_replaced(g);
	if (committed && fdatasync(g->fd) != 0) {
		atomic_store(&g->broken, true);
		log_kv(LOG_ERROR, "store_sync_failed", "backend", "sqlite",
		    "msg", "fdatasync of the WAL failed: nothing more is "
		    "committed; restart the server once the disk is back",
		    NULL);
		*rc = GH_ERR_IO;
	}
	return batch;
}

static void *
flusher(void *arg)
{
	struct group_sync	*g = arg;
	struct sync_wait	*w, **pp, *woken;
	enum gh_err		 rc;
	uint64_t		 batch;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->stop && g->wanted <= g->resolved)
			pthread_cond_wait(&g->work, &g->mu);
		if (g->wanted <= g->resolved)
			break;		/* stopping, and nothing is owed */
		pthread_mutex_unlock(&g->mu);
		batch = flush_once(g, &rc);
		pthread_mutex_lock(&g->mu);
		if (rc != GH_OK)
			fail_batch(g, batch, rc);
		if (batch > g->resolved)
			g->resolved = batch;
		if (g->wanted < g->resolved)
			g->wanted = g->resolved;
		woken = NULL;
		for (pp = &g->waiters; (w = *pp) != NULL;) {
			if (w->last <= g->resolved) {
				*pp = w->next;
				w->done = true;
				/* its thread needs g->mu to return: w stays */
				if (w->cv != NULL)
					pthread_cond_signal(w->cv);
				if (w->wake != NULL) {
					w->wake_next = woken;
					woken = w;
				}
			} else {
				pp = &w->next;
			}
		}
		/*
		 * Watchers are woken without g->mu (a wake takes other locks);
		 * each may be freed as soon as it is woken, so read on first.
		 */
		if (woken != NULL) {
			pthread_mutex_unlock(&g->mu);
			while ((w = woken) != NULL) {
				woken = w->wake_next;
				w->wake(w->wake_arg);
			}
			pthread_mutex_lock(&g->mu);
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}
