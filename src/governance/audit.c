/*
 * audit.c - the audit trail (see audit.h).
 *
 * A failed append is logged as an error: the event it describes has
 * already happened. The log line carries the same fields so the event is
 * never silently lost; in a request the failure then fails the request
 * (store_defer_end), in the admin command the command (audit_failures).
 * A change whose event must not be lost whatever happens, that of a
 * background pass, is stored with its event instead (audit_draft).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "rules.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/limits.h"
#include "../util/log.h"
#include "../util/str.h"

enum gh_err
audit_chain_key(const uint8_t *server_key, size_t n,
    uint8_t out[GH_HASH_BYTES])
{
	static const char	label[] = "gatehouse audit chain v1";
	enum gh_err		rc;

	/* never a zero key in its place: every hash made with it is wrong */
	rc = crypto_hmac_sha256(server_key, n, label, sizeof(label) - 1, out);
	if (rc != GH_OK)
		memset(out, 0, GH_HASH_BYTES);
	return rc;
}

static atomic_uint failed;

unsigned
audit_failures(void)
{
	return atomic_load(&failed);
}

void
audit_draft(struct audit_draft *d, const struct audit_origin *o,
    const char *type, const struct audit_subject *subj, const char *detail)
{
	memset(&d->r, 0, sizeof(d->r));
	d->r.time = clock_now();
	d->r.type = type;
	if (o) {
		d->r.actor = o->actor;
		d->r.remote_addr = o->remote_addr;
		if (o->user_agent) {
			/* bounded: a user agent is attacker-chosen */
			str_copy(d->ua, sizeof(d->ua), o->user_agent);
			d->r.user_agent = d->ua;
		}
	}
	if (subj) {
		d->r.client_id = subj->client_id;
		d->r.user_id = subj->user_id;
		d->r.grant_id = subj->grant_id;
	}
	d->r.detail = detail;
}

/* the log line of an event, stored or not, then the anomaly rules */
static void
logged(struct app *app, const struct audit_row *r, const char *stored,
    bool lost)
{
	log_kv(lost ? LOG_ERROR : LOG_INFO, "audit", "type", r->type,
	    "client_id", r->client_id, "user_id", r->user_id,
	    "grant_id", r->grant_id, "remote", r->remote_addr,
	    "stored", stored, NULL);
	rules_on_event(app, r);
}

void
audit_recorded(struct app *app, const struct audit_row *r)
{
	logged(app, r, "yes", false);
}

void
audit_detail(json_t *d, char *out, size_t outsz)
{
	char	*text = json_text(d, JSON_COMPACT);

	json_decref(d);
	str_copy(out, outsz, text && strlen(text) < outsz ? text :
	    AUDIT_DETAIL_LOST);
	free(text);
}

void
audit_event(struct app *app, const struct audit_origin *o, const char *type,
    const struct audit_subject *subj, const char *detail)
{
	struct audit_draft	d;
	enum gh_err		rc;

	audit_draft(&d, o, type, subj, detail);
	rc = store_audit_append(app->store, &d.r);
	if (rc != GH_OK)
		atomic_fetch_add(&failed, 1);
	logged(app, &d.r, rc == GH_OK ? "yes" : gh_err_str(rc), rc != GH_OK);
}

void
audit_folded(struct app *app, const struct audit_origin *o, const char *type,
    const struct audit_subject *subj, const char *detail)
{
	struct audit_draft d;

	audit_draft(&d, o, type, subj, detail);
	logged(app, &d.r, "folded", false);
}
