/*
 * stats.c - latency histograms: exact 1 us buckets below ~1 ms, then 64
 * buckets per power of two (under 1.6% error), so a thread records any
 * number of samples in fixed memory and threads merge by addition.
 */
#include "ghbench.h"

static const char *const error_names[GB_E_COUNT] = {
	[GB_E_CONNECT] = "connect",
	[GB_E_IO] = "io",
	[GB_E_AUTHZ_STATUS] = "authorize_status",
	[GB_E_AUTHZ_LOCATION] = "authorize_location",
	[GB_E_TOKEN_STATUS] = "token_status",
	[GB_E_TOKEN_BODY] = "token_body",
	[GB_E_INTROSPECT_STATUS] = "introspect_status",
	[GB_E_INACTIVE] = "introspect_inactive",
	[GB_E_SETUP] = "setup",
};

const char *
error_name(enum gb_error e)
{
	return error_names[e];
}

static unsigned
bucket_of(uint64_t us)
{
	unsigned	 oct = 0;
	uint64_t	 v = us;

	if (us < GB_HIST_LINEAR)
		return (unsigned)us;
	while (v >= 2 * GB_HIST_LINEAR && oct + 1 < GB_HIST_OCTAVES) {
		v >>= 1;
		oct++;
	}
	if (v >= 2 * GB_HIST_LINEAR)
		return GB_HIST_BUCKETS - 1;
	/* v in [1024, 2048): 64 sub-buckets of 16 */
	return GB_HIST_LINEAR + oct * GB_HIST_SUB +
	    (unsigned)((v - GB_HIST_LINEAR) / (GB_HIST_LINEAR / GB_HIST_SUB));
}

/* The middle of a bucket, in us. */
static double
bucket_us(unsigned b)
{
	unsigned	 oct, sub;
	double		 width, lo;

	if (b < GB_HIST_LINEAR)
		return b + 0.5;
	oct = (b - GB_HIST_LINEAR) / GB_HIST_SUB;
	sub = (b - GB_HIST_LINEAR) % GB_HIST_SUB;
	width = (double)(GB_HIST_LINEAR / GB_HIST_SUB) * (double)(1u << oct);
	lo = (double)GB_HIST_LINEAR * (double)(1u << oct) + sub * width;
	return lo + width / 2;
}

void
hist_add(struct hist *h, uint64_t us)
{
	h->b[bucket_of(us)]++;
	h->n++;
}

void
hist_merge(struct hist *into, const struct hist *from)
{
	unsigned i;

	for (i = 0; i < GB_HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
	into->n += from->n;
}

/* pct in (0, 100]; 0 when empty. */
double
hist_pct_ms(const struct hist *h, double pct)
{
	uint64_t	 rank, seen = 0;
	unsigned	 i;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(pct / 100.0 * (double)h->n + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < GB_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			return bucket_us(i) / 1000.0;
	}
	return bucket_us(GB_HIST_BUCKETS - 1) / 1000.0;
}
