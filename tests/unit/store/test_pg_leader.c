/*
 * test_pg_leader.c - the PostgreSQL audit leader's own connection
 * (pg_wait.c, pg.c pg_lead_acquire):
 *  - with every pooled connection taken, an append outside a request
 *    and the end of a request that owes a flush still complete: the
 *    leader appends and flushes on its own connection. Before, it
 *    borrowed one from the pool and waited behind the very requests that
 *    waited for it;
 *  - the leader's connection is named "gatehouse-audit" (the pool's
 *    "gatehouse") in pg_stat_activity, and when the server ends it the
 *    leader connects again at its next batch: the next append is stored;
 *  - the leader's and the pool's connections give up on a TCP peer gone
 *    silent (tcp_user_timeout, keepalives), as a cut network would leave.
 * PostgreSQL only: on SQLite (unit) every test is skipped.
 */
#include "../harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "store/pg_int.h"
#include "util/clock.h"
#include "util/limits.h"

#define NOW		1700000000
#define DEADLINE	5.0	/* s a batch or a flush may take here */

static enum gh_err
append(struct store *s, const char *type)
{
	struct audit_row r = { .time = NOW, .type = type, .actor = "admin" };

	return store_audit_append(s, &r);
}

static int
setup(void **state)
{
	if (th_pg_url() == NULL) {
		*state = NULL;
		return 0;
	}
	return th_store_setup_client(state, "c1", NOW);
}

static struct th_store *
pg_only(void **state)
{
	if (*state == NULL)
		skip();
	return *state;
}

/*
 * A request in a thread of its own: a write (on a pooled connection),
 * then, once the test holds the whole pool, its end (which owes a flush)
 * and an append outside a request, each a wait on the leader.
 */
struct job {
	struct store	*s;
	atomic_int	 stage;		/* 1: written, 2: pool taken, 3: done */
	enum gh_err	 write_rc, end_rc, append_rc;
};

static void
until_stage(atomic_int *stage, int want, double secs)
{
	struct timespec	ts = { 0, 1000 * 1000 };
	double		end = clock_mono() + secs;

	while (atomic_load(stage) < want && clock_mono() < end)
		nanosleep(&ts, NULL);
}

static void *
job_run(void *arg)
{
	struct job *j = arg;

	store_defer_begin(j->s);
	j->write_rc = store_client_set_status(j->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL);
	atomic_store(&j->stage, 1);
	until_stage(&j->stage, 2, 30);
	j->end_rc = store_defer_end(j->s);
	j->append_rc = append(j->s, "pool.taken");
	atomic_store(&j->stage, 3);
	return NULL;
}

static void
test_leader_works_with_the_pool_taken(void **state)
{
	struct th_store	*t = pg_only(state);
	struct pg_store	*db = (struct pg_store *)t->s;
	struct pg_conn	*held[GH_PG_POOL];
	struct job	 j = { .s = t->s };
	pthread_t	 th;
	int64_t		 marks;
	bool		 in_time;
	size_t		 i;

	assert_int_equal(append(t->s, "warm.up"), GH_OK);
	marks = th_sql_int(t, "SELECT coalesce(sum(n), 0) FROM flush_marks");
	atomic_init(&j.stage, 0);
	assert_int_equal(pthread_create(&th, NULL, job_run, &j), 0);
	until_stage(&j.stage, 1, 30);
	assert_int_equal(atomic_load(&j.stage), 1);
	/* every pooled connection, as busy requests would hold them */
	for (i = 0; i < GH_PG_POOL; i++)
		assert_non_null(held[i] = pg_acquire(db));
	atomic_store(&j.stage, 2);
	until_stage(&j.stage, 3, DEADLINE);
	in_time = atomic_load(&j.stage) == 3;
	/* given back either way, so that a leader stuck on them goes on */
	for (i = 0; i < GH_PG_POOL; i++)
		(void)pg_release(db, held[i], GH_OK);
	pthread_join(th, NULL);
	assert_true(in_time);
	assert_int_equal(j.write_rc, GH_OK);
	assert_int_equal(j.end_rc, GH_OK);
	assert_int_equal(j.append_rc, GH_OK);
	assert_int_equal(th_audit_count(t, "pool.taken"), 1);
	/* the request's write was made durable by the leader's flush */
	assert_int_equal(th_sql_int(t,
	    "SELECT coalesce(sum(n), 0) FROM flush_marks"), marks + 1);
}

/* pg_stat_activity's name of the backend pid, as 1 if it is `name` */
static int64_t
named(const struct th_store *t, int pid, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity "
	    "WHERE pid = %d AND application_name = '%s'", pid, name);
	return th_sql_int(t, sql);
}

static void
test_leader_connects_again_after_the_server_ended_it(void **state)
{
	struct th_store		*t = pg_only(state);
	struct pg_store		*db = (struct pg_store *)t->s;
	struct timespec		 ts = { 0, 100 * 1000 * 1000 };
	char			 sql[96];
	int			 pid, pool_pid;

	assert_int_equal(append(t->s, "before.kill"), GH_OK);
	assert_non_null(db->lead.conn);
	pid = PQbackendPID(db->lead.conn);
	assert_int_equal(named(t, pid, PG_APP_AUDIT), 1);
	/* the pool's first connection, made at open for the migrations */
	assert_non_null(db->pool[0].conn);
	pool_pid = PQbackendPID(db->pool[0].conn);
	assert_int_not_equal(pool_pid, pid);
	assert_int_equal(named(t, pool_pid, PG_APP_POOL), 1);

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	th_sql_exec(t, sql);
	nanosleep(&ts, NULL);	/* the leader's idle socket sees the end */
	assert_int_equal(append(t->s, "after.kill"), GH_OK);
	assert_int_equal(th_audit_count(t, "after.kill"), 1);
	assert_int_not_equal(PQbackendPID(db->lead.conn), pid);
	assert_int_equal(named(t, PQbackendPID(db->lead.conn), PG_APP_AUDIT),
	    1);
}

/* the value of libpq option `key` on conn, "" when unset */
static const char *
option(PGconn *conn, const char *key)
{
	static char		 val[64];
	PQconninfoOption	*o, *all = PQconninfo(conn);

	val[0] = '\0';
	for (o = all; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL)
			snprintf(val, sizeof(val), "%s", o->val);
	PQconninfoFree(all);
	return val;
}

/*
 * A TCP peer gone without a reset (a cut network) is given up on, not
 * waited for until the kernel's 15 minutes: the leader's connection and
 * the pool's carry tcp_user_timeout and keepalive probes (limits.h).
 */
static void
test_connections_give_up_on_a_silent_peer(void **state)
{
	struct th_store	*t = pg_only(state);
	struct pg_store	*db = (struct pg_store *)t->s;
	PGconn		*conns[2];
	size_t		 i;

	assert_int_equal(append(t->s, "made"), GH_OK);
	conns[0] = db->lead.conn;
	conns[1] = db->pool[0].conn;
	for (i = 0; i < 2; i++) {
		assert_non_null(conns[i]);
		assert_string_equal(option(conns[i], "tcp_user_timeout"),
		    GH_PG_TCP_USER_TIMEOUT_MS);
		assert_string_equal(option(conns[i], "keepalives_idle"),
		    GH_PG_KEEPALIVES_IDLE);
		assert_string_equal(option(conns[i], "keepalives_interval"),
		    GH_PG_KEEPALIVES_INTERVAL);
		assert_string_equal(option(conns[i], "keepalives_count"),
		    GH_PG_KEEPALIVES_COUNT);
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_leader_works_with_the_pool_taken),
		T(test_leader_connects_again_after_the_server_ended_it),
		T(test_connections_give_up_on_a_silent_peer),
	};
#undef T

	return cmocka_run_group_tests_name("store/pg_leader", tests, NULL,
	    NULL);
}
