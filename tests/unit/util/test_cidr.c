/* test_cidr.c - util/cidr.h: allowlist parsing and matching. */
#include "../harness.h"

#include "util/cidr.h"

static void
test_valid(void **state)
{
	(void)state;
	assert_true(cidr_list_valid("10.0.0.0/8"));
	assert_true(cidr_list_valid("192.0.2.7 2001:db8::/32 ::1"));
	assert_true(cidr_list_valid("0.0.0.0/0"));
	assert_false(cidr_list_valid(""));
	assert_false(cidr_list_valid("10.0.0.0/33"));
	assert_false(cidr_list_valid("2001:db8::/129"));
	assert_false(cidr_list_valid("10.0.0/8"));
	assert_false(cidr_list_valid("10.0.0.0/"));
	assert_false(cidr_list_valid("10.0.0.0/-1"));
	assert_false(cidr_list_valid("example.com"));
	assert_false(cidr_list_valid("10.0.0.0/8x"));
}

static void
test_match(void **state)
{
	(void)state;
	assert_true(cidr_list_match("10.0.0.0/8", "10.200.3.4"));
	assert_false(cidr_list_match("10.0.0.0/8", "11.0.0.1"));
	assert_true(cidr_list_match("192.168.1.0/25", "192.168.1.127"));
	assert_false(cidr_list_match("192.168.1.0/25", "192.168.1.128"));
	assert_true(cidr_list_match("192.0.2.7", "192.0.2.7"));
	assert_false(cidr_list_match("192.0.2.7", "192.0.2.8"));
	assert_true(cidr_list_match("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(cidr_list_match("2001:db8::/32", "2001:db9::1"));
	/* families never mix */
	assert_false(cidr_list_match("0.0.0.0/0", "::1"));
	assert_false(cidr_list_match("::/0", "127.0.0.1"));
	assert_true(cidr_list_match("10.0.0.0/8 127.0.0.0/8", "127.0.0.1"));
	assert_false(cidr_list_match("10.0.0.0/8", "not-an-address"));
	assert_false(cidr_list_match("", "127.0.0.1"));
}

static void
test_network_of(void **state)
{
	char out[64];

	(void)state;
	assert_true(cidr_network_of("203.0.113.77", out, sizeof(out)));
	assert_string_equal(out, "203.0.113.0/24");
	assert_true(cidr_network_of("::ffff:203.0.113.9", out, sizeof(out)));
	assert_string_equal(out, "203.0.113.0/24");
	assert_true(cidr_network_of("2001:db8:abcd:12::1", out, sizeof(out)));
	assert_string_equal(out, "2001:db8:abcd::/48");
	assert_false(cidr_network_of("203.0.113", out, sizeof(out)));
	assert_false(cidr_network_of("", out, sizeof(out)));
	assert_false(cidr_network_of("10.0.0.1", out, 8));	/* too small */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_network_of),
	};

	return cmocka_run_group_tests_name("util/cidr", tests, NULL, NULL);
}
