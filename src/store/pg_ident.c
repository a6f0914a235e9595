/*
 * pg_ident.c - PostgreSQL operations on identities: clients, users and
 * browser sessions. Same semantics as sqlite_ident.c.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../util/str.h"

#define DB(s) ((struct pg_store *)(s))

/* After a write to clients: this node's next read sees it (pg_cache.c). */
static enum gh_err
forget(struct store *s, enum gh_err rc)
{
	pg_cache_forget(&DB(s)->cache);
	return rc;
}

/*
 * One statement that must change one row, and its event ev (struct
 * change_audit) in the same transaction: both or neither.
 * GH_ERR_NOT_FOUND, and no event, when it changed no row. Without an
 * event, the statement alone (pg_one_change).
 */
enum gh_err
pg_change_with_event(struct store *s, enum pg_stmt id,
    const struct pg_params *p, const struct change_audit *ev)
{
	struct pg_conn		*c;
	unsigned		 n = 0;
	enum gh_err		 rc;

	if (ev == NULL)
		return pg_one_change(s, id, p);
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) == GH_OK &&
	    (rc = pg_cmd(c, id, p, &n)) == GH_OK && n != 1)
		rc = GH_ERR_NOT_FOUND;
	if (rc == GH_OK)
		rc = pg_change_event_in_tx(DB(s), c, ev, 1);
	return pg_release(DB(s), c, pg_finish(c, rc));
}

void
pg_client_from_row(const PGresult *r, int i, struct client_row *c)
{
	char	redirects[GH_MAX_REDIRECTS * GH_MAX_REDIRECT_LEN];
	char	tmp[32];

	client_row_clear(c);
	pg_col_text(r, i, 0, c->id, sizeof(c->id));
	pg_col_text(r, i, 1, c->name, sizeof(c->name));
	pg_col_text(r, i, 2, c->owner, sizeof(c->owner));
	c->is_public = pg_col_int(r, i, 3) != 0;
	pg_col_text(r, i, 4, tmp, sizeof(tmp));
	if (!client_auth_parse(tmp, &c->auth_method))
		c->auth_method = AUTH_NONE;
	c->has_secret = pg_col_hash(r, i, 5, c->secret_hash);
	pg_col_text(r, i, 6, redirects, sizeof(redirects));
	store_split_redirects(redirects, c);
	pg_col_text(r, i, 7, c->scopes, sizeof(c->scopes));
	pg_col_text(r, i, 8, tmp, sizeof(tmp));
	c->status = store_client_status_parse(tmp);
	c->created_at = pg_col_int(r, i, 9);
	c->secret_rotated_at = pg_col_int(r, i, 10);
	c->updated_at = pg_col_int(r, i, 11);
	pg_col_text(r, i, 12, c->id_token_alg, sizeof(c->id_token_alg));
	pg_col_text(r, i, 13, c->jwks, sizeof(c->jwks));
	c->jwt_access_tokens = pg_col_int(r, i, 14) != 0;
	c->require_nonce = pg_col_int(r, i, 15) != 0;
	pg_col_text(r, i, 16, c->networks, sizeof(c->networks));
}

/* The INSERT and its event, if any, in one transaction. */
static enum gh_err
client_insert(struct store *s, const struct client_row *c,
    const struct change_audit *ev)
{
	char			 redirects[GH_MAX_REDIRECTS *
				    GH_MAX_REDIRECT_LEN];
	struct pg_params	 p;

	store_join_redirects(c, redirects, sizeof(redirects));
	pp_init(&p);
	pp_text(&p, c->id);
	pp_text(&p, c->name);
	pp_text(&p, c->owner);
	pp_int(&p, c->is_public);
	pp_text(&p, client_auth_name(c->auth_method));
	if (c->has_secret)
		pp_blob(&p, c->secret_hash, GH_HASH_BYTES);
	else
		pp_text(&p, NULL);
	pp_text(&p, redirects);
	pp_text(&p, c->scopes);
	pp_text(&p, client_status_name(c->status));
	pp_int(&p, c->created_at);
	if (c->secret_rotated_at)
		pp_int(&p, c->secret_rotated_at);
	else
		pp_text(&p, NULL);
	pp_int(&p, c->created_at);
	pp_text(&p, c->id_token_alg[0] ? c->id_token_alg : "RS256");
	pp_text(&p, c->jwks);
	pp_int(&p, c->jwt_access_tokens);
	pp_int(&p, c->require_nonce);
	pp_text(&p, c->networks);
	return forget(s, pg_change_with_event(s, P_CLIENT_INSERT, &p, ev));
}

static enum gh_err
client_get(struct store *s, const char *id, struct client_row *out)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;
	uint64_t		 gen;

	if (pg_cache_get(&DB(s)->cache, id, out))
		return GH_OK;
	gen = pg_cache_gen(&DB(s)->cache);
	pp_init(&p);
	pp_text(&p, id);
	if ((rc = pg_one(s, P_CLIENT_GET, &p, &r, NULL)) != GH_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return GH_ERR_NOT_FOUND;
	}
	pg_client_from_row(r, 0, out);
	pg_cache_put(&DB(s)->cache, id, r, gen);
	return GH_OK;
}

static enum gh_err
client_each(struct store *s, bool (*fn)(void *, const struct client_row *),
    void *ctx)
{
	struct client_row	*c;
	PGresult		*r;
	enum gh_err		 rc;
	int			 i;

	if ((c = malloc(sizeof(*c))) == NULL)
		return GH_ERR_NOMEM;
	if ((rc = pg_one(s, P_CLIENT_ALL, NULL, &r, NULL)) == GH_OK) {
		for (i = 0; i < PQntuples(r); i++) {
			pg_client_from_row(r, i, c);
			if (!fn(ctx, c))
				break;
		}
		PQclear(r);
	}
	free(c);
	return rc;
}

/*
 * The UPDATE's condition on the status decides; when it changed nothing,
 * the client's existence only picks the answer (conflict or not found).
 * With an event, the UPDATE and the event are one transaction.
 */
static enum gh_err
client_set_status(struct store *s, const char *id, enum client_status from,
    enum client_status to, int64_t now, const struct change_audit *ev)
{
	struct pg_params	 p;
	PGresult		*res;
	enum gh_err		 rc;

	pp_init(&p);
	pp_text(&p, id);
	pp_text(&p, client_status_name(to));
	pp_int(&p, now);
	pp_text(&p, client_status_name(from));
	rc = forget(s, pg_change_with_event(s, P_CLIENT_STATUS, &p, ev));
	if (rc != GH_ERR_NOT_FOUND)
		return rc;
	pp_init(&p);
	pp_text(&p, id);
	if ((rc = pg_one(s, P_CLIENT_GET, &p, &res, NULL)) != GH_OK)
		return rc;
	rc = PQntuples(res) == 1 ? GH_ERR_CONFLICT : GH_ERR_NOT_FOUND;
	PQclear(res);
	return rc;
}

static enum gh_err
client_set_secret(struct store *s, const char *id, const uint8_t *hash,
    int64_t now)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, id);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, now);
	return forget(s, pg_one_change(s, P_CLIENT_SECRET, &p));
}

static void
user_from_row(const PGresult *r, int i, struct user_row *u)
{
	char tmp[32];

	memset(u, 0, sizeof(*u));
	pg_col_text(r, i, 0, u->id, sizeof(u->id));
	pg_col_text(r, i, 1, u->username, sizeof(u->username));
	pg_col_text(r, i, 2, u->password_hash, sizeof(u->password_hash));
	pg_col_text(r, i, 3, tmp, sizeof(tmp));
	u->status = strcmp(tmp, "active") == 0 ? USER_ACTIVE : USER_DISABLED;
	u->created_at = pg_col_int(r, i, 4);
	pg_col_text(r, i, 5, u->name, sizeof(u->name));
	pg_col_text(r, i, 6, u->email, sizeof(u->email));
	u->email_verified = pg_col_int(r, i, 7) != 0;
}

static const char *
user_status_name(enum user_status st)
{
	return st == USER_ACTIVE ? "active" : "disabled";
}

/* The INSERT and its event, if any, in one transaction. */
static enum gh_err
user_insert(struct store *s, const struct user_row *u,
    const struct change_audit *ev)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, u->id);
	pp_text(&p, u->username);
	pp_text(&p, u->password_hash);
	pp_text(&p, user_status_name(u->status));
	pp_int(&p, u->created_at);
	pp_text(&p, u->name);
	pp_text(&p, u->email);
	pp_int(&p, u->email_verified);
	return pg_change_with_event(s, P_USER_INSERT, &p, ev);
}

static enum gh_err
user_lookup(struct store *s, enum pg_stmt id, const char *key,
    struct user_row *out)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_text(&p, key);
	if ((rc = pg_one(s, id, &p, &r, NULL)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1)
		user_from_row(r, 0, out);
	else
		rc = GH_ERR_NOT_FOUND;
	PQclear(r);
	return rc;
}

static enum gh_err
user_by_name(struct store *s, const char *name, struct user_row *out)
{
	return user_lookup(s, P_USER_BY_NAME, name, out);
}

static enum gh_err
user_get(struct store *s, const char *id, struct user_row *out)
{
	return user_lookup(s, P_USER_GET, id, out);
}

static enum gh_err
user_each(struct store *s, bool (*fn)(void *, const struct user_row *),
    void *ctx)
{
	struct user_row	 u;
	PGresult	*r;
	enum gh_err	 rc;
	int		 i;

	if ((rc = pg_one(s, P_USER_ALL, NULL, &r, NULL)) != GH_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		user_from_row(r, i, &u);
		if (!fn(ctx, &u))
			break;
	}
	PQclear(r);
	return GH_OK;
}

/*
 * Set one column of a user. With end_sessions (a password change, a
 * disable) every browser session of the user ends in the same
 * transaction. The DELETE is a statement of its own after the UPDATE, so
 * its snapshot is taken once the UPDATE holds the user's row: it sees a
 * session whose insert held that row first (P_SESSION_INSERT). The event
 * ev, if not NULL, is appended in that transaction too.
 */
static enum gh_err
user_update(struct store *s, enum pg_stmt id, const char *uid,
    const char *value, int64_t now, bool end_sessions,
    const struct change_audit *ev)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	unsigned		 n = 0;
	enum gh_err		 rc;

	pp_init(&p);
	pp_text(&p, uid);
	pp_text(&p, value);
	pp_int(&p, now);
	if (!end_sessions && ev == NULL)
		return pg_one_change(s, id, &p);
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) != GH_OK)
		goto out;
	if ((rc = pg_cmd(c, id, &p, &n)) == GH_OK && n != 1)
		rc = GH_ERR_NOT_FOUND;
	if (rc == GH_OK && end_sessions) {
		pp_init(&p);
		pp_text(&p, uid);
		rc = pg_cmd(c, P_SESSIONS_END_USER, &p, NULL);
	}
	if (rc == GH_OK && ev != NULL)
		rc = pg_change_event_in_tx(DB(s), c, ev, 1);
	rc = pg_finish(c, rc);
out:
	return pg_release(DB(s), c, rc);
}

static enum gh_err
user_set_status(struct store *s, const char *id, enum user_status us,
    int64_t now, const struct change_audit *ev)
{
	return user_update(s, P_USER_STATUS, id, user_status_name(us), now,
	    us != USER_ACTIVE, ev);
}

static enum gh_err
user_set_password(struct store *s, const char *id, const char *hash,
    int64_t now, const struct change_audit *ev)
{
	return user_update(s, P_USER_PASSWORD, id, hash, now, true, ev);
}

/* The UPDATE and its event, if any, in one transaction. */
static enum gh_err
user_set_profile(struct store *s, const char *id, const char *name,
    const char *email, bool verified, int64_t now,
    const struct change_audit *ev)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, id);
	pp_text(&p, name);
	pp_text(&p, email);
	pp_int(&p, verified);
	pp_int(&p, now);
	return pg_change_with_event(s, P_USER_PROFILE, &p, ev);
}

/*
 * The new session, and the end of the one it replaces, in one
 * transaction: both or neither (store.h). Alone, one statement. The
 * INSERT comes first: it takes the user's row (FOR SHARE) before the
 * DELETE takes the old session's, the order user_update takes them in,
 * so a password change racing a re-login of the same user waits instead
 * of deadlocking.
 */
static enum gh_err
session_insert(struct store *s, const struct session_row *r,
    const char *password_hash, const uint8_t *replaces)
{
	struct pg_params	 p, d;
	struct pg_conn		*c;
	unsigned		 n = 0;
	enum gh_err		 rc;

	pp_init(&p);
	pp_blob(&p, r->hash, GH_HASH_BYTES);
	pp_text(&p, r->user_id);
	pp_int(&p, r->auth_time);
	pp_int(&p, r->expires_at);
	pp_text(&p, password_hash);
	if (replaces == NULL)
		return pg_one_change(s, P_SESSION_INSERT, &p);
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) != GH_OK)
		goto out;
	pp_init(&d);
	pp_blob(&d, replaces, GH_HASH_BYTES);
	if ((rc = pg_cmd(c, P_SESSION_INSERT, &p, &n)) == GH_OK && n != 1)
		rc = GH_ERR_NOT_FOUND;
	if (rc == GH_OK)
		rc = pg_cmd(c, P_SESSION_DELETE, &d, NULL);
	rc = pg_finish(c, rc);
out:
	return pg_release(DB(s), c, rc);
}

/* The session of a P_SESSION_GET or P_SESSION_GRANT result, if any. */
static enum gh_err
session_row(PGresult *r, const uint8_t *hash, struct session_row *out)
{
	if (PQntuples(r) != 1)
		return GH_ERR_NOT_FOUND;
	memcpy(out->hash, hash, GH_HASH_BYTES);
	pg_col_text(r, 0, 0, out->user_id, sizeof(out->user_id));
	out->auth_time = pg_col_int(r, 0, 1);
	out->expires_at = pg_col_int(r, 0, 2);
	pg_col_text(r, 0, 3, out->username, sizeof(out->username));
	return GH_OK;
}

static enum gh_err
session_get(struct store *s, const uint8_t *hash, int64_t now,
    struct session_row *out)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, now);
	if ((rc = pg_one(s, P_SESSION_GET, &p, &r, NULL)) != GH_OK)
		return rc;
	rc = session_row(r, hash, out);
	PQclear(r);
	return rc;
}

/* The session and the grant in one statement (a LEFT JOIN). */
static enum gh_err
session_grant(struct store *s, const uint8_t *hash, int64_t now,
    const char *client_id, struct session_row *out, struct grant_row *g,
    bool *have_grant)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, now);
	pp_text(&p, client_id);
	if ((rc = pg_one(s, P_SESSION_GRANT, &p, &r, NULL)) != GH_OK)
		return rc;
	if ((rc = session_row(r, hash, out)) == GH_OK &&
	    !PQgetisnull(r, 0, 4)) {
		memset(g, 0, sizeof(*g));
		pg_col_text(r, 0, 4, g->id, sizeof(g->id));
		str_copy(g->user_id, sizeof(g->user_id), out->user_id);
		str_copy(g->client_id, sizeof(g->client_id), client_id);
		pg_col_text(r, 0, 5, g->scope, sizeof(g->scope));
		g->created_at = pg_col_int(r, 0, 6);
		g->last_used_at = pg_col_int(r, 0, 7);
		*have_grant = true;
	}
	PQclear(r);
	return rc;
}

/* logout: one DELETE, so a session ends once whatever node is asked */
static enum gh_err
session_delete(struct store *s, const uint8_t *hash)
{
	struct pg_params p;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	return pg_one(s, P_SESSION_DELETE, &p, NULL, NULL);
}

void
pg_ident_ops(struct store_ops *ops)
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
