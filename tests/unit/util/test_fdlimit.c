/*
 * test_fdlimit.c - util/fdlimit.h: the soft open-file limit is raised as
 * far as max_connections needs (never past the hard limit, never
 * lowered), and when the hard limit is short, fewer connections are
 * accepted so that the reserve stays for the store: GH_FD_RESERVE and
 * GH_FD_PER_THREAD for each HTTP worker thread.
 */
#include "../harness.h"

#include <sys/resource.h>

#include "util/fdlimit.h"

#define R8	(GH_FD_RESERVE + 8 * GH_FD_PER_THREAD)	/* 8 threads */

static void
test_raised_to_what_is_needed(void **state)
{
	struct fd_budget b;

	(void)state;
	/* systemd's default: soft 1024, hard 524288 */
	fd_budget_plan(1024, 524288, 1024, 8, &b);
	assert_int_equal(b.now, 1024 + R8);
	assert_int_equal(b.connections, 1024);
	/* already enough: left as it is, never lowered */
	fd_budget_plan(20000, 20000, 1024, 8, &b);
	assert_int_equal(b.now, 20000);
	assert_int_equal(b.connections, 1024);
	/* unbounded */
	fd_budget_plan(RLIM_INFINITY, RLIM_INFINITY, 100000, 8, &b);
	assert_true(b.now == (uint64_t)RLIM_INFINITY);
	assert_int_equal(b.connections, 100000);
	fd_budget_plan(1024, RLIM_INFINITY, 4096, 8, &b);
	assert_int_equal(b.now, 4096 + R8);
	assert_int_equal(b.connections, 4096);
}

static void
test_short_hard_limit_lowers_connections(void **state)
{
	struct fd_budget b;

	(void)state;
	fd_budget_plan(1024, 1024, 1024, 8, &b);
	assert_int_equal(b.now, 1024);
	assert_int_equal(b.connections, 1024 - R8);
	fd_budget_plan(256, 512, 1024, 8, &b);
	assert_int_equal(b.now, 512);
	assert_int_equal(b.connections, 512 - R8);
	/* a limit under the reserve still takes one connection */
	fd_budget_plan(64, 64, 1024, 8, &b);
	assert_int_equal(b.connections, 1);
	/*
	 * each worker thread holds descriptors of its own: 256 of them
	 * (threads 256, or four per core on 64 cores) need theirs kept too
	 */
	fd_budget_plan(1024, 4096, 1024, 256, &b);
	assert_int_equal(b.reserve, GH_FD_RESERVE + 256 * GH_FD_PER_THREAD);
	assert_int_equal(b.now, 1024 + b.reserve);
	assert_int_equal(b.connections, 1024);
	fd_budget_plan(1024, 1024, 1024, 256, &b);
	assert_int_equal(b.connections, 1024 - b.reserve);
}

/* on this process: the soft limit really is raised */
static void
test_applied(void **state)
{
	struct fd_budget	b;
	struct rlimit		rl, was;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	if (was.rlim_max != RLIM_INFINITY && was.rlim_max < 512 + R8)
		skip();
	rl = was;
	rl.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(fd_budget_apply(512, 8, &b));
	assert_int_equal(b.soft, 256);
	assert_int_equal(b.connections, 512);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 512 + R8);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raised_to_what_is_needed),
		cmocka_unit_test(test_short_hard_limit_lowers_connections),
		cmocka_unit_test(test_applied),
	};

	return cmocka_run_group_tests_name("util/fdlimit", tests, NULL, NULL);
}
