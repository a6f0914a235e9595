/*
 * test_library_log.c - http/library_log.h: libmicrohttpd's messages reach
 * the log at most HTTP_LIBRARY_LOG_PER_SECOND a second (out of
 * descriptors it repeats one at every turn of its accept loop: 137 MB of
 * log a second, measured), and what was dropped is counted on the next
 * line let through.
 */
#include "../harness.h"

#include <stdarg.h>

#include "http/library_log.h"

static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_library_log(NULL, fmt, ap);
	va_end(ap);
}

/* the start of a fresh wall-clock second, so a burst stays inside one */
static void
second_start(void)
{
	int64_t t = clock_now();

	while (clock_now() == t)
		usleep(1000);
}

static void
test_capped_per_second(void **state)
{
	struct th_stderr	c;
	int			i;

	(void)state;
	second_start();
	th_stderr_begin(&c);
	for (i = 0; i < 1000; i++)
		say("Error accepting connection: %s\n", "Too many open files");
	second_start();
	say("Error accepting connection: %s\n", "Too many open files");
	th_stderr_end(&c);
	assert_int_equal(th_stderr_count(&c, "\"event\":\"http_library\""),
	    HTTP_LIBRARY_LOG_PER_SECOND + 1);
	assert_int_equal(th_stderr_count(&c, "Too many open files"),
	    HTTP_LIBRARY_LOG_PER_SECOND + 1);
	assert_int_equal(th_stderr_count(&c, "\"dropped_before\":\"990\""), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capped_per_second),
	};

	return cmocka_run_group_tests_name("http/library_log", tests, NULL,
	    NULL);
}
