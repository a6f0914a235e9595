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
 * A removal of access (a client disabled, grants revoked, a signing key
 * retired, an admin disabled) and its audit event, made the same way
 * whoever asks:
 *  - first the change with its event in one transaction (a store call
 *    that takes a struct change_audit): both or neither. When its
 *    outcome is unknown (GH_ERR_IO: the database failed after it was
 *    sent), the change is then never stored without its event, and a
 *    repeat that finds it made ("already ...") finds the event too;
 *  - if that transaction fails otherwise, nothing was written (most
 *    likely the trail could not take the event): the change is made
 *    alone and its event appended after it (audit_event: a lost one
 *    fails the command, exit 1, or the request, 503), so a broken trail
 *    never keeps anyone in. Should the outcome of the change alone be
 *    unknown, its event is appended all the same, with "outcome":
 *    "unknown" added to the detail, so the trail shows the attempt.
 * change(ctx, ev, changed) makes the change, with ev in its transaction
 * or, ev NULL, alone, and says how many rows it changed: no event for 0.
 * describe (may be NULL) rewrites rm->detail for that number. Returns
 * change's result; rm->changed: the rows changed.
 */
struct removal {
	const struct audit_origin *o;
	const char		*type;		/* e.g. "client.changed" */
	struct audit_subject	 subj;
	char			 detail[GH_MAX_AUDIT_DETAIL];
	void			(*describe)(struct removal *rm,
				    unsigned changed);
	enum gh_err		(*change)(void *ctx,
				    const struct change_audit *ev,
				    unsigned *changed);
	void			*ctx;
	unsigned		 changed;	/* out */
};
enum gh_err	action_remove(struct app *app, struct removal *rm);

/*
 * Revoke one grant, or every live grant of a client or of a user (by id),
 * as action_remove() does. *count: grants revoked; an event is recorded
 * only when some were. GH_ERR_NOT_FOUND if there is no such client (a
 * user id is the caller's to check; one grant that is not live is a
 * count of 0); GH_ERR_IO: the revocation may have been made (and then
 * its event with it).
 */
enum gh_err	action_revoke(struct app *app, const struct audit_origin *o,
		    enum grant_scope what, const char *id, const char *reason,
		    unsigned *count);
/* Acknowledge an open alert; GH_ERR_NOT_FOUND if none is open. */
enum gh_err	action_alert_ack(struct app *app,
		    const struct audit_origin *o, int64_t id, const char *by);

#endif
