/*
 * pg_audit.c - the audit log on PostgreSQL: append-only, hash-chained
 * (store.h, audit_chain_hash).
 *
 * Each append reads the last event and inserts the next one in one
 * transaction. With several connections and several nodes, two appends
 * could read the same last event and fork the chain; a transaction-level
 * advisory lock, taken before the read and released at commit, makes
 * every writer of this database take turns.
 *
 * PostgreSQL text is UTF-8 only; an event field that is not (a client id
 * or user agent as a client sent it) is stored, and hashed, with each bad
 * byte as '?', so the event is kept and its chain still verifies.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"

#define DB(s) ((struct pg_store *)(s))

static enum gh_err
audit_last(struct pg_conn *c, int64_t *seq, uint8_t hash[GH_HASH_BYTES])
{
	PGresult	*r;
	enum gh_err	 rc;

	*seq = 0;
	memset(hash, 0, GH_HASH_BYTES);
	if ((rc = pg_exec(c, P_AUDIT_LAST, NULL, &r)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1) {
		*seq = pg_col_int(r, 0, 0);
		(void)pg_col_hash(r, 0, 1, hash);
	}
	PQclear(r);
	return GH_OK;
}

static enum gh_err
audit_insert(struct pg_conn *c, const struct audit_row *a)
{
	struct pg_params p;

	pp_init(&p);
	pp_int(&p, a->seq);
	pp_int(&p, a->time);
	pp_text(&p, a->type);
	pp_text(&p, a->actor);
	pp_text(&p, a->client_id);
	pp_text(&p, a->user_id);
	pp_text(&p, a->grant_id);
	pp_text(&p, a->remote_addr);
	pp_text(&p, a->user_agent);
	pp_text(&p, a->detail);
	pp_blob(&p, a->prev_hash, GH_HASH_BYTES);
	pp_blob(&p, a->hash, GH_HASH_BYTES);
	return pg_cmd(c, P_AUDIT_INSERT, &p, NULL);
}

/* Point the text fields of r that are not UTF-8 at cleaned copies. */
static enum gh_err
clean_fields(struct audit_row *r, char *copies[8])
{
	const char	**f[8] = { &r->type, &r->actor, &r->client_id,
			    &r->user_id, &r->grant_id, &r->remote_addr,
			    &r->user_agent, &r->detail };
	size_t		  i;

	for (i = 0; i < 8; i++) {
		if (*f[i] == NULL || pg_utf8_valid(*f[i]))
			continue;
		if ((copies[i] = pg_utf8_clean(*f[i])) == NULL)
			return GH_ERR_NOMEM;
		*f[i] = copies[i];
	}
	return GH_OK;
}

static enum gh_err
audit_append(struct store *s, const struct audit_row *a)
{
	struct audit_row	 r = *a;
	struct pg_params	 p;
	struct pg_conn		*c = NULL;
	PGresult		*lock;
	char			*copies[8] = { NULL };
	enum gh_err		 rc;
	size_t			 i;

	if ((rc = clean_fields(&r, copies)) != GH_OK)
		goto out;
	if ((c = pg_acquire(DB(s))) == NULL) {
		rc = GH_ERR_STORE;
		goto out;
	}
	if ((rc = pg_begin(c)) != GH_OK)
		goto out;
	pp_init(&p);
	pp_int(&p, PG_LOCK_AUDIT);
	if ((rc = pg_exec(c, P_XACT_LOCK, &p, &lock)) == GH_OK) {
		PQclear(lock);
		rc = audit_last(c, &r.seq, r.prev_hash);
	}
	if (rc == GH_OK) {
		r.seq++;
		audit_chain_hash(DB(s)->audit_key, r.prev_hash, &r, r.hash);
		rc = audit_insert(c, &r);
	}
	rc = pg_finish(c, rc);
out:
	if (c != NULL)
		rc = pg_release(DB(s), c, rc);
	for (i = 0; i < 8; i++)
		free(copies[i]);
	return rc;
}

enum gh_err
pg_audit_rows(PGresult *r, bool (*fn)(void *, const struct audit_row *),
    void *ctx)
{
	struct audit_row a;
	int		 i;

	for (i = 0; i < PQntuples(r); i++) {
		memset(&a, 0, sizeof(a));
		a.seq = pg_col_int(r, i, 0);
		a.time = pg_col_int(r, i, 1);
		a.type = pg_col_str(r, i, 2);
		a.actor = pg_col_str(r, i, 3);
		a.client_id = pg_col_str(r, i, 4);
		a.user_id = pg_col_str(r, i, 5);
		a.grant_id = pg_col_str(r, i, 6);
		a.remote_addr = pg_col_str(r, i, 7);
		a.user_agent = pg_col_str(r, i, 8);
		a.detail = pg_col_str(r, i, 9);
		(void)pg_col_hash(r, i, 10, a.prev_hash);
		(void)pg_col_hash(r, i, 11, a.hash);
		if (!fn(ctx, &a))
			break;
	}
	PQclear(r);
	return GH_OK;
}

static enum gh_err
audit_each(struct store *s, int64_t after, unsigned limit,
    bool (*fn)(void *, const struct audit_row *), void *ctx)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_int(&p, after);
	pp_int(&p, limit);
	if ((rc = pg_one(s, P_AUDIT_SINCE, &p, &r, NULL)) != GH_OK)
		return rc;
	return pg_audit_rows(r, fn, ctx);
}

void
pg_audit_ops(struct store_ops *ops)
{
	ops->audit_append = audit_append;
	ops->audit_each = audit_each;
}
