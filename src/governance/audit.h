/*
 * audit.h - recording security events.
 *
 * Every security event (login, consent, code, token, client changes) goes
 * through audit_event(): it is appended to the audit table with who, what,
 * from where, and mirrored to the log. `detail` is a small JSON object and
 * must never contain a secret, code or token.
 */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H

#include <jansson.h>

#include "../app.h"

/* where the request came from; NULLs for the admin command */
struct audit_origin {
	const char	*remote_addr;
	const char	*user_agent;
	const char	*actor;		/* "user", "client", "admin", "system" */
};

struct audit_subject {
	const char	*client_id;
	const char	*user_id;
	const char	*grant_id;
};

/*
 * Stored, logged, then run through the anomaly rules (rules.h). In a
 * request a failed append fails the request at store_defer_end; outside
 * one (the admin command, background passes) audit_failures() counts it.
 */
void	audit_event(struct app *app, const struct audit_origin *o,
	    const char *type, const struct audit_subject *subj,
	    const char *detail);
/*
 * An event left out of the trail because a flood of its kind is being
 * counted instead (the next stored one says how many were left out):
 * logged ("stored": "folded") and run through the anomaly rules like a
 * stored one, so a rule counting events (auth_failure_burst) still sees
 * each one, at once.
 */
void	audit_folded(struct app *app, const struct audit_origin *o,
	    const char *type, const struct audit_subject *subj,
	    const char *detail);
/*
 * The text of detail object `d` (taken; may be NULL) into out[outsz].
 * When it cannot be made whole (out of memory) or does not fit, out is
 * the marker AUDIT_DETAIL_LOST: the event is still recorded, and says
 * its detail is missing instead of claiming it had none.
 */
#define AUDIT_DETAIL_LOST	"{\"truncated\":true}"
void	audit_detail(json_t *d, char *out, size_t outsz);
/*
 * An event stored by the operation of the change it records, in that
 * change's transaction (struct change_audit, store.h), so that the change
 * is not made unless its event is stored: audit_draft() fills the row
 * (the time is now) for the store operation, and once the change and its
 * event are committed audit_recorded() logs it and runs the rules, as
 * audit_event() does after its own append. The background passes record
 * their actions so (hygiene.c): an event whose append fails in a pass
 * would otherwise be a silent gap, the action being done and not found
 * again by the next pass.
 */
struct audit_draft {
	struct audit_row	 r;
	char			 ua[GH_MAX_UA_LEN + 1];	/* bounded copy */
};
void	audit_draft(struct audit_draft *d, const struct audit_origin *o,
	    const char *type, const struct audit_subject *subj,
	    const char *detail);
void	audit_recorded(struct app *app, const struct audit_row *r);
/* Appends that failed in this process so far. */
unsigned	audit_failures(void);

/* The key of the audit hash chain, derived from the server key. */
enum gh_err	audit_chain_key(const uint8_t *server_key, size_t n,
		    uint8_t out[GH_HASH_BYTES]);

/*
 * Audit retention (audit_retention.c). One batch of the trail's oldest
 * events with time < before, at most `batch`, is deleted together with
 * the event that records it, type AUDIT_PRUNED, detail
 * {"through_seq":N,"events":K,"before":T}: the chain's new base is N
 * (store_audit_prune). *p says what went (nothing: through_seq 0).
 */
#define AUDIT_PRUNED	"audit.pruned"
enum gh_err	audit_prune_batch(struct app *app, int64_t before,
		    unsigned batch, struct audit_prune *p);
/*
 * The upkeep pass: every event older than audit_retention_days (0: none)
 * goes, AUDIT_PRUNE_BATCH a transaction, at most AUDIT_PRUNE_ROUNDS
 * batches a pass; logged as "audit_pruned". Returns the events deleted.
 */
#define AUDIT_PRUNE_BATCH	1000
#define AUDIT_PRUNE_ROUNDS	1000
uint64_t	audit_retention_pass(struct app *app, int64_t now);
/* The through_seq an AUDIT_PRUNED event names; false if it names none. */
bool		audit_pruned_through(const struct audit_row *r,
		    int64_t *through);

/* The first place where the chain does not hold, if any. */
struct audit_verdict {
	bool		 ok;
	int64_t		 events;	/* events checked */
	int64_t		 seq;		/* where it broke */
	const char	*problem;	/* "edited", "deleted", "inserted",
					   "rewritten", "truncated" */
	int64_t		 head_seq;	/* the last event verified */
	uint8_t		 head_hash[GH_HASH_BYTES];
	/* the chain checked starts after its base (retention; 0: none) */
	int64_t		 base_seq;
	uint8_t		 base_hash[GH_HASH_BYTES];
	/*
	 * The anchor is older than the base: its event was deleted by
	 * retention, so it could not be checked (ok says nothing of it).
	 */
	bool		 anchor_pruned;
};

/*
 * An anchor is a (seq, hash) of the chain recorded elsewhere earlier (the
 * server logs one as "audit_head" on every upkeep pass that saw new
 * events). Deleting the newest events leaves a valid but shorter chain;
 * only an anchor shows it: the chain must still reach the anchor's seq,
 * with the anchor's hash there.
 */
struct audit_anchor {
	int64_t		 seq;		/* 0: none */
	uint8_t		 hash[GH_HASH_BYTES];
};

/*
 * Walk the chain from its base; v says whether it holds. The base must be
 * the one the newest audit.pruned event of the chain (as it was when the
 * base was read) names: a base set by hand further on hides deletions
 * ("deleted"), and one with no such event is no base. An error (the
 * store, or a hash that could not be made) means it could not be
 * checked: v is no verdict. A prune running meanwhile is no error: the
 * walk starts again from the new base.
 */
enum gh_err	audit_verify(struct store *s, const uint8_t key[GH_HASH_BYTES],
		    const struct audit_anchor *anchor, struct audit_verdict *v);
/* "SEQ:HEX" -> anchor; false if malformed. */
bool		audit_anchor_parse(const char *text, struct audit_anchor *a);
/* The current head as "SEQ:HEX" (for the log), in out[GH_HASH_HEX+24]. */
enum gh_err	audit_head_text(struct store *s, int64_t *seq, char *out,
		    size_t outsz);

#endif
