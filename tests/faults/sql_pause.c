/*
 * sql_pause.c - an LD_PRELOAD shim for the race tests: it stops an admin
 * command right after a read, so that a test can change the row it read
 * before the command acts on what it read (tests/e2e/test_admin_race.py).
 *
 * The first time a statement whose SQL holds GH_FAULT_PAUSE_SQL returns a
 * row - sqlite3_step() answering SQLITE_ROW, or PQexecPrepared() of a
 * statement prepared with that SQL answering at least one tuple - the
 * shim creates the file GH_FAULT_PAUSE_READY, then waits while the file
 * GH_FAULT_PAUSE_FILE exists (for 30 s at most: a test that forgot it
 * must not hang), then returns the result as it was. Later matches pass.
 *
 * The shim holds no lock while it waits (its mutex guards only the name
 * of the prepared statement): whatever the command holds at that point
 * is what it holds in a real run when the scheduler pauses it there.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#define WAIT_STEPS	3000	/* of 10 ms: 30 s */

static atomic_flag	paused = ATOMIC_FLAG_INIT;
static pthread_mutex_t	name_mu = PTHREAD_MUTEX_INITIALIZER;
static char		pg_name[64];	/* PostgreSQL: the matching statement */

static int
matches(const char *sql)
{
	const char *want = getenv("GH_FAULT_PAUSE_SQL");

	return want != NULL && *want != '\0' && sql != NULL &&
	    strstr(sql, want) != NULL;
}

/* The first time only: say so, then wait until the test lets go. */
static void
pause_here(void)
{
	const char	*ready = getenv("GH_FAULT_PAUSE_READY");
	const char	*hold = getenv("GH_FAULT_PAUSE_FILE");
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	int		 fd, i;

	if (atomic_flag_test_and_set(&paused))
		return;
	if (ready != NULL &&
	    (fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	for (i = 0; i < WAIT_STEPS && hold != NULL &&
	    access(hold, F_OK) == 0; i++)
		nanosleep(&ts, NULL);
}

/* the real functions, looked up once at load: no race on first use */
static int	(*real_step)(sqlite3_stmt *);
static PGresult	*(*real_prepare)(PGconn *, const char *, const char *, int,
		    const Oid *);
static PGresult	*(*real_exec)(PGconn *, const char *, int,
		    const char *const *, const int *, const int *, int);

__attribute__((constructor)) static void
resolve(void)
{
	*(void **)&real_step = dlsym(RTLD_NEXT, "sqlite3_step");
	*(void **)&real_prepare = dlsym(RTLD_NEXT, "PQprepare");
	*(void **)&real_exec = dlsym(RTLD_NEXT, "PQexecPrepared");
}

int
sqlite3_step(sqlite3_stmt *st)
{
	int r;

	if (real_step == NULL)
		return SQLITE_MISUSE;
	r = real_step(st);
	if (r == SQLITE_ROW && matches(sqlite3_sql(st)))
		pause_here();
	return r;
}

/* PostgreSQL runs prepared statements by name: remember the one asked for */
PGresult *
PQprepare(PGconn *conn, const char *name, const char *query, int nparams,
    const Oid *types)
{
	if (real_prepare == NULL)
		return NULL;
	if (name != NULL && matches(query) && strlen(name) < sizeof(pg_name)) {
		pthread_mutex_lock(&name_mu);
		memcpy(pg_name, name, strlen(name) + 1);
		pthread_mutex_unlock(&name_mu);
	}
	return real_prepare(conn, name, query, nparams, types);
}

PGresult *
PQexecPrepared(PGconn *conn, const char *name, int nparams,
    const char *const *values, const int *lengths, const int *formats,
    int result_format)
{
	PGresult	*r;
	int		 ours;

	if (real_exec == NULL)
		return NULL;
	r = real_exec(conn, name, nparams, values, lengths, formats,
	    result_format);
	pthread_mutex_lock(&name_mu);
	ours = name != NULL && pg_name[0] != '\0' && strcmp(name, pg_name) == 0;
	pthread_mutex_unlock(&name_mu);
	if (ours && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		pause_here();
	return r;
}
