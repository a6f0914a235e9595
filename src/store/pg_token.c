/*
 * pg_token.c - PostgreSQL operations on the grant chain: grants, codes,
 * token families, tokens, and the client kill switch. Same semantics as
 * sqlite_token.c.
 *
 * The two single-use operations (code redemption, refresh rotation) are
 * each one conditional UPDATE whose affected-row count decides the race,
 * followed in the same transaction by the inserts it guards. Under READ
 * COMMITTED a concurrent UPDATE of the same row waits for the first one
 * to commit or roll back, then re-checks its WHERE clause on the newest
 * row version: after a commit the loser matches nothing; after a rollback
 * it wins in its place. Either way exactly one transaction writes tokens.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../util/crypto.h"
#include "../util/str.h"

#define DB(s) ((struct pg_store *)(s))

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

/* P_GRANT_FIND (user_id, client_id) or P_GRANT_GET (an id, NULL) */
static enum gh_err
grant_read(struct store *s, enum pg_stmt id, const char *first,
    const char *client_id, struct grant_row *out)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_text(&p, first);
	if (client_id != NULL)
		pp_text(&p, client_id);
	if ((rc = pg_one(s, id, &p, &r, NULL)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1) {
		memset(out, 0, sizeof(*out));
		pg_col_text(r, 0, 0, out->id, sizeof(out->id));
		pg_col_text(r, 0, 1, out->user_id, sizeof(out->user_id));
		pg_col_text(r, 0, 2, out->client_id, sizeof(out->client_id));
		pg_col_text(r, 0, 3, out->scope, sizeof(out->scope));
		out->created_at = pg_col_int(r, 0, 4);
		out->last_used_at = pg_col_int(r, 0, 5);
	} else {
		rc = GH_ERR_NOT_FOUND;
	}
	PQclear(r);
	return rc;
}

static enum gh_err
grant_find(struct store *s, const char *user_id, const char *client_id,
    struct grant_row *out)
{
	return grant_read(s, P_GRANT_FIND, user_id, client_id, out);
}

static enum gh_err
grant_get(struct store *s, const char *id, struct grant_row *out)
{
	return grant_read(s, P_GRANT_GET, id, NULL, out);
}

/*
 * One statement: insert a grant with a fresh id, or, if the pair already
 * has a live grant, replace its scope. RETURNING tells which row it is;
 * no row when the client or the user is not active (P_GRANT_UPSERT):
 * GH_ERR_NOT_FOUND.
 */
static enum gh_err
grant_upsert(struct store *s, const char *user_id, const char *client_id,
    const char *scope, int64_t now, struct grant_row *out)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = new_id("gr_", out->id, sizeof(out->id))) != GH_OK)
		return rc;
	pp_init(&p);
	pp_text(&p, out->id);
	pp_text(&p, user_id);
	pp_text(&p, client_id);
	pp_text(&p, scope);
	pp_int(&p, now);
	if ((rc = pg_one(s, P_GRANT_UPSERT, &p, &r, NULL)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1) {
		pg_col_text(r, 0, 0, out->id, sizeof(out->id));
		out->created_at = pg_col_int(r, 0, 1);
		out->last_used_at = pg_col_int(r, 0, 2);
		str_copy(out->user_id, sizeof(out->user_id), user_id);
		str_copy(out->client_id, sizeof(out->client_id), client_id);
		str_copy(out->scope, sizeof(out->scope), scope);
	} else {
		rc = GH_ERR_NOT_FOUND;
	}
	PQclear(r);
	return rc;
}

static enum gh_err
grant_each(struct store *s, const char *client_id, const char *user_id,
    bool (*fn)(void *, const struct grant_row *), void *ctx)
{
	struct pg_params	 p;
	struct grant_row	 g;
	PGresult		*r;
	enum gh_err		 rc;
	int			 i;

	pp_init(&p);
	pp_text(&p, client_id);
	pp_text(&p, user_id);
	if ((rc = pg_one(s, P_GRANT_LIST, &p, &r, NULL)) != GH_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		memset(&g, 0, sizeof(g));
		pg_col_text(r, i, 0, g.id, sizeof(g.id));
		pg_col_text(r, i, 1, g.user_id, sizeof(g.user_id));
		pg_col_text(r, i, 2, g.client_id, sizeof(g.client_id));
		pg_col_text(r, i, 3, g.scope, sizeof(g.scope));
		g.created_at = pg_col_int(r, i, 4);
		g.last_used_at = pg_col_int(r, i, 5);
		pg_col_text(r, i, 6, g.username, sizeof(g.username));
		if (!fn(ctx, &g))
			break;
	}
	PQclear(r);
	return GH_OK;
}

/* one UPDATE whatever the number of tokens: they die by ancestry */
static enum gh_err
grant_revoke(struct store *s, enum grant_scope what, const char *id,
    const char *reason, int64_t now, unsigned *count)
{
	struct pg_params p;

	*count = 0;
	pp_init(&p);
	pp_text(&p, id);
	pp_int(&p, now);
	pp_text(&p, reason);
	return pg_one(s, what == GRANT_ONE ? P_GRANT_REVOKE_ID :
	    what == GRANTS_OF_CLIENT ? P_GRANTS_REVOKE_CLIENT :
	    P_GRANTS_REVOKE_USER, &p, NULL, count);
}

/* The kill switch: client status, secret and grants in one transaction. */
static enum gh_err
client_quarantine(struct store *s, const char *id, const uint8_t *hash,
    const char *reason, int64_t now, unsigned *grants,
    struct alert_row *alert)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	unsigned		 n = 0;
	enum gh_err		 rc;

	*grants = 0;
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) != GH_OK)
		goto out;
	pp_init(&p);
	pp_text(&p, id);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, now);
	if ((rc = pg_cmd(c, P_CLIENT_QUARANTINE, &p, &n)) == GH_OK && n != 1)
		rc = GH_ERR_NOT_FOUND;
	if (rc == GH_OK) {
		pp_init(&p);
		pp_text(&p, id);
		pp_int(&p, now);
		pp_text(&p, reason);
		rc = pg_cmd(c, P_GRANTS_REVOKE_CLIENT, &p, &n);
	}
	if (rc == GH_OK && alert)
		rc = pg_alert_insert(c, alert);
	if ((rc = pg_finish(c, rc)) == GH_OK)
		*grants = n;
out:
	pg_cache_forget(&DB(s)->cache);
	return pg_release(DB(s), c, rc);
}

/* codes */

static enum gh_err
code_insert(struct store *s, const struct code_row *r)
{
	struct pg_params p;

	pp_init(&p);
	pp_blob(&p, r->hash, GH_HASH_BYTES);
	pp_text(&p, r->grant_id);
	pp_text(&p, r->client_id);
	pp_text(&p, r->user_id);
	pp_text(&p, r->redirect_uri);
	pp_text(&p, r->challenge);
	pp_text(&p, r->scope);
	pp_text(&p, r->nonce[0] ? r->nonce : NULL);
	pp_int(&p, r->auth_time);
	pp_int(&p, r->created_at);
	pp_int(&p, r->expires_at);
	return pg_one(s, P_CODE_INSERT, &p, NULL, NULL);
}

/* Row 0 of a result with the columns of P_CODE_GET. */
static void
code_from_row(const PGresult *r, const uint8_t *hash, struct code_row *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->hash, hash, GH_HASH_BYTES);
	pg_col_text(r, 0, 0, out->grant_id, sizeof(out->grant_id));
	pg_col_text(r, 0, 1, out->client_id, sizeof(out->client_id));
	pg_col_text(r, 0, 2, out->user_id, sizeof(out->user_id));
	pg_col_text(r, 0, 3, out->redirect_uri, sizeof(out->redirect_uri));
	pg_col_text(r, 0, 4, out->challenge, sizeof(out->challenge));
	pg_col_text(r, 0, 5, out->scope, sizeof(out->scope));
	pg_col_text(r, 0, 6, out->nonce, sizeof(out->nonce));
	out->auth_time = pg_col_int(r, 0, 7);
	out->created_at = pg_col_int(r, 0, 8);
	out->expires_at = pg_col_int(r, 0, 9);
	out->consumed = pg_col_int(r, 0, 10) != 0;
}

static enum gh_err
code_get_on(struct pg_conn *c, const uint8_t *hash, struct code_row *out)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	if ((rc = pg_exec(c, P_CODE_GET, &p, &r)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1)
		code_from_row(r, hash, out);
	else
		rc = GH_ERR_NOT_FOUND;
	PQclear(r);
	return rc;
}

static enum gh_err
code_get(struct store *s, const uint8_t *hash, struct code_row *out)
{
	struct pg_conn *c;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	return pg_release(DB(s), c, code_get_on(c, hash, out));
}

static void
token_params(struct pg_params *p, const struct token_row *t)
{
	pp_init(p);
	pp_blob(p, t->hash, GH_HASH_BYTES);
	pp_text(p, t->kind == TOKEN_REFRESH ? "refresh" : "access");
	pp_text(p, t->family_id);
	pp_text(p, t->grant_id);
	pp_text(p, t->client_id);
	pp_text(p, t->user_id);
	pp_text(p, t->scope);
	pp_int(p, t->issued_at);
	pp_int(p, t->expires_at);
}

static void
family_params(struct pg_params *p, const struct family_row *f)
{
	pp_init(p);
	pp_text(p, f->id);
	pp_text(p, f->grant_id);
	pp_text(p, f->client_id);
	pp_text(p, f->user_id);
	pp_blob(p, f->code_hash, GH_HASH_BYTES);
	pp_int(p, f->created_at);
}

#define PG_ISSUE_MAX	4	/* tokens per operation (access, refresh) */

/*
 * The rest of a redemption's or rotation's transaction, which needs no
 * result from the server: the family (if fam), the new tokens, the
 * grant's last use, and COMMIT, in one round trip. On a failure the
 * transaction is left failed; pg_release rolls it back. If the connection
 * breaks under it, the row its first round trip locked (`locked`, by the
 * statement `fence` locks it again) tells when it has ended, and the first
 * new token whether it committed (pg_outcome.c): a rotation or redemption
 * that did succeeds, as if the reply had come, and is never taken for a
 * reuse or replay when the client retries it.
 */
static enum gh_err
issue_commit(struct pg_conn *c, enum pg_stmt fence, const uint8_t *locked,
    const struct family_row *fam, const struct token_row *t, size_t n,
    const char *grant_id, int64_t now)
{
	struct pg_params	 p[PG_ISSUE_MAX + 2], pp, fp;
	struct pg_step		 steps[PG_ISSUE_MAX + 3];
	struct pg_probe		 probe = { .fence = fence, .fp = &fp,
				    .id = P_TOKEN_GET, .p = &pp };
	size_t			 k = 0, i;

	if (n > PG_ISSUE_MAX)
		return GH_ERR_LIMIT;
	memset(steps, 0, sizeof(steps));
	if (fam != NULL) {
		family_params(&p[k], fam);
		steps[k].id = P_FAMILY_INSERT;
		steps[k].p = &p[k];
		k++;
	}
	for (i = 0; i < n; i++, k++) {
		token_params(&p[k], &t[i]);
		steps[k].id = P_TOKEN_INSERT;
		steps[k].p = &p[k];
	}
	pp_init(&p[k]);
	pp_text(&p[k], grant_id);
	pp_int(&p[k], now);
	steps[k].id = P_GRANT_TOUCH;
	steps[k].p = &p[k];
	steps[++k].id = P_COUNT;
	steps[k].sql = "COMMIT";
	if (n == 0)
		return pg_pipe(c, steps, k + 1);
	pp_init(&fp);
	pp_blob(&fp, locked, GH_HASH_BYTES);
	pp_init(&pp);
	pp_blob(&pp, t[0].hash, GH_HASH_BYTES);
	return pg_pipe_probe(c, steps, k + 1, &probe);
}

static enum gh_err
code_redeem(struct store *s, const uint8_t *hash, int64_t now,
    const struct family_row *fam, const struct token_row *tokens, size_t n)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	struct code_row		 old;
	PGresult		*r;
	enum gh_err		 rc;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, now);
	if ((rc = pg_begin_exec(c, P_CODE_CONSUME, &p, &r)) != GH_OK)
		goto out;
	if (pg_changed(r) != 1) {
		/* lost: already consumed (replay) or unknown/expired */
		rc = code_get_on(c, hash, &old);
		if (rc == GH_OK)
			rc = old.consumed ? GH_ERR_CONFLICT : GH_ERR_NOT_FOUND;
		(void)pg_finish(c, GH_ERR_CONFLICT);
	} else {
		rc = issue_commit(c, P_CODE_FENCE, hash, fam, tokens, n,
		    fam->grant_id, now);
	}
	PQclear(r);
out:
	return pg_release(DB(s), c, rc);
}

/*
 * Borrow a connection, and BEGIN with the single-use UPDATE `id` of a
 * take in one round trip. On failure the connection is given back.
 */
static enum gh_err
take_begin(struct store *s, enum pg_stmt id, const struct pg_params *p,
    struct pg_conn **c, PGresult **r)
{
	enum gh_err rc;

	if ((*c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin_exec(*c, id, p, r)) != GH_OK)
		(void)pg_release(DB(s), *c, rc);
	return rc;
}

/*
 * The code is consumed first, in the round trip that opens the
 * transaction, and its row comes back with it: take() sees it while the
 * row is locked, and what it returns commits in the second round trip,
 * or the transaction rolls back and the code is as it was.
 */
static enum gh_err
code_take(struct store *s, const uint8_t *hash, int64_t now,
    enum gh_err (*take)(void *, const struct code_row *, struct code_take *),
    void *ctx, struct code_row *out)
{
	struct code_take	 rec;
	struct pg_params	 p;
	struct pg_conn		*c;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, now);
	if ((rc = take_begin(s, P_CODE_TAKE, &p, &c, &r)) != GH_OK)
		return rc;
	if (PQntuples(r) != 1) {
		/* unknown, or consumed or expired: which, from the row */
		rc = code_get_on(c, hash, out);
		if (rc == GH_OK)
			rc = GH_ERR_CONFLICT;
	} else {
		code_from_row(r, hash, out);
		memset(&rec, 0, sizeof(rec));
		pg_in_take(true);
		rc = take(ctx, out, &rec);
		pg_in_take(false);
		if (rc == GH_OK)
			rc = issue_commit(c, P_CODE_FENCE, hash, rec.fam,
			    rec.tokens, rec.ntokens, rec.fam->grant_id, now);
	}
	PQclear(r);
	/* an open transaction (take refused, or a failure) rolls back */
	return pg_release(DB(s), c, rc);
}

static enum gh_err
revoke_where(struct store *s, enum pg_stmt id, const void *key, size_t klen,
    int64_t now, const char *reason, bool none_not_found)
{
	struct pg_params	 p;
	unsigned		 n = 0;
	enum gh_err		 rc;

	pp_init(&p);
	if (klen)
		pp_blob(&p, key, klen);
	else
		pp_text(&p, key);
	pp_int(&p, now);
	if (reason)
		pp_text(&p, reason);
	/* nothing left to revoke (already revoked): say so */
	if ((rc = pg_one(s, id, &p, NULL, &n)) == GH_OK && none_not_found &&
	    n == 0)
		rc = GH_ERR_NOT_FOUND;
	return rc;
}

static enum gh_err
family_revoke_by_code(struct store *s, const uint8_t *hash, int64_t now,
    const char *reason)
{
	return revoke_where(s, P_FAMILY_REVOKE_CODE, hash, GH_HASH_BYTES, now,
	    reason, true);
}

static enum gh_err
family_revoke(struct store *s, const char *id, int64_t now,
    const char *reason)
{
	return revoke_where(s, P_FAMILY_REVOKE, id, 0, now, reason, true);
}

static enum gh_err
token_revoke(struct store *s, const uint8_t *hash, int64_t now)
{
	return revoke_where(s, P_TOKEN_REVOKE, hash, GH_HASH_BYTES, now, NULL,
	    false);
}

/* tokens */

static void
token_from_row(const PGresult *r, const uint8_t *hash, struct token_row *t)
{
	char kind[16];

	memset(t, 0, sizeof(*t));
	memcpy(t->hash, hash, GH_HASH_BYTES);
	pg_col_text(r, 0, 0, kind, sizeof(kind));
	t->kind = strcmp(kind, "refresh") == 0 ? TOKEN_REFRESH : TOKEN_ACCESS;
	pg_col_text(r, 0, 1, t->family_id, sizeof(t->family_id));
	pg_col_text(r, 0, 2, t->grant_id, sizeof(t->grant_id));
	pg_col_text(r, 0, 3, t->client_id, sizeof(t->client_id));
	pg_col_text(r, 0, 4, t->user_id, sizeof(t->user_id));
	pg_col_text(r, 0, 5, t->scope, sizeof(t->scope));
	t->issued_at = pg_col_int(r, 0, 6);
	t->expires_at = pg_col_int(r, 0, 7);
	t->family_created_at = pg_col_int(r, 0, 8);
}

static enum gh_err
token_lookup(struct pg_conn *c, enum pg_stmt id, const uint8_t *hash,
    int64_t now, struct token_row *out, bool *rotated)
{
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	if (id == P_TOKEN_LIVE)
		pp_int(&p, now);
	if ((rc = pg_exec(c, id, &p, &r)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1) {
		token_from_row(r, hash, out);
		if (rotated)
			*rotated = pg_col_int(r, 0, 9) != 0;
	} else {
		rc = GH_ERR_NOT_FOUND;
	}
	PQclear(r);
	return rc;
}

static enum gh_err
token_live(struct store *s, const uint8_t *hash, int64_t now,
    struct token_row *out)
{
	struct pg_conn *c;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	return pg_release(DB(s), c, token_lookup(c, P_TOKEN_LIVE, hash, now,
	    out, NULL));
}

static enum gh_err
token_get(struct store *s, const uint8_t *hash, struct token_row *out,
    bool *rotated)
{
	struct pg_conn *c;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	return pg_release(DB(s), c, token_lookup(c, P_TOKEN_GET, hash, 0,
	    out, rotated));
}

/* After a lost rotation: a reuse (CONFLICT) or no such token (NOT_FOUND). */
/* The ids a token's successors take from it. */
static void
successors(struct token_row *next, size_t n, const char *fam,
    const char *grant, const char *user, const char *client_id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		str_copy(next[i].family_id, sizeof(next[i].family_id), fam);
		str_copy(next[i].grant_id, sizeof(next[i].grant_id), grant);
		str_copy(next[i].user_id, sizeof(next[i].user_id), user);
		str_copy(next[i].client_id, sizeof(next[i].client_id),
		    client_id);
	}
}

static enum gh_err
rotation_lost(struct pg_conn *c, const uint8_t *hash, const char *client_id)
{
	struct token_row	old;
	bool			rotated = false;
	enum gh_err		rc;

	rc = token_lookup(c, P_TOKEN_GET, hash, 0, &old, &rotated);
	if (rc == GH_OK)
		rc = rotated && strcmp(old.client_id, client_id) == 0 ?
		    GH_ERR_CONFLICT : GH_ERR_NOT_FOUND;
	(void)pg_finish(c, GH_ERR_CONFLICT);
	return rc;
}

static enum gh_err
refresh_exchange(struct store *s, const uint8_t *hash, const char *client_id,
    int64_t now, struct token_row *next, size_t n)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	PGresult		*r;
	char			 fam[GH_ID_LEN], grant[GH_ID_LEN];
	char			 user[GH_ID_LEN];
	enum gh_err		 rc;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_text(&p, client_id);
	pp_int(&p, now);
	if ((rc = pg_begin_exec(c, P_REFRESH_ROTATE, &p, &r)) != GH_OK)
		goto out;
	if (PQntuples(r) != 1) {
		PQclear(r);
		rc = rotation_lost(c, hash, client_id);
		goto out;
	}
	pg_col_text(r, 0, 0, fam, sizeof(fam));
	pg_col_text(r, 0, 1, grant, sizeof(grant));
	pg_col_text(r, 0, 2, user, sizeof(user));
	PQclear(r);
	successors(next, n, fam, grant, user, client_id);
	rc = issue_commit(c, P_TOKEN_FENCE, hash, NULL, next, n, grant,
	    now);
out:
	return pg_release(DB(s), c, rc);
}

/*
 * The rotation first, in the round trip that opens the transaction, with
 * the token's row: take() sees it while the row is locked, and its
 * successors commit in the second round trip, or the transaction rolls
 * back and the token is as it was.
 */
static enum gh_err
refresh_take(struct store *s, const uint8_t *hash, const char *client_id,
    int64_t now, enum gh_err (*take)(void *, const struct token_row *,
    struct refresh_take *), void *ctx, struct token_row *out)
{
	struct refresh_take	 rec;
	struct pg_params	 p;
	struct pg_conn		*c;
	PGresult		*r;
	enum gh_err		 rc;

	pp_init(&p);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_text(&p, client_id);
	pp_int(&p, now);
	if ((rc = take_begin(s, P_REFRESH_TAKE, &p, &c, &r)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1) {
		token_from_row(r, hash, out);
		memset(&rec, 0, sizeof(rec));
		pg_in_take(true);
		rc = take(ctx, out, &rec);
		pg_in_take(false);
		if (rc == GH_OK) {
			successors(rec.next, rec.nnext, out->family_id,
			    out->grant_id, out->user_id, client_id);
			rc = issue_commit(c, P_TOKEN_FENCE, hash, NULL,
			    rec.next, rec.nnext, out->grant_id, now);
		}
	} else {
		rc = GH_ERR_NOT_FOUND;	/* the caller asks why */
	}
	PQclear(r);
	/* an open transaction (take refused, or a failure) rolls back */
	return pg_release(DB(s), c, rc);
}

void
pg_token_ops(struct store_ops *ops)
{
	ops->grant_upsert = grant_upsert;
	ops->grant_find = grant_find;
	ops->grant_get = grant_get;
	ops->grant_each = grant_each;
	ops->grant_revoke = grant_revoke;
	ops->client_quarantine = client_quarantine;
	ops->code_insert = code_insert;
	ops->code_get = code_get;
	ops->code_redeem = code_redeem;
	ops->code_take = code_take;
	ops->refresh_take = refresh_take;
	ops->family_revoke_by_code = family_revoke_by_code;
	ops->family_revoke = family_revoke;
	ops->token_live = token_live;
	ops->token_get = token_get;
	ops->refresh_exchange = refresh_exchange;
	ops->token_revoke = token_revoke;
}
