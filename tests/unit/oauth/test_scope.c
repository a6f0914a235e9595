/*
 * test_scope.c - oauth/scope.h: scope syntax (RFC 6749 3.3: NQSCHAR
 * tokens, single spaces, bounded), subset and union.
 */
#include "../harness.h"

#include "oauth/scope.h"
#include "util/buf.h"
#include "util/limits.h"

static void
test_valid(void **state)
{
	(void)state;
	assert_true(scope_valid("openid"));
	assert_true(scope_valid("openid profile email"));
	/* NQSCHAR is %x21 / %x23-5B / %x5D-7E */
	assert_true(scope_valid("read:all write/x!#$~ [a]"));
}

static void
test_spacing(void **state)
{
	(void)state;
	assert_false(scope_valid(""));
	assert_false(scope_valid(" "));
	assert_false(scope_valid(" openid"));
	assert_false(scope_valid("openid "));
	assert_false(scope_valid("openid  profile"));
	assert_false(scope_valid("openid\tprofile"));
	assert_false(scope_valid("openid\nprofile"));
}

static void
test_bad_chars(void **state)
{
	(void)state;
	assert_false(scope_valid("a\"b"));
	assert_false(scope_valid("a\\b"));
	assert_false(scope_valid("caf\xc3\xa9"));
	assert_false(scope_valid("a\x7f"));
	assert_false(scope_valid("a\x01"));
}

static void
test_counts_and_lengths(void **state)
{
	struct buf	b;
	char		name[GH_MAX_SCOPE_NAME + 2];
	size_t		i;

	(void)state;
	buf_init(&b, 4 * GH_MAX_SCOPE_LEN);
	for (i = 0; i < GH_MAX_SCOPES; i++)
		assert_int_equal(buf_printf(&b, "%ss%zu", i ? " " : "", i),
		    GH_OK);
	assert_true(scope_valid(buf_str(&b)));
	assert_int_equal(buf_puts(&b, " one_more"), GH_OK);
	assert_false(scope_valid(buf_str(&b)));
	buf_reset(&b);

	memset(name, 'n', GH_MAX_SCOPE_NAME);
	name[GH_MAX_SCOPE_NAME] = '\0';
	assert_true(scope_valid(name));
	name[GH_MAX_SCOPE_NAME] = 'n';
	name[GH_MAX_SCOPE_NAME + 1] = '\0';
	assert_false(scope_valid(name));

	/*
	 * 16 words of 63 bytes are 1023 bytes: valid. Widen one word to 64
	 * (still a valid word) and the whole reaches GH_MAX_SCOPE_LEN.
	 */
	name[GH_MAX_SCOPE_NAME - 1] = '\0';
	for (i = 0; i < 16; i++)
		assert_int_equal(buf_printf(&b, "%s%s", i ? " " : "", name),
		    GH_OK);
	assert_int_equal(b.len, GH_MAX_SCOPE_LEN - 1);
	assert_true(scope_valid(buf_str(&b)));
	assert_int_equal(buf_putc(&b, 'n'), GH_OK);
	assert_false(scope_valid(buf_str(&b)));
	buf_free(&b);
}

static void
test_subset(void **state)
{
	(void)state;
	assert_true(scope_subset("openid", "openid profile"));
	assert_true(scope_subset("profile openid", "openid profile"));
	assert_true(scope_subset("openid profile", "openid profile"));
	assert_true(scope_subset("", "openid"));
	assert_false(scope_subset("openid email", "openid profile"));
	assert_false(scope_subset("prof", "profile"));
	assert_false(scope_subset("profile", "prof"));
	assert_false(scope_subset("openid", ""));
}

static void
test_union(void **state)
{
	char out[64], small[12];

	(void)state;
	assert_true(scope_union("openid profile", "profile email email", out,
	    sizeof(out)));
	assert_string_equal(out, "openid profile email");
	assert_true(scope_union("", "a b a", out, sizeof(out)));
	assert_string_equal(out, "a b");
	assert_true(scope_union("a b", "", out, sizeof(out)));
	assert_string_equal(out, "a b");
	/* whole-word dedupe: "prof" is not inside "profile" */
	assert_true(scope_union("profile", "prof", out, sizeof(out)));
	assert_string_equal(out, "profile prof");
	/* "openid email" is 12 bytes with its NUL: one too many */
	assert_false(scope_union("openid", "email", small, sizeof(small)));
	assert_true(scope_union("openid", "mail", small, sizeof(small)));
	assert_string_equal(small, "openid mail");
}

static void
test_describe(void **state)
{
	(void)state;
	assert_non_null(scope_describe("openid"));
	assert_non_null(scope_describe("offline_access"));
	assert_null(scope_describe("custom:read"));
	assert_true(scope_is_standard("email"));
	assert_false(scope_is_standard("Email"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_spacing),
		cmocka_unit_test(test_bad_chars),
		cmocka_unit_test(test_counts_and_lengths),
		cmocka_unit_test(test_subset),
		cmocka_unit_test(test_union),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests_name("oauth/scope", tests, NULL, NULL);
}
