/*
 * pg_outcome.c - what became of a write whose connection broke after it
 * was sent (pg.c, pg_pipe.c). It may have committed, so it is never sent
 * again; the connection is re-made, and the outcome is unknown
 * (GH_ERR_IO) unless it can be resolved safely. That takes a probe: a
 * read that finds a row only the write's own transaction made (for a
 * redemption or a rotation, the first new token's hash).
 *
 * The probe is asked only once the old backend has ended. Until then its
 * transaction may still commit: a backend that received COMMIT finishes
 * it before it notices the broken socket, and one still busy with an
 * earlier statement may yet read a COMMIT waiting in its socket. A
 * backend's row leaves pg_stat_activity only at exit, after its
 * transaction was committed or rolled back (the abort of an open one runs
 * before the row is cleared), so once its process id is gone from there,
 * the probe's fresh snapshot sees the final outcome: a row, it committed
 * (GH_OK, as if the reply to COMMIT had come); none, it rolled back whole
 * (GH_ERR_STORE: nothing was written, a retry can succeed). The wait is
 * bounded by GH_PG_OUTCOME_WAIT_MS; a backend still there after it leaves
 * the outcome unknown.
 *
 * A process id names a backend only on the server instance that gave it,
 * and only if the client sees that server directly: a pooler hands out
 * ids of its own, and a reconnection may reach another server (a standby
 * of a multi-host URL, a promoted one) where the id is absent though the
 * old backend lives on. So each connection notes its backend's id and
 * its server when it is made (pg_server_note: the postmaster's start
 * time, kept only if PQbackendPID is the server's pg_backend_pid()), and
 * an outcome is resolved only when the new connection's note equals the
 * old one's. The id must be noted then: once the connection has broken,
 * PQbackendPID returns 0, a process id no backend has.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pg_int.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/str.h"

/* The server's start time, returned only on a direct connection. */
#define SQL_SERVER	"SELECT extract(epoch FROM " \
			"pg_postmaster_start_time())::text " \
			"WHERE pg_backend_pid() = $1"
#define SQL_ALIVE	"SELECT 1 FROM pg_stat_activity WHERE pid = $1"

/* sql, whose one parameter is a process id (NULL: out of memory) */
static PGresult *
pid_query(struct pg_conn *c, const char *sql, int pid)
{
	char		 num[16];
	const char	*v[1] = { num };

	snprintf(num, sizeof(num), "%d", pid);
	return PQexecParams(c->conn, sql, 1, NULL, v, NULL, NULL, 0);
}

void
pg_server_note(struct pg_conn *c)
{
	PGresult *r;

	c->pid = PQbackendPID(c->conn);
	r = pid_query(c, SQL_SERVER, c->pid);
	c->server[0] = '\0';
	/* a start time too long to keep is not kept cut: "" means unknown */
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    !str_copy(c->server, sizeof(c->server), PQgetvalue(r, 0, 0)))
		c->server[0] = '\0';
	PQclear(r);
}

/*
 * Until backend `pid` has left pg_stat_activity: GH_OK, or GH_ERR_BUSY
 * if it is still there after GH_PG_OUTCOME_WAIT_MS.
 */
static enum gh_err
backend_ended(struct pg_conn *c, int pid)
{
	struct timespec	 nap = { 0, GH_PG_OUTCOME_POLL_MS * 1000000L };
	double		 until;
	PGresult	*r;
	bool		 ok, alive;

	until = clock_mono() + GH_PG_OUTCOME_WAIT_MS / 1000.0;
	for (;;) {
		r = pid_query(c, SQL_ALIVE, pid);
		ok = PQresultStatus(r) == PGRES_TUPLES_OK;
		alive = ok && PQntuples(r) > 0;
		PQclear(r);
		if (!ok)
			return GH_ERR_STORE;
		if (!alive)
			return GH_OK;
		if (clock_mono() >= until)
			return GH_ERR_BUSY;
		nanosleep(&nap, NULL);
	}
}

/*
 * On c, just re-made: NULL with *committed once the outcome of the old
 * backend `pid` of server `was` is known, else why it is not.
 */
static const char *
resolve(struct pg_conn *c, const struct pg_probe *probe, int pid,
    const char *was, bool *committed)
{
	PGresult *r;

	if (probe == NULL)
		return "no probe for this write";
	if (PQstatus(c->conn) != CONNECTION_OK)
		return "no new connection";
	if (pid <= 0 || was[0] == '\0' || strcmp(was, c->server) != 0)
		return "not the same server, seen directly";
	switch (backend_ended(c, pid)) {
	case GH_OK:
		break;
	case GH_ERR_BUSY:
		return "the old backend is still there";
	default:
		return "could not look for the old backend";
	}
	if (pg_exec(c, probe->id, probe->p, &r) != GH_OK)
		return "the probe failed";
	*committed = PQntuples(r) > 0;
	PQclear(r);
	return NULL;
}

enum gh_err
pg_outcome(struct pg_conn *c, const struct pg_probe *probe)
{
	char		 msg[256], was[PG_SERVER_MAX];
	int		 pid = c->pid;
	const char	*why;
	bool		 committed = false;

	/* libpq's message, cut if long, before the reset replaces it */
	(void)str_copy(msg, sizeof(msg), PQerrorMessage(c->conn));
	memcpy(was, c->server, sizeof(was));
	pg_reset(c);
	/* nothing run from here on may be sent again after a break */
	c->used = true;
	if ((why = resolve(c, probe, pid, was, &committed)) != NULL) {
		log_kv(LOG_ERROR, "store_outcome_unknown", "backend",
		    "postgres", "msg", msg, "why", why, NULL);
		return GH_ERR_IO;
	}
	log_kv(LOG_WARN, "store_outcome_resolved", "backend", "postgres",
	    "committed", committed ? "true" : "false", NULL);
	return committed ? GH_OK : GH_ERR_STORE;
}
