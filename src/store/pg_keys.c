/*
 * pg_keys.c - PostgreSQL upkeep: our signing keys, the replay cache of
 * client assertion ids, and purging rows past any use. Same semantics as
 * sqlite_keys.c.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../util/crypto.h"

#define DB(s) ((struct pg_store *)(s))

/*
 * The n INSERTs, each followed by its event if any, in one transaction.
 * First keys: under PG_LOCK_KEYS, taken with the BEGIN, so that of nodes
 * starting together on an empty database one inserts while the others
 * wait, then find its keys (each statement reads what was committed
 * before it began) and insert none: GH_ERR_EXISTS, rolled back.
 */
static enum gh_err
keys_insert(struct store *s, const struct key_row *k,
    const struct change_audit *ev, size_t n, bool first)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	PGresult		*r = NULL;
	unsigned		 changed = 0;
	enum gh_err		 rc;
	size_t			 i;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if (first) {
		pp_init(&p);
		pp_int(&p, PG_LOCK_KEYS);
		rc = pg_begin_exec(c, P_XACT_LOCK, &p, &r);
		PQclear(r);
	} else
		rc = pg_begin(c);
	for (i = 0; rc == GH_OK && i < n; i++) {
		pp_init(&p);
		pp_text(&p, k[i].kid);
		pp_text(&p, k[i].alg);
		pp_text(&p, k[i].private_sealed);
		pp_text(&p, k[i].public_jwk);
		pp_int(&p, k[i].created_at);
		pp_int(&p, k[i].activate_at);
		if ((rc = pg_cmd(c, first ? P_KEY_INSERT_FIRST : P_KEY_INSERT,
		    &p, &changed)) == GH_OK && changed != 1)
			rc = GH_ERR_EXISTS;
		if (rc == GH_OK && ev != NULL)
			rc = pg_change_event_in_tx(DB(s), c, &ev[i], 1);
	}
	return pg_release(DB(s), c, pg_finish(c, rc));
}

static enum gh_err
key_each(struct store *s, bool (*fn)(void *, const struct key_row *),
    void *ctx)
{
	struct key_row	*k;
	PGresult	*r;
	enum gh_err	 rc;
	int		 i;

	if ((k = malloc(sizeof(*k))) == NULL)
		return GH_ERR_NOMEM;
	if ((rc = pg_one(s, P_KEY_ALL, NULL, &r, NULL)) == GH_OK) {
		for (i = 0; i < PQntuples(r); i++) {
			memset(k, 0, sizeof(*k));
			pg_col_text(r, i, 0, k->kid, sizeof(k->kid));
			pg_col_text(r, i, 1, k->alg, sizeof(k->alg));
			pg_col_text(r, i, 2, k->private_sealed,
			    sizeof(k->private_sealed));
			pg_col_text(r, i, 3, k->public_jwk,
			    sizeof(k->public_jwk));
			k->created_at = pg_col_int(r, i, 4);
			k->activate_at = pg_col_int(r, i, 5);
			k->retire_at = pg_col_int(r, i, 6);
			if (!fn(ctx, k))
				break;
		}
		/* the sealed keys leave no copy in libpq's buffers */
		for (i = 0; i < PQntuples(r); i++)
			crypto_wipe(PQgetvalue(r, i, 2),
			    (size_t)PQgetlength(r, i, 2));
		PQclear(r);
	}
	crypto_wipe(k, sizeof(*k));
	free(k);
	return rc;
}

/* With an event, the UPDATE and the event are one transaction. */
static enum gh_err
key_retire(struct store *s, const char *kid, int64_t now,
    const struct change_audit *ev)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, kid);
	pp_int(&p, now);
	return pg_change_with_event(s, P_KEY_RETIRE, &p, ev);
}

/* With an event, the DELETE and the event are one transaction. */
static enum gh_err
key_delete(struct store *s, const char *kid, const struct change_audit *ev)
{
	struct pg_params p;

	pp_init(&p);
	pp_text(&p, kid);
	return pg_change_with_event(s, P_KEY_DELETE, &p, ev);
}

/* single use of a jti: one INSERT ... ON CONFLICT DO NOTHING decides */
static enum gh_err
jti_use(struct store *s, const char *client_id, const uint8_t *hash,
    int64_t expires_at, int64_t now)
{
	struct pg_params	 p;
	struct pg_conn		*c;
	unsigned		 n = 0;
	enum gh_err		 rc;

	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	/* keep the cache bounded: drop what has expired */
	pp_init(&p);
	pp_int(&p, now);
	(void)pg_cmd(c, P_JTI_PURGE, &p, NULL);
	pp_init(&p);
	pp_text(&p, client_id);
	pp_blob(&p, hash, GH_HASH_BYTES);
	pp_int(&p, expires_at);
	if ((rc = pg_cmd(c, P_JTI_INSERT, &p, &n)) == GH_OK && n != 1)
		rc = GH_ERR_CONFLICT;
	return pg_release(DB(s), c, rc);
}

/*
 * One node purges at a time (an advisory lock until commit): two nodes
 * taking the last two tokens of one family at once would each still see
 * the other's token and leave the family behind. In the order of the
 * foreign keys (which do not cascade): a grant goes once its families and
 * codes have, with its sightings. *deleted as sqlite_keys.c: the most
 * rows of one batched table (sightings, bounded by the grants' batch, are
 * not counted).
 */
static enum gh_err
purge_on(struct pg_conn *c, int64_t now, int64_t keep, int64_t alert_keep,
    unsigned batch, unsigned *deleted)
{
	static const enum pg_stmt ids[] = { P_PURGE_SESSIONS, P_PURGE_CODES };
	struct pg_params	 p;
	PGresult		*r;
	enum gh_err		 rc;
	unsigned		 n;
	size_t			 i;

	pp_init(&p);
	pp_int(&p, PG_LOCK_PURGE);
	if ((rc = pg_exec(c, P_XACT_LOCK, &p, &r)) != GH_OK)
		return rc;
	PQclear(r);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		pp_init(&p);
		pp_int(&p, ids[i] == P_PURGE_SESSIONS ? now : now - keep);
		pp_int(&p, batch);
		if ((rc = pg_cmd(c, ids[i], &p, &n)) != GH_OK)
			return rc;
		if (n > *deleted)
			*deleted = n;
	}
	pp_init(&p);
	pp_int(&p, now - keep);
	pp_int(&p, batch);
	if ((rc = pg_exec(c, P_PURGE_TOKENS, &p, &r)) != GH_OK)
		return rc;
	for (i = 0; PQntuples(r) == 1 && i < 2; i++)
		if ((unsigned)pg_col_int(r, 0, (int)i) > *deleted)
			*deleted = (unsigned)pg_col_int(r, 0, (int)i);
	PQclear(r);
	/* grants once their families and codes are gone, then alerts */
	pp_init(&p);
	pp_int(&p, now - keep);
	pp_int(&p, batch);
	if ((rc = pg_exec(c, P_PURGE_GRANTS, &p, &r)) != GH_OK)
		return rc;
	if (PQntuples(r) == 1 && (unsigned)pg_col_int(r, 0, 0) > *deleted)
		*deleted = (unsigned)pg_col_int(r, 0, 0);
	PQclear(r);
	if (alert_keep <= 0)
		return GH_OK;		/* acknowledged alerts kept */
	pp_init(&p);
	pp_int(&p, now - alert_keep);
	pp_int(&p, batch);
	pp_int(&p, now - GH_ALERT_SEND_SECONDS);
	if ((rc = pg_cmd(c, P_PURGE_ALERTS, &p, &n)) != GH_OK)
		return rc;
	if (n > *deleted)
		*deleted = n;
	return GH_OK;
}

static enum gh_err
purge(struct store *s, int64_t now, int64_t keep, int64_t alert_keep,
    unsigned batch, unsigned *deleted)
{
	struct pg_conn	*c;
	enum gh_err	 rc;

	*deleted = 0;
	if ((c = pg_acquire(DB(s))) == NULL)
		return GH_ERR_STORE;
	if ((rc = pg_begin(c)) == GH_OK)
		rc = pg_finish(c, purge_on(c, now, keep, alert_keep, batch, deleted));
	if (rc != GH_OK)
		*deleted = 0;
	return pg_release(DB(s), c, rc);
}

void
pg_key_ops(struct store_ops *ops)
{
	ops->keys_insert = keys_insert;
	ops->key_each = key_each;
	ops->key_retire = key_retire;
	ops->key_delete = key_delete;
	ops->jti_use = jti_use;
	ops->purge = purge;
}
