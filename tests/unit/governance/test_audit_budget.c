/*
 * test_audit_budget.c - governance/audit_budget.h on a real store: an
 * anonymous event's budget is per address and client; a known author's
 * (audit_budgeted_by) per author and client whatever the address, with a
 * type budget of its own that a flood of anonymous events of the same
 * type from many addresses cannot use up; an event without a detail is
 * stored without one, until a row has counts to carry.
 *
 * The budgets live in the process's limits table and run on the real
 * monotonic clock, so each test uses event types of its own.
 */
#include <time.h>

#include "gov_fixture.h"

#include "governance/audit_budget.h"

static void
settings(struct conf *c)
{
	/* a row comes back every 60 s per key, every 1 s per type */
	c->throttle_audit_window_seconds = 600;
}

static int
setup(void **state)
{
	return gov_fixture_setup(state, settings);
}

static int64_t
rows(struct fixture *f, const char *type, const char *where)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_events WHERE "
	    "type = '%s'%s%s", type, where ? " AND " : "", where ? where : "");
	return th_sql_int(f->t, sql);
}

static void
addr_of(int i, char *out, size_t outsz)
{
	snprintf(out, outsz, "10.%d.%d.%d", 1 + i / 62500,
	    1 + (i / 250) % 250, 1 + i % 250);
}

/* a user's key follows the user across addresses; another is its own */
static void
test_by_author_whatever_the_address(void **state)
{
	struct fixture		*f = *state;
	struct audit_origin	 o = { NULL, "agent/1", "user" };
	struct audit_subject	 s = { "cl_a", "u_one", NULL };
	char			 addr[32];
	int			 i;

	for (i = 0; i < 30; i++) {
		addr_of(i, addr, sizeof(addr));
		o.remote_addr = addr;
		audit_budgeted_by(&f->app, &o, "t.by", &s, s.user_id, NULL);
	}
	assert_int_equal(rows(f, "t.by", NULL), 10);
	/* another user, or the same user with another client: own keys */
	s.user_id = "u_two";
	audit_budgeted_by(&f->app, &o, "t.by", &s, s.user_id, NULL);
	s.client_id = "cl_b";
	s.user_id = "u_one";
	audit_budgeted_by(&f->app, &o, "t.by", &s, s.user_id, NULL);
	assert_int_equal(rows(f, "t.by", "user_id = 'u_two'"), 1);
	assert_int_equal(rows(f, "t.by", "client_id = 'cl_b'"), 1);
	assert_int_equal(rows(f, "t.by", "detail IS NOT NULL"), 0);
	/* anonymous events of the type are keyed by address, not author */
	o.remote_addr = "192.0.2.1";
	s.user_id = NULL;
	audit_budgeted(&f->app, &o, "t.by", &s, NULL, NULL);
	assert_int_equal(rows(f, "t.by", "user_id IS NULL"), 1);
}

/*
 * 650 anonymous events from 650 addresses use up their type's budget
 * (600); a signed-in user's event of the same type is still stored.
 */
static void
test_an_anonymous_flood_leaves_authors_their_budget(void **state)
{
	struct fixture		*f = *state;
	struct audit_origin	 o = { NULL, "agent/1", "user" };
	struct audit_subject	 s = { "cl_a", NULL, NULL };
	char			 addr[32];
	int64_t			 anon;
	time_t			 t0 = time(NULL);
	int			 i;

	for (i = 0; i < 650; i++) {
		addr_of(i, addr, sizeof(addr));
		o.remote_addr = addr;
		audit_budgeted(&f->app, &o, "t.pool", &s, NULL, NULL);
	}
	anon = rows(f, "t.pool", NULL);
	/* the budget, and one a second that came back meanwhile */
	assert_true(anon >= 600);
	assert_true(anon <= 600 + (int64_t)(time(NULL) - t0) + 1);
	assert_true(anon < 650);
	s.user_id = "u_pool";
	audit_budgeted_by(&f->app, &o, "t.pool", &s, s.user_id, NULL);
	assert_int_equal(rows(f, "t.pool", "user_id = 'u_pool'"), 1);
	assert_int_equal(rows(f, "t.pool", "user_id = 'u_pool' AND "
	    "detail IS NULL"), 1);
}

/* no detail: none stored, until a row carries what was folded */
static void
test_a_row_without_detail_gets_one_for_its_counts(void **state)
{
	struct fixture		*f = *state;
	struct audit_origin	 o = { "192.0.2.9", "agent/1", "client" };
	struct audit_subject	 s = { "cl_n", NULL, NULL };
	struct timespec		 wait = { 0, 150 * 1000 * 1000 };
	int			 i;

	f->app.conf.throttle_audit_window_seconds = 1;	/* 0.1 s a row */
	for (i = 0; i < 40; i++)
		audit_budgeted(&f->app, &o, "t.null", &s, NULL, NULL);
	assert_true(rows(f, "t.null", NULL) >= 10);
	assert_true(rows(f, "t.null", NULL) < 40);
	nanosleep(&wait, NULL);
	audit_budgeted(&f->app, &o, "t.null", &s, NULL, NULL);
	assert_int_equal(rows(f, "t.null", "detail IS NULL"), 10);
	assert_true(rows(f, "t.null", "detail LIKE '{\"folded\":%,"
	    "\"withheld_rows\":0,\"withheld_events\":0}'") >= 1);
	/* every event a row or counted in one */
	assert_int_equal(th_sql_int(f->t, f->t->schema[0] ?
	    "SELECT count(*) + coalesce(sum((detail::json->>'folded')::int), "
	    "0) FROM audit_events WHERE type = 't.null'" :
	    "SELECT count(*) + coalesce(sum(json_extract(detail, '$.folded')),"
	    " 0) FROM audit_events WHERE type = 't.null'"), 41);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_by_author_whatever_the_address, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_an_anonymous_flood_leaves_authors_their_budget,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_row_without_detail_gets_one_for_its_counts,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
