/* client_detail.c - see client_detail.h. */
#include <stdlib.h>
#include <string.h>

#include "client_detail.h"
#include "../governance/gov_json.h"

static bool
add_grant(void *ctx, const struct grant_row *g)
{
	struct client_detail *d = ctx;

	if (d->ngrants == DETAIL_MAX_GRANTS) {
		d->more_grants = true;
		return false;
	}
	d->grants[d->ngrants++] = *g;
	return true;
}

static bool
add_alert(void *ctx, const struct alert_row *a)
{
	struct client_detail *d = ctx;

	d->alerts[d->nalerts++] = *a;
	return d->nalerts < DETAIL_MAX_ALERTS;
}

enum gh_err
client_detail_load(struct app *app, const char *client_id, int64_t now,
    struct client_detail **out)
{
	struct client_detail	*d;
	int64_t			 total;
	enum gh_err		 rc;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return GH_ERR_NOMEM;
	if ((rc = store_client_get(app->store, client_id, &d->c)) != GH_OK ||
	    (rc = store_client_usage(app->store, client_id, now, true,
	    &d->u)) != GH_OK)
		goto out;
	inventory_risk(&app->conf, &d->c, &d->u, now, &d->risk);
	if ((rc = store_grant_each(app->store, client_id, NULL, add_grant,
	    d)) != GH_OK ||
	    (rc = store_alert_each(app->store, false, client_id,
	    DETAIL_MAX_ALERTS, add_alert, d)) != GH_OK ||
	    (rc = store_alert_count(app->store, false, client_id,
	    &total)) != GH_OK)
		goto out;
	/* two reads, not one snapshot: never fewer than are shown */
	d->alerts_total = total > (int64_t)d->nalerts ? (size_t)total :
	    d->nalerts;
	/* whole hours, the current one last */
	d->hours = GH_MAX_ACTIVITY_HOURS;
	d->since = (now / 3600 + 1 - (int64_t)d->hours) * 3600;
	rc = store_client_activity(app->store, client_id, d->since, d->hours,
	    d->issued, d->refreshed);
out:
	if (rc != GH_OK)
		free(d);
	else
		*out = d;
	return rc;
}

static json_t *
counts(const unsigned *v, unsigned n)
{
	json_t		*a = json_array();
	unsigned	 i;

	for (i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* the lists: every row or NULL, never fewer rows */
static json_t *
grants_of(const struct client_detail *d)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; a && i < d->ngrants; i++)
		if (json_array_append_new(a, grant_json(&d->grants[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *
alerts_of(const struct client_detail *d)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; a && i < d->nalerts; i++)
		if (json_array_append_new(a, alert_json(&d->alerts[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *
client_detail_json(const struct app *app, const struct client_detail *d,
    int64_t now)
{
	/* any NULL member fails the pack: the detail is whole or NULL */
	return json_pack("{s:o, s:o, s:b, s:o, s:I, s:b, "
	    "s:{s:I, s:i, s:o, s:o}}",
	    "client", inventory_json(&app->conf, &d->c, &d->u, &d->risk, now),
	    "grants", grants_of(d), "grants_truncated", d->more_grants,
	    "alerts", alerts_of(d),
	    "alerts_total", (json_int_t)d->alerts_total,
	    "alerts_truncated", d->alerts_total > d->nalerts,
	    "activity", "since", (json_int_t)d->since,
	    "hour_seconds", 3600,
	    "token_issued", counts(d->issued, d->hours),
	    "token_refreshed", counts(d->refreshed, d->hours));
}
