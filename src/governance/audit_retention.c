/*
 * audit_retention.c - deleting the audit trail's oldest events without
 * making the chain unverifiable (audit.h, store_audit_prune).
 *
 * A batch of the oldest events goes in one transaction with the chain's
 * new base (the last event deleted) and an audit.pruned event appended at
 * the chain's end, chained and keyed like any event. Verification starts
 * from the base and trusts it only if the newest audit.pruned event names
 * it (audit_verify.c): someone with the database but not the server key
 * can delete old events and move the base, but cannot make the event
 * that would account for it. The event's detail is written and read only
 * here, so its form is kept in one place. And the store deletes only
 * events that verify where they stand (store_prune_step), so an event
 * aged by editing its time, or a gap cut by hand, is never passed off as
 * retention either: it stays, and `audit verify` reports it.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "../util/log.h"
#include "../util/str.h"

#define DAY		86400
#define THROUGH_KEY	"{\"through_seq\":"

static const struct audit_origin system_origin = { NULL, NULL, "system" };

/* the detail says what went: known only inside the store's transaction */
struct pruned {
	const struct audit_prune *p;
	char			 detail[96];
};

static void
pruned_detail(void *ctx, unsigned changed, struct audit_row *r)
{
	struct pruned *d = ctx;

	snprintf(d->detail, sizeof(d->detail), THROUGH_KEY "%lld,"
	    "\"events\":%u,\"before\":%lld}", (long long)d->p->through_seq,
	    changed, (long long)d->p->before);
	r->detail = d->detail;
}

enum gh_err
audit_prune_batch(struct app *app, int64_t before, unsigned batch,
    struct audit_prune *p)
{
	struct pruned		 d = { p, "" };
	struct audit_draft	 draft;
	struct change_audit	 ev = { &draft.r, pruned_detail, &d };
	enum gh_err		 rc;

	memset(p, 0, sizeof(*p));
	p->before = before;
	p->batch = batch;
	audit_draft(&draft, &system_origin, AUDIT_PRUNED, NULL, NULL);
	rc = store_audit_prune(app->store, p, &ev);
	if (rc == GH_OK && p->events > 0) {
		draft.r.detail = d.detail;
		audit_recorded(app, &draft.r);
	}
	return rc;
}

/*
 * Each batch is recorded by its own event, and the store deletes nothing
 * whose event it cannot append (the next pass tries again). A pass takes
 * at most AUDIT_PRUNE_ROUNDS batches, so a long backlog (retention just
 * switched on) goes over several passes and no pass holds the writer long.
 * An old event that does not verify (edited, or after a gap) is not
 * deleted, nor anything after it: retention never launders tampering,
 * and the pass says where it stopped.
 */
uint64_t
audit_retention_pass(struct app *app, int64_t now)
{
	struct audit_prune	 p;
	uint64_t		 total = 0;
	int64_t			 through = 0;
	unsigned		 rounds = 0;
	enum gh_err		 rc;
	char			 count[24], seq[24];

	if (app->conf.audit_retention_days <= 0)
		return 0;
	do {
		rc = audit_prune_batch(app, now -
		    app->conf.audit_retention_days * DAY, AUDIT_PRUNE_BATCH,
		    &p);
		if (rc != GH_OK) {
			log_kv(LOG_ERROR, "audit_prune_failed", "error",
			    gh_err_str(rc), "retry", "next pass", NULL);
			break;
		}
		total += p.events;
		if (p.events > 0)
			through = p.through_seq;
	} while (p.events == AUDIT_PRUNE_BATCH &&
	    ++rounds < AUDIT_PRUNE_ROUNDS);
	if (total > 0) {
		snprintf(count, sizeof(count), "%llu",
		    (unsigned long long)total);
		snprintf(seq, sizeof(seq), "%lld", (long long)through);
		log_kv(LOG_INFO, "audit_pruned", "events", count,
		    "through_seq", seq, NULL);
	}
	/* kept for the check to find; said at every pass until then */
	if (rc == GH_OK && p.stopped_seq > 0) {
		snprintf(seq, sizeof(seq), "%lld", (long long)p.stopped_seq);
		log_kv(LOG_WARN, "audit_prune_stopped", "seq", seq,
		    "reason", "the event does not verify where it stands",
		    "check", "gatehouse audit verify", NULL);
	}
	return total;
}

/*
 * The detail as pruned_detail() wrote it. The event's hash was checked
 * before this is asked, so the text is ours; anything else names no base.
 */
bool
audit_pruned_through(const struct audit_row *r, int64_t *through)
{
	const char	*s, *e;
	uint64_t	 n;

	*through = 0;
	if (r->type == NULL || strcmp(r->type, AUDIT_PRUNED) != 0 ||
	    r->detail == NULL ||
	    strncmp(r->detail, THROUGH_KEY, sizeof(THROUGH_KEY) - 1) != 0)
		return false;
	s = r->detail + sizeof(THROUGH_KEY) - 1;
	for (e = s; *e >= '0' && *e <= '9'; e++)
		;
	if (*e != ',' || parse_u64((struct slice){ s, (size_t)(e - s) }, 1,
	    INT64_MAX, &n) != GH_OK)
		return false;
	*through = (int64_t)n;
	return true;
}
