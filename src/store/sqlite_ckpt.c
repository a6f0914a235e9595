/*
 * sqlite_ckpt.c - WAL checkpoints off the write path (sqlite_int.h).
 *
 * SQLite's automatic checkpoint runs inside a COMMIT, on the one
 * connection every request shares: each one copied up to a thousand WAL
 * pages into the database file and synced it while every request waited
 * for the store lock (a quarter of a millisecond per commit on average,
 * and the 10-15 ms tail of the flow's latency). Here a thread with a
 * connection of its own copies committed pages in the background with
 * PASSIVE checkpoints, which never block the writer.
 *
 * A WAL only starts over from its beginning when a write transaction
 * begins while every frame has been copied, and under steady load the
 * next batch always begins first, so the file would grow without end.
 * When it passes GH_WAL_RESTART_FRAMES the flusher therefore catches up
 * itself (sq_ckpt_now) right after a commit, while it still holds the
 * store lock and no batch is open: the background thread has copied
 * nearly everything already, so that costs little, and the next batch
 * restarts the WAL.
 */
#include <stdlib.h>

#include "sqlite_int.h"
#include "../util/limits.h"
#include "../util/log.h"

struct wal_ckpt {
	pthread_mutex_t	 mu;		/* guards the flags */
	pthread_mutex_t	 db_mu;		/* guards db: held while copying */
	pthread_cond_t	 cv;
	pthread_t	 thread;
	bool		 started;
	bool		 stop;
	bool		 pending;
	sqlite3		*db;		/* our own connection */
};

static void
checkpoint(struct wal_ckpt *c)
{
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	/* BUSY: another process is checkpointing; the next try will do */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_kv(LOG_WARN, "store_checkpoint_failed", "backend",
		    "sqlite", "msg", sqlite3_errmsg(c->db), NULL);
}

static void *
run(void *arg)
{
	struct wal_ckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (!c->pending) {
			pthread_cond_wait(&c->cv, &c->mu);
			continue;
		}
		c->pending = false;
		pthread_mutex_unlock(&c->mu);	/* kicks never wait */
		pthread_mutex_lock(&c->db_mu);
		checkpoint(c);
		pthread_mutex_unlock(&c->db_mu);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct wal_ckpt *
sq_ckpt_open(const char *path)
{
	struct wal_ckpt *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL", NULL, NULL,
	    NULL) != SQLITE_OK) {
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->db_mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		sq_ckpt_close(c);
		return NULL;
	}
	c->started = true;
	return c;
}

void
sq_ckpt_close(struct wal_ckpt *c)
{
	if (c == NULL)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->db_mu);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void
sq_ckpt_kick(struct wal_ckpt *c)
{
	pthread_mutex_lock(&c->mu);
	c->pending = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void
sq_ckpt_now(struct wal_ckpt *c)
{
	pthread_mutex_lock(&c->db_mu);
	checkpoint(c);
	pthread_mutex_unlock(&c->db_mu);
}

void
sq_ckpt_after_commit(struct sqlite_store *db)
{
	if (db->ckpt == NULL)
		return;
	if (db->wal_frames < db->wal_kicked)
		db->wal_kicked = 0;		/* the WAL started over */
	if (db->wal_frames >= GH_WAL_RESTART_FRAMES) {
		sq_ckpt_now(db->ckpt);
		db->wal_kicked = db->wal_frames;
	} else if (db->wal_frames - db->wal_kicked >= GH_WAL_CKPT_FRAMES) {
		sq_ckpt_kick(db->ckpt);
		db->wal_kicked = db->wal_frames;
	}
}
