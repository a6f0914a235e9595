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
	char		 got[4096];	/* the request's first read */
};

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* the head and as many body bytes as its Content-Length says */
static bool
request_whole(const char *req)
{
	const char	*end = strstr(req, "\r\n\r\n");
	const char	*cl = strcasestr(req, "\r\nContent-Length:");

	if (end == NULL)
		return false;
	return cl == NULL || cl > end ||
	    strlen(end + 4) >= strtoul(cl + 17, NULL, 10);
}

static void *
serve(void *arg)
{
	static const char	 answer[] = "HTTP/1.1 200 OK\r\n\r\n";
	struct receiver		*rx = arg;
	size_t			 i, got = 0;
	ssize_t			 n;
	int			 fd;

	if ((fd = accept(rx->lfd, NULL, NULL)) < 0)
		return NULL;
	/*
	 * the whole request: the client may write its head and body apart,
	 * and one recv() then saw the head alone
	 */
	while (!request_whole(rx->got) && (n = recv(fd, rx->got + got,
	    sizeof(rx->got) - 1 - got, 0)) > 0) {
		got += (size_t)n;
		rx->got[got] = '\0';
	}
	for (i = 0; i < sizeof(answer) - 1; i++) {
		if (rx->gap_ms)
			sleep_ms(rx->gap_ms);
		if (send(fd, answer + i, 1, MSG_NOSIGNAL) != 1)
			break;
	}
	close(fd);
	return NULL;
}

/* listen on `a` (port 0: any) and serve one request; false if no bind */
static bool
rx_listen(struct receiver *rx, struct sockaddr *a, socklen_t len,
    unsigned gap_ms)
{
	memset(rx, 0, sizeof(*rx));
	rx->gap_ms = gap_ms;
	if ((rx->lfd = socket(a->sa_family, SOCK_STREAM, 0)) < 0)
		return false;
	if (bind(rx->lfd, a, len) != 0) {
		close(rx->lfd);
		return false;
	}
	assert_int_equal(listen(rx->lfd, 4), 0);
	assert_int_equal(getsockname(rx->lfd, a, &len), 0);
	rx->port = ntohs(a->sa_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)a)->sin6_port :
	    ((struct sockaddr_in *)a)->sin_port);
	assert_int_equal(pthread_create(&rx->thread, NULL, serve, rx), 0);
	return true;
}

static void
rx_start(struct receiver *rx, unsigned gap_ms)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(rx_listen(rx, (struct sockaddr *)&a, sizeof(a), gap_ms));
}

/* on ::1; false if this machine has no IPv6 loopback */
static bool
rx_start6(struct receiver *rx)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	return rx_listen(rx, (struct sockaddr *)&a, sizeof(a), 0);
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

/*
 * A prompt receiver's status is read; the extra header lines go out as
 * given, each on its own line.
 */
static void
test_prompt_receiver(void **state)
{
	static const char *const h[] = { "webhook-id: alert_1",
	    "webhook-timestamp: 5", NULL };
	static const char *const bad[] = { "x: 1\r\ny: 2", NULL };
	struct receiver	rx;
	char		url[64];
	int		status = 0;

	(void)state;
	rx_start(&rx, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rx.port);
	assert_int_equal(http_post_json(url, "{}", h, 2, &status), GH_OK);
	assert_int_equal(status, 200);
	rx_stop(&rx);
	assert_non_null(strstr(rx.got, "\r\nwebhook-id: alert_1\r\n"
	    "webhook-timestamp: 5\r\nConnection: close\r\n\r\n{}"));
	/* no header smuggled in by a line break */
	assert_int_equal(http_post_json(url, "{}", bad, 2, &status),
	    GH_ERR_INVALID);
}

/* RFC 9110 7.2: an IPv6 literal host is bracketed in Host */
static void
test_ipv6_host(void **state)
{
	struct receiver	rx;
	char		url[64], want[64];
	int		status = 0;

	(void)state;
	if (!rx_start6(&rx))
		skip();
	snprintf(url, sizeof(url), "http://[::1]:%d/hook", rx.port);
	assert_int_equal(http_post_json(url, "{}", NULL, 2, &status), GH_OK);
	rx_stop(&rx);
	snprintf(want, sizeof(want), "\r\nHost: [::1]:%d\r\n", rx.port);
	assert_non_null(strstr(rx.got, want));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prompt_receiver),
		cmocka_unit_test(test_trickling_receiver_held_to_the_timeout),
		cmocka_unit_test(test_ipv6_host),
	};

	return cmocka_run_group_tests_name("http/client", tests, NULL, NULL);
}
