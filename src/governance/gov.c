/*
 * gov.c - see gov.h. Fixed-size tables under one mutex: a client's slot
 * is one of a few in a set found by a hash of its id, and the set's least
 * recently used slot is reused, so memory is bounded whatever the
 * traffic.
 *
 * The rate rule judges a client's whole traffic: its windows are read
 * from the audit trail, which holds every node's events, at the client's
 * first event on this node and again every tenth of a window (at least
 * RECOUNT_MIN s apart); in between, this node adds the events it serves.
 * A node behind a balancer thus sees another node's share of a spike at
 * most a tenth of a window late (at its first event after that), and a
 * restart (which empties the slots) costs nothing but the first read.
 * A node never judges its own share alone: when other nodes leave (a
 * scale-in, a failover) a survivor's share of every client rises while
 * the cluster's rate is flat, and that is no spike.
 *
 * The store is never read under the mutex: one thread per slot reads, the
 * others go on with the counts the slot holds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gov.h"
#include "webhook.h"
#include "../util/crypto.h"
#include "../util/log.h"
#include "../util/str.h"

/*
 * Clients with rate state: GOV_CLIENT_SETS sets of GOV_CLIENT_WAYS, a
 * client's set chosen by a hash of its id, its least recently used way
 * taken over by a new client. A client pushed out reads its windows from
 * the trail again at its next event: with more active clients than slots
 * that read would come at every event (it was 256 slots, searched one by
 * one, before).
 */
#define GOV_CLIENT_SETS	512
#define GOV_CLIENT_WAYS	8
#define GOV_CLIENTS	(GOV_CLIENT_SETS * GOV_CLIENT_WAYS)
#define GOV_SEEN	4096
#define SEEN_FOR	300	/* seconds a recorded sighting is trusted */
#define RECOUNT_MIN	1	/* seconds: the least time between two reads */
#define RECOUNT_LATE	60	/* seconds an event may reach the trail late */
#define RECENT		8	/* seconds of this node's own events kept */

/* this node's events of one second (client_slot.recent) */
struct recent {
	int64_t		 t;
	uint32_t	 n;
};

struct client_slot {
	char		 id[GH_MAX_CLIENT_ID_LEN];
	int64_t		 used;			/* LRU */
	uint64_t	 gen;			/* new at each take-over */
	struct rate_track rate;		/* the trail's counts, and ours since */
	int64_t		 read_at;	/* end of the last read; 0: unseeded */
	bool		 reading;	/* a thread reads the trail for it */
	bool		 seed_warned;		/* a failed read was logged */
	/*
	 * What a read cannot see: this node's events from its end on
	 * (RECENT seconds of them, by time % RECENT), added back after it.
	 */
	struct recent	 recent[RECENT];
};

struct seen_slot {
	uint64_t	 h;
	int64_t		 at;
};

struct gov {
	pthread_mutex_t	 mu;
	uint64_t	 gens;		/* slot generations handed out */
	struct client_slot clients[GOV_CLIENTS];
	struct seen_slot seen[GOV_SEEN];
	struct webhook	*hook;		/* NULL: no webhook configured */
};

enum gh_err
gov_start(struct app *app, struct gov **out)
{
	struct gov	*g;
	enum gh_err	 rc;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return GH_ERR_NOMEM;
	pthread_mutex_init(&g->mu, NULL);
	if (app->conf.webhook_url[0] &&
	    (rc = webhook_start(app, &g->hook)) != GH_OK) {
		pthread_mutex_destroy(&g->mu);
		free(g);
		return rc;
	}
	*out = g;
	return GH_OK;
}

void
gov_stop(struct gov *g)
{
	if (g == NULL)
		return;
	webhook_stop(g->hook);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void
gov_wake(struct gov *g)
{
	if (g)
		webhook_wake(g->hook);
}

/* FNV-1a: which set a client id falls in (not a secret: only a spread) */
static size_t
set_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return (size_t)(h % GOV_CLIENT_SETS) * GOV_CLIENT_WAYS;
}

/*
 * The client's slot in its set, taken over from the set's least recently
 * used if new.
 */
static struct client_slot *
slot(struct gov *g, const char *id, int64_t now)
{
	struct client_slot	*set = &g->clients[set_of(id)];
	struct client_slot	*s, *old = &set[0];
	size_t			 i;

	for (i = 0; i < GOV_CLIENT_WAYS; i++) {
		s = &set[i];
		if (s->id[0] && strcmp(s->id, id) == 0) {
			s->used = now;
			return s;
		}
		if (s->used < old->used)
			old = s;
	}
	memset(old, 0, sizeof(*old));
	str_copy(old->id, sizeof(old->id), id);
	old->used = now;
	old->gen = ++g->gens;
	return old;
}

/* One read of a slot's windows from the trail, planned under the lock. */
struct recount {
	uint64_t	 gen;		/* the slot's, when planned */
	int64_t		 from;		/* first window read */
	int64_t		 before;	/* events strictly before: now */
	unsigned	 n;		/* windows read, from `from` on */
	uint32_t	 counts[RATE_MAX_WINDOWS + 1];
};

static void
rule_of(const struct app *app, struct rate_rule *rule)
{
	rule->width = app->conf.rule_rate_window_seconds;
	rule->baseline = (unsigned)app->conf.rule_rate_baseline_windows;
	rule->factor = app->conf.rule_rate_factor;
	rule->min_events = app->conf.rule_rate_min_events;
}

/* This node served an event of the slot's client at `now`. */
static void
note(struct client_slot *s, const struct rate_rule *rule, int64_t now)
{
	struct recent *e = &s->recent[(uint64_t)now % RECENT];

	if (e->t != now) {
		e->t = now;
		e->n = 0;
	}
	if (e->n < UINT32_MAX)
		e->n++;
	rate_add(&s->rate, rule, now);
}

/* On the cluster's counts, once they were read: never a node's share. */
static bool
judge(const struct client_slot *s, const struct rate_rule *rule,
    int64_t now, struct rate_verdict *v)
{
	return s->read_at != 0 && rate_spike(&s->rate, rule, now, v);
}

/*
 * True if the slot's windows are to be read now, planned in *c: every
 * window for a first read; afterwards from the window the last read ended
 * in, RECOUNT_LATE s earlier for an event written late (a node's clock
 * behind, a slow commit): older windows hold what they held.
 */
static bool
plan(struct client_slot *s, const struct rate_rule *rule, int64_t now,
    struct recount *c)
{
	int64_t		 every = rule->width / 10, w = now / rule->width;
	int64_t		 since;

	if (every < RECOUNT_MIN)
		every = RECOUNT_MIN;
	if (s->reading || (s->read_at != 0 && now - s->read_at < every))
		return false;
	c->gen = s->gen;
	c->before = now;
	c->from = w - (int64_t)rate_span(rule);
	if (s->read_at != 0) {
		since = (s->read_at - RECOUNT_LATE) / rule->width;
		if (since > c->from)
			c->from = since < w ? since : w;
	}
	c->n = (unsigned)(w - c->from + 1);
	s->reading = true;
	return true;
}

/*
 * The counts read replace the slot's from c->from on; this node's events
 * the read could not see (from its end on) are added back.
 */
static void
apply(struct client_slot *s, const struct rate_rule *rule,
    const struct recount *c)
{
	unsigned i;

	rate_put(&s->rate, rule, c->from, c->counts, c->n);
	for (i = 0; i < RECENT; i++)
		if (s->recent[i].n > 0 && s->recent[i].t >= c->before)
			rate_add_n(&s->rate, rule, s->recent[i].t,
			    s->recent[i].n);
	s->read_at = c->before;
	s->seed_warned = false;
}

/*
 * If a read fails, the slot keeps what it had: an unseeded one is not
 * judged on the cluster's counts (an empty baseline would make every
 * later verdict wrong: a spike read as normal, or normal use as a spike),
 * a seeded one goes on with its counts; the next event reads again. The
 * failure is logged once until a read works.
 */
bool
gov_token_event(struct gov *g, struct app *app, const char *client_id,
    int64_t now, struct rate_verdict *v)
{
	struct rate_rule	 rule;
	struct recount		 c;
	struct client_slot	*s;
	enum gh_err		 rc;
	bool			 read, spike = false, warn = false;

	if (g == NULL || app->conf.rule_rate_factor <= 0)
		return false;
	rule_of(app, &rule);
	pthread_mutex_lock(&g->mu);
	s = slot(g, client_id, now);
	note(s, &rule, now);
	if (!(read = plan(s, &rule, now, &c)))
		spike = judge(s, &rule, now, v);
	pthread_mutex_unlock(&g->mu);
	if (!read)
		return spike;
	/* the cluster's counts from the trail, outside the lock */
	rc = store_token_windows(app->store, client_id, c.from * rule.width,
	    c.before, rule.width, c.n, c.counts);
	pthread_mutex_lock(&g->mu);
	if (s->gen == c.gen) {	/* else the slot was taken over meanwhile */
		s->reading = false;
		if (rc == GH_OK)
			apply(s, &rule, &c);
		else if (!s->seed_warned)
			warn = s->seed_warned = true;
		spike = judge(s, &rule, now, v);
	}
	pthread_mutex_unlock(&g->mu);
	if (warn)
		log_kv(LOG_WARN, "rate_baseline_unavailable", "client_id",
		    client_id, "error", gh_err_str(rc), "retry", "next event",
		    NULL);
	return spike;
}

/* The slot key of (grant, kind, value); false if it cannot be made. */
static bool
seen_key(const char *grant_id, const char *kind, const char *value,
    uint64_t *h)
{
	uint8_t	d[GH_HASH_BYTES];
	char	buf[GH_ID_LEN + 8 + GH_MAX_UA_LEN + 8];

	if (snprintf(buf, sizeof(buf), "%s\n%s\n%s", grant_id, kind,
	    value) < 0)
		return false;
	crypto_sha256(buf, strlen(buf), d);
	memcpy(h, d, sizeof(*h));
	return true;
}

bool
gov_seen_recently(struct gov *g, const char *grant_id, const char *kind,
    const char *value, int64_t now)
{
	uint64_t	 h;
	struct seen_slot *e;
	bool		 hit;

	if (g == NULL || !seen_key(grant_id, kind, value, &h))
		return false;
	pthread_mutex_lock(&g->mu);
	e = &g->seen[h % GOV_SEEN];
	hit = e->h == h && now - e->at < SEEN_FOR;
	if (!hit) {
		e->h = h;
		e->at = now;
	}
	pthread_mutex_unlock(&g->mu);
	return hit;
}

void
gov_seen_forget(struct gov *g, const char *grant_id, const char *kind,
    const char *value)
{
	uint64_t	 h;
	struct seen_slot *e;

	if (g == NULL || !seen_key(grant_id, kind, value, &h))
		return;
	pthread_mutex_lock(&g->mu);
	e = &g->seen[h % GOV_SEEN];
	if (e->h == h) {
		e->h = 0;
		e->at = 0;
	}
	pthread_mutex_unlock(&g->mu);
}
