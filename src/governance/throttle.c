/* throttle.c - see throttle.h. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "throttle.h"
#include "../util/crypto.h"
#include "../util/limits.h"
#include "../util/str.h"

struct slot {
	uint64_t	 fp;		/* keyed hash of kind and key; 0: free */
	int64_t		 used;		/* last touched, for LRU */
	int64_t		 tat;		/* the bucket is full from then */
	int64_t		 mark;		/* fold: last report; count: start */
	int64_t		 mark_end;	/* its window ends then */
	uint32_t	 n[THROTTLE_COUNTS];
	uint32_t	 inflight;
};

struct throttle {
	pthread_mutex_t	 mu;
	uint8_t		 key[GH_HASH_BYTES];	/* of the keyed hash */
	size_t		 sets;			/* of each kind */
	struct slot	 slots[];	/* kinds x sets x THROTTLE_WAYS */
};

enum gh_err
throttle_new(size_t entries, struct throttle **out)
{
	struct throttle	*t;
	size_t		 sets = entries / THROTTLE_WAYS;

	if (sets == 0)
		sets = 1;
	t = calloc(1, sizeof(*t) +
	    THROTTLE_KINDS * sets * THROTTLE_WAYS * sizeof(t->slots[0]));
	if (t == NULL)
		return GH_ERR_NOMEM;
	if (crypto_random(t->key, sizeof(t->key)) != GH_OK) {
		free(t);
		return GH_ERR_CRYPTO;
	}
	t->sets = sets;
	pthread_mutex_init(&t->mu, NULL);
	*out = t;
	return GH_OK;
}

void
throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static pthread_mutex_t		shared_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct throttle *) shared;

struct throttle *
throttle_shared(void)
{
	struct throttle *t = atomic_load_explicit(&shared,
	    memory_order_acquire);

	if (t != NULL)
		return t;
	pthread_mutex_lock(&shared_mu);
	if ((t = atomic_load_explicit(&shared, memory_order_relaxed)) ==
	    NULL && throttle_new(GH_THROTTLE_ENTRIES, &t) == GH_OK)
		atomic_store_explicit(&shared, t, memory_order_release);
	pthread_mutex_unlock(&shared_mu);
	return t;
}

int64_t
throttle_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
throttle_seconds(int64_t ms)
{
	int64_t s = (ms + 999) / 1000;

	return s > 0 ? s : 1;
}

/* The key's set (its first slot) and fingerprint, never 0. */
static struct slot *
set_of(struct throttle *t, enum throttle_kind k, const char *key,
    uint64_t *fp)
{
	uint8_t		 d[GH_HASH_BYTES];
	char		 in[GH_MAX_USERNAME_LEN + THROTTLE_ADDR_KEY_LEN + 8];
	uint64_t	 where;
	size_t		 kind = k >= 1 && k <= THROTTLE_KINDS ? k - 1 : 0;
	int		 n;

	/* longer keys are cut: they are only ever compared by this hash */
	n = snprintf(in, sizeof(in), "%d\n%s", (int)k, key ? key : "");
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof(in))
		n = (int)sizeof(in) - 1;
	/*
	 * Should the HMAC fail (out of memory), a plain hash still tells
	 * keys apart: everybody in one bucket would lock everybody out.
	 */
	if (crypto_hmac_sha256(t->key, sizeof(t->key), in, (size_t)n, d) !=
	    GH_OK)
		crypto_sha256(in, (size_t)n, d);
	memcpy(fp, d, sizeof(*fp));
	memcpy(&where, d + 8, sizeof(where));
	if (*fp == 0)
		*fp = 1;
	return &t->slots[(kind * t->sets + where % t->sets) * THROTTLE_WAYS];
}

/* nothing in it is worth keeping any more */
static bool
spent(const struct slot *s, int64_t now)
{
	return s->fp == 0 || (s->inflight == 0 && s->tat <= now &&
	    s->mark_end <= now);
}

/*
 * The key's slot; with `make`, a new one if it has none (a spent slot
 * of its set, else the least recently used with nothing in flight).
 * NULL: none (not made, or every slot of the set has work in flight).
 */
static struct slot *
find(struct throttle *t, enum throttle_kind k, const char *key, int64_t now,
    bool make)
{
	struct slot	*set, *s, *lru = NULL;
	uint64_t	 fp;
	size_t		 i;

	set = set_of(t, k, key, &fp);
	for (i = 0; i < THROTTLE_WAYS; i++)
		if (set[i].fp == fp) {
			if (set[i].used < now)
				set[i].used = now;
			return &set[i];
		}
	if (!make)
		return NULL;
	for (i = 0; i < THROTTLE_WAYS; i++) {
		s = &set[i];
		if (spent(s, now)) {
			lru = s;
			break;
		}
		if (s->inflight == 0 && (lru == NULL || s->used < lru->used))
			lru = s;
	}
	if (lru == NULL)
		return NULL;
	memset(lru, 0, sizeof(*lru));
	lru->fp = fp;
	lru->used = now;
	return lru;
}

bool
throttle_take(struct throttle *t, enum throttle_kind k, const char *key,
    const struct throttle_rate *r, int64_t now, int64_t *retry_ms)
{
	struct slot	*s;
	int64_t		 next;
	bool		 ok = true;

	*retry_ms = 0;
	if (r->burst <= 0)
		return true;
	pthread_mutex_lock(&t->mu);
	if ((s = find(t, k, key, now, true)) != NULL) {
		/* GCRA: full at tat; each attempt moves it one interval on */
		next = (s->tat > now ? s->tat : now) + r->interval_ms;
		if (next - now > r->burst * r->interval_ms) {
			*retry_ms = next - now - r->burst * r->interval_ms;
			ok = false;
		} else {
			s->tat = next;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

void
throttle_give(struct throttle *t, enum throttle_kind k, const char *key,
    const struct throttle_rate *r, int64_t now)
{
	struct slot *s;

	if (r->burst <= 0)
		return;
	pthread_mutex_lock(&t->mu);
	if ((s = find(t, k, key, now, false)) != NULL && s->tat > now)
		s->tat -= r->interval_ms;
	pthread_mutex_unlock(&t->mu);
}

void
throttle_reset(struct throttle *t, enum throttle_kind k, const char *key)
{
	struct slot *s;

	pthread_mutex_lock(&t->mu);
	if ((s = find(t, k, key, 0, false)) != NULL)
		s->tat = 0;
	pthread_mutex_unlock(&t->mu);
}

bool
throttle_enter(struct throttle *t, enum throttle_kind k, const char *key,
    unsigned max, int64_t now)
{
	struct slot	*s;
	bool		 ok = true;

	pthread_mutex_lock(&t->mu);
	if ((s = find(t, k, key, now, true)) != NULL) {
		if (s->inflight >= max)
			ok = false;
		else
			s->inflight++;
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

void
throttle_leave(struct throttle *t, enum throttle_kind k, const char *key)
{
	struct slot *s;

	pthread_mutex_lock(&t->mu);
	if ((s = find(t, k, key, 0, false)) != NULL && s->inflight > 0)
		s->inflight--;
	pthread_mutex_unlock(&t->mu);
}

bool
throttle_fold(struct throttle *t, enum throttle_kind k, const char *key,
    unsigned which, int64_t window_ms, int64_t now,
    uint32_t out[THROTTLE_COUNTS])
{
	struct slot	*s;
	bool		 report = false;

	memset(out, 0, THROTTLE_COUNTS * sizeof(out[0]));
	if (which >= THROTTLE_COUNTS)
		return false;
	pthread_mutex_lock(&t->mu);
	/* no slot (all busy): folded, so a flood is never one per event */
	if ((s = find(t, k, key, now, true)) != NULL) {
		if (s->n[which] < UINT32_MAX)
			s->n[which]++;
		if (s->mark_end == 0 || now >= s->mark_end) {
			memcpy(out, s->n, sizeof(s->n));
			memset(s->n, 0, sizeof(s->n));
			s->mark = now;
			s->mark_end = now + window_ms;
			report = true;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return report;
}

bool
throttle_budget(struct throttle *t, enum throttle_kind k, const char *key,
    uint32_t burst, int64_t window_ms, uint32_t events, int64_t now,
    uint32_t out[THROTTLE_COUNTS])
{
	struct slot	*s;
	int64_t		 interval = window_ms / (burst > 0 ? burst : 1);
	int64_t		 next;
	bool		 ok = true;

	memset(out, 0, THROTTLE_COUNTS * sizeof(out[0]));
	if (interval < 1)
		interval = 1;
	pthread_mutex_lock(&t->mu);
	/* no slot (all busy): written, as without the budget */
	if ((s = find(t, k, key, now, true)) != NULL) {
		next = (s->tat > now ? s->tat : now) + interval;
		if (next - now > (int64_t)burst * interval) {
			ok = false;
			if (s->n[0] < UINT32_MAX)
				s->n[0]++;
			s->n[1] = s->n[1] > UINT32_MAX - events ? UINT32_MAX :
			    s->n[1] + events;
			/* what is withheld keeps the slot until reported */
			s->mark_end = now + window_ms;
		} else {
			s->tat = next;
			memcpy(out, s->n, sizeof(s->n));
			memset(s->n, 0, sizeof(s->n));
		}
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

bool
throttle_count(struct throttle *t, enum throttle_kind k, const char *key,
    int64_t window_ms, uint32_t threshold, int64_t now, uint32_t *count)
{
	struct slot	*s;
	bool		 hit = false;

	*count = 0;
	pthread_mutex_lock(&t->mu);
	if ((s = find(t, k, key, now, true)) != NULL) {
		if (s->mark_end == 0 || now >= s->mark_end) {
			s->mark = now;
			s->mark_end = now + window_ms;
			s->n[0] = 0;
		}
		if (s->n[0] < UINT32_MAX)
			s->n[0]++;
		*count = s->n[0];
		hit = threshold > 0 && s->n[0] == threshold;
	}
	pthread_mutex_unlock(&t->mu);
	return hit;
}

void
throttle_addr_key(const char *addr, char *out, size_t outsz)
{
	/* IPv4-mapped (RFC 4291 2.5.5.2), NAT64 well-known (RFC 6052 2.1) */
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0,
	    0, 0, 0, 0, 0, 0 };
	unsigned char	 a[16];
	char		 text[INET6_ADDRSTRLEN];

	if (addr == NULL)
		addr = "";
	if (inet_pton(AF_INET6, addr, a) == 1) {
		if (memcmp(a, mapped, sizeof(mapped)) == 0 ||
		    memcmp(a, nat64, sizeof(nat64)) == 0) {
			snprintf(out, outsz, "%u.%u.%u.%u", a[12], a[13],
			    a[14], a[15]);
			return;
		}
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, text, sizeof(text)) != NULL) {
			snprintf(out, outsz, "%s/64", text);
			return;
		}
	}
	/* IPv4 as inet_ntop wrote it, or whatever the server saw */
	str_copy(out, outsz, addr);
}

size_t
throttle_capacity(const struct throttle *t)
{
	return t->sets * THROTTLE_WAYS;
}

size_t
throttle_used(struct throttle *t)
{
	size_t i, n = 0;

	pthread_mutex_lock(&t->mu);
	for (i = 0; i < THROTTLE_KINDS * t->sets * THROTTLE_WAYS; i++)
		if (t->slots[i].fp != 0)
			n++;
	pthread_mutex_unlock(&t->mu);
	return n;
}
