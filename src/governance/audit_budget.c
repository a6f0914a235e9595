/* audit_budget.c - see audit_budget.h. */
#include <stdio.h>
#include <string.h>

#include "audit_budget.h"
#include "throttle.h"
#include "../util/crypto.h"
#include "../util/limits.h"
#include "../util/str.h"

/* where events come from: an address's throttle key, or an author */
#define FROM_LEN	(THROTTLE_ADDR_KEY_LEN + GH_ID_LEN + 8)

/*
 * The key's throttle key: a hash of the whole, so that a long client id
 * is never cut (throttle keys are compared by a hash of a bounded
 * prefix), as hex. `from` starts with "addr " or "user ", so an author
 * never shares a key with an address.
 */
static void
key_of(const char *type, const struct audit_subject *subj,
    const char *what, const char *from, char out[2 * 16 + 1])
{
	char	whole[256 + FROM_LEN + GH_MAX_CLIENT_ID_LEN];
	uint8_t	d[GH_HASH_BYTES];
	int	n;

	n = snprintf(whole, sizeof(whole), "%s\n%s\n%s\n%s", type,
	    what ? what : "", from,
	    subj && subj->client_id ? subj->client_id : "");
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof(whole))
		n = (int)sizeof(whole) - 1;
	crypto_sha256(whole, (size_t)n, d);
	hex_encode(d, 16, out);
}

/* detail (NULL: none) with the counts added before its closing brace */
static void
with_counts(const char *detail, const uint32_t key[THROTTLE_COUNTS],
    const uint32_t all[THROTTLE_COUNTS], char *out, size_t outsz)
{
	size_t	len;
	int	n;

	if (detail == NULL)
		detail = "{}";
	len = strlen(detail);
	if (len < 2 || detail[len - 1] != '}' || len >= outsz) {
		str_copy(out, outsz, detail);
		return;
	}
	memcpy(out, detail, len - 1);
	n = snprintf(out + len - 1, outsz - (len - 1), "%s\"folded\":%u,"
	    "\"withheld_rows\":%u,\"withheld_events\":%u}",
	    len > 2 ? "," : "", key[1], all[0], all[1]);
	if (n < 0 || (size_t)n >= outsz - (len - 1))
		str_copy(out, outsz, detail);	/* whole, without counts */
}

/*
 * Store the event if both its key (`k`) and its type's budget (under
 * `pool`) have a row left, else fold it.
 */
static void
budgeted(struct app *app, const struct audit_origin *o, const char *type,
    const struct audit_subject *subj, const char *k, const char *pool,
    const char *detail)
{
	struct throttle	*t = throttle_shared();
	int64_t		 w = app->conf.throttle_audit_window_seconds * 1000;
	int64_t		 now = throttle_now_ms();
	uint32_t	 key[THROTTLE_COUNTS], all[THROTTLE_COUNTS];
	char		 out[GH_MAX_AUDIT_DETAIL];

	/* no table (out of memory): every event stored, as without one */
	if (t == NULL) {
		audit_event(app, o, type, subj, detail);
		return;
	}
	if (!throttle_budget(t, THROTTLE_ROWS, k, GH_AUDIT_KEY_ROWS, w, 1,
	    now, key) ||
	    !throttle_budget(t, THROTTLE_AUDIT, pool, GH_AUDIT_TYPE_ROWS, w,
	    1 + key[1], now, all)) {
		audit_folded(app, o, type, subj, detail);
		return;
	}
	if (key[1] == 0 && all[0] == 0) {
		audit_event(app, o, type, subj, detail);
		return;
	}
	with_counts(detail, key, all, out, sizeof(out));
	audit_event(app, o, type, subj, out);
}

void
audit_budgeted(struct app *app, const struct audit_origin *o,
    const char *type, const struct audit_subject *subj, const char *what,
    const char *detail)
{
	char	addr[THROTTLE_ADDR_KEY_LEN], from[FROM_LEN];
	char	k[2 * 16 + 1];

	throttle_addr_key(o ? o->remote_addr : NULL, addr, sizeof(addr));
	snprintf(from, sizeof(from), "addr %s", addr);
	key_of(type, subj, what, from, k);
	budgeted(app, o, type, subj, k, type, detail);
}

void
audit_budgeted_by(struct app *app, const struct audit_origin *o,
    const char *type, const struct audit_subject *subj, const char *who,
    const char *detail)
{
	char	from[FROM_LEN], pool[128];
	char	k[2 * 16 + 1];

	snprintf(from, sizeof(from), "user %s", who ? who : "");
	key_of(type, subj, NULL, from, k);
	/* a type budget of its own: "<type> by user" */
	snprintf(pool, sizeof(pool), "%s by user", type);
	budgeted(app, o, type, subj, k, pool, detail);
}
