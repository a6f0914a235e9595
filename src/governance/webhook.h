/*
 * webhook.h - delivers stored alerts to the configured webhook as JSON.
 *
 * The alerts table is the queue (an outbox): a delivery thread leases a
 * bounded batch, POSTs each alert, and records success or the time of the
 * next attempt (exponential backoff up to webhook_max_backoff_seconds).
 * A request that raises an alert only inserts a row and wakes the thread,
 * so a slow or dead receiver never delays a token request, and an alert
 * raised before a crash or by the admin command is still delivered.
 */
#ifndef GH_WEBHOOK_H
#define GH_WEBHOOK_H

#include "../app.h"

struct webhook;

enum gh_err	webhook_start(struct app *app, struct webhook **out);
void		webhook_stop(struct webhook *w);	/* NULL-safe */
void		webhook_wake(struct webhook *w);	/* NULL-safe */
/*
 * The JSON body POSTed for alert `a` (free() it), or NULL when it cannot
 * be built whole: its delivery then counts as failed and is tried again.
 */
char		*webhook_payload(const struct app *app,
		    const struct alert_row *a);

#endif
