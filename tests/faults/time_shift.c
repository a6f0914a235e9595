/*
 * time_shift.c - an LD_PRELOAD shim for the audit retention tests: time()
 * answers GH_TIME_SHIFT seconds off the real clock (negative: in the
 * past), so a server or admin command run under it records events that
 * really are that old, hashed as such, for retention to delete later
 * (tests/e2e/test_audit_retention.py). Editing the times in the database
 * instead would make the events fail verification, which is what a prune
 * refuses to delete.
 */
#include <stdlib.h>
#include <time.h>

time_t	time(time_t *t);

time_t
time(time_t *t)
{
	const char	*s = getenv("GH_TIME_SHIFT");
	struct timespec	 ts;
	time_t		 now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec + (s != NULL ? (time_t)strtoll(s, NULL, 10) : 0);
	if (t != NULL)
		*t = now;
	return now;
}
