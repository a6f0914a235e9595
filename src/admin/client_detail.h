/*
 * client_detail.h - everything the admin API and the console show about
 * one client, gathered once: its registration, usage and risk, its live
 * grants, its alerts, and its tokens issued and refreshed per hour over
 * the last GH_MAX_ACTIVITY_HOURS hours. Every list is bounded.
 */
#ifndef GH_CLIENT_DETAIL_H
#define GH_CLIENT_DETAIL_H

#include <jansson.h>

#include "../app.h"
#include "../governance/inventory.h"

#define DETAIL_MAX_GRANTS	200
#define DETAIL_MAX_ALERTS	50

struct client_detail {
	struct client_row	 c;
	struct client_usage	 u;
	struct risk		 risk;
	struct grant_row	 grants[DETAIL_MAX_GRANTS];
	size_t			 ngrants;
	bool			 more_grants;	/* the list was cut */
	/* open first, then by severity, newest first (store_alert_each) */
	struct alert_row	 alerts[DETAIL_MAX_ALERTS];
	size_t			 nalerts;
	size_t			 alerts_total;	/* all of the client's */
	int64_t			 since;		/* start of the first hour */
	unsigned		 hours;
	unsigned		 issued[GH_MAX_ACTIVITY_HOURS];
	unsigned		 refreshed[GH_MAX_ACTIVITY_HOURS];
};

/* *out is allocated here (free it with free()); GH_ERR_NOT_FOUND if no
 * such client. */
enum gh_err	client_detail_load(struct app *app, const char *client_id,
		    int64_t now, struct client_detail **out);
/* The detail as JSON: whole, or NULL when out of memory. */
json_t	       *client_detail_json(const struct app *app,
		    const struct client_detail *d, int64_t now);

#endif
