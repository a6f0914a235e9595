/*
 * test_escape.c - http/escape.h: HTML escaping for text and quoted
 * attributes, and URL component encoding (RFC 3986 unreserved pass).
 */
#include "../harness.h"

#include "http/escape.h"

static void
test_html_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(html_escape(&b, "<script>\"'&"), GH_OK);
	assert_string_equal(buf_str(&b),
	    "&lt;script&gt;&quot;&#39;&amp;");
	buf_reset(&b);
	assert_int_equal(html_escape(&b, "plain text, é ok"), GH_OK);
	assert_string_equal(buf_str(&b), "plain text, é ok");
	buf_reset(&b);
	/* already-escaped text is escaped again, not trusted */
	assert_int_equal(html_escape(&b, "&amp;"), GH_OK);
	assert_string_equal(buf_str(&b), "&amp;amp;");
	buf_free(&b);
}

static void
test_html_escape_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 6);
	assert_int_equal(html_escape(&b, "<<"), GH_ERR_LIMIT);
	assert_true(b.len <= 6);
	buf_free(&b);
}

static void
test_url_encode_reserved(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(url_encode(&b, "a b&c=d/e?f#g%h+i:j@k"), GH_OK);
	assert_string_equal(buf_str(&b),
	    "a%20b%26c%3Dd%2Fe%3Ff%23g%25h%2Bi%3Aj%40k");
	buf_reset(&b);
	assert_int_equal(url_encode(&b, "\r\n\"<>'"), GH_OK);
	assert_string_equal(buf_str(&b), "%0D%0A%22%3C%3E%27");
	buf_free(&b);
}

static void
test_url_encode_unreserved(void **state)
{
	static const char ok[] = "ABCXYZabcxyz0189-._~";
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(url_encode(&b, ok), GH_OK);
	assert_string_equal(buf_str(&b), ok);
	buf_reset(&b);
	/* bytes >= 0x80 are encoded one by one (UTF-8 of e-acute) */
	assert_int_equal(url_encode(&b, "\xc3\xa9"), GH_OK);
	assert_string_equal(buf_str(&b), "%C3%A9");
	buf_reset(&b);
	assert_int_equal(url_encode(&b, ""), GH_OK);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_html_escape_limit),
		cmocka_unit_test(test_url_encode_reserved),
		cmocka_unit_test(test_url_encode_unreserved),
	};

	return cmocka_run_group_tests_name("http/escape", tests, NULL, NULL);
}
