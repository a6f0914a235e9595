/* fdlimit.c - see fdlimit.h. */
#include <stdbool.h>
#include <sys/resource.h>

#include "fdlimit.h"

void
fd_budget_plan(uint64_t soft, uint64_t hard, unsigned max_connections,
    struct fd_budget *out)
{
	uint64_t want = (uint64_t)max_connections + GH_FD_RESERVE;

	out->soft = soft;
	out->hard = hard;
	out->now = soft;
	if (soft != (uint64_t)RLIM_INFINITY && soft < want)
		out->now = hard == (uint64_t)RLIM_INFINITY || hard > want ?
		    want : hard;
	out->connections = max_connections;
	if (out->now != (uint64_t)RLIM_INFINITY && out->now < want)
		out->connections = out->now > GH_FD_RESERVE ?
		    (unsigned)(out->now - GH_FD_RESERVE) : 1;
}

bool
fd_budget_apply(unsigned max_connections, struct fd_budget *out)
{
	struct rlimit	rl;
	bool		ok;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fd_budget_plan(RLIM_INFINITY, RLIM_INFINITY, max_connections,
		    out);
		return false;
	}
	fd_budget_plan(rl.rlim_cur, rl.rlim_max, max_connections, out);
	if (out->now == rl.rlim_cur)
		return true;
	rl.rlim_cur = out->now;
	if ((ok = setrlimit(RLIMIT_NOFILE, &rl) == 0))
		return true;
	/* as it is, then */
	fd_budget_plan(out->soft, out->soft, max_connections, out);
	return ok;
}
