/*
 * test_throttle.c - governance/throttle.h: token buckets refilled by the
 * clock the caller passes, give-back and reset, work in flight, folding
 * and counting per window, the budget of reports, the fixed memory
 * under a flood of keys (which keys a flood can push out, never another
 * kind's), IPv6 /64 and NAT64 grouping, and many threads on one table.
 */
#include <pthread.h>

#include "../harness.h"

#include "governance/throttle.h"

#define T0	1000000		/* any monotonic time, in ms */

static const struct throttle_rate three_per_s = { 3, 1000 };

static int
setup(void **state)
{
	struct throttle *t;

	if (throttle_new(256, &t) != GH_OK)
		return -1;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	throttle_free(*state);
	return 0;
}

static bool
take(struct throttle *t, const char *key, int64_t now, int64_t *retry)
{
	return throttle_take(t, THROTTLE_LOGIN_ADDR, key, &three_per_s, now,
	    retry);
}

static void
test_burst_then_one_per_interval(void **state)
{
	struct throttle	*t = *state;
	int64_t		 retry;

	assert_true(take(t, "192.0.2.1", T0, &retry));
	assert_true(take(t, "192.0.2.1", T0, &retry));
	assert_true(take(t, "192.0.2.1", T0, &retry));
	assert_int_equal(retry, 0);
	assert_false(take(t, "192.0.2.1", T0, &retry));
	assert_int_equal(retry, 1000);
	/* another key, or the same one of another kind, is not touched */
	assert_true(take(t, "192.0.2.2", T0, &retry));
	assert_true(throttle_take(t, THROTTLE_ADMIN_ADDR, "192.0.2.1",
	    &three_per_s, T0, &retry));
	/* refusals take nothing: one is back after the interval, no sooner */
	assert_false(take(t, "192.0.2.1", T0 + 400, &retry));
	assert_int_equal(retry, 600);
	assert_false(take(t, "192.0.2.1", T0 + 999, &retry));
	assert_int_equal(retry, 1);
	assert_true(take(t, "192.0.2.1", T0 + 1000, &retry));
	assert_false(take(t, "192.0.2.1", T0 + 1000, &retry));
	/* idle long enough: the whole burst again, never more */
	assert_true(take(t, "192.0.2.1", T0 + 60000, &retry));
	assert_true(take(t, "192.0.2.1", T0 + 60000, &retry));
	assert_true(take(t, "192.0.2.1", T0 + 60000, &retry));
	assert_false(take(t, "192.0.2.1", T0 + 60000, &retry));
}

static void
test_give_back_and_reset(void **state)
{
	struct throttle		*t = *state;
	struct throttle_rate	 off = { 0, 1000 };
	int64_t			 retry;
	int			 i;

	for (i = 0; i < 3; i++)
		assert_true(take(t, "alice", T0, &retry));
	assert_false(take(t, "alice", T0, &retry));
	/* an attempt that did not count gives its token back */
	throttle_give(t, THROTTLE_LOGIN_ADDR, "alice", &three_per_s, T0);
	assert_true(take(t, "alice", T0, &retry));
	assert_false(take(t, "alice", T0, &retry));
	/* a success: the whole burst back */
	throttle_reset(t, THROTTLE_LOGIN_ADDR, "alice");
	for (i = 0; i < 3; i++)
		assert_true(take(t, "alice", T0, &retry));
	assert_false(take(t, "alice", T0, &retry));
	/* burst 0 is no limit, and remembers nothing */
	for (i = 0; i < 1000; i++)
		assert_true(throttle_take(t, THROTTLE_LOGIN_USER, "bob", &off,
		    T0, &retry));
	assert_int_equal(throttle_used(t), 1);
}

static void
test_one_in_flight(void **state)
{
	struct throttle *t = *state;

	assert_true(throttle_enter(t, THROTTLE_LOGIN_ADDR, "a", 1, T0));
	assert_false(throttle_enter(t, THROTTLE_LOGIN_ADDR, "a", 1, T0));
	assert_true(throttle_enter(t, THROTTLE_LOGIN_ADDR, "b", 1, T0));
	throttle_leave(t, THROTTLE_LOGIN_ADDR, "a");
	assert_true(throttle_enter(t, THROTTLE_LOGIN_ADDR, "a", 1, T0));
	throttle_leave(t, THROTTLE_LOGIN_ADDR, "a");
	throttle_leave(t, THROTTLE_LOGIN_ADDR, "a");	/* one too many */
	assert_true(throttle_enter(t, THROTTLE_LOGIN_ADDR, "a", 2, T0));
	assert_true(throttle_enter(t, THROTTLE_LOGIN_ADDR, "a", 2, T0));
	assert_false(throttle_enter(t, THROTTLE_LOGIN_ADDR, "a", 2, T0));
}

static void
test_fold_reports_once_per_window_with_the_count(void **state)
{
	struct throttle	*t = *state;
	uint32_t	 n[THROTTLE_COUNTS];
	int		 i;

	/* the first is reported at once, alone */
	assert_true(throttle_fold(t, THROTTLE_ADMIN_ADDR, "x", 0, 60000, T0,
	    n));
	assert_int_equal(n[0], 1);
	assert_int_equal(n[1], 0);
	/* the rest of the window is only counted */
	for (i = 0; i < 99; i++)
		assert_false(throttle_fold(t, THROTTLE_ADMIN_ADDR, "x", i % 2,
		    60000, T0 + i * 100, n));
	assert_int_equal(n[0], 0);
	/* the next one after it carries them all, itself included */
	assert_true(throttle_fold(t, THROTTLE_ADMIN_ADDR, "x", 1, 60000,
	    T0 + 60000, n));
	assert_int_equal(n[0], 50);
	assert_int_equal(n[1], 50);
	assert_false(throttle_fold(t, THROTTLE_ADMIN_ADDR, "x", 0, 60000,
	    T0 + 60001, n));
	/* another key has a window of its own */
	assert_true(throttle_fold(t, THROTTLE_ADMIN_ADDR, "y", 0, 60000,
	    T0 + 60001, n));
	assert_false(throttle_fold(t, THROTTLE_ADMIN_ADDR, "x", 2, 60000,
	    T0 + 200000, n));	/* no such counter */
}

static void
test_count_says_once_per_window(void **state)
{
	struct throttle	*t = *state;
	uint32_t	 n;
	int		 i, hits = 0;

	for (i = 0; i < 30; i++)
		hits += throttle_count(t, THROTTLE_USER_FAILS, "u1", 600000, 10,
		    T0 + i * 1000, &n);
	assert_int_equal(hits, 1);
	assert_int_equal(n, 30);
	/* a new window counts from one again */
	assert_false(throttle_count(t, THROTTLE_USER_FAILS, "u1", 600000, 10,
	    T0 + 600000, &n));
	assert_int_equal(n, 1);
	for (i = 0; i < 8; i++)
		assert_false(throttle_count(t, THROTTLE_USER_FAILS, "u1",
		    600000, 10, T0 + 600000, &n));
	assert_true(throttle_count(t, THROTTLE_USER_FAILS, "u1", 600000, 10,
	    T0 + 600000, &n));
}

/* a limited key, and whether it is still refused */
static bool
still_limited(struct throttle *t, const char *key, int64_t now)
{
	int64_t retry;

	return !take(t, key, now, &retry);
}

static void
test_memory_is_fixed_and_spent_keys_go_first(void **state)
{
	struct throttle	*t = *state;
	char		 key[32];
	int64_t		 retry, now = T0;
	int		 i;

	assert_int_equal(throttle_capacity(t), 256);
	while (take(t, "attacker", now, &retry))
		;
	/* a flood of addresses whose one attempt each did not count */
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "198.51.%d.%d", i / 256, i % 256);
		assert_true(take(t, key, now + 1, &retry));
		throttle_give(t, THROTTLE_LOGIN_ADDR, key, &three_per_s,
		    now + 1);
	}
	assert_true(throttle_used(t) <= throttle_capacity(t));
	/* their state had run out: the limited key kept its slot */
	assert_true(still_limited(t, "attacker", now + 1));
	/* a flood of keys with live state pushes it out (LRU) ... */
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "203.0.%d.%d", i / 256, i % 256);
		assert_true(take(t, key, now + 2, &retry));
	}
	assert_true(throttle_used(t) <= throttle_capacity(t));
	assert_false(still_limited(t, "attacker", now + 2));
	/* ... but never a key with work in flight */
	assert_true(throttle_enter(t, THROTTLE_LOGIN_ADDR, "busy", 1, now));
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "192.0.%d.%d", i / 256, i % 256);
		(void)take(t, key, now + 3, &retry);
	}
	assert_false(throttle_enter(t, THROTTLE_LOGIN_ADDR, "busy", 1,
	    now + 3));
	assert_int_equal(throttle_capacity(t), 256);
}

/*
 * Each kind has slots of its own: a flood of keys of one kind, with live
 * state (junk admin tokens from many addresses), pushes out none of
 * another's (a username's lockout, a user's run of failures).
 */
static void
test_a_flood_of_one_kind_leaves_the_others(void **state)
{
	struct throttle	*t = *state;
	char		 key[32];
	int64_t		 retry, now = T0;
	uint32_t	 n;
	int		 i;

	while (throttle_take(t, THROTTLE_LOGIN_USER, "alice", &three_per_s,
	    now, &retry))
		;
	assert_false(throttle_count(t, THROTTLE_USER_FAILS, "u1", 60000, 3,
	    now, &n));
	assert_false(throttle_count(t, THROTTLE_USER_FAILS, "u1", 60000, 3,
	    now, &n));
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "203.0.%d.%d", i / 256, i % 256);
		(void)throttle_take(t, THROTTLE_ADMIN_ADDR, key, &three_per_s,
		    now + 1, &retry);
		(void)throttle_fold(t, THROTTLE_CONSOLE_ADDR, key, 0, 60000,
		    now + 1, (uint32_t[THROTTLE_COUNTS]){ 0 });
		(void)throttle_take(t, THROTTLE_LOGIN_ADDR, key, &three_per_s,
		    now + 1, &retry);
	}
	assert_false(throttle_take(t, THROTTLE_LOGIN_USER, "alice",
	    &three_per_s, now + 2, &retry));
	assert_true(retry > 0);
	/* the third failure in the window still raises the rule, once */
	assert_true(throttle_count(t, THROTTLE_USER_FAILS, "u1", 60000, 3,
	    now + 2, &n));
	assert_int_equal(n, 3);
	assert_true(throttle_used(t) <= THROTTLE_KINDS *
	    throttle_capacity(t));
}

/* a budget of 3 rows per 3 s, one back per second */
static bool
budget(struct throttle *t, const char *key, uint32_t events, int64_t now,
    uint32_t out[THROTTLE_COUNTS])
{
	return throttle_budget(t, THROTTLE_AUDIT, key, 3, 3000, events, now,
	    out);
}

/*
 * Reports of one event type, whatever the address, are held to `burst`
 * per window; the next one written says how many reports, and events,
 * were withheld.
 */
static void
test_budget_of_reports(void **state)
{
	struct throttle	*t = *state;
	uint32_t	 out[THROTTLE_COUNTS];
	int		 i;

	for (i = 0; i < 3; i++) {
		assert_true(budget(t, "admin.auth_failure", 1, T0, out));
		assert_int_equal(out[0], 0);
		assert_int_equal(out[1], 0);
	}
	assert_false(budget(t, "admin.auth_failure", 2, T0, out));
	assert_false(budget(t, "admin.auth_failure", 5, T0 + 999, out));
	assert_int_equal(out[0], 0);
	/* another event type has a budget of its own, and another kind */
	assert_true(budget(t, "login.throttled", 1, T0, out));
	assert_true(throttle_budget(t, THROTTLE_ROWS,
	    "admin.auth_failure", 3, 3000, 1, T0, out));
	/* one report back per window / burst */
	assert_true(budget(t, "admin.auth_failure", 1, T0 + 1000, out));
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 7);
	assert_false(budget(t, "admin.auth_failure", 1, T0 + 1000, out));
	assert_true(budget(t, "admin.auth_failure", 1, T0 + 2000, out));
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 1);
	/* a quiet window: the whole budget again, nothing withheld */
	for (i = 0; i < 3; i++) {
		assert_true(budget(t, "admin.auth_failure", 1, T0 + 9000,
		    out));
		assert_int_equal(out[0], 0);
	}
}

static void
test_ipv6_by_64_ipv4_whole(void **state)
{
	static const struct {
		const char	*addr, *key;
	} cases[] = {
		{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64" },
		{ "2001:db8:1:2:ffff::1", "2001:db8:1:2::/64" },
		{ "2001:db8:1:3::1", "2001:db8:1:3::/64" },
		{ "::1", "::/64" },
		{ "192.0.2.7", "192.0.2.7" },
		{ "192.0.2.8", "192.0.2.8" },
		{ "::ffff:192.0.2.7", "192.0.2.7" },
		/* NAT64: not the one /64 all IPv4 behind the gateway shares */
		{ "64:ff9b::192.0.2.7", "192.0.2.7" },
		{ "64:ff9b::c000:208", "192.0.2.8" },
		{ "64:ff9b:0:0:1::1", "64:ff9b::/64" },
		{ "unknown", "unknown" },
		{ NULL, "" },
	};
	char	a[THROTTLE_ADDR_KEY_LEN];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		throttle_addr_key(cases[i].addr, a, sizeof(a));
		assert_string_equal(a, cases[i].key);
	}
}

static void
test_one_64_shares_a_bucket(void **state)
{
	struct throttle	*t = *state;
	char		 key[THROTTLE_ADDR_KEY_LEN];
	int64_t		 retry;
	const char	*hosts[] = { "2001:db8::1", "2001:db8::2:3",
	    "2001:db8::ffff:1:2:3" };
	size_t		 i;

	for (i = 0; i < 3; i++) {
		throttle_addr_key(hosts[i], key, sizeof(key));
		assert_true(take(t, key, T0, &retry));
	}
	throttle_addr_key("2001:db8::9", key, sizeof(key));
	assert_false(take(t, key, T0, &retry));
	throttle_addr_key("2001:db8:0:1::1", key, sizeof(key));
	assert_true(take(t, key, T0, &retry));
}

struct worker {
	struct throttle	*t;
	int		 id;
	int		 allowed;
};

static void *
hammer(void *arg)
{
	struct worker	*w = arg;
	char		 key[32];
	int64_t		 retry;
	int		 i;

	for (i = 0; i < 20000; i++) {
		/* everybody on one shared key, and each on keys of its own */
		if (take(w->t, "shared", T0, &retry))
			w->allowed++;
		snprintf(key, sizeof(key), "%d.%d", w->id, i % 20);
		(void)take(w->t, key, T0 + i, &retry);
		if (throttle_enter(w->t, THROTTLE_LOGIN_ADDR, key, 1, T0 + i))
			throttle_leave(w->t, THROTTLE_LOGIN_ADDR, key);
	}
	return NULL;
}

static void
test_threads_never_overrun_a_bucket(void **state)
{
	struct throttle	*t;
	pthread_t	 th[4];
	struct worker	 w[4];
	int		 i, allowed = 0;

	/* room for every key: nothing is pushed out, so "shared" counts */
	(void)state;
	assert_int_equal(throttle_new(8192, &t), GH_OK);

	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ t, i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]),
		    0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		allowed += w[i].allowed;
	}
	/* the shared key: its burst and not one more, at one instant */
	assert_int_equal(allowed, 3);
	assert_int_equal(throttle_used(t), 81);
	throttle_free(t);
}

static void
test_the_shared_table(void **state)
{
	struct throttle *t = throttle_shared();

	(void)state;
	assert_non_null(t);
	assert_ptr_equal(t, throttle_shared());
	assert_int_equal(throttle_capacity(t), GH_THROTTLE_ENTRIES);
	assert_true(throttle_now_ms() > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_burst_then_one_per_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_back_and_reset,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_in_flight, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_fold_reports_once_per_window_with_the_count, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_count_says_once_per_window, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_memory_is_fixed_and_spent_keys_go_first, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_flood_of_one_kind_leaves_the_others, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget_of_reports,
		    setup, teardown),
		cmocka_unit_test(test_ipv6_by_64_ipv4_whole),
		cmocka_unit_test_setup_teardown(test_one_64_shares_a_bucket,
		    setup, teardown),
		cmocka_unit_test(test_threads_never_overrun_a_bucket),
		cmocka_unit_test(test_the_shared_table),
	};

	return cmocka_run_group_tests_name("governance/throttle", tests, NULL,
	    NULL);
}
