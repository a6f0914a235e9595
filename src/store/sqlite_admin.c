/*
 * sqlite_admin.c - SQLite operations for administration: admins and
 * their console sessions, an operator's revocation of grants and a
 * user's of their own grant, and the hourly token activity of a client
 * (store.h, store_admin.h).
 *
 * Credentials and session ids arrive as keyed hashes; nothing here sees a
 * secret. Decisions that must hold under concurrency (disabling an admin,
 * revoking grants) are single conditional statements.
 */
#include <string.h>

#include "sqlite_int.h"

#define DB(s) ((struct sqlite_store *)(s))

static void
admin_from_row(sqlite3_stmt *st, struct admin_row *a)
{
	const void	*h;

	memset(a, 0, sizeof(*a));
	sq_col_text(st, 0, a->name, sizeof(a->name));
	h = sqlite3_column_blob(st, 1);
	if (h && sqlite3_column_bytes(st, 1) == GH_HASH_BYTES)
		memcpy(a->secret_hash, h, GH_HASH_BYTES);
	a->created_at = sq_col_int(st, 2);
	a->disabled_at = sq_col_int(st, 3);
	a->last_used_at = sq_col_int(st, 4);
}

/* The INSERT and its event, if any, in one savepoint. */
static enum gh_err
admin_insert(struct store *s, const struct admin_row *a,
    const struct change_audit *ev)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;

	sq_lock(DB(s));
	if ((rc = sq_begin(DB(s))) != GH_OK)
		goto out;
	rc = GH_ERR_STORE;
	if ((st = sq_stmt(DB(s), S_ADMIN_INSERT)) != NULL) {
		sq_bind_text(st, 1, a->name);
		sq_bind_blob(st, 2, a->secret_hash, GH_HASH_BYTES);
		sqlite3_bind_int64(st, 3, a->created_at);
		rc = sq_step_done(DB(s), st);
	}
	rc = sq_finish_with_event(DB(s), rc, ev);
out:
	return sq_release(DB(s), rc);
}

static enum gh_err
admin_by_hash(struct store *s, const uint8_t *hash, int64_t now,
    struct admin_row *out)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 x;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ADMIN_BY_HASH)) == NULL)
		goto out;
	sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
	x = sqlite3_step(st);
	if (x == SQLITE_ROW) {
		admin_from_row(st, out);
		rc = GH_OK;
	} else {
		rc = x == SQLITE_DONE ? GH_ERR_NOT_FOUND : sq_error(DB(s), x);
	}
	sqlite3_reset(st);
	/* last use, at most once a minute so API calls rarely write */
	if (rc == GH_OK && out->disabled_at == 0 &&
	    (st = sq_stmt(DB(s), S_ADMIN_TOUCH)) != NULL) {
		sq_bind_text(st, 1, out->name);
		sqlite3_bind_int64(st, 2, now);
		(void)sq_step_done(DB(s), st);
	}
out:
	return sq_release(DB(s), rc);
}

static enum gh_err
admin_each(struct store *s, bool (*fn)(void *, const struct admin_row *),
    void *ctx)
{
	sqlite3_stmt	*st;
	struct admin_row a;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 x;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ADMIN_ALL)) != NULL) {
		while ((x = sqlite3_step(st)) == SQLITE_ROW) {
			admin_from_row(st, &a);
			if (!fn(ctx, &a))
				break;
		}
		rc = x == SQLITE_ROW || x == SQLITE_DONE ? GH_OK :
		    sq_error(DB(s), x);
		sqlite3_reset(st);
	}
	sq_unlock(DB(s));
	return rc;
}

/* The UPDATE and its event, if any, in one savepoint. */
static enum gh_err
admin_disable(struct store *s, const char *name, int64_t now,
    const struct change_audit *ev)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;

	sq_lock(DB(s));
	if ((rc = sq_begin(DB(s))) != GH_OK)
		goto out;
	rc = GH_ERR_STORE;
	if ((st = sq_stmt(DB(s), S_ADMIN_DISABLE)) != NULL) {
		sq_bind_text(st, 1, name);
		sqlite3_bind_int64(st, 2, now);
		if ((rc = sq_step_done(DB(s), st)) == GH_OK &&
		    sqlite3_changes(DB(s)->db) != 1)
			rc = GH_ERR_NOT_FOUND;
	}
	rc = sq_finish_with_event(DB(s), rc, ev);
out:
	return sq_release(DB(s), rc);
}

static enum gh_err
admin_session_insert(struct store *s, const uint8_t *hash,
    const char *admin, int64_t now, int64_t expires_at)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	/* keep the table bounded: a batch of expired sessions goes first */
	if ((st = sq_stmt(DB(s), S_ADMIN_SESSION_PURGE)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = sq_step_done(DB(s), st)) != GH_OK)
		goto out;
	rc = GH_ERR_STORE;
	if ((st = sq_stmt(DB(s), S_ADMIN_SESSION_INSERT)) == NULL)
		goto out;
	sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
	sq_bind_text(st, 2, admin);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, expires_at);
	rc = sq_step_done(DB(s), st);
out:
	return sq_release(DB(s), rc);
}

static enum gh_err
admin_session_get(struct store *s, const uint8_t *hash, int64_t now,
    char *admin)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 x;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ADMIN_SESSION_GET)) != NULL) {
		sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
		sqlite3_bind_int64(st, 2, now);
		x = sqlite3_step(st);
		if (x == SQLITE_ROW) {
			sq_col_text(st, 0, admin, GH_MAX_ADMIN_NAME + 1);
			rc = GH_OK;
		} else {
			rc = x == SQLITE_DONE ? GH_ERR_NOT_FOUND :
			    sq_error(DB(s), x);
		}
		sqlite3_reset(st);
	}
	sq_unlock(DB(s));
	return rc;
}

static enum gh_err
admin_session_delete(struct store *s, const uint8_t *hash)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_ADMIN_SESSION_DELETE)) != NULL) {
		sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
		rc = sq_step_done(DB(s), st);
	}
	return sq_release(DB(s), rc);
}

/*
 * One UPDATE whatever the number of tokens (they die by ancestry), and
 * its event, if any, described with the grants revoked, in one savepoint.
 */
static enum gh_err
grant_revoke_with_event(struct store *s, enum grant_scope what,
    const char *id, const char *reason, int64_t now, unsigned *count,
    const struct change_audit *ev)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc;
	unsigned		 n = 0;

	*count = 0;
	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		goto out;
	st = sq_stmt(db, what == GRANT_ONE ? S_GRANT_REVOKE_ID :
	    what == GRANTS_OF_CLIENT ? S_GRANTS_REVOKE_CLIENT :
	    S_GRANTS_REVOKE_USER);
	if (st == NULL) {
		rc = GH_ERR_STORE;
	} else {
		sq_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
		sq_bind_text(st, 3, reason);
		if ((rc = sq_step_done(db, st)) == GH_OK)
			n = (unsigned)sqlite3_changes(db->db);
	}
	rc = sq_finish_with_event_n(db, rc, ev, n, count);
out:
	return sq_release(db, rc);
}

static enum gh_err
grant_revoke_own(struct store *s, const char *grant_id, const char *user_id,
    const char *reason, int64_t now)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_GRANT_REVOKE_OWN)) != NULL) {
		sq_bind_text(st, 1, grant_id);
		sq_bind_text(st, 2, user_id);
		sqlite3_bind_int64(st, 3, now);
		sq_bind_text(st, 4, reason);
		if ((rc = sq_step_done(DB(s), st)) == GH_OK &&
		    sqlite3_changes(DB(s)->db) != 1)
			rc = GH_ERR_NOT_FOUND;
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
client_activity(struct store *s, const char *client_id, int64_t since,
    unsigned hours, unsigned *issued, unsigned *refreshed)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int64_t		 h, n;
	int		 x;

	if (hours > GH_MAX_ACTIVITY_HOURS)
		return GH_ERR_LIMIT;
	memset(issued, 0, hours * sizeof(*issued));
	memset(refreshed, 0, hours * sizeof(*refreshed));
	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_CLIENT_ACTIVITY)) != NULL) {
		sq_bind_text(st, 1, client_id);
		sqlite3_bind_int64(st, 2, since);
		sqlite3_bind_int64(st, 3, since + (int64_t)hours * 3600);
		while ((x = sqlite3_step(st)) == SQLITE_ROW) {
			h = sq_col_int(st, 0);
			n = sq_col_int(st, 2);
			if (h < 0 || h >= (int64_t)hours || n < 0)
				continue;
			if (n > (int64_t)UINT32_MAX)
				n = UINT32_MAX;
			if (sq_col_int(st, 1))
				refreshed[h] = (unsigned)n;
			else
				issued[h] = (unsigned)n;
		}
		rc = x == SQLITE_DONE ? GH_OK : sq_error(DB(s), x);
		sqlite3_reset(st);
	}
	sq_unlock(DB(s));
	return rc;
}

void
sqlite_admin_ops(struct store_ops *ops)
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
