/*
 * test_store_grant.c - store/store.h on SQLite or PostgreSQL (harness.h):
 * a consent is stored (store_grant_upsert) only while its client and its
 * user are active, so a quarantine or a disable made after the consent
 * read them is never followed by a live grant. On PostgreSQL also the two
 * interleavings of a consent and a quarantine whose transactions overlap,
 * held open on a second connection. Each test gets a fresh database
 * holding client1, client2 and the user us_1, all active.
 */
#include "../harness.h"

#include <pthread.h>
#include <stdatomic.h>

#include "store/pg_int.h"
#include "util/log.h"

#define NOW		1700000000
#define WAIT_STEPS	250		/* of 20 ms: 5 s */

static int
setup(void **state)
{
	if (th_store_setup(state) != 0)
		return -1;
	th_two_clients_alice(((struct th_store *)*state)->s, NOW);
	return 0;
}

static int
teardown(void **state)
{
	return th_store_teardown(state);
}

/* How many grants of us_1 to `client` are live. */
static int64_t
live_grants(const struct th_store *t, const char *client)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM grants WHERE "
	    "user_id = 'us_1' AND client_id = '%s' AND revoked_at IS NULL",
	    client);
	return th_sql_int(t, sql);
}

static int64_t
all_grants(const struct th_store *t)
{
	return th_sql_int(t, "SELECT count(*) FROM grants");
}

static void
quarantine(const struct th_store *t, const char *client, unsigned *n)
{
	uint8_t hash[GH_HASH_BYTES];

	th_hash("replaced", hash);
	assert_int_equal(store_client_quarantine(t->s, client, hash, "test",
	    NOW, n, NULL), GH_OK);
}

/* A disabled or quarantined client: nothing written, GH_ERR_NOT_FOUND. */
static void
test_inactive_client_gets_no_grant(void **state)
{
	struct th_store		*t = *state;
	struct grant_row	 g, f;
	unsigned		 n = 9;

	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW, &g), GH_ERR_NOT_FOUND);
	assert_int_equal(all_grants(t), 0);
	assert_int_equal(store_grant_find(t->s, "us_1", "client1", &f),
	    GH_ERR_NOT_FOUND);

	quarantine(t, "client2", &n);
	assert_int_equal(n, 0);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client2", "openid",
	    NOW, &g), GH_ERR_NOT_FOUND);
	assert_int_equal(all_grants(t), 0);

	/* enabled again, the client gets its consent stored */
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_DISABLED, CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW, &g), GH_OK);
	assert_int_equal(live_grants(t, "client1"), 1);
}

/*
 * A live grant of a client disabled since (a disable keeps its grants):
 * a consent to more scope changes nothing while the client is disabled.
 */
static void
test_disabled_client_grant_not_widened(void **state)
{
	struct th_store		*t = *state;
	struct grant_row	 g, f;

	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW, &g), GH_OK);
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1",
	    "openid offline_access", NOW + 5, &f), GH_ERR_NOT_FOUND);
	assert_int_equal(store_grant_find(t->s, "us_1", "client1", &f),
	    GH_OK);
	assert_string_equal(f.id, g.id);
	assert_string_equal(f.scope, "openid");
}

/* A disabled user: no grant written, none widened. */
static void
test_disabled_user_gets_no_grant(void **state)
{
	struct th_store		*t = *state;
	struct grant_row	 g, f;

	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW, &g), GH_OK);
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_DISABLED,
	    NOW, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client2", "openid",
	    NOW, &f), GH_ERR_NOT_FOUND);
	assert_int_equal(live_grants(t, "client2"), 0);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1",
	    "openid offline_access", NOW + 5, &f), GH_ERR_NOT_FOUND);
	assert_int_equal(store_grant_find(t->s, "us_1", "client1", &f),
	    GH_OK);
	assert_string_equal(f.scope, "openid");
	/* nor for a user that does not exist */
	assert_int_equal(store_grant_upsert(t->s, "us_nobody", "client1",
	    "openid", NOW, &f), GH_ERR_NOT_FOUND);
	assert_int_equal(all_grants(t), 1);
}

/* A statement on raw that succeeds (a command, or one with a result). */
static bool
raw_ok(PGconn *raw, const char *sql, int n, const char *const *v)
{
	PGresult	*r = PQexecParams(raw, sql, n, NULL, v, NULL, NULL, 0);
	bool		 ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok;
}

/* A store call run on a thread of its own, and its result. */
struct racer {
	struct store	*s;
	enum gh_err	 rc;
	unsigned	 grants;	/* the quarantine's count */
	atomic_bool	 done;
};

static void *
consent(void *arg)
{
	struct racer		*r = arg;
	struct grant_row	 g;

	r->rc = store_grant_upsert(r->s, "us_1", "client1", "openid", NOW,
	    &g);
	atomic_store(&r->done, true);
	return NULL;
}

static void *
kill_client(void *arg)
{
	struct racer	*r = arg;
	uint8_t		 hash[GH_HASH_BYTES];

	th_hash("replaced", hash);
	r->rc = store_client_quarantine(r->s, "client1", hash, "race", NOW,
	    &r->grants, NULL);
	atomic_store(&r->done, true);
	return NULL;
}

/*
 * Until the racer's statement (its SQL starting with `query`) waits for a
 * row lock, or the racer is done without waiting: whether it waited.
 */
static bool
waits_for_lock(struct racer *r, const char *query)
{
	char	sql[256];
	int	i;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity "
	    "WHERE wait_event_type = 'Lock' AND query LIKE '%s%%'", query);
	for (i = 0; i < WAIT_STEPS && !atomic_load(&r->done); i++) {
		if (th_pg_int(th_pg_url(), sql) >= 1)
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * With raw's transaction open (held: its statements went through), run
 * `racer` in a thread until it waits for a row lock on a statement
 * starting with `query` (or is done), then commit raw, end it and join
 * the racer: whether it waited. Nothing is asserted while raw is open: a
 * failure would leave its locks to block the teardown's DROP SCHEMA.
 */
static bool
race(PGconn *raw, bool held, void *(*racer)(void *), struct racer *r,
    const char *query)
{
	pthread_t	th;
	bool		started, waited = false, committed;

	started = held && pthread_create(&th, NULL, racer, r) == 0;
	if (started)
		waited = waits_for_lock(r, query);
	committed = held && raw_ok(raw, "COMMIT", 0, NULL);
	PQfinish(raw);		/* ends the transaction in any case */
	if (started)
		assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(held);
	assert_true(started);
	assert_true(committed);
	return waited;
}

/*
 * PostgreSQL: the quarantine's transaction (status, then the revocation
 * of the client's grants, which finds none) is still open when a consent
 * read before it stores its grant. The grant must wait for the client's
 * row and then see the quarantine: nothing written. Reading the client
 * as active in its snapshot, it used to insert at once, after the
 * revocation had looked: a live grant for a quarantined client.
 */
static void
test_consent_racing_quarantine(void **state)
{
	struct th_store		*t = *state;
	struct racer		 r = { t->s, GH_ERR_STORE, 0, false };
	const char		*v[3] = { "client1", "\\x00", "1700000000" };
	const char		*w[3] = { "client1", "1700000000", "race" };
	PGconn			*raw;
	bool			 held, waited;

	if (!th_pg_url())
		skip();
	raw = PQconnectdb(t->path);
	held = PQstatus(raw) == CONNECTION_OK &&
	    raw_ok(raw, "BEGIN", 0, NULL) &&
	    raw_ok(raw, pg_sql[P_CLIENT_QUARANTINE], 3, v) &&
	    raw_ok(raw, pg_sql[P_GRANTS_REVOKE_CLIENT], 3, w);
	waited = race(raw, held, consent, &r, "INSERT INTO grants");
	assert_int_equal(r.rc, GH_ERR_NOT_FOUND);
	assert_int_equal(all_grants(t), 0);
	assert_true(waited);
}

/*
 * PostgreSQL, the other order: the consent's grant is written but not
 * yet committed when the quarantine starts. The quarantine must wait for
 * it and then revoke it; it used to go ahead, revoke nothing ("0
 * grants"), and leave the grant live once committed.
 */
static void
test_quarantine_racing_consent(void **state)
{
	struct th_store		*t = *state;
	struct racer		 r = { t->s, GH_ERR_STORE, 0, false };
	const char		*v[5] = { "gr_held", "us_1", "client1", "openid",
	    "1700000000" };
	PGconn			*raw;
	bool			 held, waited;

	if (!th_pg_url())
		skip();
	raw = PQconnectdb(t->path);
	held = PQstatus(raw) == CONNECTION_OK &&
	    raw_ok(raw, "BEGIN", 0, NULL) &&
	    raw_ok(raw, pg_sql[P_GRANT_UPSERT], 5, v);
	waited = race(raw, held, kill_client, &r, "UPDATE clients SET status");
	assert_int_equal(r.rc, GH_OK);
	assert_int_equal(all_grants(t), 1);
	assert_int_equal(live_grants(t, "client1"), 0);
	assert_int_equal(r.grants, 1);
	assert_true(waited);
}

/* A grant by id, live or revoked (the admin's revocation event). */
static void
test_grant_by_id(void **state)
{
	struct th_store		*t = *state;
	struct grant_row	 g, f;
	unsigned		 n = 0;

	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW, &g), GH_OK);
	assert_int_equal(store_grant_get(t->s, g.id, &f), GH_OK);
	assert_string_equal(f.id, g.id);
	assert_string_equal(f.user_id, "us_1");
	assert_string_equal(f.client_id, "client1");
	assert_string_equal(f.scope, "openid");
	assert_int_equal(store_grant_revoke(t->s, GRANT_ONE, g.id, "test",
	    NOW + 1, &n), GH_OK);
	assert_int_equal(n, 1);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_grant_get(t->s, g.id, &f), GH_OK);
	assert_string_equal(f.client_id, "client1");
	assert_int_equal(store_grant_get(t->s, "gr_none", &f),
	    GH_ERR_NOT_FOUND);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_inactive_client_gets_no_grant),
		T(test_disabled_client_grant_not_widened),
		T(test_disabled_user_gets_no_grant),
		T(test_consent_racing_quarantine),
		T(test_quarantine_racing_consent),
		T(test_grant_by_id),
	};
#undef T

	log_set_level(LOG_WARN);	/* no migration chatter */
	return cmocka_run_group_tests_name("store/grant", tests, NULL, NULL);
}
