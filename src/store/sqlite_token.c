/*
 * sqlite_token.c - SQLite operations on the grant chain: grants, codes,
 * token families and tokens.
 *
 * The two single-use operations (code redemption, refresh rotation) are
 * each one conditional UPDATE whose affected-row count decides the race,
 * followed in the same IMMEDIATE transaction by the inserts it guards.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"
#include "../util/crypto.h"
#include "../util/str.h"

#define DB(s) ((struct sqlite_store *)(s))

#define step_done sq_step_done
#define finish_tx sq_finish_tx

static enum gh_err
begin(struct sqlite_store *db)
{
	return sq_begin(db);
}

static enum gh_err
new_id(const char *prefix, char *out, size_t outsz)
{
	uint8_t	raw[16];
	size_t	pl = strlen(prefix);

	if (pl + b64url_len(sizeof(raw)) + 1 > outsz ||
	    crypto_random(raw, sizeof(raw)) != GH_OK)
		return GH_ERR_CRYPTO;
	memcpy(out, prefix, pl);
	b64url_encode(raw, sizeof(raw), out + pl);
	return GH_OK;
}

/* grants */

/*
 * Step S_GRANT_FIND (user_id, client_id) or S_GRANT_GET (an id, client_id
 * NULL), bound here; the SQLite result code, row in out.
 */
static int
grant_step(sqlite3_stmt *st, const char *user_id, const char *client_id,
    struct grant_row *out)
{
	int r;

	sq_bind_text(st, 1, user_id);
	if (client_id != NULL)
		sq_bind_text(st, 2, client_id);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		sq_col_text(st, 0, out->id, sizeof(out->id));
		sq_col_text(st, 1, out->user_id, sizeof(out->user_id));
		sq_col_text(st, 2, out->client_id, sizeof(out->client_id));
		sq_col_text(st, 3, out->scope, sizeof(out->scope));
		out->created_at = sq_col_int(st, 4);
		out->last_used_at = sq_col_int(st, 5);
	}
	sqlite3_reset(st);
	return r;
}

static enum gh_err
grant_find_locked(struct sqlite_store *db, const char *user_id,
    const char *client_id, struct grant_row *out)
{
	sqlite3_stmt	*st;
	int		 r;

	if ((st = sq_stmt(db, S_GRANT_FIND)) == NULL)
		return GH_ERR_STORE;
	r = grant_step(st, user_id, client_id, out);
	return r == SQLITE_ROW ? GH_OK : r == SQLITE_DONE ? GH_ERR_NOT_FOUND :
	    sq_error(db, r);
}

/* committed rows suffice: consent waits for its grant's commit */
static enum gh_err
grant_read(struct store *s, enum stmt_id id, const char *first,
    const char *client_id, struct grant_row *out)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	if ((st = sq_read_stmt(DB(s), id)) != NULL) {
		r = grant_step(st, first, client_id, out);
		rc = r == SQLITE_ROW ? GH_OK : r == SQLITE_DONE ?
		    GH_ERR_NOT_FOUND : sq_read_error(DB(s), r);
	}
	return sq_read_done(DB(s), rc);
}

static enum gh_err
grant_find(struct store *s, const char *user_id, const char *client_id,
    struct grant_row *out)
{
	return grant_read(s, S_GRANT_FIND, user_id, client_id, out);
}

/* read after the revocation it describes was acknowledged: committed */
static enum gh_err
grant_get(struct store *s, const char *id, struct grant_row *out)
{
	return grant_read(s, S_GRANT_GET, id, NULL, out);
}

/*
 * Inside the writer's transaction: replace the live grant's scope, or
 * insert one. Both statements write only while the client and the user
 * are active (S_GRANT_INSERT): a write that changed no row is
 * GH_ERR_NOT_FOUND, as store.h says.
 */
static enum gh_err
grant_upsert(struct store *s, const char *user_id, const char *client_id,
    const char *scope, int64_t now, struct grant_row *out)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc;

	sq_lock(db);
	if ((rc = begin(db)) != GH_OK)
		goto out;
	rc = grant_find_locked(db, user_id, client_id, out);
	if (rc == GH_OK) {
		if ((st = sq_stmt(db, S_GRANT_UPDATE)) == NULL) {
			rc = GH_ERR_STORE;
		} else {
			sq_bind_text(st, 1, out->id);
			sq_bind_text(st, 2, scope);
			rc = step_done(db, st);
		}
	} else if (rc == GH_ERR_NOT_FOUND) {
		memset(out, 0, sizeof(*out));
		rc = new_id("gr_", out->id, sizeof(out->id));
		str_copy(out->user_id, sizeof(out->user_id), user_id);
		str_copy(out->client_id, sizeof(out->client_id), client_id);
		out->created_at = now;
		if (rc == GH_OK && (st = sq_stmt(db, S_GRANT_INSERT)) == NULL)
			rc = GH_ERR_STORE;
		if (rc == GH_OK) {
			sq_bind_text(st, 1, out->id);
			sq_bind_text(st, 2, user_id);
			sq_bind_text(st, 3, client_id);
			sq_bind_text(st, 4, scope);
			sqlite3_bind_int64(st, 5, now);
			rc = step_done(db, st);
		}
	}
	/* the client or the user is no longer active */
	if (rc == GH_OK && sqlite3_changes(db->db) != 1)
		rc = GH_ERR_NOT_FOUND;
	str_copy(out->scope, sizeof(out->scope), scope);
	rc = finish_tx(db, rc);
out:
	return sq_release(db, rc);
}

static enum gh_err
grant_touch(struct sqlite_store *db, const char *grant_id, int64_t now)
{
	sqlite3_stmt *st = sq_stmt(db, S_GRANT_TOUCH);

	if (st == NULL)
		return GH_ERR_STORE;
	sq_bind_text(st, 1, grant_id);
	sqlite3_bind_int64(st, 2, now);
	return step_done(db, st);
}

/* codes */

static enum gh_err
code_insert(struct store *s, const struct code_row *r)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_CODE_INSERT)) != NULL) {
		sq_bind_blob(st, 1, r->hash, GH_HASH_BYTES);
		sq_bind_text(st, 2, r->grant_id);
		sq_bind_text(st, 3, r->client_id);
		sq_bind_text(st, 4, r->user_id);
		sq_bind_text(st, 5, r->redirect_uri);
		sq_bind_text(st, 6, r->challenge);
		sq_bind_text(st, 7, r->scope);
		sq_bind_text(st, 8, r->nonce[0] ? r->nonce : NULL);
		sqlite3_bind_int64(st, 9, r->auth_time);
		sqlite3_bind_int64(st, 10, r->created_at);
		sqlite3_bind_int64(st, 11, r->expires_at);
		rc = step_done(DB(s), st);
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
code_get_locked(struct sqlite_store *db, const uint8_t *hash,
    struct code_row *out)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc;
	int		 r;

	if ((st = sq_stmt(db, S_CODE_GET)) == NULL)
		return GH_ERR_STORE;
	sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		memcpy(out->hash, hash, GH_HASH_BYTES);
		sq_col_text(st, 0, out->grant_id, sizeof(out->grant_id));
		sq_col_text(st, 1, out->client_id, sizeof(out->client_id));
		sq_col_text(st, 2, out->user_id, sizeof(out->user_id));
		sq_col_text(st, 3, out->redirect_uri,
		    sizeof(out->redirect_uri));
		sq_col_text(st, 4, out->challenge, sizeof(out->challenge));
		sq_col_text(st, 5, out->scope, sizeof(out->scope));
		sq_col_text(st, 6, out->nonce, sizeof(out->nonce));
		out->auth_time = sq_col_int(st, 7);
		out->created_at = sq_col_int(st, 8);
		out->expires_at = sq_col_int(st, 9);
		out->consumed = sq_col_int(st, 10) != 0;
		rc = GH_OK;
	} else {
		rc = r == SQLITE_DONE ? GH_ERR_NOT_FOUND : sq_error(db, r);
	}
	sqlite3_reset(st);
	return rc;
}

static enum gh_err
code_get(struct store *s, const uint8_t *hash, struct code_row *out)
{
	enum gh_err rc;

	sq_lock(DB(s));
	rc = code_get_locked(DB(s), hash, out);
	return sq_release(DB(s), rc);
}

static enum gh_err
token_insert_locked(struct sqlite_store *db, const struct token_row *t)
{
	sqlite3_stmt *st = sq_stmt(db, S_TOKEN_INSERT);

	if (st == NULL)
		return GH_ERR_STORE;
	sq_bind_blob(st, 1, t->hash, GH_HASH_BYTES);
	sq_bind_text(st, 2, t->kind == TOKEN_REFRESH ? "refresh" : "access");
	sq_bind_text(st, 3, t->family_id);
	sq_bind_text(st, 4, t->grant_id);
	sq_bind_text(st, 5, t->client_id);
	sq_bind_text(st, 6, t->user_id);
	sq_bind_text(st, 7, t->scope);
	sqlite3_bind_int64(st, 8, t->issued_at);
	sqlite3_bind_int64(st, 9, t->expires_at);
	return step_done(db, st);
}

static enum gh_err
code_redeem(struct store *s, const uint8_t *hash, int64_t now,
    const struct family_row *fam, const struct token_row *tokens, size_t n)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	struct code_row		 old;
	enum gh_err		 rc;
	size_t			 i;

	sq_lock(db);
	if ((rc = begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, S_CODE_CONSUME)) == NULL) {
		rc = finish_tx(db, GH_ERR_STORE);
		goto out;
	}
	sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
	sqlite3_bind_int64(st, 2, now);
	sq_bind_text(st, 3, fam->id);
	if ((rc = step_done(db, st)) == GH_OK &&
	    sqlite3_changes(db->db) != 1) {
		/* lost: already consumed (replay) or unknown/expired */
		rc = code_get_locked(db, hash, &old);
		if (rc == GH_OK)
			rc = old.consumed ? GH_ERR_CONFLICT : GH_ERR_NOT_FOUND;
		(void)finish_tx(db, GH_ERR_CONFLICT);
		goto out;
	}
	if (rc == GH_OK && (st = sq_stmt(db, S_FAMILY_INSERT)) == NULL)
		rc = GH_ERR_STORE;
	if (rc == GH_OK) {
		sq_bind_text(st, 1, fam->id);
		sq_bind_text(st, 2, fam->grant_id);
		sq_bind_text(st, 3, fam->client_id);
		sq_bind_text(st, 4, fam->user_id);
		sq_bind_blob(st, 5, fam->code_hash, GH_HASH_BYTES);
		sqlite3_bind_int64(st, 6, fam->created_at);
		rc = step_done(db, st);
	}
	for (i = 0; rc == GH_OK && i < n; i++)
		rc = token_insert_locked(db, &tokens[i]);
	if (rc == GH_OK)
		rc = grant_touch(db, fam->grant_id, now);
	rc = finish_tx(db, rc);
out:
	return sq_release(db, rc);
}

static enum gh_err
revoke_where(struct store *s, enum stmt_id id, const void *key, size_t klen,
    int64_t now, const char *reason, bool none_not_found)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), id)) != NULL) {
		if (klen)
			sq_bind_blob(st, 1, key, klen);
		else
			sq_bind_text(st, 1, key);
		sqlite3_bind_int64(st, 2, now);
		if (reason)
			sq_bind_text(st, 3, reason);
		/* nothing left to revoke (already revoked): say so */
		if ((rc = step_done(DB(s), st)) == GH_OK && none_not_found &&
		    sqlite3_changes(DB(s)->db) == 0)
			rc = GH_ERR_NOT_FOUND;
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
family_revoke_by_code(struct store *s, const uint8_t *hash, int64_t now,
    const char *reason)
{
	return revoke_where(s, S_FAMILY_REVOKE_CODE, hash, GH_HASH_BYTES, now,
	    reason, true);
}

static enum gh_err
family_revoke(struct store *s, const char *id, int64_t now,
    const char *reason)
{
	return revoke_where(s, S_FAMILY_REVOKE, id, 0, now, reason, true);
}

static enum gh_err
token_revoke(struct store *s, const uint8_t *hash, int64_t now)
{
	return revoke_where(s, S_TOKEN_REVOKE, hash, GH_HASH_BYTES, now, NULL,
	    false);
}

/* tokens */

static void
token_from_row(sqlite3_stmt *st, const uint8_t *hash, struct token_row *t)
{
	char kind[16];

	memset(t, 0, sizeof(*t));
	memcpy(t->hash, hash, GH_HASH_BYTES);
	sq_col_text(st, 0, kind, sizeof(kind));
	t->kind = strcmp(kind, "refresh") == 0 ? TOKEN_REFRESH : TOKEN_ACCESS;
	sq_col_text(st, 1, t->family_id, sizeof(t->family_id));
	sq_col_text(st, 2, t->grant_id, sizeof(t->grant_id));
	sq_col_text(st, 3, t->client_id, sizeof(t->client_id));
	sq_col_text(st, 4, t->user_id, sizeof(t->user_id));
	sq_col_text(st, 5, t->scope, sizeof(t->scope));
	t->issued_at = sq_col_int(st, 6);
	t->expires_at = sq_col_int(st, 7);
	t->family_created_at = sq_col_int(st, 8);
}

/* Step a bound-here S_TOKEN_LIVE or S_TOKEN_GET; the SQLite result. */
static int
token_step(sqlite3_stmt *st, enum stmt_id id, const uint8_t *hash,
    int64_t now, struct token_row *out, bool *rotated)
{
	int r;

	sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
	if (id == S_TOKEN_LIVE)
		sqlite3_bind_int64(st, 2, now);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		token_from_row(st, hash, out);
		if (rotated)
			*rotated = sq_col_int(st, 9) != 0;
	}
	sqlite3_reset(st);
	return r;
}

/*
 * Introspection, UserInfo and the token checks of every API read here,
 * on a reader (committed rows: a token is handed out, and a revocation
 * acknowledged, only once committed).
 */
static enum gh_err
token_live(struct store *s, const uint8_t *hash, int64_t now,
    struct token_row *out)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	if ((st = sq_read_stmt(DB(s), S_TOKEN_LIVE)) != NULL) {
		r = token_step(st, S_TOKEN_LIVE, hash, now, out, NULL);
		rc = r == SQLITE_ROW ? GH_OK : r == SQLITE_DONE ?
		    GH_ERR_NOT_FOUND : sq_read_error(DB(s), r);
	}
	return sq_read_done(DB(s), rc);
}

/* on the writer: reuse detection must see the open batch's rotations */
static enum gh_err
token_get(struct store *s, const uint8_t *hash, struct token_row *out,
    bool *rotated)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_TOKEN_GET)) != NULL) {
		r = token_step(st, S_TOKEN_GET, hash, 0, out, rotated);
		rc = r == SQLITE_ROW ? GH_OK : r == SQLITE_DONE ?
		    GH_ERR_NOT_FOUND : sq_error(DB(s), r);
	}
	return sq_release(DB(s), rc);
}

static enum gh_err
refresh_exchange(struct store *s, const uint8_t *hash, const char *client_id,
    int64_t now, struct token_row *next, size_t n)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	struct token_row	 old;
	char			 fam[GH_ID_LEN], grant[GH_ID_LEN];
	char			 user[GH_ID_LEN];
	bool			 rotated = false, won = false;
	enum gh_err		 rc;
	size_t			 i;
	int			 r;

	sq_lock(db);
	if ((rc = begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, S_REFRESH_ROTATE)) == NULL) {
		rc = finish_tx(db, GH_ERR_STORE);
		goto out;
	}
	sq_bind_blob(st, 1, hash, GH_HASH_BYTES);
	sq_bind_text(st, 2, client_id);
	sqlite3_bind_int64(st, 3, now);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		sq_col_text(st, 0, fam, sizeof(fam));
		sq_col_text(st, 1, grant, sizeof(grant));
		sq_col_text(st, 2, user, sizeof(user));
		won = true;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		rc = finish_tx(db, sq_error(db, r));
		goto out;
	}
	if (!won) {
		if ((st = sq_stmt(db, S_TOKEN_GET)) == NULL)
			rc = GH_ERR_STORE;
		else if ((r = token_step(st, S_TOKEN_GET, hash, 0, &old,
		    &rotated)) != SQLITE_ROW)
			rc = r == SQLITE_DONE ? GH_ERR_NOT_FOUND :
			    sq_error(db, r);
		if (rc == GH_OK)
			rc = rotated && strcmp(old.client_id, client_id) == 0 ?
			    GH_ERR_CONFLICT : GH_ERR_NOT_FOUND;
		(void)finish_tx(db, GH_ERR_CONFLICT);
		goto out;
	}
	for (i = 0; rc == GH_OK && i < n; i++) {
		str_copy(next[i].family_id, sizeof(next[i].family_id), fam);
		str_copy(next[i].grant_id, sizeof(next[i].grant_id), grant);
		str_copy(next[i].user_id, sizeof(next[i].user_id), user);
		str_copy(next[i].client_id, sizeof(next[i].client_id),
		    client_id);
		rc = token_insert_locked(db, &next[i]);
	}
	if (rc == GH_OK)
		rc = grant_touch(db, grant, now);
	rc = finish_tx(db, rc);
out:
	return sq_release(db, rc);
}

static enum gh_err
client_quarantine(struct store *s, const char *id, const uint8_t *hash,
    const char *reason, int64_t now, unsigned *grants,
    struct alert_row *alert)
{
	struct sqlite_store	*db = DB(s);
	sqlite3_stmt		*st;
	enum gh_err		 rc;

	*grants = 0;
	sq_lock(db);
	if ((rc = begin(db)) != GH_OK)
		goto out;
	if ((st = sq_stmt(db, S_CLIENT_QUARANTINE)) == NULL) {
		rc = GH_ERR_STORE;
	} else {
		sq_bind_text(st, 1, id);
		sq_bind_blob(st, 2, hash, GH_HASH_BYTES);
		sqlite3_bind_int64(st, 3, now);
		if ((rc = step_done(db, st)) == GH_OK &&
		    sqlite3_changes(db->db) != 1)
			rc = GH_ERR_NOT_FOUND;
	}
	if (rc == GH_OK && (st = sq_stmt(db, S_GRANTS_REVOKE_CLIENT)) == NULL)
		rc = GH_ERR_STORE;
	if (rc == GH_OK) {
		sq_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
		sq_bind_text(st, 3, reason);
		if ((rc = step_done(db, st)) == GH_OK)
			*grants = (unsigned)sqlite3_changes(db->db);
	}
	if (rc == GH_OK && alert)
		rc = sq_alert_insert(db, alert);
	rc = finish_tx(db, rc);
out:
	return sq_release(db, rc);
}

static enum gh_err
grant_each(struct store *s, const char *client_id, const char *user_id,
    bool (*fn)(void *, const struct grant_row *), void *ctx)
{
	sqlite3_stmt	*st;
	struct grant_row g;
	enum gh_err	 rc = GH_ERR_STORE;
	int		 r;

	sq_lock(DB(s));
	if ((st = sq_stmt(DB(s), S_GRANT_LIST)) != NULL) {
		sq_bind_text(st, 1, client_id);
		sq_bind_text(st, 2, user_id);
		while ((r = sqlite3_step(st)) == SQLITE_ROW) {
			memset(&g, 0, sizeof(g));
			sq_col_text(st, 0, g.id, sizeof(g.id));
			sq_col_text(st, 1, g.user_id, sizeof(g.user_id));
			sq_col_text(st, 2, g.client_id, sizeof(g.client_id));
			sq_col_text(st, 3, g.scope, sizeof(g.scope));
			g.created_at = sq_col_int(st, 4);
			g.last_used_at = sq_col_int(st, 5);
			sq_col_text(st, 6, g.username, sizeof(g.username));
			if (!fn(ctx, &g))
				break;
		}
		rc = r == SQLITE_ROW || r == SQLITE_DONE ? GH_OK :
		    sq_error(DB(s), r);
		sqlite3_reset(st);
	}
	sq_unlock(DB(s));
	return rc;
}

static enum gh_err
grant_revoke(struct store *s, enum grant_scope what, const char *id,
    const char *reason, int64_t now, unsigned *count)
{
	sqlite3_stmt	*st;
	enum gh_err	 rc = GH_ERR_STORE;

	*count = 0;
	sq_lock(DB(s));
	st = sq_stmt(DB(s), what == GRANT_ONE ? S_GRANT_REVOKE_ID :
	    what == GRANTS_OF_CLIENT ? S_GRANTS_REVOKE_CLIENT :
	    S_GRANTS_REVOKE_USER);
	if (st != NULL) {
		sq_bind_text(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
		sq_bind_text(st, 3, reason);
		if ((rc = step_done(DB(s), st)) == GH_OK)
			*count = (unsigned)sqlite3_changes(DB(s)->db);
	}
	return sq_release(DB(s), rc);
}

void
sqlite_token_ops(struct store_ops *ops)
{
	ops->grant_upsert = grant_upsert;
	ops->grant_find = grant_find;
	ops->grant_get = grant_get;
	ops->code_insert = code_insert;
	ops->code_get = code_get;
	ops->code_redeem = code_redeem;
	ops->family_revoke_by_code = family_revoke_by_code;
	ops->family_revoke = family_revoke;
	ops->token_live = token_live;
	ops->token_get = token_get;
	ops->refresh_exchange = refresh_exchange;
	ops->token_revoke = token_revoke;
	ops->client_quarantine = client_quarantine;
	ops->grant_each = grant_each;
	ops->grant_revoke = grant_revoke;
}
