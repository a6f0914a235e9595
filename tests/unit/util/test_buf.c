/*
 * test_buf.c - util/buf.h: the hard maximum (a refused append leaves the
 * buffer as it was), NUL termination, printf, take and reset; a buffer
 * that grows leaves no copy of what it held behind.
 */
#include "../harness.h"
#include "../free_watch.h"

#include "util/buf.h"

static void
test_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void
test_append_up_to_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), GH_OK);
	assert_int_equal(buf_append(&b, "efgh", 4), GH_OK);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_str(&b), "abcdefgh");
	assert_int_equal(b.data[8], '\0');
	buf_free(&b);
}

/* Past the maximum: GH_ERR_LIMIT, and nothing of the append is kept. */
static void
test_limit_leaves_content(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "abcd"), GH_OK);
	assert_int_equal(buf_puts(&b, "efghi"), GH_ERR_LIMIT);
	assert_int_equal(b.len, 4);
	assert_string_equal(buf_str(&b), "abcd");
	assert_int_equal(buf_append(&b, "efgh", 4), GH_OK);
	assert_int_equal(buf_putc(&b, 'x'), GH_ERR_LIMIT);
	assert_int_equal(buf_printf(&b, "%d", 1), GH_ERR_LIMIT);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_str(&b), "abcdefgh");
	/* a huge length must not wrap the size check */
	assert_int_equal(buf_append(&b, "", SIZE_MAX), GH_ERR_LIMIT);
	assert_string_equal(buf_str(&b), "abcdefgh");
	buf_free(&b);
}

/* Growth past the first allocation keeps the earlier bytes. */
static void
test_growth(void **state)
{
	struct buf	b;
	size_t		i;

	(void)state;
	buf_init(&b, 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), GH_OK);
	assert_int_equal(b.len, 1000);
	assert_int_equal(strlen(buf_str(&b)), 1000);
	for (i = 0; i < 1000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(buf_putc(&b, 'z'), GH_ERR_LIMIT);
	buf_free(&b);
}

static void
test_printf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_printf(&b, "%s=%d", "x", 42), GH_OK);
	assert_int_equal(buf_printf(&b, "&%s", "y"), GH_OK);
	assert_string_equal(buf_str(&b), "x=42&y");
	assert_int_equal(b.len, 6);
	/* empty output still yields a valid string */
	assert_int_equal(buf_printf(&b, "%s", ""), GH_OK);
	assert_int_equal(b.len, 6);
	buf_free(&b);

	buf_init(&b, 5);
	assert_int_equal(buf_printf(&b, "%s", "abcdef"), GH_ERR_LIMIT);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_printf(&b, "%05d", 7), GH_OK);
	assert_string_equal(buf_str(&b), "00007");
	buf_free(&b);
}

static void
test_take(void **state)
{
	struct buf	 b;
	char		*p;

	(void)state;
	buf_init(&b, 32);
	assert_int_equal(buf_puts(&b, "hello"), GH_OK);
	p = buf_take(&b);
	assert_non_null(p);
	assert_string_equal(p, "hello");
	/* the buffer is empty and reusable, with the same maximum */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 32);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_puts(&b, "again"), GH_OK);
	assert_string_equal(buf_str(&b), "again");
	assert_string_equal(p, "hello");
	free(p);
	buf_free(&b);
}

static void
test_reset_and_wipe(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 32);
	assert_int_equal(buf_puts(&b, "secret"), GH_OK);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_puts(&b, "ab"), GH_OK);
	assert_string_equal(buf_str(&b), "ab");
	buf_wipe_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 32);
}

/* the blocks a growing buffer leaves are wiped: no token stays behind */
static void
test_growth_leaves_no_copy(void **state)
{
	static const char	 secret[] = "gate_rt_growth-secret";
	struct buf		 b;
	int			 i;

	(void)state;
	buf_init(&b, 1 << 16);
	watch_text = secret;
	watch_freed_intact = 0;
	assert_int_equal(buf_puts(&b, secret), GH_OK);
	for (i = 0; i < 64; i++)	/* 64 -> 128 -> ... -> 4096 */
		assert_int_equal(buf_puts(&b, "-padding-to-grow-the-block-"),
		    GH_OK);
	assert_non_null(strstr(buf_str(&b), secret));	/* still whole */
	buf_wipe_free(&b);
	watch_text = NULL;
	assert_int_equal(watch_freed_intact, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append_up_to_max),
		cmocka_unit_test(test_limit_leaves_content),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_reset_and_wipe),
		cmocka_unit_test(test_growth_leaves_no_copy),
	};

	return cmocka_run_group_tests_name("util/buf", tests, NULL, NULL);
}
