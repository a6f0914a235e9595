/* rate.c - see rate.h. */
#include <string.h>

#include "rate.h"

unsigned
rate_span(const struct rate_rule *rule)
{
	return rule->baseline < RATE_MAX_WINDOWS ? rule->baseline :
	    RATE_MAX_WINDOWS;
}

/* move the ring so counts[0] is window w */
static void
advance(struct rate_track *r, const struct rate_rule *rule, int64_t w)
{
	int64_t		 shift = w - r->window;
	unsigned	 n = rate_span(rule) + 1;

	if (shift <= 0)
		return;
	if (shift >= (int64_t)n) {
		memset(r->counts, 0, sizeof(r->counts));
	} else {
		memmove(r->counts + shift, r->counts,
		    (n - (unsigned)shift) * sizeof(r->counts[0]));
		memset(r->counts, 0, (size_t)shift * sizeof(r->counts[0]));
	}
	r->window = w;
}

void
rate_add_n(struct rate_track *r, const struct rate_rule *rule, int64_t t,
    uint32_t n)
{
	int64_t		 w = t / rule->width;
	uint32_t	*c;

	if (r->first_time == 0 || t < r->first_time)
		r->first_time = t;
	if (r->window == 0)
		r->window = w;
	advance(r, rule, w);
	if (r->window - w > (int64_t)rate_span(rule) || r->window < w)
		return;
	c = &r->counts[r->window - w];
	*c = *c > UINT32_MAX - n ? UINT32_MAX : *c + n;
}

void
rate_add(struct rate_track *r, const struct rate_rule *rule, int64_t t)
{
	rate_add_n(r, rule, t, 1);
}

void
rate_put(struct rate_track *r, const struct rate_rule *rule, int64_t from,
    const uint32_t *counts, unsigned n)
{
	int64_t		 last = from + (int64_t)n - 1, w;

	if (n == 0)
		return;
	if (r->window == 0)
		r->window = last;
	advance(r, rule, last);
	w = r->window - (int64_t)rate_span(rule);
	for (w = w > from ? w : from; w <= r->window; w++)
		r->counts[r->window - w] = w <= last ? counts[w - from] : 0;
	/* the earliest window with events: only its index counts (rate_spike) */
	for (w = from; w <= last; w++) {
		if (counts[w - from] == 0)
			continue;
		if (r->first_time == 0 || w * rule->width < r->first_time)
			r->first_time = w * rule->width;
		break;
	}
}

bool
rate_spike(const struct rate_track *r, const struct rate_rule *rule,
    int64_t now, struct rate_verdict *v)
{
	int64_t		 w = now / rule->width, first, k;
	uint64_t	 sum = 0;
	unsigned	 i, have;

	memset(v, 0, sizeof(*v));
	if (r->first_time == 0 || r->window != w || rule->factor <= 0)
		return false;
	first = r->first_time / rule->width;
	if (first >= w)
		return false;		/* no full window of history yet */
	have = (unsigned)(w - first < (int64_t)rate_span(rule) ? w - first :
	    (int64_t)rate_span(rule));
	for (i = 1; i <= have; i++)
		sum += r->counts[i];
	v->current = r->counts[0];
	v->windows = have;
	v->average = (double)sum / have;
	k = rule->factor;
	return v->current >= rule->min_events &&
	    (double)v->current > (double)k * v->average;
}
