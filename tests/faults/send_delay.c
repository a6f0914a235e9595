/*
 * send_delay.c - an LD_PRELOAD shim for the stop tests: while the file
 * GH_FAULT_SEND_DELAY_FILE exists, every HTTP answer the server sends is
 * held GH_FAULT_SEND_DELAY_MS (default 300) before it goes, so the thread
 * that sends it is busy that long (tests/e2e/test_http_lifecycle.py).
 *
 * An answer is what starts with "HTTP/1." in the first buffer of a send()
 * or sendmsg(): libmicrohttpd sends its status line and headers first,
 * alone or with the body. Other traffic, the database's included, passes
 * untouched.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void
maybe_delay(const void *buf, size_t len)
{
	const char	*flag = getenv("GH_FAULT_SEND_DELAY_FILE");
	const char	*ms = getenv("GH_FAULT_SEND_DELAY_MS");
	long		 n = ms ? strtol(ms, NULL, 10) : 300;
	struct timespec	 ts;

	if (flag == NULL || buf == NULL || len < 7 ||
	    memcmp(buf, "HTTP/1.", 7) != 0 || access(flag, F_OK) != 0)
		return;
	ts.tv_sec = n / 1000;
	ts.tv_nsec = (n % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "send");
	maybe_delay(buf, len);
	return real(fd, buf, len, flags);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, const struct msghdr *, int);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "sendmsg");
	if (msg != NULL && msg->msg_iovlen > 0)
		maybe_delay(msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
	return real(fd, msg, flags);
}
