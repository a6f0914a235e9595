/*
 * audit_budget.h - events an outsider can cause at will, recorded within
 * budgets. A failed client authentication needs only a client id, which
 * is public: recorded a row each, a flood of them from one address or
 * from many would grow the chained, durable trail a row per request.
 *
 * So each such event has a key (its address's throttle key, what the
 * caller says tells events apart, the client): a key gets
 * GH_AUDIT_KEY_ROWS rows per throttle_audit_window_seconds (then one
 * more every window / GH_AUDIT_KEY_ROWS), and the event type
 * GH_AUDIT_TYPE_ROWS in all. An event past a budget is not stored but
 * still logged and run through the anomaly rules (audit_folded()), so
 * auth_failure_burst and disabled_client_use count and fire as before.
 * A row stored after some were left out carries three counts: "folded",
 * the key's events left out by its own budget since its previous row,
 * and "withheld_rows" and "withheld_events", those of any key left out
 * by the type's budget since the type's previous row.
 *
 * The budgets are per process (throttle.h): on several nodes each keeps
 * its own.
 */
#ifndef GH_AUDIT_BUDGET_H
#define GH_AUDIT_BUDGET_H

#include "audit.h"

/*
 * Record (or fold) event `type` with `detail`, a JSON object's text made
 * by the caller, or NULL for none (a row then gets an object only to
 * carry the counts); `what` tells events of one client and address apart
 * that must not fold into one another (a reason, a proof).
 */
void	audit_budgeted(struct app *app, const struct audit_origin *o,
	    const char *type, const struct audit_subject *subj,
	    const char *what, const char *detail);

/*
 * The same for an event whose author is known, `who` (a signed-in
 * user's id, or the grant of the token presented): the key is the
 * author and the client, whatever the address, so that changing
 * addresses gains the author nothing; and the type's budget is one of
 * its own, apart from that of the same type's events by nobody known
 * (audit_budgeted()), so that a flood of those from many addresses
 * cannot crowd people's own acts out of the trail.
 */
void	audit_budgeted_by(struct app *app, const struct audit_origin *o,
	    const char *type, const struct audit_subject *subj,
	    const char *who, const char *detail);

#endif
