/*
 * sqlite_sync.c - group commit for the SQLite backend (sqlite_int.h).
 *
 * With journal_mode=WAL and synchronous=NORMAL, SQLite appends each commit
 * to the -wal file without fsync. A commit is durable once the WAL bytes
 * holding it are on disk, and WAL appends are sequential, so one
 * fdatasync of the WAL makes every commit written before it durable.
 * Waiters take turns: one becomes the syncer, the others sleep until a
 * sync that started after their commit has finished.
 *
 * fsync(2) flushes the file's data whatever descriptor it is called on,
 * so our own read-only descriptor of the -wal file serves; it is reopened
 * if SQLite ever replaces the file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_int.h"
#include "../util/limits.h"

struct group_sync {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		 path[GH_MAX_PATH + 8];
	int		 fd;
	uint64_t	 committed;	/* last commit noted */
	uint64_t	 durable;	/* last commit covered by an fsync */
	bool		 syncing;
};

struct group_sync *
sq_sync_open(const char *db_path)
{
	struct group_sync *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if (snprintf(g->path, sizeof(g->path), "%s-wal", db_path) >=
	    (int)sizeof(g->path) ||
	    (g->fd = open(g->path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	return g;
}

void
sq_sync_close(struct group_sync *g)
{
	if (g == NULL)
		return;
	close(g->fd);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

uint64_t
sq_sync_note(struct group_sync *g)
{
	uint64_t seq;

	pthread_mutex_lock(&g->mu);
	seq = ++g->committed;
	pthread_mutex_unlock(&g->mu);
	return seq;
}

/* fdatasync the WAL, reopening it first if SQLite replaced the file. */
static int
sync_wal(struct group_sync *g)
{
	struct stat	a, b;
	int		fd;

	if (stat(g->path, &a) == 0 && fstat(g->fd, &b) == 0 &&
	    (a.st_ino != b.st_ino || a.st_dev != b.st_dev) &&
	    (fd = open(g->path, O_RDONLY | O_CLOEXEC)) >= 0) {
		close(g->fd);
		g->fd = fd;
	}
	return fdatasync(g->fd);
}

enum gh_err
sq_sync_wait(struct group_sync *g, uint64_t seq)
{
	uint64_t	target;
	int		rc = 0;

	pthread_mutex_lock(&g->mu);
	while (g->durable < seq && rc == 0) {
		if (g->syncing) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		/* our turn: one fsync for every commit noted so far */
		g->syncing = true;
		target = g->committed;
		pthread_mutex_unlock(&g->mu);
		rc = sync_wal(g);
		pthread_mutex_lock(&g->mu);
		g->syncing = false;
		if (rc == 0 && target > g->durable)
			g->durable = target;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return rc == 0 ? GH_OK : GH_ERR_IO;
}
