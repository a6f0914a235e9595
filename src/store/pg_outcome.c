/*
 * pg_outcome.c - what became of a write whose connection broke after it
 * was sent (pg.c, pg_pipe.c). It may have committed, so it is never sent
 * again; the connection is re-made, and the outcome is unknown
 * (GH_ERR_IO) unless it can be resolved safely. That takes a probe
 * (pg_int.h): a fence, then a read.
 *
 * The read finds a row only the write's own transaction made (for a
 * redemption or a rotation, the first new token's hash); it means
 * something only once that transaction has ended. Until then it may still
 * commit: a backend that received COMMIT finishes it before it notices
 * the broken socket, and one still busy with an earlier statement may yet
 * read a COMMIT waiting in its socket. The fence tells when it has ended:
 * it locks the row the transaction locked in its first round trip, whose
 * reply did come (the code consumed, the refresh token rotated). A row
 * lock is freed only when its transaction commits or rolls back, after
 * its outcome is visible, so once the fence holds it the read's fresh
 * snapshot sees the final outcome: a row, it committed (GH_OK, as if the
 * reply to COMMIT had come); none, it rolled back whole (GH_ERR_STORE:
 * nothing was written, a retry can succeed). The fence waits at most
 * GH_PG_OUTCOME_WAIT_MS (lock_timeout); a transaction still open after
 * that leaves the outcome unknown. One whose client vanished without the
 * socket closing (a network cut) is ended by the server after
 * GH_PG_IDLE_TX_MS idle (pg.c), which frees the row for the retry.
 *
 * A lock names nothing but a row, so this holds through a pooler, on any
 * backend. It must be the same server instance: a reconnection may reach
 * another (a standby of a multi-host URL, a promoted one) that has not
 * seen the transaction's commit yet, or ever. Each connection notes its
 * server's start time when it is made (pg_server_note), and an outcome is
 * resolved only when the new connection's equals the old one's.
 */
#include <stdio.h>
#include <string.h>

#include "pg_int.h"
#include "../util/limits.h"
#include "../util/log.h"
#include "../util/str.h"

#define STR(x)		#x
#define XSTR(x)		STR(x)
#define SQL_SERVER	"SELECT extract(epoch FROM " \
			"pg_postmaster_start_time())::text"
#define SQL_FENCE_WAIT	"SET LOCAL lock_timeout = " \
			XSTR(GH_PG_OUTCOME_WAIT_MS)

void
pg_server_note(struct pg_conn *c)
{
	PGresult *r = PQexec(c->conn, SQL_SERVER);

	c->server[0] = '\0';
	/* a start time too long to keep is not kept cut: "" means unknown */
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    !str_copy(c->server, sizeof(c->server), PQgetvalue(r, 0, 0)))
		c->server[0] = '\0';
	PQclear(r);
}

/*
 * On c, just re-made: NULL with *committed once the outcome of the
 * transaction that ran on server `was` is known, else why it is not.
 */
static const char *
resolve(struct pg_conn *c, const struct pg_probe *probe, const char *was,
    bool *committed)
{
	struct pg_step	s[5];
	enum gh_err	rc;

	if (probe == NULL)
		return "no probe for this write";
	if (PQstatus(c->conn) != CONNECTION_OK)
		return "no new connection";
	if (was[0] == '\0' || strcmp(was, c->server) != 0)
		return "not the same server instance";
	memset(s, 0, sizeof(s));
	s[0] = (struct pg_step){ .id = P_COUNT, .sql = "BEGIN" };
	s[1] = (struct pg_step){ .id = P_COUNT, .sql = SQL_FENCE_WAIT };
	s[2] = (struct pg_step){ .id = probe->fence, .p = probe->fp };
	s[3] = (struct pg_step){ .id = probe->id, .p = probe->p,
	    .keep = true };
	s[4] = (struct pg_step){ .id = P_COUNT, .sql = "ROLLBACK" };
	rc = pg_pipe(c, s, 5);
	/* a failed pipeline leaves its transaction for pg_release */
	if (rc == GH_ERR_BUSY)
		return "the old transaction is still open";
	if (rc != GH_OK)
		return "the probe failed";
	*committed = PQntuples(s[3].res) > 0;
	PQclear(s[3].res);
	return NULL;
}

enum gh_err
pg_outcome(struct pg_conn *c, const struct pg_probe *probe)
{
	char		 msg[256], was[PG_SERVER_MAX];
	const char	*why;
	bool		 committed = false;

	/* libpq's message, cut if long, before the reset replaces it */
	(void)str_copy(msg, sizeof(msg), PQerrorMessage(c->conn));
	memcpy(was, c->server, sizeof(was));
	pg_reset(c);
	/* nothing run from here on may be sent again after a break */
	c->used = true;
	if ((why = resolve(c, probe, was, &committed)) != NULL) {
		log_kv(LOG_ERROR, "store_outcome_unknown", "backend",
		    "postgres", "msg", msg, "why", why, NULL);
		return GH_ERR_IO;
	}
	log_kv(LOG_WARN, "store_outcome_resolved", "backend", "postgres",
	    "committed", committed ? "true" : "false", NULL);
	return committed ? GH_OK : GH_ERR_STORE;
}
