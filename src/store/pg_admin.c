/*
 * pg_admin.c - administration on PostgreSQL: admins and their console
 * sessions, an operator's revocation of grants and a user's of their own
 * grant, and a client's hourly token activity (store.h, store_admin.h;
 * the SQLite twin is sqlite_admin.c). Each decision is one conditional
 * statement, so it holds across nodes.
 */
#include <string.h>

#include "pg_int.h"

#define DB(s) ((struct pg_store *)(s))

static void
admin_from(const PGresult *r, int i, struct admin_row *a)
{
	memset(a, 0, sizeof(*a));
	pg_col_text(r, i, 0, a->name, sizeof(a->name));
	(void)pg_col_hash(r, i, 1, a->secret_hash);
	a->created_at = pg_col_int(r, i, 2);
	a->disabled_at = pg_col_int(r, i, 3);
	a->last_used_at = pg_col_int(r, i, 4);
}

/* The INSERT and its event, if any, in one transaction. */
static enum gh_err
admin_insert(struct store *s, const struct admin_row *a,
    const struct change_audit *ev)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, a->name);
	pp_blob(&p, a->secret_hash, GH_HASH_BYTES);
	pp_int(&p, a->created_at);
	return pg_change_with_event(s, P_ADMIN_INSERT, &p, ev);
}

static enum gh_err
admin_by_hash(struct store *s, const uint8_t *hash, int64_t now,
    struct admin_row *out)
{
	struct pg_params p;
	struct pg_conn	*c;
	PGresult	*r;
	enum gh_err	 rc;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	if ((rc = pg_exec(c, P_ADMIN_BY_HASH, &p, &r)) != GH_OK)
		goto out;
	if (PQntuples(r) == 1)
		admin_from(r, 0, out);
	else
		rc = GH_ERR_NOT_FOUND;
	PQclear(r);
	/* last use, at most once a minute so API calls rarely write */
	if (rc == GH_OK && out->disabled_at == 0) {
		pp_init(&p);
		pp_text(&p, out->name);
		pp_int(&p, now);
		(void)pg_cmd(c, P_ADMIN_TOUCH, &p, NULL);
	}
out:
	return pg_release(DB(s), c, rc);
}

static enum gh_err
admin_each(struct store *s, bool (*fn)(void *, const struct admin_row *),
    void *ctx)
{
	struct admin_row a;
	PGresult	*r;
	enum gh_err	 rc;
	int		 i;

	if ((rc = pg_one(s, P_ADMIN_ALL, NULL, &r, NULL)) != GH_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		admin_from(r, i, &a);
		if (!fn(ctx, &a))
			break;
	}
	PQclear(r);
	return GH_OK;
}

/* With an event, the UPDATE and the event are one transaction. */
static enum gh_err
admin_disable(struct store *s, const char *name, int64_t now,
    const struct change_audit *ev)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, name);
	pp_int(&p, now);
	return pg_change_with_event(s, P_ADMIN_DISABLE, &p, ev);
}

static enum gh_err
admin_session_insert(struct store *s, const uint8_t *hash,
    const char *admin, int64_t now, int64_t expires_at)
{
	struct pg_params p;
	struct pg_conn	*c;
	enum gh_err	 rc;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	/* keep the table bounded: a batch of expired sessions goes first */
	pp_init(&p);
	pp_int(&p, now);
	if ((rc = pg_cmd(c, P_ADMIN_SESSION_PURGE, &p, NULL)) == GH_OK) {
		pp_init(&p);
		pp_blob(&p, hash, GH_HASH_BYTES);
		pp_text(&p, admin);
		pp_int(&p, now);
		pp_int(&p, expires_at);
		rc = pg_cmd(c, P_ADMIN_SESSION_INSERT, &p, NULL);
	}
	return pg_release(DB(s), c, rc);
}

static enum gh_err
admin_session_get(struct store *s, const uint8_t *hash, int64_t now,
    char *admin)
{
	struct pg_params p;
	PGresult	*r;
	enum gh_err	 rc;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, now);
	if ((rc = pg_one(s, P_ADMIN_SESSION_GET, &p, &r, NULL)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1)
		pg_col_text(r, 0, 0, admin, GH_MAX_ADMIN_NAME + 1);
	else
		rc = GH_ERR_NOT_FOUND;
	PQclear(r);
	return rc;
}

static enum gh_err
admin_session_delete(struct store *s, const uint8_t *hash)
{
	struct pg_params p;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	return pg_one(s, P_ADMIN_SESSION_DELETE, &p, NULL, NULL);
}

/*
 * One UPDATE whatever the number of tokens (they die by ancestry); with
 * an event, it and the event, described with the grants revoked, are one
 * transaction.
 */
static enum gh_err
grant_revoke_with_event(struct store *s, enum grant_scope what,
    const char *id, const char *reason, int64_t now, unsigned *count,
    const struct change_audit *ev)
{
	enum pg_stmt	 st = what == GRANT_ONE ? P_GRANT_REVOKE_ID :
	    what == GRANTS_OF_CLIENT ? P_GRANTS_REVOKE_CLIENT :
	    P_GRANTS_REVOKE_USER;
	struct pg_params p;
	struct pg_conn	*c;
	unsigned	 n = 0;
	enum gh_err	 rc;

	*count = 0;
	pp_init(&p);
	pp_text(&p, id);
	pp_int(&p, now);
	pp_text(&p, reason);
	if (ev == NULL)
		return pg_one(s, st, &p, NULL, count);
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) == GH_OK)
		rc = pg_cmd(c, st, &p, &n);
	if (rc == GH_OK && n > 0)
		rc = pg_change_event_in_tx(DB(s), c, ev, n);
	if ((rc = pg_finish(c, rc)) == GH_OK)
		*count = n;
	return pg_release(DB(s), c, rc);
}

/* ownership is part of the one conditional update */
static enum gh_err
grant_revoke_own(struct store *s, const char *grant_id, const char *user_id,
    const char *reason, int64_t now)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, grant_id);
	pp_text(&p, user_id);
	pp_int(&p, now);
	pp_text(&p, reason);
	return pg_one_change(s, P_GRANT_REVOKE_OWN, &p);
}

static enum gh_err
client_activity(struct store *s, const char *client_id, int64_t since,
    unsigned hours, unsigned *issued, unsigned *refreshed)
{
	struct pg_params p;
	PGresult	*r;
	int64_t		 h, n;
	enum gh_err	 rc;
	int		 i;

	if (hours > GH_MAX_ACTIVITY_HOURS)
		return GH_ERR_LIMIT;
	memset(issued, 0, hours * sizeof(*issued));
	memset(refreshed, 0, hours * sizeof(*refreshed));
	pp_init(&p);
	pp_text(&p, client_id);
	pp_int(&p, since);
	pp_int(&p, since + (int64_t)hours * 3600);
	if ((rc = pg_one(s, P_CLIENT_ACTIVITY, &p, &r, NULL)) != GH_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		h = pg_col_int(r, i, 0);
		n = pg_col_int(r, i, 2);
		if (h < 0 || h >= (int64_t)hours || n < 0)
			continue;
		if (n > (int64_t)UINT32_MAX)
			n = UINT32_MAX;
		if (pg_col_int(r, i, 1))
			refreshed[h] = (unsigned)n;
		else
			issued[h] = (unsigned)n;
	}
	PQclear(r);
	return GH_OK;
}

void
pg_admin_ops(struct store_ops *ops)
{
	ops->admin_insert = admin_insert;
	ops->admin_by_hash = admin_by_hash;
	ops->admin_each = admin_each;
	ops->admin_disable = admin_disable;
	ops->admin_session_insert = admin_session_insert;
	ops->admin_session_get = admin_session_get;
	ops->admin_session_delete = admin_session_delete;
	ops->grant_revoke_with_event = grant_revoke_with_event;
	ops->grant_revoke_own = grant_revoke_own;
	ops->client_activity = client_activity;
}
