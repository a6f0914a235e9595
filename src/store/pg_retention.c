/*
 * pg_retention.c - audit retention on PostgreSQL (store.h,
 * store_audit_prune): a batch of the oldest events goes in one
 * transaction with the new base and its own audit.pruned event. What goes
 * is read and verified first (store_prune_step).
 *
 * The transaction takes the audit chain's lock first (PG_LOCK_AUDIT, as
 * every append does, pg_audit.c) and holds it to the commit, so the
 * events and the base it reads cannot change under it: appends of any
 * node wait, and two nodes pruning at once take turns, the second finding
 * what the first left. The event goes in through pg_audit_in_tx(),
 * outside this process's append queue, whose leader then finds the end
 * it remembered taken and reads the chain's end again, as after another
 * node's append.
 */
#include <string.h>

#include "pg_int.h"

#define DB(s) ((struct pg_store *)(s))

/* The base and the newest seq, from a P_AUDIT_BASE result (cleared). */
static enum gh_err
base_of(PGresult *r, struct audit_base *out)
{
	enum gh_err rc = GH_ERR_STORE;

	memset(out, 0, sizeof(*out));
	if (PQntuples(r) == 1) {
		out->seq = pg_col_int(r, 0, 0);
		(void)pg_col_hash(r, 0, 1, out->hash);
		out->head_seq = pg_col_int(r, 0, 2);
		out->has_mac = pg_col_hash(r, 0, 3, out->mac);
		rc = GH_OK;
	}
	PQclear(r);
	return rc;
}

static enum gh_err
audit_base(struct store *s, struct audit_base *out)
{
	PGresult	*r;
	enum gh_err	 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pg_one(s, P_AUDIT_BASE, NULL, &r, NULL)) != GH_OK)
		return rc;
	return base_of(r, out);
}

/*
 * Under the chain's lock, the base and how far this batch may go from it
 * (struct prune_walk).
 */
static enum gh_err
walk(struct pg_store *db, struct pg_conn *c, const struct audit_prune *p,
    struct audit_base *b, struct prune_walk *w)
{
	struct pg_params	 q;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&q);
	pp_int(&q, PG_LOCK_AUDIT);
	if ((rc = pg_exec(c, P_XACT_LOCK, &q, &r)) != GH_OK)
		return rc;
	PQclear(r);
	if ((rc = pg_exec(c, P_AUDIT_BASE, NULL, &r)) != GH_OK ||
	    (rc = base_of(r, b)) != GH_OK)
		return rc;
	if ((rc = store_prune_begin(w, db->audit_key, p->before, b)) !=
	    GH_OK)
		return rc;
	pp_init(&q);
	pp_int(&q, b->seq);
	pp_int(&q, p->batch);
	if ((rc = pg_exec(c, P_AUDIT_SINCE, &q, &r)) != GH_OK)
		return rc;
	rc = pg_audit_rows(r, store_prune_step, w);
	return rc != GH_OK ? rc : w->rc;
}

/* As sqlite_retention.c: exactly the n events taken, and the base. */
static enum gh_err
cut(struct pg_store *db, struct pg_conn *c, const struct audit_base *b,
    const struct prune_walk *w)
{
	struct pg_params	 q;
	uint8_t			 mac[GH_HASH_BYTES];
	unsigned		 changed = 0;
	enum gh_err		 rc;

	if ((rc = audit_base_mac(db->audit_key, w->seq, w->hash, mac)) !=
	    GH_OK)
		return rc;

	pp_init(&q);
	pp_int(&q, b->seq);
	pp_int(&q, w->seq);
	if ((rc = pg_cmd(c, P_AUDIT_PRUNE, &q, &changed)) != GH_OK)
		return rc;
	if (changed != w->n)
		return GH_ERR_CONFLICT;
	pp_init(&q);
	pp_int(&q, w->seq);
	pp_blob(&q, w->hash, GH_HASH_BYTES);
	pp_blob(&q, mac, GH_HASH_BYTES);
	if ((rc = pg_cmd(c, P_AUDIT_BASE_SET, &q, &changed)) != GH_OK)
		return rc;
	return changed == 1 ? GH_OK : GH_ERR_CONFLICT;
}

/* The event first, while the chain's end is still there to chain it to. */
static enum gh_err
audit_prune(struct store *s, struct audit_prune *p,
    const struct change_audit *ev)
{
	struct pg_conn		*c;
	struct audit_base	 b;
	struct prune_walk	 w;
	struct audit_row	 r;
	enum gh_err		 rc;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) == GH_OK)
		rc = walk(DB(s), c, p, &b, &w);
	if (rc == GH_OK && store_prune_took(&w, p, ev, &r) &&
	    (rc = pg_audit_in_tx(DB(s), c, &r)) == GH_OK)
		rc = cut(DB(s), c, &b, &w);
	if ((rc = pg_finish(c, rc)) != GH_OK) {
		p->through_seq = 0;
		p->events = 0;
	}
	return pg_release(DB(s), c, rc);
}

void
pg_retention_ops(struct store_ops *ops)
{
	ops->audit_base = audit_base;
	ops->audit_prune = audit_prune;
	pg_rate_ops(ops);	/* here: pg.c is at its line limit */
}
