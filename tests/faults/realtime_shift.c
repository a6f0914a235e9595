/*
 * realtime_shift.c - an LD_PRELOAD shim for the upkeep clock test:
 * clock_gettime(CLOCK_REALTIME) answers GH_REALTIME_SHIFT seconds off
 * the kernel's wall clock, which timed waits on that clock are measured
 * against. To a program that computes a deadline on the wall clock and
 * waits for it, a shift of +X is the wall clock stepped back by X just
 * after the reading: the wait lasts X seconds longer
 * (tests/e2e/test_upkeep_clock.py). time() and the monotonic clock are
 * left alone, so the server's own notion of the time does not move.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int	(*real)(clockid_t, struct timespec *);
	const char	*s = getenv("GH_REALTIME_SHIFT");
	int		 rc;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && id == CLOCK_REALTIME && s != NULL)
		ts->tv_sec += (time_t)strtoll(s, NULL, 10);
	return rc;
}
