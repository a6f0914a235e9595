/* clock.h - wall-clock seconds, the only time source for expiries. */
#ifndef GH_CLOCK_H
#define GH_CLOCK_H

#include <stdint.h>

int64_t	clock_now(void);	/* seconds since the epoch */
double	clock_mono(void);	/* monotonic seconds, for durations */
int64_t	clock_now_ms(void);	/* milliseconds since the epoch */

#endif
