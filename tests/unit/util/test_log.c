/*
 * test_log.c - util/log.h: each line is one JSON object that a JSON
 * parser reads back exactly, whatever bytes a field holds (quotes,
 * backslashes, newlines, control characters, bytes that are not UTF-8),
 * and a line too long is cut at a field boundary and marked.
 *
 * stderr is pointed at a temporary file for each test and read back.
 */
#include "../harness.h"

#include <fcntl.h>
#include <jansson.h>
#include <time.h>

#include "util/log.h"

/* stderr is captured by the harness (th_stderr_begin/_end) */
struct captured {
	struct th_stderr	e;
};

static void
capture_begin(struct captured *c)
{
	th_stderr_begin(&c->e);
}

/* The lines written since capture_begin(), parsed; stderr restored. */
static json_t *
capture_end(struct captured *c, size_t want_lines)
{
	char		*line, *nl;
	json_t		*all = json_array(), *o;
	json_error_t	 err;

	th_stderr_end(&c->e);
	for (line = c->e.text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
		if (o == NULL)
			fail_msg("not JSON (%s): %s", err.text, line);
		json_array_append_new(all, o);
	}
	assert_string_equal(line, "");		/* every line ends in \n */
	assert_int_equal(json_array_size(all), want_lines);
	return all;
}

static const char *
field(json_t *lines, size_t i, const char *key)
{
	json_t *v = json_object_get(json_array_get(lines, i), key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
test_plain_fields(void **state)
{
	struct captured	 c;
	json_t		*l, *o;
	char		*dump;

	(void)state;
	capture_begin(&c);
	log_kv(LOG_INFO, "http", "method", "GET", "path", "/token",
	    "remote", NULL, NULL);
	l = capture_end(&c, 1);
	o = json_array_get(l, 0);
	assert_string_equal(field(l, 0, "level"), "info");
	assert_string_equal(field(l, 0, "event"), "http");
	assert_string_equal(field(l, 0, "method"), "GET");
	assert_string_equal(field(l, 0, "path"), "/token");
	assert_true(json_is_null(json_object_get(o, "remote")));
	/* a number of seconds, within a day of now */
	assert_true(json_is_real(json_object_get(o, "ts")));
	assert_true(json_real_value(json_object_get(o, "ts")) >
	    (double)time(NULL) - 86400);
	/* the order the caller gave */
	dump = json_dumps(o, JSON_PRESERVE_ORDER);
	assert_non_null(strstr(dump,
	    "\"method\": \"GET\", \"path\": \"/token\""));
	free(dump);
	json_decref(l);
}

/* what an attacker can put in a user agent cannot make a second line */
static void
test_hostile_values(void **state)
{
	static const char forged[] =
	    "x\"}\n{\"event\":\"admin\\\"\r\t\x01\x1f\x7f end";
	struct captured	 c;
	json_t		*l;

	(void)state;
	capture_begin(&c);
	log_kv(LOG_WARN, "audit", "user_agent", forged, "k\"ey\n", "v", NULL);
	l = capture_end(&c, 1);
	assert_string_equal(field(l, 0, "user_agent"), forged);
	assert_string_equal(field(l, 0, "k\"ey\n"), "v");
	assert_string_equal(field(l, 0, "level"), "warn");
	json_decref(l);
}

static void
test_utf8(void **state)
{
	/* valid 2-, 3- and 4-byte sequences pass through unchanged */
	static const char good[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91";
	/* stray continuation, overlong '/', a surrogate, past U+10FFFF,
	 * a sequence cut short by the end of the string */
	static const char bad[] = "a\x80" "b\xc0\xaf" "c\xed\xa0\x80"
	    "d\xf4\x90\x80\x80" "e\xe2\x82";
	struct captured	 c;
	json_t		*l;
	const char	*v;

	(void)state;
	capture_begin(&c);
	log_kv(LOG_ERROR, "e", "good", good, "bad", bad, NULL);
	l = capture_end(&c, 1);
	assert_string_equal(field(l, 0, "good"), good);
	v = field(l, 0, "bad");
	assert_non_null(v);	/* jansson only reads valid UTF-8 back */
	assert_non_null(strstr(v, "a\xef\xbf\xbd" "b"));
	assert_non_null(strstr(v, "c\xef\xbf\xbd"));
	assert_non_null(strstr(v, "d\xef\xbf\xbd"));
	assert_int_equal(v[strlen(v) - 1] & 0xff, 0xbd);	/* e + U+FFFD */
	json_decref(l);
}

/* a line that would pass the limit keeps whole fields and says so */
static void
test_truncation(void **state)
{
	char		 big[3000];
	struct captured	 c;
	json_t		*l, *o;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	capture_begin(&c);
	log_kv(LOG_INFO, "long", "a", big, "b", big, "c", "after", NULL);
	log_kv(LOG_INFO, "short", "a", "1", NULL);
	l = capture_end(&c, 2);
	o = json_array_get(l, 0);
	assert_string_equal(field(l, 0, "a"), big);
	assert_null(json_object_get(o, "b"));
	assert_null(json_object_get(o, "c"));
	assert_true(json_is_true(json_object_get(o, "truncated")));
	assert_null(json_object_get(json_array_get(l, 1), "truncated"));
	assert_string_equal(field(l, 1, "a"), "1");
	json_decref(l);
}

static void
test_level_filter(void **state)
{
	struct captured	 c;
	json_t		*l;

	(void)state;
	capture_begin(&c);
	log_set_level(LOG_WARN);
	log_kv(LOG_INFO, "hidden", NULL);
	log_kv(LOG_ERROR, "shown", NULL);
	log_set_level(LOG_INFO);
	l = capture_end(&c, 1);
	assert_string_equal(field(l, 0, "event"), "shown");
	json_decref(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_fields),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_level_filter),
	};

	return cmocka_run_group_tests_name("util/log", tests, NULL, NULL);
}
