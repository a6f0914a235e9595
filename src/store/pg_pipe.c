/*
 * pg_pipe.c - several statements in one round trip, with libpq's pipeline
 * mode (pg_int.h, struct pg_step).
 *
 * Each statement is a round trip of its own otherwise: the client waits
 * for the server, which waits for the client. A transaction whose later
 * statements do not depend on earlier results (a lazy write with its
 * BEGIN, SET and COMMIT; the audit chain's lock and last event, then its
 * inserts and COMMIT; a redemption's or rotation's UPDATE with BEGIN,
 * then its inserts and COMMIT) is sent whole, followed by one sync, and the
 * results are read afterwards in order. The server
 * still runs the statements one after the other, each with its own
 * snapshot, so the meaning is the same as sending them one at a time.
 */

#include <string.h>

#include "pg_int.h"
#include "../util/log.h"

/* The same steps one statement at a time (a step pg_sql cannot take). */
static enum gh_err
one_by_one(struct pg_conn *c, struct pg_step *s, size_t n)
{
	enum gh_err	rc = GH_OK;
	size_t		i;

	for (i = 0; rc == GH_OK && i < n; i++) {
		if (s[i].id == P_COUNT)
			rc = pg_simple(c, s[i].sql);
		else if (s[i].keep)
			rc = pg_exec(c, s[i].id, s[i].p, &s[i].res);
		else
			rc = pg_cmd(c, s[i].id, s[i].p, NULL);
	}
	return rc;
}

static bool
send_step(struct pg_conn *c, const struct pg_step *s)
{
	const struct pg_params	*p = s->p;
	char			 name[PG_NAME_MAX];

	if (s->id == P_COUNT)
		return PQsendQueryParams(c->conn, s->sql, 0, NULL, NULL, NULL,
		    NULL, 1) == 1;
	pg_stmt_name(s->id, name);
	return PQsendQueryPrepared(c->conn, name, p ? p->n : 0,
	    p ? p->val : NULL, p ? p->len : NULL, p ? p->fmt : NULL, 1) == 1;
}

/* The outcome of step s from its result r (cleared or handed over). */
static enum gh_err
take_result(struct pg_conn *c, struct pg_step *s, PGresult *r,
    enum gh_err rc)
{
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (s->keep && rc == GH_OK) {
			s->res = r;
			return rc;
		}
	} else if (rc == GH_OK) {
		/* skipped after an earlier failure: that one was reported */
		rc = st == PGRES_PIPELINE_ABORTED ? GH_ERR_STORE :
		    pg_result_error(c, r);
	}
	PQclear(r);
	return rc;
}

/* One try; *broken when the connection cannot be trusted afterwards. */
static enum gh_err
attempt(struct pg_conn *c, struct pg_step *s, size_t n, bool *broken)
{
	PGresult	*r;
	enum gh_err	 rc = GH_OK;
	size_t		 i, sent = 0;

	*broken = false;
	for (i = 0; i < n; i++) {
		if (s[i].id == P_COUNT || (r = pg_prepare(c, s[i].id)) == NULL)
			continue;
		rc = pg_result_error(c, r);
		PQclear(r);
		*broken = PQstatus(c->conn) != CONNECTION_OK;
		return rc;
	}
	if (PQenterPipelineMode(c->conn) != 1) {
		*broken = true;
		return GH_ERR_STORE;
	}
	while (sent < n && send_step(c, &s[sent]))
		sent++;
	if (sent < n)
		rc = GH_ERR_STORE;
	if (PQpipelineSync(c->conn) != 1) {
		*broken = true;
		return GH_ERR_STORE;
	}
	for (i = 0; i < sent && !*broken; i++) {
		if ((r = PQgetResult(c->conn)) == NULL) {
			*broken = true;
			break;
		}
		rc = take_result(c, &s[i], r, rc);
		/* each statement's results end with a NULL */
		if ((r = PQgetResult(c->conn)) != NULL) {
			PQclear(r);
			*broken = true;
		}
	}
	if (!*broken) {
		r = PQgetResult(c->conn);
		*broken = PQresultStatus(r) != PGRES_PIPELINE_SYNC;
		PQclear(r);
	}
	if (*broken || PQexitPipelineMode(c->conn) != 1) {
		*broken = true;
		rc = GH_ERR_STORE;
	}
	return rc;
}

static void
clear_kept(struct pg_step *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		PQclear(s[i].res);
		s[i].res = NULL;
	}
}

static const char *
step_sql(const struct pg_step *s)
{
	return s->id == P_COUNT ? s->sql : pg_sql[s->id];
}

/*
 * Can these steps have committed if the connection broke under them? A
 * COMMIT can; so can writes in a pipeline outside a transaction (none
 * open before, in_tx, nor begun by its first step), whose implicit
 * transaction commits at the sync. Reads, and an explicit transaction
 * with no COMMIT, end with the connection.
 */
static bool
may_commit(const struct pg_step *s, size_t n, bool in_tx)
{
	bool	begun = in_tx ||
		    (n > 0 && strcmp(step_sql(&s[0]), "BEGIN") == 0);
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(step_sql(&s[i]), "COMMIT") == 0)
			return true;
		if (!begun && !pg_sql_reads(step_sql(&s[i])))
			return true;
	}
	return false;
}

enum gh_err
pg_pipe(struct pg_conn *c, struct pg_step *s, size_t n)
{
	return pg_pipe_probe(c, s, n, NULL);
}

enum gh_err
pg_pipe_probe(struct pg_conn *c, struct pg_step *s, size_t n,
    const struct pg_probe *probe)
{
	enum gh_err	rc;
	bool		broken, fresh = !c->used, in_tx;
	size_t		i;

	for (i = 0; i < n; i++) {
		s[i].res = NULL;
		if (s[i].p != NULL && s[i].p->bad_text)
			return one_by_one(c, s, n);
	}
	in_tx = PQtransactionStatus(c->conn) != PQTRANS_IDLE;
	rc = attempt(c, s, n, &broken);
	/*
	 * As for one statement (pg.c): steps that may have committed when
	 * the connection broke under them are never sent again, whether or
	 * not they were the borrow's first (a redemption's COMMIT comes in
	 * its second round trip); pg_outcome says what became of them. The
	 * borrow's first steps are sent again if they cannot have committed.
	 */
	if (rc != GH_OK && broken && may_commit(s, n, in_tx)) {
		clear_kept(s, n);
		return pg_outcome(c, probe);
	}
	if (rc != GH_OK && broken && fresh) {
		clear_kept(s, n);
		pg_reset(c);
		log_kv(LOG_WARN, "store_reconnect", "backend", "postgres",
		    NULL);
		rc = attempt(c, s, n, &broken);
	}
	if (rc != GH_OK && broken) {
		/* leave no half-read pipeline behind */
		pg_reset(c);
	}
	c->used = true;
	if (rc != GH_OK)
		clear_kept(s, n);
	return rc;
}
