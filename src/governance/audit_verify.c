/*
 * audit_verify.c - checking the audit hash chain (store.h).
 *
 * Walking the events in seq order, each one must (1) follow the previous
 * seq by exactly one, else events were deleted (or one inserted with a
 * made-up seq), (2) name the previous event's hash as its prev_hash, else
 * an event was inserted or removed, and (3) hash to its stored hash under
 * the audit key, else it was edited. Without the server key nobody can
 * recompute the chain after an edit.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "../util/crypto.h"
#include "../util/str.h"

#define BATCH 1000

struct walk {
	const uint8_t		*key;
	const struct audit_anchor *anchor;
	struct audit_verdict	*v;
	int64_t			 last_seq;
	uint8_t			 last_hash[GH_HASH_BYTES];
	unsigned		 seen;
	enum gh_err		 rc;	/* a hash that could not be made */
};

static bool
broken(struct walk *w, int64_t seq, const char *problem)
{
	w->v->ok = false;
	w->v->seq = seq;
	w->v->problem = problem;
	return false;
}

static bool
check(void *ctx, const struct audit_row *r)
{
	struct walk	*w = ctx;
	uint8_t		 h[GH_HASH_BYTES];

	w->seen++;
	if (r->seq != w->last_seq + 1)
		return broken(w, w->last_seq + 1, r->seq > w->last_seq + 1 ?
		    "deleted" : "inserted");
	if (!crypto_ct_eq(r->prev_hash, GH_HASH_BYTES, w->last_hash,
	    GH_HASH_BYTES))
		return broken(w, r->seq, "inserted");
	/* no hash is no verdict: never "edited" for a failure of ours */
	if ((w->rc = audit_chain_hash(w->key, r->prev_hash, r, h)) != GH_OK)
		return false;
	if (!crypto_ct_eq(h, GH_HASH_BYTES, r->hash, GH_HASH_BYTES))
		return broken(w, r->seq, "edited");
	/* a chain rebuilt from scratch would not reproduce the anchor */
	if (w->anchor && r->seq == w->anchor->seq &&
	    !crypto_ct_eq(r->hash, GH_HASH_BYTES, w->anchor->hash,
	    GH_HASH_BYTES))
		return broken(w, r->seq, "rewritten");
	w->v->events++;
	w->last_seq = r->seq;
	memcpy(w->last_hash, r->hash, GH_HASH_BYTES);
	return true;
}

enum gh_err
audit_verify(struct store *s, const uint8_t key[GH_HASH_BYTES],
    const struct audit_anchor *anchor, struct audit_verdict *v)
{
	struct walk	w;
	enum gh_err	rc;

	memset(v, 0, sizeof(*v));
	memset(&w, 0, sizeof(w));
	v->ok = true;
	w.key = key;
	w.anchor = anchor && anchor->seq > 0 ? anchor : NULL;
	w.v = v;
	do {
		w.seen = 0;
		if ((rc = store_audit_each(s, w.last_seq, BATCH, check, &w)) ==
		    GH_OK)
			rc = w.rc;
	} while (rc == GH_OK && v->ok && w.seen == BATCH);
	if (rc == GH_OK && v->ok && w.anchor && w.last_seq < w.anchor->seq)
		(void)broken(&w, w.last_seq + 1, "truncated");
	v->head_seq = w.last_seq;
	memcpy(v->head_hash, w.last_hash, GH_HASH_BYTES);
	return rc;
}

bool
audit_anchor_parse(const char *text, struct audit_anchor *a)
{
	const char	*colon = strchr(text, ':');
	uint64_t	 seq;
	size_t		 i;

	memset(a, 0, sizeof(*a));
	if (colon == NULL || strlen(colon + 1) != GH_HASH_HEX ||
	    parse_u64((struct slice){ text, (size_t)(colon - text) }, 1,
	    INT64_MAX, &seq) != GH_OK)
		return false;
	for (i = 0; i < GH_HASH_BYTES; i++) {
		int hi = hex_digit(colon[1 + 2 * i]);
		int lo = hex_digit(colon[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		a->hash[i] = (uint8_t)(hi << 4 | lo);
	}
	a->seq = (int64_t)seq;
	return true;
}

enum gh_err
audit_head_text(struct store *s, int64_t *seq, char *out, size_t outsz)
{
	uint8_t		h[GH_HASH_BYTES];
	char		hx[GH_HASH_HEX + 1];
	enum gh_err	rc;

	if ((rc = store_audit_head(s, seq, h)) != GH_OK)
		return rc;
	hex_encode(h, sizeof(h), hx);
	snprintf(out, outsz, "%lld:%s", (long long)*seq, hx);
	return GH_OK;
}
