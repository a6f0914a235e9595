/*
 * fdlimit.h - the open-file limit and the connections it allows.
 *
 * Every accepted connection is a descriptor, and so is everything else
 * the server opens while it runs: the database (SQLite's files, or the
 * PostgreSQL pool reconnecting), the webhook's sockets, the log. A
 * connection flood must never take the last of them, or the store fails
 * under it. So at start the soft limit is raised as far as needed (up to
 * the hard limit), and if even that is short, fewer connections are
 * accepted, leaving the reserve for the rest: GH_FD_RESERVE, and
 * GH_FD_PER_THREAD for each HTTP worker thread (its wake-up channel).
 */
#ifndef GH_FDLIMIT_H
#define GH_FDLIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* descriptors kept for all but client connections */
#define GH_FD_RESERVE		128
#define GH_FD_PER_THREAD	2

struct fd_budget {
	uint64_t	soft, hard;	/* the limit as found */
	uint64_t	now;		/* the soft limit after raising it */
	uint64_t	reserve;	/* kept for all but connections */
	unsigned	connections;	/* max_connections that fits */
};

/*
 * Given the limits (soft, hard), the configured max_connections and the
 * HTTP worker threads, the soft limit to ask for and the connections that
 * then fit; pure, for tests. RLIM_INFINITY counts as unbounded.
 */
void	fd_budget_plan(uint64_t soft, uint64_t hard, unsigned max_connections,
	    unsigned threads, struct fd_budget *out);
/*
 * Raise this process's soft RLIMIT_NOFILE as the plan says and fill out;
 * false if the limit could not be read or raised (out then says what
 * fits under the limit as it is).
 */
bool	fd_budget_apply(unsigned max_connections, unsigned threads,
	    struct fd_budget *out);

#endif
