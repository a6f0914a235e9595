/*
 * pg_listen.c - the thread that keeps a node's client cache (pg_cache.c)
 * true: it LISTENs on PG_CLIENTS_CHANNEL on a connection of its own and
 * empties the cache at every notification.
 *
 * The cache is in use only while this thread listens. When its connection
 * fails, or the thread has to stop for any other reason than store_close,
 * the cache is switched off and emptied first, so that no notification
 * can be missed while it still answers; the thread then connects again
 * every RETRY_MS, and the cache starts over empty once LISTEN succeeds.
 * A connection that dies without a sign (a half-open TCP link) is covered
 * by the cache's age limit, PG_CACHE_TTL_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "pg_int.h"
#include "../util/log.h"

#define RETRY_MS	250	/* between attempts to connect */

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Switch the cache on (from empty) or off (and empty it). */
static void
set_listening(struct pg_cache *k, bool on)
{
	pthread_mutex_lock(&k->mu);
	k->listening = on;
	pg_cache_empty_locked(k);
	pthread_mutex_unlock(&k->mu);
}

/* Connect and LISTEN; on success the cache is in use, from empty. */
static bool
listen_connect(struct pg_store *db)
{
	struct pg_cache		*k = &db->cache;
	PGresult		*r;
	bool			 ok;

	k->conn = pg_connect_new(db, PG_APP_LISTEN);
	ok = k->conn != NULL && PQstatus(k->conn) == CONNECTION_OK;
	if (ok) {
		PQsetNoticeProcessor(k->conn, quiet, NULL);
		r = PQexec(k->conn, "LISTEN " PG_CLIENTS_CHANNEL);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok) {
		PQfinish(k->conn);
		k->conn = NULL;
		return false;
	}
	set_listening(k, true);
	return true;
}

/* Notifications may have been missed: stop using the cache. */
static void
listen_lost(struct pg_cache *k, const char *why)
{
	set_listening(k, false);
	PQfinish(k->conn);
	k->conn = NULL;
	log_kv(LOG_WARN, "client_cache_off", "backend", "postgres", "msg",
	    why, NULL);
}

/* GO: sock (-1: none) is ready, or ms (-1: no limit) have passed. */
enum wait { GO, WOKEN, FAILED };

static enum wait
wait_for(struct pg_cache *k, int sock, int ms)
{
	struct pollfd	pf[2] = {
		{ .fd = k->wake[0], .events = POLLIN },
		{ .fd = sock, .events = POLLIN },
	};

	while (poll(pf, sock >= 0 ? 2 : 1, ms) < 0)
		if (errno != EINTR)
			return FAILED;
	return pf[0].revents != 0 ? WOKEN : GO;
}

static void *
listen_main(void *arg)
{
	struct pg_store	*db = arg;
	struct pg_cache	*k = &db->cache;
	PGnotify	*n;
	enum wait	 w = GO;
	bool		 changed, down = k->conn == NULL;

	while (w == GO) {
		if (k->conn == NULL) {
			if (listen_connect(db)) {
				if (down)
					log_kv(LOG_INFO, "client_cache_on",
					    "backend", "postgres", NULL);
				down = false;
				continue;
			}
			down = true;
			w = wait_for(k, -1, RETRY_MS);
			continue;
		}
		if ((w = wait_for(k, PQsocket(k->conn), -1)) != GO)
			break;
		if (!PQconsumeInput(k->conn) ||
		    PQstatus(k->conn) != CONNECTION_OK) {
			listen_lost(k, "lost the notification connection; "
			    "reading clients uncached until it is back");
			down = true;
			continue;
		}
		for (changed = false; (n = PQnotifies(k->conn)) != NULL;
		    changed = true)
			PQfreemem(n);
		if (changed)
			pg_cache_forget(k);
	}
	if (w == FAILED) {
		set_listening(k, false);
		log_kv(LOG_ERROR, "client_cache_off", "backend", "postgres",
		    "msg", "the notification listener stopped; reading "
		    "clients uncached", NULL);
	}
	return NULL;
}

void
pg_listen_start(struct pg_store *db)
{
	struct pg_cache *k = &db->cache;

	if (pipe2(k->wake, O_CLOEXEC) != 0) {
		k->wake[0] = k->wake[1] = -1;
		log_kv(LOG_WARN, "client_cache_off", "backend", "postgres",
		    "msg", "no pipe for the listener; clients uncached", NULL);
		return;
	}
	/* the first connection now, so that the cache works at once */
	(void)listen_connect(db);
	if (pthread_create(&k->thread, NULL, listen_main, db) != 0) {
		set_listening(k, false);
		PQfinish(k->conn);
		k->conn = NULL;
		log_kv(LOG_WARN, "client_cache_off", "backend", "postgres",
		    "msg", "no listener thread; clients uncached", NULL);
		return;
	}
	k->started = true;
}

void
pg_listen_stop(struct pg_cache *k)
{
	ssize_t n;

	if (k->started) {
		do
			n = write(k->wake[1], "x", 1);
		while (n < 0 && errno == EINTR);
		pthread_join(k->thread, NULL);
		k->started = false;
	}
	if (k->wake[0] >= 0) {
		close(k->wake[0]);
		close(k->wake[1]);
		k->wake[0] = k->wake[1] = -1;
	}
	PQfinish(k->conn);
	k->conn = NULL;
}
