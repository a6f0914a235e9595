/*
 * chart.h - an SVG chart drawn by the server: tokens issued (bars) and
 * refreshed (a line) per hour, with day ticks and the scale's maximum.
 * Only numbers and fixed strings reach the markup, and the output size is
 * bounded by the number of hours (at most GH_MAX_ACTIVITY_HOURS). It uses
 * presentation attributes only, so the page's style-src policy holds.
 */
#ifndef GH_CHART_H
#define GH_CHART_H

#include "html.h"

void	chart_activity(struct page *p, int64_t since, unsigned hours,
	    const unsigned *issued, const unsigned *refreshed);

#endif
