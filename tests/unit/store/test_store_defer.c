/*
 * test_store_defer.c - durability put off to the end of a request
 * (store_defer_begin/end, store.h).
 *
 * On both backends: writes made while deferring are seen by other
 * connections (on PostgreSQL at once, as other nodes must see a
 * revocation), and a failed operation inside the request leaves nothing
 * behind.
 *
 * On PostgreSQL the writes commit without waiting for their WAL flush, and
 * store_defer_end makes them durable: either a durable audit row queued
 * after the last write (its commit flushes the WAL up to itself), or one
 * extra durable write, a row of flush_marks. The tests count those extra
 * writes: one exactly when some write is not followed by such a row.
 */
#include "../harness.h"

#define NOW	1700000000

static int64_t
marks(struct th_store *t)
{
	return th_sql_int(t, "SELECT coalesce(sum(n), 0) FROM flush_marks");
}

static enum gh_err
audit(struct store *s, const char *type)
{
	struct audit_row r = { .time = NOW, .type = type, .actor = "admin",
	    .client_id = "c1" };

	return store_audit_append(s, &r);
}

/* 1 active, 2 disabled, 3 quarantined */
static int64_t
status_of_c1(struct th_store *t)
{
	return th_sql_int(t, "SELECT CASE status WHEN 'active' THEN 1 "
	    "WHEN 'disabled' THEN 2 ELSE 3 END FROM clients WHERE id = 'c1'");
}

static int
setup(void **state)
{
	struct client_row	*c;
	struct th_store		*t;
	int			 rc;

	if ((rc = th_store_setup(state)) != 0)
		return rc;
	t = *state;
	c = th_client_new("c1", NOW);
	rc = store_client_insert(t->s, c) == GH_OK ? 0 : -1;
	free(c);
	return rc;
}

/* Writes seen from other connections; a failed one leaves nothing. */
static void
test_writes_visible_while_deferred(void **state)
{
	struct th_store	*t = *state;
	uint8_t		 h[GH_HASH_BYTES];
	unsigned	 grants = 9;

	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	/* PostgreSQL has committed it; SQLite's batch commits at the end */
	assert_int_equal(status_of_c1(t), t->schema[0] ? 2 : 1);
	/* a failed transaction inside the request changes nothing */
	th_hash("new", h);
	assert_int_equal(store_client_quarantine(t->s, "nobody", h, "test",
	    NOW, &grants, NULL), GH_ERR_NOT_FOUND);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(status_of_c1(t), 2);
	assert_int_equal(th_sql_int(t,
	    "SELECT count(*) FROM clients WHERE id = 'nobody'"), 0);
}

/* Which requests need the extra durable write on PostgreSQL. */
static void
test_extra_flush_only_when_uncovered(void **state)
{
	struct th_store	*t = *state;
	uint8_t		 h[GH_HASH_BYTES];
	unsigned	 grants = 0;
	int64_t		 m;

	if (!t->schema[0])
		skip();		/* SQLite: one batch commit covers all */
	m = marks(t);

	/* a write and nothing after it: one extra */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 1);

	/* a write, then a durable audit row: its commit covers the write */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(audit(t->s, "client.enabled"), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 1);

	/* a transaction after the row is not covered by it */
	store_defer_begin(t->s);
	assert_int_equal(audit(t->s, "client.quarantined"), GH_OK);
	th_hash("new", h);
	assert_int_equal(store_client_quarantine(t->s, "c1", h, "test", NOW,
	    &grants, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 2);
	assert_int_equal(status_of_c1(t), 3);

	/* a lazy row covers nothing */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_QUARANTINED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	store_lazy(t->s, true);
	assert_int_equal(audit(t->s, "client.enabled"), GH_OK);
	store_lazy(t->s, false);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 3);

	/* lazy writes, reads and audit rows alone owe nothing */
	store_defer_begin(t->s);
	store_lazy(t->s, true);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	store_lazy(t->s, false);
	assert_int_equal(status_of_c1(t), 2);
	assert_int_equal(audit(t->s, "client.disabled"), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 3);

	/* outside a request, writes are durable on their own */
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(marks(t), m + 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_writes_visible_while_deferred, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_extra_flush_only_when_uncovered, setup,
		    th_store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
