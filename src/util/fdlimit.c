/* fdlimit.c - see fdlimit.h. */
#include <stdbool.h>
#include <sys/resource.h>

#include "fdlimit.h"

void
fd_budget_plan(uint64_t soft, uint64_t hard, unsigned max_connections,
    unsigned threads, struct fd_budget *out)
{
	uint64_t want;

	out->reserve = GH_FD_RESERVE + (uint64_t)threads * GH_FD_PER_THREAD;
	want = (uint64_t)max_connections + out->reserve;
	out->soft = soft;
	out->hard = hard;
	out->now = soft;
	if (soft != (uint64_t)RLIM_INFINITY && soft < want)
		out->now = hard == (uint64_t)RLIM_INFINITY || hard > want ?
		    want : hard;
	out->connections = max_connections;
	if (out->now != (uint64_t)RLIM_INFINITY && out->now < want)
		out->connections = out->now > out->reserve ?
		    (unsigned)(out->now - out->reserve) : 1;
}

bool
fd_budget_apply(unsigned max_connections, unsigned threads,
    struct fd_budget *out)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fd_budget_plan(RLIM_INFINITY, RLIM_INFINITY, max_connections,
		    threads, out);
		return false;
	}
	fd_budget_plan(rl.rlim_cur, rl.rlim_max, max_connections, threads,
	    out);
	if (out->now == rl.rlim_cur)
		return true;
	rl.rlim_cur = out->now;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return true;
	/* as it is, then */
	fd_budget_plan(out->soft, out->soft, max_connections, threads, out);
	return false;
}
