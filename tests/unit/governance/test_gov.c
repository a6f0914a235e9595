/*
 * test_gov.c - governance/gov.h: the rate rule's per-client windows,
 * seeded from the audit trail of a real store (SQLite, or PostgreSQL
 * when GH_TEST_PG_URL is set) on the client's first event, and re-read
 * from it every tenth of a window, so that what another node (another
 * store handle) served is counted too, and what this node served once.
 *
 * A seed whose read fails must leave the client unseeded, so the next
 * event seeds it from the trail; an empty baseline taken for a real one
 * would hide a spike (or invent one) from then on. A re-read that fails
 * keeps the counts the node has. The audit table is renamed away to make
 * the read fail.
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

/*
 * Node `s` serves an event of c1 at `at`: the event goes into the trail,
 * then, on the node under test (f->app's store), to the rule, as audit.c
 * does. The verdict's current count in *current.
 */
static bool
served_v(struct fixture *f, struct store *s, int64_t at,
    struct rate_verdict *v)
{
	struct audit_row r = { .type = "token.refreshed", .actor = "client",
	    .client_id = "c1", .time = at };

	assert_int_equal(store_audit_append(s, &r), GH_OK);
	memset(v, 0, sizeof(*v));
	if (s != f->app.store)
		return false;
	return gov_token_event(f->g, &f->app, "c1", at, v);
}

static bool
served(struct fixture *f, struct store *s, int64_t at, uint32_t *current)
{
	struct rate_verdict	v;
	bool			spike = served_v(f, s, at, &v);

	*current = v.current;
	return spike;
}

/*
 * Another node's events reach this node's windows at the first event a
 * tenth of a window (6 minutes) after its last read, and this node's own
 * events, in the trail and noted locally, are counted once.
 */
static void
test_reread_counts_the_cluster_once(void **state)
{
	struct fixture	*f = *state;
	struct store	*other;
	uint32_t	 n = 0;

	assert_int_equal(store_open(f->t->path, &other), GH_OK);
	history(f);
	assert_false(served(f, f->t->s, T, &n));	/* seeds: 1 */
	assert_int_equal(n, 1);
	assert_false(served(f, f->t->s, T + 1, &n));
	assert_int_equal(n, 2);
	served(f, other, T + 2, &n);
	served(f, other, T + 3, &n);
	/* not yet re-read: this node's two, and this one */
	assert_true(served(f, f->t->s, T + 300, &n));
	assert_int_equal(n, 3);
	/* re-read: the trail's five (two of them the other node's), this */
	assert_true(served(f, f->t->s, T + 360, &n));
	assert_int_equal(n, 6);
	assert_true(served(f, f->t->s, T + 361, &n));
	assert_int_equal(n, 7);
	store_close(other);
}

/*
 * A re-read that fails keeps the node's own counts (judged as before),
 * warns once, and is tried again at the next event; the first that works
 * brings the other node's events in.
 */
static void
test_failed_reread_keeps_the_counts(void **state)
{
	struct fixture	*f = *state;
	struct store	*other;
	struct th_stderr c;
	uint32_t	 n = 0;

	assert_int_equal(store_open(f->t->path, &other), GH_OK);
	history(f);
	assert_false(served(f, f->t->s, T, &n));
	served(f, other, T + 1, &n);
	served(f, other, T + 2, &n);
	served(f, other, T + 3, &n);
	audit_table(f, false);
	th_stderr_begin(&c);
	assert_false(event(f, T + 400));	/* this node's 2: no spike */
	assert_true(event(f, T + 401));		/* 3, retried, failed */
	th_stderr_end(&c);
	assert_int_equal(th_stderr_count(&c, "rate_baseline_unavailable"), 1);
	audit_table(f, true);
	/* the trail's four (T, T + 1 .. T + 3) and this one */
	assert_true(served(f, f->t->s, T + 402, &n));
	assert_int_equal(n, 5);
	store_close(other);
}

/*
 * A node's share is never judged alone: when the other nodes leave (a
 * scale-in, a failover) the survivor serves all of a client's traffic,
 * its share ten times what it was, while the cluster's rate is flat: no
 * alert (review 69 reproduced a storm of them before). 11 nodes, this
 * one serving 1 of the client's 11 tokens a window; then this one alone
 * serves the 11.
 */
static void
test_a_scale_in_is_no_spike(void **state)
{
	struct fixture		*f = *state;
	struct store		*others;
	struct rate_verdict	 v;
	int64_t			 w;
	int			 i;

	assert_int_equal(store_open(f->t->path, &others), GH_OK);
	for (w = W - 4; w < W; w++) {
		assert_false(served_v(f, f->t->s, w * HOUR + 10, &v));
		for (i = 0; i < 10; i++)
			served_v(f, others, w * HOUR + 20 + i, &v);
	}
	for (i = 0; i < 11; i++)
		assert_false(served_v(f, f->t->s, T + 300 * i, &v));
	/* ten times the cluster's rate is still a spike */
	for (i = 0; i < 110; i++)
		served_v(f, others, T + 3400 + i / 10, &v);
	assert_true(served_v(f, f->t->s, T + 3450, &v));
	assert_true(v.current > 110);
	store_close(others);
}

/*
 * A client keeps its slot, and so reads its windows only a tenth of a
 * window apart, while hundreds of others are active: 1,000 other clients'
 * events between two of c1's, then the trail made unreadable. c1's next
 * event, 10 s after its read, reads nothing (no warning); pushed out of
 * its slot (256 slots searched one by one, before), it read again, and
 * with every event once there were more active clients than slots.
 */
static void
test_many_clients_keep_their_slots(void **state)
{
	struct fixture		*f = *state;
	struct rate_verdict	 v;
	struct th_stderr	 c;
	char			 id[24];
	int			 i;

	history(f);
	assert_false(event(f, T));		/* read: seeded */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "other%d", i);
		(void)gov_token_event(f->g, &f->app, id, T + 1 + i / 200, &v);
	}
	audit_table(f, false);
	th_stderr_begin(&c);
	assert_false(event(f, T + 10));
	th_stderr_end(&c);
	audit_table(f, true);
	assert_int_equal(th_stderr_count(&c, "rate_baseline_unavailable"), 0);
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
		TT(test_reread_counts_the_cluster_once),
		TT(test_failed_reread_keeps_the_counts),
		TT(test_a_scale_in_is_no_spike),
		TT(test_many_clients_keep_their_slots),
	};
#undef TT

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("governance/gov", tests, NULL,
	    NULL);
}
