/*
 * gov.h - the server's in-memory governance state: what the stateful
 * rules remember between events (per-client rate windows, failed
 * authentication bursts, recently recorded grant sightings), and the
 * webhook delivery thread. The admin command has none (app->gov NULL):
 * its alerts are stored and delivered by the next running server.
 *
 * State is per node, but the rate windows hold the cluster's counts:
 * they are re-read from the audit trail (every node's events) every
 * tenth of a window, so each node judges the whole cluster's traffic.
 */
#ifndef GH_GOV_H
#define GH_GOV_H

#include "../app.h"
#include "rate.h"

struct gov;

enum gh_err	gov_start(struct app *app, struct gov **out);
void		gov_stop(struct gov *g);
/* Wake the webhook thread (NULL-safe, never blocks on delivery). */
void		gov_wake(struct gov *g);

/*
 * One token issued or refreshed at `now` (its event is in the trail or on
 * its way); true if the client's rate spikes. May read the store (never
 * under the governance lock), once per client per tenth of a window.
 */
bool		gov_token_event(struct gov *g, struct app *app,
		    const char *client_id, int64_t now,
		    struct rate_verdict *v);
/*
 * True if this (grant, kind, value) was recorded in the store within the
 * last few minutes, so the store need not be asked again; otherwise
 * notes it and returns false.
 */
bool		gov_seen_recently(struct gov *g, const char *grant_id,
		    const char *kind, const char *value, int64_t now);
/*
 * Undo gov_seen_recently's note when the store could not record the
 * sighting, so the next use records it rather than skip it for minutes.
 */
void		gov_seen_forget(struct gov *g, const char *grant_id,
		    const char *kind, const char *value);

#endif
