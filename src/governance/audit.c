/*
 * audit.c - the audit trail (see audit.h).
 *
 * A failed append is logged as an error and does not fail the request: the
 * event it describes has already happened. The log line carries the same
 * fields so the event is never silently lost.
 */
#include <stdatomic.h>
#include <string.h>

#include "audit.h"
#include "rules.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/limits.h"
#include "../util/log.h"
#include "../util/str.h"

void
audit_chain_key(const uint8_t *server_key, size_t n,
    uint8_t out[GH_HASH_BYTES])
{
	static const char label[] = "gatehouse audit chain v1";

	if (crypto_hmac_sha256(server_key, n, label, sizeof(label) - 1, out) !=
	    GH_OK)
		memset(out, 0, GH_HASH_BYTES);
}

static atomic_uint failed;

unsigned
audit_failures(void)
{
	return atomic_load(&failed);
}

void
audit_event(struct app *app, const struct audit_origin *o, const char *type,
    const struct audit_subject *subj, const char *detail)
{
	struct audit_row	 r;
	char			 ua[GH_MAX_UA_LEN + 1];
	enum gh_err		 rc;

	memset(&r, 0, sizeof(r));
	r.time = clock_now();
	r.type = type;
	if (o) {
		r.actor = o->actor;
		r.remote_addr = o->remote_addr;
		if (o->user_agent) {
			/* bounded: a user agent is attacker-chosen */
			str_copy(ua, sizeof(ua), o->user_agent);
			r.user_agent = ua;
		}
	}
	if (subj) {
		r.client_id = subj->client_id;
		r.user_id = subj->user_id;
		r.grant_id = subj->grant_id;
	}
	r.detail = detail;
	rc = store_audit_append(app->store, &r);
	if (rc != GH_OK)
		atomic_fetch_add(&failed, 1);
	log_kv(rc == GH_OK ? LOG_INFO : LOG_ERROR, "audit", "type", type,
	    "client_id", r.client_id, "user_id", r.user_id,
	    "grant_id", r.grant_id, "remote", r.remote_addr,
	    "stored", rc == GH_OK ? "yes" : gh_err_str(rc), NULL);
	rules_on_event(app, &r);
}
