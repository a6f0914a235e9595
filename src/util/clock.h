/* clock.h - wall-clock seconds, the only time source for expiries. */
#ifndef GH_CLOCK_H
#define GH_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

int64_t	clock_now(void);	/* seconds since the epoch */
double	clock_mono(void);	/* monotonic seconds, for durations */
int64_t	clock_now_ms(void);	/* milliseconds since the epoch */

/*
 * Timed waits between passes run on the monotonic clock, which no one
 * sets: on the wall clock, a clock stepped back by an hour (NTP, an
 * operator) would put the next pass off by that hour. clock_cond_init()
 * makes a condition variable that times out on it; clock_wait_until()
 * gives the deadline `ms` from now on the same clock.
 */
int	clock_cond_init(pthread_cond_t *cv);
void	clock_wait_until(struct timespec *until, int64_t ms);

#endif
