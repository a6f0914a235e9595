/*
 * test_store_purge.c - store_purge (store/store.h) on SQLite or
 * PostgreSQL (harness.h), the tables that only the purge keeps bounded
 * besides codes and tokens (test_store_token.c): revoked grants once
 * nothing refers to them, with their sightings, and acknowledged alerts
 * the webhook is done with. Each test gets a fresh database holding a
 * client, a user, grants in every state and alerts in every state.
 */
#include "../harness.h"

#include "store/sqlite_int.h"
#include "util/log.h"

#define NOW	1700000000
#define LATER	(NOW + 10 * 86400)	/* the purge's clock */
#define KEEP	86400

static void
grant(struct th_store *t, const char *id, const char *revoked_at)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO grants (id, user_id, "
	    "client_id, scope, created_at, revoked_at) VALUES ('%s', 'us_1', "
	    "'client1', 'openid', %d, %s)", id, NOW, revoked_at);
	th_sql_exec(t, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO grant_sightings (grant_id, "
	    "kind, value, first_seen, last_seen) VALUES ('%s', 'net', "
	    "'192.0.2.0/24', %d, %d), ('%s', 'ua', 'curl', %d, %d)", id, NOW,
	    NOW, id, NOW, NOW);
	th_sql_exec(t, sql);
}

static void
alert(struct th_store *t, const char *key, int64_t time, const char *acked,
    const char *delivered)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO alerts (time, rule, severity, "
	    "summary, evidence, dedupe_key, acked_at, delivered_at, "
	    "next_attempt_at) VALUES (%lld, 'auth_failure_burst', 'low', 's', "
	    "'{}', '%s', %s, %s, %lld)", (long long)time, key, acked,
	    delivered, (long long)time);
	th_sql_exec(t, sql);
}

static int64_t
has(struct th_store *t, const char *table, const char *where)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s", table,
	    where);
	return th_sql_int(t, sql);
}

static int
setup(void **state)
{
	struct th_store	*t;
	struct user_row	 u;
	struct code_row	 c;
	uint8_t		 h[GH_HASH_BYTES];
	char		 recent[24];

	if (th_store_setup_client(state, "client1", NOW) != 0)
		return -1;
	t = *state;
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	/* revoked long ago, nothing refers to them: they go */
	grant(t, "gr_old1", "1700000000");
	grant(t, "gr_old2", "1700000000");
	grant(t, "gr_old3", "1700000000");
	/* revoked long ago, but a family or a code still refers to them */
	grant(t, "gr_fam", "1700000000");
	th_sql_exec(t, "INSERT INTO families (id, grant_id, client_id, "
	    "user_id, created_at) VALUES ('fa_1', 'gr_fam', 'client1', "
	    "'us_1', 1700000000)");
	grant(t, "gr_code", "1700000000");
	th_hash("code", h);
	th_code_init(&c, h, "gr_code", NOW);
	c.expires_at = LATER + 600;
	assert_int_equal(store_code_insert(t->s, &c), GH_OK);
	/* revoked within the keep window, and live */
	snprintf(recent, sizeof(recent), "%d", LATER - 100);
	grant(t, "gr_new", recent);
	grant(t, "gr_live", "NULL");

	/* acknowledged long ago: delivered, or past the webhook's window */
	alert(t, "delivered", NOW, "1700000000", "1700000000");
	alert(t, "unsent_old", NOW, "1700000000", "NULL");
	/* open, however old */
	alert(t, "open", NOW, "NULL", "NULL");
	/* acknowledged within the keep window, delivered or not */
	alert(t, "acked_new", LATER - 100, recent, recent);
	alert(t, "unsent_new", LATER - 100, recent, "NULL");
	return 0;
}

static int
teardown(void **state)
{
	th_store_teardown(state);
	return 0;
}

/* The purge deletes what nothing can use any more, and only that. */
static void
test_purge_grants_alerts(void **state)
{
	struct th_store	*t = *state;
	unsigned	 n = 0;

	/* batch 1: one grant, one alert */
	assert_int_equal(store_purge(t->s, LATER, KEEP, KEEP, 1, &n), GH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(has(t, "grants", "id LIKE 'gr_old%'"), 2);
	assert_int_equal(has(t, "alerts", "1 = 1"), 4);
	/* then the rest: a batch bigger than what is left ends the loop */
	assert_int_equal(store_purge(t->s, LATER, KEEP, KEEP, 100, &n), GH_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_purge(t->s, LATER, KEEP, KEEP, 100, &n), GH_OK);
	assert_int_equal(n, 0);

	/* the old unreferenced grants went, with their sightings */
	assert_int_equal(has(t, "grants", "id LIKE 'gr_old%'"), 0);
	assert_int_equal(has(t, "grant_sightings", "grant_id LIKE 'gr_old%'"),
	    0);
	/* referenced, recent and live grants stay, with their sightings */
	assert_int_equal(has(t, "grants", "id IN ('gr_fam', 'gr_code', "
	    "'gr_new', 'gr_live')"), 4);
	assert_int_equal(has(t, "grant_sightings", "1 = 1"), 8);
	/* old acknowledged alerts went; open and recent ones stay */
	assert_int_equal(has(t, "alerts", "dedupe_key IN ('delivered', "
	    "'unsent_old')"), 0);
	assert_int_equal(has(t, "alerts", "dedupe_key IN ('open', "
	    "'acked_new', 'unsent_new')"), 3);
}

/*
 * With no keep window (a second for alerts): an alert the webhook may
 * still send stays however long ago it was acknowledged, and an open one
 * stays; a grant still referenced stays.
 */
static void
test_purge_no_keep(void **state)
{
	struct th_store	*t = *state;
	unsigned	 n = 0;

	assert_int_equal(store_purge(t->s, LATER, 0, 1, 100, &n), GH_OK);
	assert_int_equal(n, 4);			/* gr_old1..3, gr_new */
	assert_int_equal(has(t, "grants", "1 = 1"), 3);
	assert_int_equal(has(t, "grants", "id IN ('gr_fam', 'gr_code', "
	    "'gr_live')"), 3);
	assert_int_equal(has(t, "grant_sightings", "1 = 1"), 6);
	assert_int_equal(has(t, "alerts", "1 = 1"), 2);
	assert_int_equal(has(t, "alerts", "dedupe_key IN ('open', "
	    "'unsent_new')"), 2);
	/*
	 * Once out of the webhook's window, the acknowledged one goes too;
	 * the code has expired by then, and its grant goes in the same pass.
	 */
	assert_int_equal(store_purge(t->s, LATER - 99 + GH_ALERT_SEND_SECONDS,
	    0, 1, 100, &n), GH_OK);
	assert_int_equal(has(t, "alerts", "1 = 1"), 1);
	assert_int_equal(has(t, "alerts", "dedupe_key = 'open'"), 1);
	assert_int_equal(has(t, "grants", "1 = 1"), 2);
	assert_int_equal(has(t, "grants", "id IN ('gr_fam', 'gr_live')"), 2);
	assert_int_equal(has(t, "grant_sightings", "1 = 1"), 4);
}

/* alert_keep_seconds 0 (audit_retention_days 0): no alert is deleted */
static void
test_purge_keeps_alerts_for_ever(void **state)
{
	struct th_store	*t = *state;
	unsigned	 n = 0;

	assert_int_equal(store_purge(t->s, LATER, KEEP, 0, 100, &n), GH_OK);
	assert_int_equal(has(t, "grants", "id LIKE 'gr_old%'"), 0);
	assert_int_equal(has(t, "alerts", "dedupe_key IN ('delivered', "
	    "'unsent_old')"), 2);
}

/*
 * SQLite: the purge reaches revoked grants by the grants_revoked index,
 * never a scan of every grant under the writer at each pass.
 */
static void
test_purge_grants_by_index(void **state)
{
	struct th_store	*t = *state;
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 sql[1024], plan[2048] = "";
	size_t		 len = 0;

	if (t->schema[0])
		skip();
	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
	    sqlite_sql[S_PURGE_GRANTS]);
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && len < sizeof(plan) - 1)
		len += (size_t)snprintf(plan + len, sizeof(plan) - len,
		    "%s\n", (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_non_null(strstr(plan, "USING INDEX grants_revoked"));
	assert_null(strstr(plan, "SCAN g\n"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_purge_grants_alerts),
		T(test_purge_no_keep),
		T(test_purge_keeps_alerts_for_ever),
		T(test_purge_grants_by_index),
	};
#undef T

	log_set_level(LOG_WARN);	/* no migration chatter */
	return cmocka_run_group_tests_name("store/purge", tests, NULL, NULL);
}
