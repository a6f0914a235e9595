/*
 * sqlite_ident.c - SQLite operations on identities: clients, users and
 * browser sessions.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "../util/str.h"

#define DB(s) ((struct sqlite_store *)(s))

/* Run a statement expected to change exactly one row. Lock held. */
static enum gh_err
step_one_change(struct sqlite_store *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		return sq_error(db, rc);
	return sqlite3_changes(db->db) == 1 ? GH_OK : GH_ERR_NOT_FOUND;
}

/*
 * End a change's savepoint: with its event `ev` (if any) inserted first,
 * so the change is kept only together with its event.
 */
enum gh_err
sq_finish_with_event(struct sqlite_store *db, enum gh_err rc,
    const struct change_audit *ev)
{
	if (rc == GH_OK && ev != NULL)
		rc = sq_change_event(db, ev, 1);
	return sq_finish_tx(db, rc);
}

/*
 * The same for a change of n rows (n may be 0: no event then); *count
 * is n once it is kept, else left as it was.
 */
enum gh_err
sq_finish_with_event_n(struct sqlite_store *db, enum gh_err rc,
    const struct change_audit *ev, unsigned n, unsigned *count)
{
	if (rc == GH_OK && n > 0 && ev != NULL)
		rc = sq_change_event(db, ev, n);
	if ((rc = sq_finish_tx(db, rc)) == GH_OK)
		*count = n;
	return rc;
}

void
sq_client_from_row(sqlite3_stmt *st, struct client_row *c)
{
	const unsigned char	*redirects;
	char			 tmp[32];
	int			 n;

	client_row_clear(c);
	sq_col_text(st, 0, c->id, sizeof(c->id));
	sq_col_text(st, 1, c->name, sizeof(c->name));
	sq_col_text(st, 2, c->owner, sizeof(c->owner));
	c->is_public = sq_col_int(st, 3) != 0;
	sq_col_text(st, 4, tmp, sizeof(tmp));
	if (!client_auth_parse(tmp, &c->auth_method))
		c->auth_method = AUTH_NONE;
	n = sqlite3_column_bytes(st, 5);
	if (n == GH_HASH_BYTES) {
		memcpy(c->secret_hash, sqlite3_column_blob(st, 5), n);
		c->has_secret = true;
	}
	redirects = sqlite3_column_text(st, 6);
	store_split_redirects(redirects ? (const char *)redirects : "", c);
	sq_col_text(st, 7, c->scopes, sizeof(c->scopes));
	sq_col_text(st, 8, tmp, sizeof(tmp));
	c->status = store_client_status_parse(tmp);
	c->created_at = sq_col_int(st, 9);
	c->secret_rotated_at = sq_col_int(st, 10);
	c->updated_at = sq_col_int(st, 11);
	sq_col_text(st, 12, c->id_token_alg, sizeof(c->id_token_alg));
	sq_col_text(st, 13, c->jwks, sizeof(c->jwks));
	c->jwt_access_tokens = sq_col_int(st, 14) != 0;
	c->require_nonce = sq_col_int(st, 15) != 0;
	sq_col_text(st, 16, c->networks, sizeof(c->networks));
}

/* Bind a client's columns to S_CLIENT_INSERT; redirects joined. */
static void
client_bind(sqlite3_stmt *st, const struct client_row *c,
    const char *redirects)
{
	sq_bind_text(st, 1, c->id);
	sq_bind_text(st, 2, c->name);
	sq_bind_text(st, 3, c->owner);
	sqlite3_bind_int(st, 4, c->is_public);
	sq_bind_text(st, 5, client_auth_name(c->auth_method));
	if (c->has_secret)
		sq_bind_blob(st, 6, c->secret_hash, GH_HASH_BYTES);
	sq_bind_text(st, 7, redirects);
	sq_bind_text(st, 8, c->scopes);
	sq_bind_text(st, 9, client_status_name(c->status));
	sqlite3_bind_int64(st, 10, c->created_at);
	if (c->secret_rotated_at)
		sqlite3_bind_int64(st, 11, c->secret_rotated_at);
	sqlite3_bind_int64(st, 12, c->created_at);
	sq_bind_text(st, 13, c->id_token_alg[0] ? c->id_token_alg : "RS256");
	sq_bind_text(st, 14, c->jwks);
	sqlite3_bind_int(st, 15, c->jwt_access_tokens);
	sqlite3_bind_int(st, 16, c->require_nonce);
	sq_bind_text(st, 17, c->networks);
}

/* The INSERT and its event, if any, in one savepoint. */
static enum gh_err
client_insert(struct store *s, const struct client_row *c,
    const struct change_audit *ev)
{
	char		 redirects[GH_MAX_REDIRECTS * GH_MAX_REDIRECT_LEN];
	sqlite3_stmt	*st;
	enum gh_err	 rc;
	int		 r;

	store_join_redirects(c, redirects, sizeof(redirects));
	sq_lock(DB(s));
	if ((rc = sq_begin(DB(s))) != GH_OK)
		goto out;
	rc = GH_ERR_STORE;
	if ((st = sq_stmt(DB(s), S_CLIENT_INSERT)) != NULL) {
		client_bind(st, c, redirects);
		r = sqlite3_step(st);
		rc = r == SQLITE_DONE ? GH_OK : sq_error(DB(s), r);
		sqlite3_reset(st);
	}
	rc = sq_finish_with_event(DB(s), rc, ev);
out:
	return sq_release(DB(s), rc);
}

/*
 * Every token and authorization request reads its client: on the reader
 * connection (sq_read_stmt), which sees committed rows only. That is all
 * a request needs: none writes a client and reads it back.
 */
static void
client_out(sqlite3_stmt *st, void *out)
{
	sq_client_from_row(st, out);
}

static enum gh_err
client_get(struct store *s, const char *id, struct client_row *out)
{
	return sq_read_one(DB(s), S_CLIENT_GET, id, client_out, out);
}

static enum gh_err
client_each(struct store *s, bool (*fn)(void *, const struct client_row *),
    void *ctx)
{
	sqlite3_stmt		*st;
	struct client_row	*c;
	enum gh_err		 rc = GH_ERR_STORE;
	int			 r;

	if ((c = malloc(sizeof(*c))) == NULL)
		return GH_ERR_NOMEM;
	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_CLIENT_ALL)) == NULL)
		goto out;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		sq_client_from_row(st, c);
		if (!fn(ctx, c))
			break;
	}
	rc = r == SQLITE_ROW || r == SQLITE_DONE ? GH_OK : sq_error(DB(s), r);
	sqlite3_reset(st);
out:
	sq_unlock(DB(s));
	free(c);
	return rc;
}

/* Is there a client `id`? GH_OK, GH_ERR_NOT_FOUND or an error. Lock held. */
static enum gh_err
client_exists(struct sqlite_store *db, const char *id)
{
	sqlite3_stmt	*st;
	int		 r;

	if ((st = sq_stmt(db, S_CLIENT_GET)) == NULL)
		return GH_ERR_STORE;
	sq_bind_text(st, 1, id);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return GH_OK;
	return r == SQLITE_DONE ? GH_ERR_NOT_FOUND : sq_error(db, r);
}

/*
 * The UPDATE's condition on the status decides; when it changed nothing,
 * the client's existence only picks the answer (conflict or not found).
 * The event, if any, is inserted in the same savepoint.
 */
static enum gh_err
client_set_status(struct store *s, const char *id, enum client_status from,
    enum client_status to, int64_t now, const struct change_audit *ev)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, S_CLIENT_STATUS)) == NULL) {
		rc = GH_ERR_STORE;
	} else {
		sq_bind_text(st, 1, id);
		sq_bind_text(st, 2, client_status_name(to));
		sqlite3_bind_int64(st, 3, now);
		sq_bind_text(st, 4, client_status_name(from));
		rc = step_one_change(db, st);
		sqlite3_reset(st);
	}
	rc = sq_finish_with_event(db, rc, ev);
	if (rc == GH_ERR_NOT_FOUND && (rc = client_exists(db, id)) == GH_OK)
		rc = GH_ERR_CONFLICT;
out:
	return sq_release(db, rc);
}

static enum gh_err
client_set_secret(struct store *s, const char *id, const uint8_t *hash,
    int64_t now)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_CLIENT_SECRET)) != NULL) {
		sq_bind_text(st, 1, id);
		sq_bind_blob(st, 2, hash, GH_HASH_BYTES);
		sqlite3_bind_int64(st, 3, now);
		rc = step_one_change(DB(s), st);
		sqlite3_reset(st);
	}
	return sq_release(DB(s), rc);
}

static void
user_from_row(sqlite3_stmt *st, struct user_row *u)
{
	char tmp[32];

	memset(u, 0, sizeof(*u));
	sq_col_text(st, 0, u->id, sizeof(u->id));
	sq_col_text(st, 1, u->username, sizeof(u->username));
	sq_col_text(st, 2, u->password_hash, sizeof(u->password_hash));
	sq_col_text(st, 3, tmp, sizeof(tmp));
	u->status = strcmp(tmp, "active") == 0 ? USER_ACTIVE : USER_DISABLED;
	u->created_at = sq_col_int(st, 4);
	sq_col_text(st, 5, u->name, sizeof(u->name));
	sq_col_text(st, 6, u->email, sizeof(u->email));
	u->email_verified = sq_col_int(st, 7) != 0;
}

static const char *
user_status_name(enum user_status st)
{
	return st == USER_ACTIVE ? "active" : "disabled";
}

/* The INSERT and its event, if any, in one savepoint. */
static enum gh_err
user_insert(struct store *s, const struct user_row *u,
    const struct change_audit *ev)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;
	int		 r;

	sq_lock(DB(s));
	if ((rc = sq_begin(DB(s))) != GH_OK)
		goto out;
	rc = GH_ERR_STORE;
	if ((st = sq_stmt(DB(s), S_USER_INSERT)) != NULL) {
		sq_bind_text(st, 1, u->id);
		sq_bind_text(st, 2, u->username);
		sq_bind_text(st, 3, u->password_hash);
		sq_bind_text(st, 4, user_status_name(u->status));
		sqlite3_bind_int64(st, 5, u->created_at);
		sq_bind_text(st, 6, u->name);
		sq_bind_text(st, 7, u->email);
		sqlite3_bind_int(st, 8, u->email_verified);
		r = sqlite3_step(st);
		rc = r == SQLITE_DONE ? GH_OK : sq_error(DB(s), r);
		sqlite3_reset(st);
	}
	rc = sq_finish_with_event(DB(s), rc, ev);
out:
	return sq_release(DB(s), rc);
}

static void
user_out(sqlite3_stmt *st, void *out)
{
	user_from_row(st, out);
}

static enum gh_err
user_lookup(struct store *s, enum stmt_id id, const char *key,
    struct user_row *out)
{
	/* committed rows suffice: users are written by the admin command */
	return sq_read_one(DB(s), id, key, user_out, out);
}

static enum gh_err
user_by_name(struct store *s, const char *name, struct user_row *out)
{
	return user_lookup(s, S_USER_BY_NAME, name, out);
}

static enum gh_err
user_get(struct store *s, const char *id, struct user_row *out)
{
	return user_lookup(s, S_USER_GET, id, out);
}

static enum gh_err
user_each(struct store *s, bool (*fn)(void *, const struct user_row *),
    void *ctx)
{
	sqlite3_stmt	*st;
	struct user_row	 u;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_USER_ALL)) != NULL) {
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			user_from_row(st, &u);
			if (!fn(ctx, &u))
				break;
		}
		rc = r == SQLITE_ROW || r == SQLITE_DONE ? GH_OK :
		    sq_error(DB(s), r);
		sqlite3_reset(st);
	}
	return sq_release(DB(s), rc);
}

/*
 * Set one column of a user. With end_sessions (a password change, a
 * disable) every browser session of the user ends in the same
 * transaction: no session outlives the credential or the status it was
 * opened under, and enabling the user again brings none back. The event
 * ev, if not NULL, is inserted in that transaction too.
 */
static enum gh_err
user_update(struct store *s, enum stmt_id id, const char *uid,
    const char *value, int64_t now, bool end_sessions,
    const struct change_audit *ev)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, id)) == NULL) {
		rc = GH_ERR_STORE;
	} else {
		sq_bind_text(st, 1, uid);
		sq_bind_text(st, 2, value);
		sqlite3_bind_int64(st, 3, now);
		rc = step_one_change(db, st);
		sqlite3_reset(st);
	}
	if (rc == GH_OK && end_sessions) {
		if ((st = sq_stmt(db, S_SESSIONS_END_USER)) == NULL) {
			rc = GH_ERR_STORE;
		} else {
			sq_bind_text(st, 1, uid);
			rc = sq_step_done(db, st);
		}
	}
	rc = sq_finish_with_event(db, rc, ev);
out:
	return sq_release(db, rc);
}

static enum gh_err
user_set_status(struct store *s, const char *id, enum user_status us,
    int64_t now, const struct change_audit *ev)
{
	return user_update(s, S_USER_STATUS, id, user_status_name(us), now,
	    us != USER_ACTIVE, ev);
}

static enum gh_err
user_set_password(struct store *s, const char *id, const char *hash,
    int64_t now, const struct change_audit *ev)
{
	return user_update(s, S_USER_PASSWORD, id, hash, now, true, ev);
}

/* The UPDATE and its event, if any, in one savepoint. */
static enum gh_err
user_set_profile(struct store *s, const char *id, const char *name,
    const char *email, bool verified, int64_t now,
    const struct change_audit *ev)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;

	sq_lock(DB(s));
	if ((rc = sq_begin(DB(s))) != GH_OK)
		goto out;
	rc = GH_ERR_STORE;
	if ((st = sq_stmt(DB(s), S_USER_PROFILE)) != NULL) {
		sq_bind_text(st, 1, id);
		sq_bind_text(st, 2, name);
		sq_bind_text(st, 3, email);
		sqlite3_bind_int(st, 4, verified);
		sqlite3_bind_int64(st, 5, now);
		rc = step_one_change(DB(s), st);
		sqlite3_reset(st);
	}
	rc = sq_finish_with_event(DB(s), rc, ev);
out:
	return sq_release(DB(s), rc);
}

/*
 * The new session, and the end of the one it replaces, in one
 * transaction: both or neither (store.h).
 */
static enum gh_err
session_insert(struct store *s, const struct session_row *r,
    const char *password_hash, const uint8_t *replaces)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = sq_begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, S_SESSION_INSERT)) == NULL) {
		rc = GH_ERR_STORE;
	} else {
		sq_bind_blob(st, 1, r->hash, GH_HASH_BYTES);
		sq_bind_text(st, 2, r->user_id);
		sqlite3_bind_int64(st, 3, r->auth_time);
		sqlite3_bind_int64(st, 4, r->expires_at);
		sq_bind_text(st, 5, password_hash);
		rc = step_one_change(db, st);
		sqlite3_reset(st);
	}
	if (rc == GH_OK && replaces != NULL) {
		if ((st = sq_stmt(db, S_SESSION_DELETE)) == NULL) {
			rc = GH_ERR_STORE;
		} else {
			sq_bind_blob(st, 1, replaces, GH_HASH_BYTES);
			rc = sq_step_done(db, st);
		}
	}
	rc = sq_finish_tx(db, rc);
out:
	return sq_release(db, rc);
}

/*
 * The session, and with a client_id its user's live grant to that client
 * in the same statement (a LEFT JOIN): one read transaction where two
 * would each begin a WAL read and reload the pages another commit made
 * stale. Committed rows suffice: a login waits for its session's commit.
 */
static enum gh_err
session_read(struct store *s, const uint8_t *hash, int64_t now,
    const char *client_id, struct session_row *out, struct grant_row *g,
    bool *have_grant)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 x;

	st = sq_read_stmt(DB(s), client_id != NULL ? S_SESSION_GRANT :
	    S_SESSION_GET);
	if (st == NULL)
		return sq_read_done(DB(s), rc);
	sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
	sqlite3_bind_int64(st, 2, now);
	if (client_id != NULL)
		sq_bind_text(st, 3, client_id);
	if ((x = sqlite3_step(st)) != SQLITE_ROW) {
		rc = x == SQLITE_DONE ? GH_ERR_NOT_FOUND :
		    sq_read_error(DB(s), x);
		goto done;
	}
	memcpy(out->hash, hash, GH_HASH_BYTES);
	sq_col_text(st, 0, out->user_id, sizeof(out->user_id));
	out->auth_time = sq_col_int(st, 1);
	out->expires_at = sq_col_int(st, 2);
	sq_col_text(st, 3, out->username, sizeof(out->username));
	if (client_id != NULL && sqlite3_column_type(st, 4) != SQLITE_NULL) {
		memset(g, 0, sizeof(*g));
		sq_col_text(st, 4, g->id, sizeof(g->id));
		str_copy(g->user_id, sizeof(g->user_id), out->user_id);
		str_copy(g->client_id, sizeof(g->client_id), client_id);
		sq_col_text(st, 5, g->scope, sizeof(g->scope));
		g->created_at = sq_col_int(st, 6);
		g->last_used_at = sq_col_int(st, 7);
		*have_grant = true;
	}
	rc = GH_OK;
done:
	sqlite3_reset(st);
	return sq_read_done(DB(s), rc);
}

static enum gh_err
session_get(struct store *s, const uint8_t *hash, int64_t now,
    struct session_row *out)
{
	return session_read(s, hash, now, NULL, out, NULL, NULL);
}

static enum gh_err
session_grant(struct store *s, const uint8_t *hash, int64_t now,
    const char *client_id, struct session_row *out, struct grant_row *g,
    bool *have_grant)
{
	return session_read(s, hash, now, client_id, out, g, have_grant);
}

static enum gh_err
session_delete(struct store *s, const uint8_t *hash)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 x;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_SESSION_DELETE)) != NULL) {
		sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
		x = sqlite3_step(st);
		rc = x == SQLITE_DONE ? GH_OK : sq_error(DB(s), x);
		sqlite3_reset(st);
	}
	return sq_release(DB(s), rc);
}

void
sqlite_ident_ops(struct store_ops *ops)
{
	ops->client_insert = client_insert;
	ops->client_get = client_get;
	ops->client_each = client_each;
	ops->client_set_status = client_set_status;
	ops->client_set_secret = client_set_secret;
	ops->user_insert = user_insert;
	ops->user_by_name = user_by_name;
	ops->user_get = user_get;
	ops->user_each = user_each;
	ops->user_set_status = user_set_status;
	ops->user_set_password = user_set_password;
	ops->user_set_profile = user_set_profile;
	ops->session_insert = session_insert;
	ops->session_get = session_get;
	ops->session_grant = session_grant;
	ops->session_delete = session_delete;
}
