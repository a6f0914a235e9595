/* upkeep.c - see upkeep.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "upkeep.h"
#include "governance/audit.h"
#include "governance/hygiene.h"
#include "util/clock.h"
#include "util/log.h"

#define PURGE_BATCH	1000	/* rows per table per statement */
#define PURGE_KEEP	86400	/* keep expired codes/tokens, revoked grants
				   a day */

struct upkeep {
	struct app	*app;
	int64_t		 logged_head;	/* audit seq last logged */
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 stop;
};

static void
purge_pass(struct app *app)
{
	/*
	 * An acknowledged alert is the operators' record of what they
	 * looked at: kept as long as the audit trail (0: for ever)
	 */
	int64_t		 alerts = (int64_t)app->conf.audit_retention_days *
	    86400;
	unsigned	 n = 0, total = 0, rounds = 0;
	char		 count[16];

	do {
		if (store_purge(app->store, clock_now(), PURGE_KEEP, alerts,
		    PURGE_BATCH, &n) != GH_OK)
			return;
		total += n;
	} while (n == PURGE_BATCH && ++rounds < 1000);
	if (total) {
		snprintf(count, sizeof(count), "%u", total);
		log_kv(LOG_INFO, "purged", "rows", count, NULL);
	}
}

/*
 * The audit chain's head, to the log: an anchor kept outside the database,
 * so cutting off the newest events is seen (gatehouse audit verify
 * --anchor).
 */
static void
log_audit_head(struct upkeep *u)
{
	char	head[GH_HASH_HEX + 24];
	int64_t	seq = 0;

	if (audit_head_text(u->app->store, &seq, head, sizeof(head)) !=
	    GH_OK || seq == u->logged_head)
		return;
	u->logged_head = seq;
	log_kv(LOG_INFO, "audit_head", "anchor", head, NULL);
}

static void *
run(void *arg)
{
	struct upkeep	*u = arg;
	struct timespec	 until;

	pthread_mutex_lock(&u->mu);
	while (!u->stop) {
		pthread_mutex_unlock(&u->mu);
		purge_pass(u->app);
		(void)audit_retention_pass(u->app, clock_now());
		hygiene_pass(u->app, clock_now());
		log_audit_head(u);
		pthread_mutex_lock(&u->mu);
		/* on the clock cv waits on (upkeep_start): no one sets it */
		clock_wait_until(&until,
		    u->app->conf.upkeep_interval_seconds * 1000);
		while (!u->stop && pthread_cond_timedwait(&u->cv, &u->mu,
		    &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

enum gh_err
upkeep_start(struct app *app, struct upkeep **out)
{
	struct upkeep		*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return GH_ERR_NOMEM;
	u->app = app;
	pthread_mutex_init(&u->mu, NULL);
	/*
	 * The wait between passes is timed on the monotonic clock: on the
	 * wall clock, a clock stepped back by an hour (NTP, an operator)
	 * would put off the next purge, retention, hygiene and key deletion
	 * by that hour, and one stepped forward would bring it on at once.
	 */
	if (clock_cond_init(&u->cv) != 0) {
		pthread_mutex_destroy(&u->mu);
		free(u);
		return GH_ERR_NOMEM;
	}
	if (pthread_create(&u->thread, NULL, run, u) != 0) {
		pthread_cond_destroy(&u->cv);
		pthread_mutex_destroy(&u->mu);
		free(u);
		return GH_ERR_NOMEM;
	}
	*out = u;
	return GH_OK;
}

void
upkeep_stop(struct upkeep *u)
{
	if (u == NULL)
		return;
	pthread_mutex_lock(&u->mu);
	u->stop = true;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	log_audit_head(u);		/* the final anchor */
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
