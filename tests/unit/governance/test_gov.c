/*
 * test_gov.c - governance/gov.h: the rate rule's per-client baseline,
 * seeded from the audit trail of a real store (SQLite, or PostgreSQL
 * when GH_TEST_PG_URL is set) on the client's first event.
 *
 * A seed whose read fails must leave the client unseeded, so the next
 * event seeds it from the trail; an empty baseline taken for a real one
 * would hide a spike (or invent one) from then on. The audit table is
 * renamed away to make the read fail.
 */
#include "gov_fixture.h"

#include "util/log.h"

#define HOUR	3600
#define W	472222		/* the current window (hour) */
#define T	(W * HOUR + 100)	/* "now", inside it */

static void
settings(struct conf *c)
{
	/* a spike: 3 or more events, over twice the 2-window average */
	c->rule_rate_factor = 2;
	c->rule_rate_window_seconds = HOUR;
	c->rule_rate_baseline_windows = 2;
	c->rule_rate_min_events = 3;
}

static int
setup(void **state)
{
	return gov_fixture_setup(state, settings);
}

/* One token issued to c1 per window in the two windows before W. */
static void
history(struct fixture *f)
{
	struct audit_row r = { .type = "token.issued", .actor = "client",
	    .client_id = "c1" };

	r.time = (W - 2) * HOUR + 10;
	assert_int_equal(store_audit_append(f->t->s, &r), GH_OK);
	r.time = (W - 1) * HOUR + 10;
	assert_int_equal(store_audit_append(f->t->s, &r), GH_OK);
}

static void
audit_table(struct fixture *f, bool there)
{
	th_sql_int(f->t, there ? "ALTER TABLE audit_hidden RENAME TO "
	    "audit_events" : "ALTER TABLE audit_events RENAME TO "
	    "audit_hidden");
}

static bool
event(struct fixture *f, int64_t at)
{
	struct rate_verdict v;

	return gov_token_event(f->g, &f->app, "c1", at, &v);
}

/* The baseline from the trail makes a burst of three a spike. */
static void
test_seeded_baseline_sees_a_spike(void **state)
{
	struct fixture *f = *state;

	history(f);
	assert_false(event(f, T));
	assert_false(event(f, T + 1));
	assert_true(event(f, T + 2));
}

/*
 * The first events' seeds fail: they are not judged, the warning is
 * logged once, and the first event after the trail is back seeds the
 * real baseline, under which the same burst is a spike.
 */
static void
test_failed_seed_is_retried(void **state)
{
	struct fixture	*f = *state;
	struct th_stderr c;

	history(f);
	audit_table(f, false);
	th_stderr_begin(&c);
	assert_false(event(f, T));
	assert_false(event(f, T + 1));
	th_stderr_end(&c);
	assert_int_equal(th_stderr_count(&c, "rate_baseline_unavailable"), 1);
	audit_table(f, true);
	assert_false(event(f, T + 2));
	assert_false(event(f, T + 3));
	assert_true(event(f, T + 4));
}

int
main(void)
{
#define TT(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		TT(test_seeded_baseline_sees_a_spike),
		TT(test_failed_seed_is_retried),
	};
#undef TT

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("governance/gov", tests, NULL,
	    NULL);
}
