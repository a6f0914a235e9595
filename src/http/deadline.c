/*
 * deadline.c - see deadline.h.
 *
 * The hot path is two stores per request into the connection's own entry
 * (deadline_received, deadline_waiting), with no lock and no clock: the
 * watch's thread notes when it first saw each connection waiting and does
 * the timing itself, so a connection is cut between `seconds` and
 * `seconds` + 1 after it began to wait. The lock is taken when a connection
 * opens or closes, and once a second for one pass over the list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "deadline.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/str.h"

struct deadline {
	unsigned		 seconds;
	struct deadline_entry	*head;		/* under mu */
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* on CLOCK_MONOTONIC */
	bool			 stop;
};

static void
peer_address(int fd, char *out, size_t outsz)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	str_copy(out, outsz, "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    out, (socklen_t)outsz);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    out, (socklen_t)outsz);
}

/*
 * One pass, under d->mu: every fd on the list is still open (its entry is
 * removed before libmicrohttpd closes it), so shutdown() cannot reach a
 * reused descriptor. Returns how many were cut; `first` names the first.
 */
static unsigned
sweep(struct deadline *d, char *first, size_t firstsz)
{
	struct deadline_entry	*e;
	unsigned long		 g;
	unsigned		 n = 0;
	double			 now = clock_mono();

	for (e = d->head; e != NULL; e = e->next) {
		g = atomic_load_explicit(&e->gen, memory_order_relaxed);
		if (g != e->seen_gen) {		/* a new phase began */
			e->seen_gen = g;
			e->seen_at = now;
			continue;
		}
		if ((g & 1) == 0 || e->cut || now - e->seen_at < d->seconds)
			continue;
		if (n++ == 0)
			peer_address(e->fd, first, firstsz);
		/* libmicrohttpd's next read sees the end and closes it */
		(void)shutdown(e->fd, SHUT_RDWR);
		e->cut = true;
	}
	return n;
}

static void *
run(void *arg)
{
	struct deadline	*d = arg;
	struct timespec	 until;
	char		 first[INET6_ADDRSTRLEN], count[16];
	unsigned	 n;

	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		n = sweep(d, first, sizeof(first));
		if (n > 0) {
			pthread_mutex_unlock(&d->mu);
			snprintf(count, sizeof(count), "%u", n);
			log_kv(LOG_WARN, "request_deadline", "closed", count,
			    "remote", first, NULL);
			pthread_mutex_lock(&d->mu);
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		while (!d->stop && pthread_cond_timedwait(&d->cv, &d->mu,
		    &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

enum gh_err
deadline_start(unsigned seconds, struct deadline **out)
{
	struct deadline		*d;
	pthread_condattr_t	 ca;
	enum gh_err		 rc = GH_ERR_NOMEM;

	if (seconds == 0)
		return GH_ERR_INVALID;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return GH_ERR_NOMEM;
	d->seconds = seconds;
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&d->thread, NULL, run, d) != 0)
		goto out;
	*out = d;
	d = NULL;
	rc = GH_OK;
out:
	if (d != NULL) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		free(d);
	}
	return rc;
}

void
deadline_stop(struct deadline *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

void
deadline_add(struct deadline *d, struct deadline_entry *e, int fd)
{
	pthread_mutex_lock(&d->mu);
	e->fd = fd;
	e->cut = false;
	e->seen_gen = 0;
	atomic_store_explicit(&e->gen, 1, memory_order_relaxed); /* waiting */
	e->prev = NULL;
	e->next = d->head;
	if (d->head != NULL)
		d->head->prev = e;
	d->head = e;
	e->listed = true;
	pthread_mutex_unlock(&d->mu);
}

void
deadline_remove(struct deadline *d, struct deadline_entry *e)
{
	if (!e->listed)
		return;
	pthread_mutex_lock(&d->mu);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		d->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	e->listed = false;
	pthread_mutex_unlock(&d->mu);
}

/* only the connection's thread writes gen: a load and a store suffice */
void
deadline_received(struct deadline_entry *e)
{
	unsigned long g = atomic_load_explicit(&e->gen, memory_order_relaxed);

	if (g & 1)
		atomic_store_explicit(&e->gen, g + 1, memory_order_relaxed);
}

void
deadline_waiting(struct deadline_entry *e)
{
	unsigned long g = atomic_load_explicit(&e->gen, memory_order_relaxed);

	if ((g & 1) == 0)
		atomic_store_explicit(&e->gen, g + 1, memory_order_relaxed);
}
