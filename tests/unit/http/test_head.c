/*
 * test_head.c - http/head.h: the request head's checks made before any
 * body is read: framing a proxy could read otherwise, and Host (RFC 9112
 * 3.2: exactly one in HTTP/1.1, at most one in HTTP/1.0, a host[:port]),
 * and a target in absolute-form taken in its origin-form (RFC 9112 3.2.2).
 */
#include "../harness.h"

#include "http/head.h"
#include "util/str.h"

/* Scan header lines "Name", "value", ... (NULL-ended); why refused. */
static const char *
refused(const char *version, ...)
{
	static struct header_scan h;
	const char	*k, *v;
	va_list		 ap;

	memset(&h, 0, sizeof(h));
	va_start(ap, version);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		assert_int_equal(head_scan(&h, MHD_HEADER_KIND, k, v), MHD_YES);
	}
	va_end(ap);
	return head_refused(&h, version);
}

static void
test_one_host_passes(void **state)
{
	(void)state;
	assert_null(refused("HTTP/1.1", "Host", "id.example.com", NULL));
	assert_null(refused("HTTP/1.1", "host", "127.0.0.1:8080", NULL));
	assert_null(refused("HTTP/1.1", "Host", "[::1]:8080", NULL));
	/* RFC 9112 3.2: empty when the target has no authority */
	assert_null(refused("HTTP/1.1", "Host", "", NULL));
	/* HTTP/1.0 needs none */
	assert_null(refused("HTTP/1.0", NULL));
	assert_null(refused("HTTP/1.0", "Host", "x", NULL));
}

static void
test_http11_without_host_refused(void **state)
{
	(void)state;
	assert_string_equal(refused("HTTP/1.1", "Accept", "*/*", NULL),
	    "HTTP/1.1 needs a Host header");
}

static void
test_repeated_host_refused(void **state)
{
	(void)state;
	assert_string_equal(refused("HTTP/1.1", "Host", "a.example",
	    "Host", "b.example", NULL), "Host must appear once");
	/* equal values too: which was meant is not the point */
	assert_string_equal(refused("HTTP/1.0", "Host", "a", "HOST", "a",
	    NULL), "Host must appear once");
}

static void
test_malformed_host_refused(void **state)
{
	static const char *const bad[] = {
		"a b", "a/b", "user@host", "a\tb", "a\"b", "a<b", "a\\b",
		"a?b", "a#b", "\xc3\xa9.example",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(refused("HTTP/1.1", "Host", bad[i], NULL),
		    "malformed Host header");
}

static void
test_framing_still_first(void **state)
{
	(void)state;
	assert_string_equal(refused("HTTP/1.1", "Content-Length", "1",
	    "Content-Length", "1", NULL), "Content-Length must appear once");
	assert_string_equal(refused("HTTP/1.1", "Host", "x",
	    "Content-Length ", "5", NULL), "malformed header field name");
	assert_string_equal(refused("HTTP/1.0", "Host", "x",
	    "Transfer-Encoding", "chunked", NULL),
	    "Transfer-Encoding needs HTTP/1.1");
	assert_null(refused("HTTP/1.1", "Host", "x", "Transfer-Encoding",
	    "chunked", NULL));
}

/* head_origin_form of `in`, compared with `want` */
static void
origin(const char *in, const char *want)
{
	char t[64];

	assert_true(str_copy(t, sizeof(t), in));
	head_origin_form(t);
	assert_string_equal(t, want);
}

static void
test_absolute_form_to_origin_form(void **state)
{
	(void)state;
	origin("http://id.example.com/healthz", "/healthz");
	origin("HTTPS://id.example.com:8443/token?a=1", "/token?a=1");
	origin("http://x?a=/b", "/?a=/b");
	origin("http://x", "/");
	origin("https://", "/");
	origin("http://[::1]:8080/jwks", "/jwks");
	/* origin-form and anything else: as it was */
	origin("/authorize?x=http://y/", "/authorize?x=http://y/");
	origin("*", "*");
	origin("ftp://x/y", "ftp://x/y");
	origin("http:/x", "http:/x");
	origin("", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_host_passes),
		cmocka_unit_test(test_http11_without_host_refused),
		cmocka_unit_test(test_repeated_host_refused),
		cmocka_unit_test(test_malformed_host_refused),
		cmocka_unit_test(test_framing_still_first),
		cmocka_unit_test(test_absolute_form_to_origin_form),
	};

	return cmocka_run_group_tests_name("http/head", tests, NULL, NULL);
}
