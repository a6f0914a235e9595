/*
 * test_url.c - util/url.h: the webhook URL as the sender reads it, which
 * is also what check-config accepts. Refused: userinfo (sent nowhere, and
 * "http://trusted@evil" names evil), a fragment (never part of a
 * request), whitespace and control characters, a port that is not
 * digits, a host missing or too long.
 */
#include "../harness.h"

#include "util/url.h"

static void
good(const char *url, bool tls, const char *host, const char *port,
    const char *path)
{
	struct url_target t;

	assert_true(url_parse_http(url, &t));
	assert_int_equal(t.tls, tls);
	assert_string_equal(t.host, host);
	assert_string_equal(t.port, port);
	assert_string_equal(t.path, path);
}

static void
test_accepted(void **state)
{
	(void)state;
	good("https://hooks.example.com/gh?x=1", true, "hooks.example.com",
	    "443", "/gh?x=1");
	good("http://127.0.0.1:8081/hook", false, "127.0.0.1", "8081",
	    "/hook");
	good("http://[::1]:9/h", false, "::1", "9", "/h");
	good("http://example.com", false, "example.com", "80", "/");
	good("https://example.com?q", true, "example.com", "443", "/?q");
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"ftp://example.com/", "example.com/hook", "http://",
		"http:///hook", "http://user:pw@127.0.0.1:1/hook",
		"http://user@example.com/", "http://[::1]@evil/",
		"http://127.0.0.1:1/ho ok", "http://127.0.0.1:1/hook#frag",
		"http://127.0.0.1:1#frag", "http://127.0.0.1:x/",
		"http://127.0.0.1:/", "http://127.0.0.1:123456789/",
		"http://exa mple.com/", "http://example.com/\x01",
		"http://[::1/", "HTTP://example.com/",
	};
	struct url_target	t;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (url_parse_http(bad[i], &t))
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_bounds(void **state)
{
	char			url[4096];
	struct url_target	t;

	(void)state;
	/* a host of 255 bytes fits, 256 does not */
	snprintf(url, sizeof(url), "http://%0255d/", 0);
	assert_true(url_parse_http(url, &t));
	snprintf(url, sizeof(url), "http://%0256d/", 0);
	assert_false(url_parse_http(url, &t));
	/* a path too long for the request target */
	snprintf(url, sizeof(url), "http://h/%03000d", 0);
	assert_false(url_parse_http(url, &t));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests_name("util/url", tests, NULL, NULL);
}
