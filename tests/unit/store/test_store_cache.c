/*
 * test_store_cache.c - a client changed anywhere is seen at once.
 *
 * On PostgreSQL each serving store keeps client rows (pg_cache.c) and
 * empties them on a NOTIFY from a trigger on clients, on its own writes,
 * and when its listening connection is lost; no row is served older than
 * PG_CACHE_TTL_MS (500 ms). These tests show the cache is used, and that a
 * change made by this store, by another node, or by hand in SQL reaches
 * reads well inside that bound: so it was the notification, not the age
 * limit, that did it. SQLite has no cache; the same reads must hold there.
 */
#include "../harness.h"
#include "util/clock.h"

#define NOW	1700000000
/* a change must show before the age limit alone could show it */
#define FAST	0.45

static int
setup(void **state)
{
	return th_store_setup_client(state, "c1", NOW);
}

static enum client_status
status_of(struct store *s)
{
	struct client_row	*c = calloc(1, sizeof(*c));
	enum client_status	 st;

	assert_non_null(c);
	assert_int_equal(store_client_get(s, "c1", c), GH_OK);
	st = c->status;
	free(c);
	return st;
}

/* c1's name in s, into out. */
static void
name_of(struct store *s, char out[GH_MAX_NAME_FIELD])
{
	struct client_row *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	assert_int_equal(store_client_get(s, "c1", c), GH_OK);
	memcpy(out, c->name, GH_MAX_NAME_FIELD);
	free(c);
}

/* Seconds from `since` until c1's status reads `want` in s (or 3 s). */
static double
until_status(struct store *s, enum client_status want, double since)
{
	while (status_of(s) != want && clock_mono() - since < 3.0)
		usleep(2000);
	return clock_mono() - since;
}

/* SQL on the test's database as an operator in psql would run it. */
static void
by_hand(const struct th_store *t, const char *sql)
{
	assert_true(th_sql_int(t, sql) >= -1);
}

/*
 * The cache answers, and never with a row older than the age limit: c1
 * is read (and cached), renamed without firing triggers (so no
 * notification), and read again at once; the old name means the cache
 * answered. A notification of an earlier change (the test's setup, other
 * tests' stores: the channel is the database's) may empty the cache in
 * between, so a few tries are allowed. Then the new name must show once
 * the row is older than the limit.
 */
static void
cached_then_aged(const struct th_store *t)
{
	char	before[GH_MAX_NAME_FIELD], after[GH_MAX_NAME_FIELD];
	char	sql[160];
	double	filled = 0;
	bool	hit = false;
	int	i;

	for (i = 0; i < 5 && !hit; i++) {
		name_of(t->s, before);
		filled = clock_mono();
		snprintf(sql, sizeof(sql), "SET session_replication_role = "
		    "replica; UPDATE clients SET name = 'Renamed %d' "
		    "WHERE id = 'c1'", i);
		by_hand(t, sql);
		name_of(t->s, after);
		hit = clock_mono() - filled < 0.4 &&
		    strcmp(after, before) == 0;
	}
	assert_true(hit);
	do
		name_of(t->s, after);
	while (strcmp(after, before) == 0 && clock_mono() - filled < 3.0);
	assert_string_not_equal(after, before);
	assert_true(clock_mono() - filled < 0.5 + 0.3);
}

/* This store's own writes show in its very next read. */
static void
test_own_writes_at_once(void **state)
{
	struct th_store	*t = *state;
	uint8_t		 h[GH_HASH_BYTES];
	struct client_row *c = calloc(1, sizeof(*c));
	unsigned	 grants;

	assert_non_null(c);
	assert_int_equal(status_of(t->s), CLIENT_ACTIVE);
	assert_int_equal(status_of(t->s), CLIENT_ACTIVE);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(status_of(t->s), CLIENT_DISABLED);
	th_hash("rotated", h);
	assert_int_equal(store_client_set_secret(t->s, "c1", h, NOW), GH_OK);
	assert_int_equal(store_client_get(t->s, "c1", c), GH_OK);
	assert_memory_equal(c->secret_hash, h, GH_HASH_BYTES);
	th_hash("killed", h);
	assert_int_equal(store_client_quarantine(t->s, "c1", h, "test", NOW,
	    &grants, NULL), GH_OK);
	assert_int_equal(store_client_get(t->s, "c1", c), GH_OK);
	assert_int_equal(c->status, CLIENT_QUARANTINED);
	assert_memory_equal(c->secret_hash, h, GH_HASH_BYTES);
	free(c);
}

/* Another node's write shows here well inside the age limit. */
static void
test_other_node_write_fast(void **state)
{
	struct th_store	*t = *state;
	struct store	*other;
	double		 filled;

	assert_int_equal(store_open(t->path, &other), GH_OK);
	assert_int_equal(status_of(t->s), CLIENT_ACTIVE);
	filled = clock_mono();
	assert_int_equal(status_of(t->s), CLIENT_ACTIVE);
	assert_int_equal(store_client_set_status(other, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_true(until_status(t->s, CLIENT_DISABLED, filled) < FAST);
	/* and back, from the other side */
	assert_int_equal(status_of(other), CLIENT_DISABLED);
	filled = clock_mono();
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_true(until_status(other, CLIENT_ACTIVE, filled) < FAST);
	store_close(other);
}

static void
test_cache_used_and_aged(void **state)
{
	struct th_store	*t = *state;
	double		 filled;

	if (!t->schema[0])
		skip();		/* SQLite reads the file every time */
	cached_then_aged(t);
	/* a change by hand, with its trigger, shows fast */
	assert_int_equal(status_of(t->s), CLIENT_ACTIVE);
	filled = clock_mono();
	by_hand(t, "UPDATE clients SET status = 'disabled' WHERE id = 'c1'");
	assert_true(until_status(t->s, CLIENT_DISABLED, filled) < FAST);
}

/*
 * The listening connection dies: the store connects again, and from then
 * on caches and hears changes as before.
 */
static void
test_listener_reconnects(void **state)
{
	struct th_store	*t = *state;
	char		 sql[160];
	int64_t		 old;
	double		 start, filled;

	if (!t->schema[0])
		skip();
	/* the listeners of earlier tests' stores may take a moment to go */
	start = clock_mono();
	while (th_sql_int(t, "SELECT count(*) FROM pg_stat_activity "
	    "WHERE query = 'LISTEN gh_clients'") != 1 &&
	    clock_mono() - start < 3.0)
		usleep(10000);
	old = th_sql_int(t, "SELECT min(pid) FROM pg_stat_activity "
	    "WHERE query = 'LISTEN gh_clients'");
	assert_true(old > 0);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)::int",
	    (long long)old);
	assert_int_equal(th_sql_int(t, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity "
	    "WHERE query = 'LISTEN gh_clients' AND pid <> %lld",
	    (long long)old);
	start = clock_mono();
	while (th_sql_int(t, sql) < 1 && clock_mono() - start < 3.0)
		usleep(10000);
	assert_int_equal(th_sql_int(t, sql), 1);
	/* caching again */
	cached_then_aged(t);
	/* and hearing changes again */
	assert_int_equal(status_of(t->s), CLIENT_ACTIVE);
	filled = clock_mono();
	by_hand(t, "UPDATE clients SET status = 'disabled' WHERE id = 'c1'");
	assert_true(until_status(t->s, CLIENT_DISABLED, filled) < FAST);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_own_writes_at_once,
		    setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(test_other_node_write_fast,
		    setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(test_cache_used_and_aged,
		    setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(test_listener_reconnects,
		    setup, th_store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
