/*
 * test_deadline.c - http/deadline.h: a connection waiting for its request
 * longer than the deadline has its socket shut down; one whose request is
 * in, or that was unlisted, is left alone; waiting again restarts the clock.
 * Sockets are socketpairs: the far end reads end of input once cut.
 */
#include "../harness.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include "http/deadline.h"

struct pair {
	int			 near, far;
	struct deadline_entry	 e;
};

static void
pair_open(struct pair *p)
{
	int sv[2];

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->near = sv[0];
	p->far = sv[1];
}

static void
pair_close(struct deadline *d, struct pair *p)
{
	deadline_remove(d, &p->e);	/* before the close, as the rule says */
	close(p->near);
	close(p->far);
}

/* true once the near end was shut down: the far end reads end of input */
static bool
was_cut(const struct pair *p)
{
	char	c;
	ssize_t	n = recv(p->far, &c, 1, MSG_DONTWAIT);

	if (n < 0)
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return n == 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void
test_cuts_only_a_connection_still_waiting(void **state)
{
	struct deadline	*d = NULL;
	struct pair	 waiting, received, unlisted;

	(void)state;
	assert_int_equal(deadline_start(1, &d), GH_OK);
	pair_open(&waiting);
	pair_open(&received);
	pair_open(&unlisted);
	deadline_add(d, &waiting.e, waiting.near);
	deadline_add(d, &received.e, received.near);
	deadline_add(d, &unlisted.e, unlisted.near);
	deadline_received(&received.e);
	deadline_remove(d, &unlisted.e);
	deadline_remove(d, &unlisted.e);	/* twice is harmless */

	sleep_ms(3000);			/* cut between 1 and 2 s */
	assert_true(was_cut(&waiting));
	assert_false(was_cut(&received));
	assert_false(was_cut(&unlisted));

	/* answered, now waiting for the next request: the clock restarts */
	deadline_waiting(&received.e);
	sleep_ms(300);
	assert_false(was_cut(&received));
	sleep_ms(2700);
	assert_true(was_cut(&received));

	pair_close(d, &waiting);
	pair_close(d, &received);
	pair_close(d, &unlisted);
	deadline_stop(d);
}

static void
test_zero_seconds_is_refused(void **state)
{
	struct deadline *d = NULL;

	(void)state;
	assert_int_equal(deadline_start(0, &d), GH_ERR_INVALID);
	assert_null(d);
	deadline_stop(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cuts_only_a_connection_still_waiting),
		cmocka_unit_test(test_zero_seconds_is_refused),
	};

	return cmocka_run_group_tests_name("http/deadline", tests, NULL, NULL);
}
