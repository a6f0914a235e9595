/*
 * gov.c - see gov.h. Fixed-size tables under one mutex: a client slot is
 * found by linear search (there are few clients) and the least recently
 * used slot is reused, so memory is bounded whatever the traffic.
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

#define GOV_CLIENTS	256
#define GOV_SEEN	4096
#define SEEN_FOR	300	/* seconds a recorded sighting is trusted */
#define SEED_EVENTS	20000	/* audit events read to seed a baseline */

struct client_slot {
	char		 id[GH_MAX_CLIENT_ID_LEN];
	int64_t		 used;			/* LRU */
	struct rate_track rate;
	bool		 seeded;		/* rate holds the baseline */
	bool		 seed_warned;		/* a failed seed was logged */
};

struct seen_slot {
	uint64_t	 h;
	int64_t		 at;
};

struct gov {
	pthread_mutex_t	 mu;
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

/* the client's slot, taken over from the least recently used if new */
static struct client_slot *
slot(struct gov *g, const char *id, int64_t now)
{
	struct client_slot	*s, *old = &g->clients[0];
	size_t			 i;

	for (i = 0; i < GOV_CLIENTS; i++) {
		s = &g->clients[i];
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
	return old;
}

struct seed {
	struct rate_track	*t;
	const struct rate_rule	*rule;
	int64_t			 before;
};

static bool
seed_one(void *ctx, const struct audit_row *r)
{
	struct seed *s = ctx;

	if (r->time < s->before && r->type &&
	    (strcmp(r->type, "token.issued") == 0 ||
	    strcmp(r->type, "token.refreshed") == 0))
		rate_add(s->t, s->rule, r->time);
	return true;
}

/*
 * The client's first event on this node seeds its windows from the audit
 * trail. If that read fails there is no baseline: the slot stays unseeded
 * and the event is not judged (an empty baseline would make every later
 * verdict wrong: a spike read as normal, or normal use as a spike); the
 * next event tries again. The failure is logged once until a seed works.
 */
bool
gov_token_event(struct gov *g, struct app *app, const char *client_id,
    int64_t now, struct rate_verdict *v)
{
	struct rate_rule	 rule;
	struct rate_track	 fresh;
	struct seed		 sd = { &fresh, &rule, now };
	struct client_slot	*s;
	enum gh_err		 rc = GH_OK;
	bool			 known, spike = false, warn = false;

	if (g == NULL || app->conf.rule_rate_factor <= 0)
		return false;
	rule.width = app->conf.rule_rate_window_seconds;
	rule.baseline = (unsigned)app->conf.rule_rate_baseline_windows;
	rule.factor = app->conf.rule_rate_factor;
	rule.min_events = app->conf.rule_rate_min_events;

	pthread_mutex_lock(&g->mu);
	s = slot(g, client_id, now);
	known = s->seeded;
	pthread_mutex_unlock(&g->mu);
	if (!known) {
		/* the baseline from the audit trail, outside the lock */
		memset(&fresh, 0, sizeof(fresh));
		rc = store_audit_of_client(app->store, client_id,
		    now - rule.width * (int64_t)(rule.baseline + 1),
		    SEED_EVENTS, seed_one, &sd);
	}
	pthread_mutex_lock(&g->mu);
	s = slot(g, client_id, now);
	if (!s->seeded && known)
		goto out;	/* the slot was reused meanwhile: seed next time */
	if (!s->seeded && rc != GH_OK) {
		warn = !s->seed_warned;
		s->seed_warned = true;
		goto out;
	}
	if (!s->seeded) {
		s->rate = fresh;
		s->seeded = true;
		s->seed_warned = false;
	}
	rate_add(&s->rate, &rule, now);
	spike = rate_spike(&s->rate, &rule, now, v);
out:
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
