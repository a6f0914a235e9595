/* chart.c - see chart.h. */
#include <time.h>

#include "chart.h"
#include "../util/limits.h"

#define BAR	4	/* width of one hour, in SVG units */
#define LEFT	44	/* room for the scale */
#define TOP	12
#define HEIGHT	160
#define BOTTOM	24	/* room for the day labels */

/* the smallest 1, 2 or 5 times a power of ten at or above v (v >= 1) */
static unsigned
nice_max(unsigned v)
{
	unsigned step = 1;

	for (;;) {
		if (v <= step)
			return step;
		if (v <= 2 * step)
			return 2 * step;
		if (v <= 5 * step)
			return 5 * step;
		if (step > 100000000u)
			return v;
		step *= 10;
	}
}

static unsigned
y_of(unsigned v, unsigned max)
{
	return TOP + HEIGHT - (unsigned)((unsigned long long)v * HEIGHT / max);
}

static void
day_ticks(struct page *p, int64_t since, unsigned hours)
{
	struct tm	tm;
	time_t		t;
	unsigned	i, x;
	char		label[16];

	for (i = 0; i < hours; i++) {
		if ((since + (int64_t)i * 3600) % 86400 != 0)
			continue;
		x = LEFT + i * BAR;
		page_printf(p, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
		    "stroke=\"#d5d9e0\"/>", x, TOP, x, TOP + HEIGHT + 4);
		t = (time_t)(since + (int64_t)i * 3600);
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(label, sizeof(label), "%m-%d", &tm) == 0)
			continue;
		page_printf(p, "<text x=\"%u\" y=\"%u\" font-size=\"10\" "
		    "fill=\"#5b6475\">%s</text>", x + 2, TOP + HEIGHT + 16,
		    label);
	}
}

void
chart_activity(struct page *p, int64_t since, unsigned hours,
    const unsigned *issued, const unsigned *refreshed)
{
	unsigned	i, max = 1, total_i = 0, total_r = 0, h;
	unsigned	width;

	if (hours > GH_MAX_ACTIVITY_HOURS)
		hours = GH_MAX_ACTIVITY_HOURS;
	width = LEFT + hours * BAR + 8;
	for (i = 0; i < hours; i++) {
		if (issued[i] > max)
			max = issued[i];
		if (refreshed[i] > max)
			max = refreshed[i];
		total_i += issued[i];
		total_r += refreshed[i];
	}
	max = nice_max(max);
	page_printf(p, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
	    " viewBox=\"0 0 %u %u\" role=\"img\" aria-labelledby=\"chart-t\">"
	    "<title id=\"chart-t\">Tokens per hour, last %u hours: %u issued, "
	    "%u refreshed</title>", width, TOP + HEIGHT + BOTTOM, hours,
	    total_i, total_r);
	page_printf(p, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
	    "fill=\"#fafbfc\" stroke=\"#d5d9e0\"/>", LEFT, TOP, hours * BAR,
	    HEIGHT);
	page_printf(p, "<text x=\"%u\" y=\"%u\" font-size=\"10\" "
	    "text-anchor=\"end\" fill=\"#5b6475\">%u</text>"
	    "<text x=\"%u\" y=\"%u\" font-size=\"10\" text-anchor=\"end\" "
	    "fill=\"#5b6475\">0</text>", LEFT - 4, TOP + 8, max, LEFT - 4,
	    TOP + HEIGHT);
	day_ticks(p, since, hours);
	for (i = 0; i < hours; i++) {
		if (issued[i] == 0)
			continue;
		h = TOP + HEIGHT - y_of(issued[i], max);
		page_printf(p, "<rect class=\"bar\" x=\"%u\" y=\"%u\" "
		    "width=\"%u\" height=\"%u\" fill=\"#2457c5\"/>",
		    LEFT + i * BAR, y_of(issued[i], max), BAR - 1, h ? h : 1);
	}
	page_put(p, "<polyline fill=\"none\" stroke=\"#d9730d\" "
	    "stroke-width=\"1.5\" points=\"");
	for (i = 0; i < hours; i++)
		page_printf(p, "%s%u,%u", i ? " " : "", LEFT + i * BAR + BAR / 2,
		    y_of(refreshed[i], max));
	page_put(p, "\"/></svg>");
	page_printf(p, "<p class=\"muted\"><span class=\"legend-issued\">"
	    "&#9632; issued</span> (%u) &nbsp; <span "
	    "class=\"legend-refreshed\">&#9472; refreshed</span> (%u), per "
	    "hour, UTC</p>", total_i, total_r);
}
