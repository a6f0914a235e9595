/*
 * pg_cache.c - client rows cached per node, kept true by LISTEN/NOTIFY.
 *
 * Every request reads its client (authorize, token, introspection), and a
 * client changes rarely: this cache saves a round trip to PostgreSQL on
 * each of those reads. A stale client is a security bug - a disabled or
 * quarantined integration, or a rotated secret, must stop working on every
 * node at once - so the cache is only used while it can be kept true:
 *
 * - Every change to the clients table, by any node, the CLI or an operator
 *   in psql, fires a trigger (migration 5) that NOTIFYs PG_CLIENTS_CHANNEL
 *   at commit. A listener thread, on a connection of its own, empties the
 *   cache when one arrives, typically a millisecond after the commit.
 * - A write of this node empties it too, as soon as the write returns.
 * - While the listener is not connected and listening, nothing is read
 *   from the cache or put into it; on reconnecting it starts empty.
 * - A row is never served older than PG_CACHE_TTL_MS, in case the
 *   listener's connection dies without a sign (a half-open TCP link).
 *
 * The race between a read of the database and an emptying is closed by a
 * generation number, bumped at every emptying: a row read from the
 * database is cached only if no emptying happened since the read began
 * (pg_cache_gen before it, pg_cache_put after). Any read that begins after
 * an emptying sees the commit that caused it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg_int.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/str.h"

#define RETRY_MS	250	/* between attempts to reconnect */

static int64_t
now_ms(void)
{
	return (int64_t)(clock_mono() * 1000.0);
}

static size_t
slot_of(const char *id)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h % PG_CACHE_SLOTS;
}

/* Mutex held. */
static void
empty_locked(struct pg_cache *k)
{
	size_t i;

	k->gen++;
	for (i = 0; i < PG_CACHE_SLOTS; i++) {
		PQclear(k->slot[i].r);
		k->slot[i].r = NULL;
	}
}

void
pg_cache_forget(struct pg_cache *k)
{
	pthread_mutex_lock(&k->mu);
	empty_locked(k);
	pthread_mutex_unlock(&k->mu);
}

bool
pg_cache_get(struct pg_cache *k, const char *id, struct client_row *out)
{
	struct pg_cache_slot	*sl = &k->slot[slot_of(id)];
	bool			 hit;

	pthread_mutex_lock(&k->mu);
	hit = k->listening && sl->r != NULL && strcmp(sl->id, id) == 0 &&
	    now_ms() - sl->at < PG_CACHE_TTL_MS;
	if (hit)
		pg_client_from_row(sl->r, 0, out);
	pthread_mutex_unlock(&k->mu);
	return hit;
}

uint64_t
pg_cache_gen(struct pg_cache *k)
{
	uint64_t g;

	pthread_mutex_lock(&k->mu);
	g = k->gen;
	pthread_mutex_unlock(&k->mu);
	return g;
}

void
pg_cache_put(struct pg_cache *k, const char *id, PGresult *r, uint64_t gen)
{
	struct pg_cache_slot	*sl = &k->slot[slot_of(id)];
	PGresult		*old = r;

	pthread_mutex_lock(&k->mu);
	if (k->listening && k->gen == gen &&
	    str_copy(sl->id, sizeof(sl->id), id)) {
		old = sl->r;
		sl->r = r;
		sl->at = now_ms();
	}
	pthread_mutex_unlock(&k->mu);
	PQclear(old);
}

/* Connect and LISTEN; on success the cache is in use, from empty. */
static bool
listen_connect(struct pg_store *db)
{
	struct pg_cache	*k = &db->cache;
	PGresult	*r;
	bool		 ok;

	k->conn = PQconnectdb(db->url);
	ok = k->conn != NULL && PQstatus(k->conn) == CONNECTION_OK;
	if (ok) {
		r = PQexec(k->conn, "LISTEN " PG_CLIENTS_CHANNEL);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok) {
		PQfinish(k->conn);
		k->conn = NULL;
		return false;
	}
	pthread_mutex_lock(&k->mu);
	empty_locked(k);
	k->listening = true;
	pthread_mutex_unlock(&k->mu);
	return true;
}

/* Notifications may have been missed: stop using the cache. */
static void
listen_lost(struct pg_cache *k)
{
	pthread_mutex_lock(&k->mu);
	k->listening = false;
	empty_locked(k);
	pthread_mutex_unlock(&k->mu);
	PQfinish(k->conn);
	k->conn = NULL;
	log_kv(LOG_WARN, "client_cache_off", "backend", "postgres", "msg",
	    "lost the notification connection; reading clients uncached",
	    NULL);
}

/* Wait up to ms (-1: for ever) for the socket; false when told to stop. */
static bool
wait_for(struct pg_cache *k, int sock, int ms)
{
	struct pollfd	pf[2] = {
		{ .fd = k->wake[0], .events = POLLIN },
		{ .fd = sock, .events = POLLIN },
	};

	while (poll(pf, sock >= 0 ? 2 : 1, ms) < 0)
		if (errno != EINTR)
			return false;
	return (pf[0].revents & POLLIN) == 0;
}

static void *
listen_main(void *arg)
{
	struct pg_store	*db = arg;
	struct pg_cache	*k = &db->cache;
	PGnotify	*n;
	bool		 changed;

	for (;;) {
		if (k->conn == NULL) {
			if (listen_connect(db))
				continue;
			if (!wait_for(k, -1, RETRY_MS))
				break;
			continue;
		}
		if (!wait_for(k, PQsocket(k->conn), -1))
			break;
		if (!PQconsumeInput(k->conn) ||
		    PQstatus(k->conn) != CONNECTION_OK) {
			listen_lost(k);
			continue;
		}
		for (changed = false; (n = PQnotifies(k->conn)) != NULL;
		    changed = true)
			PQfreemem(n);
		if (changed)
			pg_cache_forget(k);
	}
	return NULL;
}

void
pg_cache_init(struct pg_cache *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->mu, NULL);
	k->wake[0] = k->wake[1] = -1;
}

enum gh_err
pg_cache_start(struct pg_store *db)
{
	struct pg_cache *k = &db->cache;

	if (pipe(k->wake) != 0) {
		k->wake[0] = k->wake[1] = -1;
		return GH_ERR_STORE;
	}
	/* the first connection now, so that the cache works at once */
	(void)listen_connect(db);
	if (pthread_create(&k->thread, NULL, listen_main, db) != 0) {
		PQfinish(k->conn);
		k->conn = NULL;
		k->listening = false;
		return GH_ERR_STORE;
	}
	k->started = true;
	return GH_OK;
}

void
pg_cache_destroy(struct pg_cache *k)
{
	ssize_t n;

	if (k->started) {
		do
			n = write(k->wake[1], "x", 1);
		while (n < 0 && errno == EINTR);
		pthread_join(k->thread, NULL);
	}
	if (k->wake[0] >= 0) {
		close(k->wake[0]);
		close(k->wake[1]);
	}
	PQfinish(k->conn);
	k->listening = false;
	empty_locked(k);
	pthread_mutex_destroy(&k->mu);
}
