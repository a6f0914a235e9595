/* rate.c - see rate.h. */
#include <string.h>

#include "rate.h"

static unsigned
span(const struct rate_rule *rule)
{
	return rule->baseline < RATE_MAX_WINDOWS ? rule->baseline :
	    RATE_MAX_WINDOWS;
}

/* move the ring so counts[0] is window w */
static void
advance(struct rate_track *r, const struct rate_rule *rule, int64_t w)
{
	int64_t		 shift = w - r->window;
	unsigned	 n = span(rule) + 1;

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
rate_add(struct rate_track *r, const struct rate_rule *rule, int64_t t)
{
	int64_t w = t / rule->width;

	if (r->first_time == 0 || t < r->first_time)
		r->first_time = t;
	if (r->window == 0)
		r->window = w;
	advance(r, rule, w);
	if (r->window - w <= (int64_t)span(rule) && r->window >= w &&
	    r->counts[r->window - w] < UINT32_MAX)
		r->counts[r->window - w]++;
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
	have = (unsigned)(w - first < (int64_t)span(rule) ? w - first :
	    (int64_t)span(rule));
	for (i = 1; i <= have; i++)
		sum += r->counts[i];
	v->current = r->counts[0];
	v->windows = have;
	v->average = (double)sum / have;
	k = rule->factor;
	return v->current >= rule->min_events &&
	    (double)v->current > (double)k * v->average;
}
