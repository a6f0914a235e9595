/*
 * alerts.h - raising an alert: stored (with a quiet period per dedupe key
 * so one incident is one alert), written to the log, and handed to the
 * webhook outbox (webhook.h) by waking the delivery thread. Raising never
 * waits for delivery.
 */
#ifndef GH_ALERTS_H
#define GH_ALERTS_H

#include <jansson.h>

#include "../app.h"
#include "audit.h"

struct alert_spec {
	const char		*rule;		/* e.g. "refresh_reuse" */
	const char		*severity;	/* low, medium, high */
	const struct audit_subject *subj;	/* may be NULL */
	const char		*key;		/* dedupe key, rule-prefixed */
	const char		*summary;	/* one line, for people */
	bool			 while_open;	/* no repeat while one is open
						   (a standing condition) */
};

/*
 * Raise an alert; `evidence` (a JSON object, stolen, may be NULL) says why.
 * Returns true if stored, false if an open alert with the same key is
 * within its quiet period (or the store failed: logged).
 */
bool	alert_raise(struct app *app, const struct alert_spec *spec,
	    json_t *evidence);

/*
 * For an alert stored inside another operation's transaction (the kill
 * switch): fill the row now (time, fields, evidence stolen) ...
 */
void	alert_prepare(struct alert_row *a, const struct alert_spec *spec,
	    json_t *evidence);
/* ... and once it is stored, log it and wake the webhook thread. */
void	alert_announce(struct app *app, const struct alert_row *a);

#endif
