/*
 * upkeep.h - the server's background housekeeping thread: every minute it
 * purges rows past any use (store_purge) and audit events older than
 * audit_retention_days (audit_prune_batch) in small batches, so tables
 * stay bounded and no request ever waits long behind a big delete.
 */
#ifndef GH_UPKEEP_H
#define GH_UPKEEP_H

#include "app.h"

struct upkeep;

enum gh_err	upkeep_start(struct app *app, struct upkeep **out);
void		upkeep_stop(struct upkeep *u);	/* joins the thread */

#endif
