/*
 * test_str.c - util/str.h: bounded number parsing, slices that are not
 * NUL-terminated, word lists and truncating copies; text taken from a
 * request loses its control characters (C0, DEL, C1), which would drive
 * the terminal of an operator reading it back.
 */
#include "../harness.h"

#include "util/str.h"

static enum gh_err
u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse_u64(slice_cstr(s), min, max, out);
}

static void
test_parse_u64_ok(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(u64("0", 0, 10, &v), GH_OK);
	assert_int_equal(v, 0);
	assert_int_equal(u64("42", 1, 100, &v), GH_OK);
	assert_int_equal(v, 42);
	assert_int_equal(u64("100", 1, 100, &v), GH_OK);
	assert_int_equal(v, 100);
	assert_int_equal(u64("18446744073709551615", 0, UINT64_MAX, &v),
	    GH_OK);
	assert_true(v == UINT64_MAX);
	/* only the slice is read, not up to a NUL */
	assert_int_equal(parse_u64((struct slice){ "123456", 3 }, 0, 1000,
	    &v), GH_OK);
	assert_int_equal(v, 123);
}

static void
test_parse_u64_bounds(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(u64("101", 1, 100, &v), GH_ERR_LIMIT);
	assert_int_equal(u64("0", 1, 100, &v), GH_ERR_LIMIT);
	/* one past UINT64_MAX, and a 20-digit value far past it */
	assert_int_equal(u64("18446744073709551616", 0, UINT64_MAX, &v),
	    GH_ERR_LIMIT);
	assert_int_equal(u64("99999999999999999999", 0, UINT64_MAX, &v),
	    GH_ERR_LIMIT);
	assert_int_not_equal(u64("123456789012345678901234", 0, UINT64_MAX,
	    &v), GH_OK);
	assert_int_equal(v, 7);	/* untouched on failure */
}

static void
test_parse_u64_syntax(void **state)
{
	static const char *bad[] = {
		"", "-1", "+1", " 1", "1 ", "1a", "0x10", "1.0", "1e3", "١",
	};
	uint64_t v = 7;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(u64(bad[i], 0, UINT64_MAX, &v), GH_ERR_PARSE);
	assert_int_equal(parse_u64((struct slice){ "5", 0 }, 0, 9, &v),
	    GH_ERR_PARSE);
	assert_int_equal(v, 7);
}

static void
expect_slice(struct slice s, const char *want)
{
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static void
test_slice_split(void **state)
{
	struct slice head, rest;

	(void)state;
	assert_true(slice_split(slice_cstr("a=b=c"), '=', &head, &rest));
	expect_slice(head, "a");
	expect_slice(rest, "b=c");
	assert_true(slice_split(slice_cstr("=x"), '=', &head, &rest));
	expect_slice(head, "");
	expect_slice(rest, "x");
	assert_true(slice_split(slice_cstr("x="), '=', &head, &rest));
	expect_slice(head, "x");
	expect_slice(rest, "");
	assert_false(slice_split(slice_cstr("abc"), '=', &head, &rest));
	expect_slice(head, "abc");
	assert_int_equal(rest.len, 0);
	assert_false(slice_split(slice_cstr(""), '=', &head, &rest));
	assert_int_equal(head.len, 0);
	/* a separator beyond the slice length is not seen */
	assert_false(slice_split((struct slice){ "ab=c", 2 }, '=', &head,
	    &rest));
	expect_slice(head, "ab");
}

static void
test_slice_misc(void **state)
{
	(void)state;
	expect_slice(slice_trim(slice_cstr(" \t a b \t")), "a b");
	expect_slice(slice_trim(slice_cstr("   ")), "");
	assert_true(slice_eq_cstr(slice_cstr("abc"), "abc"));
	assert_false(slice_eq_cstr(slice_cstr("abc"), "ab"));
	assert_false(slice_eq_cstr((struct slice){ "abc", 2 }, "abc"));
	assert_true(slice_eq_cstr(slice_cstr(""), ""));
	assert_int_equal(slice_cstr(NULL).len, 0);
}

static void
test_words_has(void **state)
{
	(void)state;
	assert_true(words_has("openid profile email", "openid"));
	assert_true(words_has("openid profile email", "profile"));
	assert_true(words_has("openid profile email", "email"));
	assert_true(words_has("  openid   profile ", "profile"));
	/* whole words only */
	assert_false(words_has("openid profile email", "prof"));
	assert_false(words_has("openid profile email", "mail"));
	assert_false(words_has("openid profile", "openid profile"));
	assert_false(words_has("profiles", "profile"));
	assert_false(words_has("", "openid"));
	assert_false(words_has(NULL, "openid"));
	assert_false(words_has("openid", ""));
}

static void
test_str_copy(void **state)
{
	char d[4];

	(void)state;
	assert_true(str_copy(d, sizeof(d), "abc"));
	assert_string_equal(d, "abc");
	assert_false(str_copy(d, sizeof(d), "abcd"));
	assert_string_equal(d, "abc");
	assert_true(str_copy(d, sizeof(d), ""));
	assert_string_equal(d, "");
	d[0] = 'q';
	assert_false(str_copy(d, 0, "a"));
	assert_int_equal(d[0], 'q');
	assert_false(str_copy(d, 1, "a"));
	assert_string_equal(d, "");
}

static void
test_str_copy_text(void **state)
{
	char d[64];

	(void)state;
	/* ESC ] 0 ; BEL: a terminal title; CSI as C1 (U+009B); DEL; tab */
	assert_true(str_copy_text(d, sizeof(d), "ua\x1b]0;x\x07 "
	    "\xc2\x9b" "2J\x7f\tz"));
	assert_string_equal(d, "ua?]0;x? ?2J??z");
	/* valid UTF-8 outside the controls stays, U+00A0 and up included */
	assert_true(str_copy_text(d, sizeof(d), "caf\xc3\xa9 \xc2\xa0 "
	    "\xe2\x82\xac \xf0\x9f\x94\x91"));
	assert_string_equal(d, "caf\xc3\xa9 \xc2\xa0 \xe2\x82\xac "
	    "\xf0\x9f\x94\x91");
	/* a byte of no sequence (a lone 0x9b: CSI in 8-bit terminals) */
	assert_true(str_copy_text(d, sizeof(d), "a\x9b" "b\xc0\xaf" "c"));
	assert_string_equal(d, "a?b??c");
	/* cut short: false, never half a sequence */
	assert_false(str_copy_text(d, 4, "ab\xc3\xa9"));
	assert_string_equal(d, "ab");
	assert_false(str_copy_text(d, 3, "a\x1b\x1b"));
	assert_string_equal(d, "a?");
	/* str_copy_utf8 keeps them: only text meant for people loses them */
	assert_true(str_copy_utf8(d, sizeof(d), "a\x1b\xc2\x9b"));
	assert_string_equal(d, "a\x1b\xc2\x9b");
}

static void
test_str_printable(void **state)
{
	(void)state;
	assert_true(str_printable("Ops team caf\xc3\xa9 \xc2\xa0"));
	assert_false(str_printable("a\x1b[2J"));
	assert_false(str_printable("a\x7f"));
	assert_false(str_printable("a\xc2\x9b" "2J"));	/* C1 CSI */
	assert_false(str_printable("a\xc2\x85"));	/* C1 NEL */
	assert_false(str_printable("a\x9b"));		/* not UTF-8 */
	assert_true(str_is_control((const unsigned char *)"\xc2\x80", 2));
	assert_false(str_is_control((const unsigned char *)"\xc2\xa0", 2));
}

static void
test_str_misc(void **state)
{
	char *p;

	(void)state;
	assert_null(str_dup(NULL));
	p = str_dup("x");
	assert_string_equal(p, "x");
	free(p);
	p = str_ndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	assert_false(str_has_ctl("plain text ~"));
	assert_true(str_has_ctl("a\nb"));
	assert_true(str_has_ctl("a\x7f"));
	assert_true(str_has_ctl("\t"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_ok),
		cmocka_unit_test(test_parse_u64_bounds),
		cmocka_unit_test(test_parse_u64_syntax),
		cmocka_unit_test(test_slice_split),
		cmocka_unit_test(test_slice_misc),
		cmocka_unit_test(test_words_has),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_str_copy_text),
		cmocka_unit_test(test_str_printable),
		cmocka_unit_test(test_str_misc),
	};

	return cmocka_run_group_tests_name("util/str", tests, NULL, NULL);
}
