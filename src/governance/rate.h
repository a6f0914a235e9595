/*
 * rate.h - one client's token activity in fixed windows, for the rate
 * rule: is the current window far above the client's own trailing
 * baseline? Pure arithmetic on times passed in; no locking, no clock.
 */
#ifndef GH_RATE_H
#define GH_RATE_H

#include <stdbool.h>
#include <stdint.h>

#define RATE_MAX_WINDOWS 168	/* a week of hours */

struct rate_track {
	int64_t		 first_time;	/* earliest event known; 0: none */
	int64_t		 window;	/* index (time / width) of counts[0] */
	uint32_t	 counts[RATE_MAX_WINDOWS + 1];	/* [0]: current */
};

struct rate_rule {
	int64_t		 width;		/* seconds per window */
	unsigned	 baseline;	/* trailing windows averaged */
	int64_t		 factor;	/* spike: current > factor x average */
	int64_t		 min_events;	/* and at least this many */
};

struct rate_verdict {
	uint32_t	 current;	/* events in the current window */
	double		 average;	/* per window over the baseline */
	unsigned	 windows;	/* baseline windows with history */
};

/* Count one event at time t (t may be older than the newest: ignored). */
void	rate_add(struct rate_track *r, const struct rate_rule *rule,
	    int64_t t);
/* Count n events at time t, as rate_add does one. */
void	rate_add_n(struct rate_track *r, const struct rate_rule *rule,
	    int64_t t, uint32_t n);
/* The baseline windows a track holds before the current one. */
unsigned rate_span(const struct rate_rule *rule);
/*
 * Counts read elsewhere (the audit trail) replace the track's from window
 * `from` (an index, time / width) on: counts[i] is window from + i,
 * i < n (n > 0); windows newer than those are emptied, older ones kept.
 * The track's newest window becomes at least from + n - 1.
 */
void	rate_put(struct rate_track *r, const struct rate_rule *rule,
	    int64_t from, const uint32_t *counts, unsigned n);
/*
 * True if the current window is a spike. Needs one full window of history
 * before the current one; a brand-new client has no baseline yet.
 */
bool	rate_spike(const struct rate_track *r, const struct rate_rule *rule,
	    int64_t now, struct rate_verdict *v);

#endif
