/*
 * audit_verify.c - checking the audit hash chain (store.h).
 *
 * Walking the events in seq order from the chain's base (the last event
 * deleted by retention; seq 0 and a zero hash while none was), each one
 * must (1) follow the previous seq by exactly one, else events were
 * deleted (or one inserted with a made-up seq), (2) name the previous
 * event's hash as its prev_hash, else an event was inserted or removed,
 * and (3) hash to its stored hash under the audit key, else it was
 * edited. Without the server key nobody can recompute the chain after an
 * edit.
 *
 * The base is a row anyone with the database can set, so it is trusted
 * only as far as the chain vouches for it: the newest audit.pruned event
 * that was there when the base was read (the two are read in one
 * snapshot, and a prune writes both in one transaction) must name exactly
 * the base's seq. A base moved further on by hand, to hide deleted
 * events, is reported as the deletion it is; moved back, as an insertion.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "../util/crypto.h"
#include "../util/str.h"

#define BATCH	1000
#define TRIES	4	/* walks, when prunes keep moving the base */

struct walk {
	const uint8_t		*key;
	const struct audit_anchor *anchor;	/* NULL: none past the base */
	struct audit_verdict	*v;
	int64_t			 last_seq;
	uint8_t			 last_hash[GH_HASH_BYTES];
	int64_t			 snap_head;	/* newest with the base */
	int64_t			 pruned;	/* newest prune's base */
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
	/* authentic, so its detail is ours: a base it vouches for */
	if (r->seq <= w->snap_head && r->type != NULL &&
	    strcmp(r->type, AUDIT_PRUNED) == 0 &&
	    !audit_pruned_through(r, &w->pruned))
		w->pruned = -1;		/* names none: no base fits */
	w->v->events++;
	w->last_seq = r->seq;
	memcpy(w->last_hash, r->hash, GH_HASH_BYTES);
	return true;
}

/*
 * The anchor against a base: one at the base is checked against the
 * base's hash (which the first kept event names), one before it cannot
 * be checked any more; one after it is the walk's to check.
 */
static void
anchor_at_base(struct walk *w, const struct audit_anchor *anchor,
    const struct audit_base *b)
{
	w->anchor = NULL;
	if (anchor == NULL || anchor->seq <= 0)
		return;
	if (anchor->seq > b->seq)
		w->anchor = anchor;
	else if (anchor->seq < b->seq)
		w->v->anchor_pruned = true;
	else if (!crypto_ct_eq(anchor->hash, GH_HASH_BYTES, b->hash,
	    GH_HASH_BYTES))
		(void)broken(w, b->seq, "rewritten");
}

/*
 * The base must be the one the newest recorded prune made, no further
 * (events after it deleted without a record: "deleted" from the first of
 * them) and no less (events the prune deleted back in: "inserted").
 */
static void
base_vouched(struct walk *w, const struct audit_base *b)
{
	if (w->pruned == b->seq)
		return;
	if (w->pruned > b->seq)
		(void)broken(w, b->seq + 1, "inserted");
	else
		(void)broken(w, w->pruned > 0 ? w->pruned + 1 : 1, "deleted");
}

/* One walk from base b. */
static enum gh_err
walk_from(struct store *s, const uint8_t key[GH_HASH_BYTES],
    const struct audit_anchor *anchor, const struct audit_base *b,
    struct audit_verdict *v)
{
	struct walk	w;
	enum gh_err	rc = GH_OK;

	memset(v, 0, sizeof(*v));
	memset(&w, 0, sizeof(w));
	v->ok = true;
	v->base_seq = b->seq;
	memcpy(v->base_hash, b->hash, GH_HASH_BYTES);
	w.key = key;
	w.v = v;
	w.last_seq = b->seq;
	memcpy(w.last_hash, b->hash, GH_HASH_BYTES);
	w.snap_head = b->head_seq;
	anchor_at_base(&w, anchor, b);
	while (v->ok) {
		w.seen = 0;
		if ((rc = store_audit_each(s, w.last_seq, BATCH, check, &w)) ==
		    GH_OK)
			rc = w.rc;
		if (rc != GH_OK || w.seen < BATCH)
			break;
	}
	if (rc == GH_OK && v->ok && w.anchor && w.last_seq < w.anchor->seq)
		(void)broken(&w, w.last_seq + 1, "truncated");
	if (rc == GH_OK && v->ok)
		base_vouched(&w, b);
	v->head_seq = w.last_seq;
	memcpy(v->head_hash, w.last_hash, GH_HASH_BYTES);
	return rc;
}

enum gh_err
audit_verify(struct store *s, const uint8_t key[GH_HASH_BYTES],
    const struct audit_anchor *anchor, struct audit_verdict *v)
{
	struct audit_base	b, now;
	enum gh_err		rc;
	int			i;

	memset(v, 0, sizeof(*v));
	v->ok = true;
	for (i = 0; i < TRIES; i++) {
		if ((rc = store_audit_base(s, &b)) != GH_OK ||
		    (rc = walk_from(s, key, anchor, &b, v)) != GH_OK ||
		    v->ok)
			return rc;
		/*
		 * Broken, or a prune took the events ahead of the walk: if
		 * the base moved meanwhile, walk again from the new one.
		 */
		if ((rc = store_audit_base(s, &now)) != GH_OK)
			return rc;
		if (now.seq == b.seq)
			return GH_OK;
	}
	/* still moving: no verdict rather than a wrong one */
	v->ok = true;
	return GH_ERR_BUSY;
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
