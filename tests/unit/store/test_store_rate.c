/*
 * test_store_rate.c - store_token_windows (store_admin.h), the token rate
 * rule's counts from the audit trail, on SQLite or on PostgreSQL (when
 * GH_TEST_PG_URL is set): one client's token.issued and token.refreshed
 * events per window, the window edges, the [since, before) bounds, and
 * events written by another handle (another node) counted like its own.
 */
#include "../harness.h"

#include "util/log.h"

#define W	60			/* window width, seconds */
#define SINCE	(1700000000 / W * W)	/* start of window 0 */

static void
test_counts_per_window(void **state)
{
	struct th_store	*t = *state;
	uint32_t	 c[4];

	th_client_event(t->s, SINCE - 1, "token.issued", "c1");	/* before since */
	th_client_event(t->s, SINCE, "token.issued", "c1");	/* window 0 */
	th_client_event(t->s, SINCE + W - 1, "token.refreshed", "c1");	/* 0 */
	th_client_event(t->s, SINCE + W, "token.refreshed", "c1");	/* 1 */
	th_client_event(t->s, SINCE + 3 * W, "token.issued", "c1");	/* 3 */
	th_client_event(t->s, SINCE + 3 * W + 9, "token.issued", "c1");	/* at before */
	/* other types and clients are not counted */
	th_client_event(t->s, SINCE + 2 * W, "login.success", "c1");
	th_client_event(t->s, SINCE + 2 * W, "token.revoked", "c1");
	th_client_event(t->s, SINCE + 2 * W, "client.auth_failed", "c1");
	th_client_event(t->s, SINCE + 2 * W, "token.issued", "c2");
	th_client_event(t->s, SINCE + 2 * W, "token.refreshed", "c10");
	memset(c, 0xff, sizeof(c));
	assert_int_equal(store_token_windows(t->s, "c1", SINCE,
	    SINCE + 3 * W + 9, W, 4, c), GH_OK);
	assert_int_equal(c[0], 2);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 0);
	assert_int_equal(c[3], 1);
	/* `before` moved past the last event of window 3 */
	assert_int_equal(store_token_windows(t->s, "c1", SINCE,
	    SINCE + 3 * W + 10, W, 4, c), GH_OK);
	assert_int_equal(c[3], 2);
	/* nothing after the n windows asked for, whatever `before` says */
	assert_int_equal(store_token_windows(t->s, "c1", SINCE,
	    SINCE + 100 * W, W, 2, c), GH_OK);
	assert_int_equal(c[0], 2);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[2], 0);	/* untouched by a read of two */
	/* windows of another width, from another start */
	assert_int_equal(store_token_windows(t->s, "c1", SINCE - W,
	    SINCE + 4 * W, 2 * W, 3, c), GH_OK);
	assert_int_equal(c[0], 3);	/* SINCE - 1, SINCE, SINCE + W - 1 */
	assert_int_equal(c[1], 1);	/* SINCE + W */
	assert_int_equal(c[2], 2);	/* SINCE + 3 W, + 9 */
	assert_int_equal(store_token_windows(t->s, "c2", SINCE,
	    SINCE + 4 * W, W, 4, c), GH_OK);
	assert_int_equal(c[2], 1);
	assert_int_equal(c[0] + c[1] + c[3], 0);
	assert_int_equal(store_token_windows(t->s, "nobody", SINCE,
	    SINCE + 4 * W, W, 4, c), GH_OK);
	assert_int_equal(c[0] + c[1] + c[2] + c[3], 0);
}

static void
test_bad_arguments(void **state)
{
	struct th_store	*t = *state;
	uint32_t	 c[2] = { 7, 7 };

	th_client_event(t->s, SINCE, "token.issued", "c1");
	assert_int_equal(store_token_windows(t->s, "c1", SINCE, SINCE + W, 0,
	    2, c), GH_ERR_INVALID);
	assert_int_equal(c[0] + c[1], 0);
	assert_int_equal(store_token_windows(t->s, "c1", SINCE, SINCE + W,
	    -W, 2, c), GH_ERR_INVALID);
	assert_int_equal(store_token_windows(t->s, "c1", SINCE, SINCE + W, W,
	    0, c), GH_ERR_INVALID);
	/* an empty range counts nothing */
	c[0] = 7;
	assert_int_equal(store_token_windows(t->s, "c1", SINCE, SINCE, W, 2,
	    c), GH_OK);
	assert_int_equal(c[0], 0);
}

/* Another node's events, written through its own handle, are counted. */
static void
test_counts_another_writer(void **state)
{
	struct th_store	*t = *state;
	struct store	*other;
	uint32_t	 c[1];

	assert_int_equal(store_open(t->path, &other), GH_OK);
	store_set_audit_key(other, TH_AUDIT_KEY);
	th_client_event(t->s, SINCE + 1, "token.issued", "c1");
	th_client_event(other, SINCE + 2, "token.refreshed", "c1");
	th_client_event(other, SINCE + 3, "token.refreshed", "c1");
	assert_int_equal(store_token_windows(t->s, "c1", SINCE, SINCE + W, W,
	    1, c), GH_OK);
	assert_int_equal(c[0], 3);
	store_close(other);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_store_setup_audited, \
	th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_counts_per_window),
		T(test_bad_arguments),
		T(test_counts_another_writer),
	};
#undef T

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store/rate", tests, NULL, NULL);
}
