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
 *   at commit. A listener thread (pg_listen.c), on a connection of its
 *   own, empties the cache when one arrives, typically a millisecond
 *   after the commit.
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
#include <string.h>

#include "pg_int.h"
#include "../util/clock.h"

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
void
pg_cache_empty_locked(struct pg_cache *k)
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
	pg_cache_empty_locked(k);
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
	if (k->listening && k->gen == gen && strlen(id) < sizeof(sl->id)) {
		memcpy(sl->id, id, strlen(id) + 1);
		old = sl->r;
		sl->r = r;
		sl->at = now_ms();
	}
	pthread_mutex_unlock(&k->mu);
	PQclear(old);
}

void
pg_cache_init(struct pg_cache *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_init(&k->mu, NULL);
	k->wake[0] = k->wake[1] = -1;
}

void
pg_cache_destroy(struct pg_cache *k)
{
	pg_listen_stop(k);
	pthread_mutex_lock(&k->mu);
	k->listening = false;
	pg_cache_empty_locked(k);
	pthread_mutex_unlock(&k->mu);
	pthread_mutex_destroy(&k->mu);
}
