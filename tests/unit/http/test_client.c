/*
 * test_client.c - http/client.h: the webhook's POST against a local
 * receiver in a thread. A prompt receiver's status is read; one that
 * trickles its status line a byte at a time, each byte well inside the
 * timeout, is given up on at the timeout: the timeout bounds the whole
 * exchange, not each read (a per-read timeout let it hold the webhook
 * thread, and the lease of its batch, twelve times as long).
 */
#include "../harness.h"

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "http/client.h"

struct receiver {
	int		 lfd;
	int		 port;
	unsigned	 gap_ms;	/* between bytes of the answer */
	pthread_t	 thread;
};

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *
serve(void *arg)
{
	static const char	 answer[] = "HTTP/1.1 200 OK\r\n\r\n";
	struct receiver		*rx = arg;
	char			 buf[4096];
	size_t			 i;
	int			 fd;

	if ((fd = accept(rx->lfd, NULL, NULL)) < 0)
		return NULL;
	(void)recv(fd, buf, sizeof(buf), 0);	/* the request, or most */
	for (i = 0; i < sizeof(answer) - 1; i++) {
		if (rx->gap_ms)
			sleep_ms(rx->gap_ms);
		if (send(fd, answer + i, 1, MSG_NOSIGNAL) != 1)
			break;
	}
	close(fd);
	return NULL;
}

static void
rx_start(struct receiver *rx, unsigned gap_ms)
{
	struct sockaddr_in	a;
	socklen_t		len = sizeof(a);

	memset(rx, 0, sizeof(*rx));
	rx->gap_ms = gap_ms;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((rx->lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(rx->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(rx->lfd, 4), 0);
	assert_int_equal(getsockname(rx->lfd, (struct sockaddr *)&a, &len),
	    0);
	rx->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&rx->thread, NULL, serve, rx), 0);
}

static void
rx_stop(struct receiver *rx)
{
	pthread_join(rx->thread, NULL);
	close(rx->lfd);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_prompt_receiver(void **state)
{
	struct receiver	rx;
	char		url[64];
	int		status = 0;

	(void)state;
	rx_start(&rx, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	assert_int_equal(http_post_json(url, "{}", NULL, 2, &status), GH_OK);
	assert_int_equal(status, 200);
	rx_stop(&rx);
}

static void
test_trickling_receiver_held_to_the_timeout(void **state)
{
	struct receiver	rx;
	char		url[64];
	double		t0, took;
	int		status = 0;
	enum gh_err	rc;

	(void)state;
	/* 12 bytes needed, 300 ms apart: 3.6 s in all, each read < 1 s */
	rx_start(&rx, 300);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	t0 = seconds();
	rc = http_post_json(url, "{}", NULL, 1, &status);
	took = seconds() - t0;
	assert_int_not_equal(rc, GH_OK);
	assert_true(took < 2.0);
	rx_stop(&rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prompt_receiver),
		cmocka_unit_test(test_trickling_receiver_held_to_the_timeout),
	};

	return cmocka_run_group_tests_name("http/client", tests, NULL, NULL);
}
