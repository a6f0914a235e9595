/*
 * deadline.h - an overall deadline for receiving each request.
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that
 * sends one header line every few seconds (slowloris) keeps its connection
 * for ever, and max_connections of them lock everybody out. A watch lists
 * every open connection. The adapter says when a connection starts waiting
 * for a request (it opened, or it sent its last response) and when that
 * request has been received whole (request line, headers and body); a
 * thread woken once a second shuts down the socket of any connection that
 * has waited longer than the deadline, so that libmicrohttpd's own read
 * sees the end of input and closes it. Time spent handling a request or
 * sending its response does not count.
 *
 * Ownership: the caller owns each struct deadline_entry (it lives in the
 * connection's state) and must deadline_remove() it before the socket is
 * closed, because the thread calls shutdown() on entry->fd while the entry
 * is listed. libmicrohttpd's MHD_CONNECTION_NOTIFY_CLOSED comes before it
 * closes the socket, so that is the place.
 */
#ifndef GH_DEADLINE_H
#define GH_DEADLINE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "../util/err.h"

/*
 * One connection. gen is written by the connection's own thread only: odd
 * while a request is awaited, even while one is handled; each step adds
 * one, so the watch sees a new request even if it missed the even phase.
 * The rest belongs to the watch, under its lock.
 */
struct deadline_entry {
	struct deadline_entry	*prev, *next;
	int			 fd;
	bool			 listed;
	bool			 cut;		/* shut down already */
	unsigned long		 seen_gen;	/* gen when seen_at was taken */
	double			 seen_at;	/* monotonic seconds */
	atomic_ulong		 gen;
};

struct deadline;

/* Start the watch and its thread; `seconds` is the deadline (>= 1). */
enum gh_err	deadline_start(unsigned seconds, struct deadline **out);
/* Stop and join the thread, then free; entries still listed are dropped. */
void		deadline_stop(struct deadline *d);

/* List a new connection (socket `fd`): it now waits for its request. */
void		deadline_add(struct deadline *d, struct deadline_entry *e,
		    int fd);
/* Unlist it; a no-op for an entry never listed. Before fd is closed. */
void		deadline_remove(struct deadline *d, struct deadline_entry *e);

/* The connection's own thread: its request is in, or a new one may come. */
void		deadline_received(struct deadline_entry *e);
void		deadline_waiting(struct deadline_entry *e);

#endif
