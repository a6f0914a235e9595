/* audit_budget.c - see audit_budget.h. */
#include <stdio.h>
#include <string.h>

#include "audit_budget.h"
#include "throttle.h"
#include "../util/crypto.h"
#include "../util/limits.h"
#include "../util/str.h"

/*
 * The key's throttle key: a hash of the whole, so that a long client id
 * is never cut (throttle keys are compared by a hash of a bounded
 * prefix), as hex.
 */
static void
key_of(const struct audit_origin *o, const char *type,
    const struct audit_subject *subj, const char *what,
    char out[2 * 16 + 1])
{
	char	addr[THROTTLE_ADDR_KEY_LEN];
	char	whole[256 + THROTTLE_ADDR_KEY_LEN + GH_MAX_CLIENT_ID_LEN];
	uint8_t	d[GH_HASH_BYTES];
	int	n;

	throttle_addr_key(o ? o->remote_addr : NULL, addr, sizeof(addr));
	n = snprintf(whole, sizeof(whole), "%s\n%s\n%s\n%s", type,
	    what ? what : "", addr,
	    subj && subj->client_id ? subj->client_id : "");
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof(whole))
		n = (int)sizeof(whole) - 1;
	crypto_sha256(whole, (size_t)n, d);
	hex_encode(d, 16, out);
}

/* detail with the counts added before its closing brace */
static void
with_counts(const char *detail, const uint32_t key[THROTTLE_COUNTS],
    const uint32_t all[THROTTLE_COUNTS], char *out, size_t outsz)
{
	size_t	len = strlen(detail);
	int	n;

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

void
audit_budgeted(struct app *app, const struct audit_origin *o,
    const char *type, const struct audit_subject *subj, const char *what,
    const char *detail)
{
	struct throttle	*t = throttle_shared();
	int64_t		 w = app->conf.throttle_audit_window_seconds * 1000;
	int64_t		 now = throttle_now_ms();
	uint32_t	 key[THROTTLE_COUNTS], all[THROTTLE_COUNTS];
	char		 k[2 * 16 + 1], out[GH_MAX_AUDIT_DETAIL];

	/* no table (out of memory): every event stored, as without one */
	if (t == NULL) {
		audit_event(app, o, type, subj, detail);
		return;
	}
	key_of(o, type, subj, what, k);
	if (!throttle_budget(t, THROTTLE_ROWS, k, GH_AUDIT_KEY_ROWS, w, 1,
	    now, key) ||
	    !throttle_budget(t, THROTTLE_AUDIT, type, GH_AUDIT_TYPE_ROWS, w,
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
