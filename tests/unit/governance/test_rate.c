/* test_rate.c - governance/rate.h: the per-client rate baseline. */
#include "../harness.h"

#include "governance/rate.h"

static const struct rate_rule rule = { 3600, 24, 10, 100 };

static void
add_n(struct rate_track *r, int64_t t, unsigned n)
{
	while (n--)
		rate_add(r, &rule, t);
}

static void
test_new_client_has_no_baseline(void **state)
{
	struct rate_track	r;
	struct rate_verdict	v;
	int64_t			t0 = 1000 * 3600;

	(void)state;
	memset(&r, 0, sizeof(r));
	add_n(&r, t0 + 10, 5000);
	assert_false(rate_spike(&r, &rule, t0 + 10, &v));
}

static void
test_steady_then_spike(void **state)
{
	struct rate_track	r;
	struct rate_verdict	v;
	int64_t			t0 = 1000 * 3600, h;

	(void)state;
	memset(&r, 0, sizeof(r));
	for (h = 0; h < 24; h++)
		add_n(&r, t0 + h * 3600 + 5, 50);
	/* the same rate again: normal */
	add_n(&r, t0 + 24 * 3600 + 5, 50);
	assert_false(rate_spike(&r, &rule, t0 + 24 * 3600 + 5, &v));
	assert_int_equal(v.current, 50);
	assert_true(v.average > 49.9 && v.average < 50.1);
	assert_int_equal(v.windows, 24);
	/* ten times is not above; eleven times is */
	add_n(&r, t0 + 24 * 3600 + 6, 450);
	assert_false(rate_spike(&r, &rule, t0 + 24 * 3600 + 6, &v));
	add_n(&r, t0 + 24 * 3600 + 7, 51);
	assert_true(rate_spike(&r, &rule, t0 + 24 * 3600 + 7, &v));
	assert_int_equal(v.current, 551);
}

static void
test_minimum_and_gaps(void **state)
{
	struct rate_track	r;
	struct rate_verdict	v;
	int64_t			t0 = 1000 * 3600;

	(void)state;
	memset(&r, 0, sizeof(r));
	add_n(&r, t0, 1);
	/* 99 after a quiet day: far above, but under the minimum */
	add_n(&r, t0 + 30 * 3600, 99);
	assert_false(rate_spike(&r, &rule, t0 + 30 * 3600, &v));
	assert_int_equal(v.windows, 24);
	add_n(&r, t0 + 30 * 3600, 1);
	assert_true(rate_spike(&r, &rule, t0 + 30 * 3600, &v));
	/* a window with no event yet is not judged */
	assert_false(rate_spike(&r, &rule, t0 + 31 * 3600, &v));
	/* an old event is ignored, not counted in the current window */
	rate_add(&r, &rule, t0 + 29 * 3600);
	rate_add(&r, &rule, t0 - 400 * 3600);
	assert_true(rate_spike(&r, &rule, t0 + 30 * 3600, &v));
	assert_int_equal(v.current, 100);
}

/*
 * Counts read from the trail replace the windows from `from` on: older
 * windows keep theirs, newer ones (counted locally while the read ran)
 * are emptied, and the earliest window read with events is history.
 */
static void
test_put_replaces_from_a_window_on(void **state)
{
	struct rate_track	r;
	struct rate_verdict	v;
	int64_t			t0 = 1000 * 3600, w0 = 1000;
	uint32_t		c[3] = { 7, 0, 9 };

	(void)state;
	memset(&r, 0, sizeof(r));
	add_n(&r, t0 + 5, 4);			/* window w0 */
	add_n(&r, t0 + 3600 + 5, 5);		/* w0 + 1 */
	add_n(&r, t0 + 4 * 3600 + 5, 6);	/* w0 + 4 */
	rate_put(&r, &rule, w0 + 1, c, 3);	/* w0 + 1 .. w0 + 3 */
	assert_int_equal(r.window, w0 + 4);
	assert_int_equal(r.counts[0], 0);	/* newer than the read */
	assert_int_equal(r.counts[1], 9);
	assert_int_equal(r.counts[2], 0);
	assert_int_equal(r.counts[3], 7);
	assert_int_equal(r.counts[4], 4);	/* older: kept */
	assert_int_equal(r.first_time, t0 + 5);
	rate_add_n(&r, &rule, t0 + 4 * 3600 + 9, 200);
	assert_true(rate_spike(&r, &rule, t0 + 4 * 3600 + 9, &v));
	assert_int_equal(v.current, 200);
	assert_int_equal(v.windows, 4);
	assert_true(v.average > 4.99 && v.average < 5.01);	/* 20 / 4 */

	/* a first read: history from the earliest window with events */
	memset(&r, 0, sizeof(r));
	c[0] = 0;
	rate_put(&r, &rule, w0, c, 3);
	assert_int_equal(r.window, w0 + 2);
	assert_int_equal(r.first_time, (w0 + 2) * 3600);
	assert_int_equal(r.counts[0], 9);
	assert_false(rate_spike(&r, &rule, t0 + 2 * 3600, &v));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_client_has_no_baseline),
		cmocka_unit_test(test_steady_then_spike),
		cmocka_unit_test(test_minimum_and_gaps),
		cmocka_unit_test(test_put_replaces_from_a_window_on),
	};

	return cmocka_run_group_tests_name("governance/rate", tests, NULL,
	    NULL);
}
