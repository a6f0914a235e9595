/*
 * actions.h - the administrative actions, each one store call plus its
 * audit event carrying the actor. The admin command, the admin API and the
 * web console all go through these, so an action is recorded the same way
 * whoever triggers it.
 */
#ifndef GH_ACTIONS_H
#define GH_ACTIONS_H

#include "../app.h"
#include "../governance/audit.h"

/* A reason: 1-GH_MAX_REASON_LEN bytes, no control characters. */
bool		action_reason_ok(const char *reason);

/*
 * The kill switch (store_client_quarantine): every token of the client
 * dies at once, its grants are revoked and its secret, if it has one,
 * replaced by one nobody knows. A private_key_jwt client keeps its
 * registered keys and can therefore never be enabled again.
 * GH_ERR_NOT_FOUND if there is no such client.
 */
enum gh_err	action_quarantine(struct app *app,
		    const struct audit_origin *o, const char *client_id,
		    const char *reason, unsigned *grants);
/* What a quarantine does to the client's credential, in words. */
const char	*action_quarantine_credential(struct app *app,
		    const char *client_id);
/*
 * Revoke one grant, or every live grant of a client or of a user (by id).
 * *count: grants revoked; an event is recorded only when some were.
 * GH_ERR_NOT_FOUND if there is no such client (a user id is the caller's
 * to check; one grant that is not live is a count of 0).
 */
enum gh_err	action_revoke(struct app *app, const struct audit_origin *o,
		    enum grant_scope what, const char *id, const char *reason,
		    unsigned *count);
/* Acknowledge an open alert; GH_ERR_NOT_FOUND if none is open. */
enum gh_err	action_alert_ack(struct app *app,
		    const struct audit_origin *o, int64_t id, const char *by);

#endif
