/* webhook.c - see webhook.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "webhook.h"
#include "webhook_sign.h"
#include "../http/client.h"
#include "../util/clock.h"
#include "../util/json_text.h"
#include "../util/log.h"
#include "../util/str.h"

#define BATCH		16	/* alerts held in memory at once */
#define MAX_AGE		GH_ALERT_SEND_SECONDS	/* older ones are not sent */
#define IDLE_WAIT	1	/* seconds between looks at the outbox */

struct webhook {
	struct app	*app;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	bool		 stop;
	bool		 woken;
	struct alert_row batch[BATCH];
	unsigned	 n;
};

static bool
take(void *ctx, const struct alert_row *a)
{
	struct webhook *w = ctx;

	if (w->n < BATCH)
		w->batch[w->n++] = *a;
	return w->n < BATCH;
}

/*
 * The stored evidence as JSON. Text that does not load for want of memory
 * gives NULL (the delivery fails and is tried again); text that is not
 * JSON at all (the row was edited by hand) would never load, so it is
 * sent as a marker rather than held back for good.
 */
static json_t *
evidence(const char *text)
{
	unsigned long	 before = json_mem_failures();
	json_t		*ev = json_parse(text, 0, NULL);

	if (ev != NULL || json_mem_failures() != before)
		return ev;
	return json_pack("{s:b}", "unreadable", 1);
}

char *
webhook_payload(const struct app *app, const struct alert_row *a)
{
	json_t	*ev = evidence(a->evidence);
	json_t	*o;
	char	*s;
	char	 summary[GH_MAX_ALERT_TEXT];

	if (ev == NULL)
		return NULL;
	/* a stored summary that is no UTF-8 is sent cleaned, not held */
	str_copy_utf8(summary, sizeof(summary), a->summary);
	/* "o" takes ev, on failure too */
	o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s, "
	    "s:o}", "type", "gatehouse.alert", "issuer", app->conf.issuer,
	    "id", (json_int_t)a->id, "time", (json_int_t)a->time,
	    "rule", a->rule, "severity", a->severity,
	    "client_id", a->client_id[0] ? a->client_id : NULL,
	    "user_id", a->user_id[0] ? a->user_id : NULL,
	    "grant_id", a->grant_id[0] ? a->grant_id : NULL,
	    "summary", summary, "evidence", ev);
	if (o == NULL)
		return NULL;
	s = json_text(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static int64_t
backoff(const struct app *app, int64_t attempts)
{
	int64_t d = 1;

	while (attempts-- > 0 && d < app->conf.webhook_max_backoff_seconds)
		d *= 2;
	return d < app->conf.webhook_max_backoff_seconds ? d :
	    app->conf.webhook_max_backoff_seconds;
}

static void
deliver(struct webhook *w, const struct alert_row *a)
{
	const struct conf *c = &w->app->conf;
	char		*body = webhook_payload(w->app, a);
	struct webhook_headers h;
	char		 id[24], st[8];
	int		 status = 0;
	enum gh_err	 rc = GH_ERR_NOMEM;
	bool		 ok;

	if (body && (rc = webhook_sign(c->webhook_secret, a->id, clock_now(),
	    body, &h)) == GH_OK)
		rc = http_post_json(c->webhook_url, body, h.list,
		    (unsigned)c->webhook_timeout_seconds, &status);
	free(body);
	ok = rc == GH_OK && status >= 200 && status < 300;
	(void)store_alert_delivery(w->app->store, a->id, ok, clock_now(),
	    clock_now() + backoff(w->app, a->attempts));
	snprintf(id, sizeof(id), "%lld", (long long)a->id);
	snprintf(st, sizeof(st), "%d", status);
	if (ok)
		log_kv(LOG_INFO, "alert_delivered", "id", id, NULL);
	else
		log_kv(LOG_WARN, "alert_delivery_failed", "id", id, "status",
		    st, "error", gh_err_str(rc), NULL);
}

static void
pass(struct webhook *w)
{
	int64_t		 now;
	unsigned	 i;

	do {
		w->n = 0;
		/*
		 * Leased past any attempt, so a crash mid-batch retries. From
		 * the time of this claim: a batch takes up to BATCH timeouts,
		 * and a lease reckoned from the start of the pass would run
		 * out while the next batch is being sent (another node would
		 * send it again).
		 */
		now = clock_now();
		if (store_alert_claim(w->app->store, now, now - MAX_AGE,
		    now + w->app->conf.webhook_timeout_seconds * (BATCH + 1),
		    BATCH, take, w) != GH_OK)
			return;
		for (i = 0; i < w->n && !w->stop; i++)
			deliver(w, &w->batch[i]);
	} while (w->n == BATCH && !w->stop);
}

static void *
run(void *arg)
{
	struct webhook	*w = arg;
	struct timespec	 until;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		w->woken = false;
		pthread_mutex_unlock(&w->mu);
		pass(w);
		pthread_mutex_lock(&w->mu);
		/* on the clock cv waits on (webhook_start): no one sets it */
		clock_wait_until(&until, IDLE_WAIT * 1000);
		while (!w->stop && !w->woken && pthread_cond_timedwait(&w->cv,
		    &w->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

enum gh_err
webhook_start(struct app *app, struct webhook **out)
{
	struct webhook *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return GH_ERR_NOMEM;
	w->app = app;
	pthread_mutex_init(&w->mu, NULL);
	if (clock_cond_init(&w->cv) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return GH_ERR_NOMEM;
	}
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return GH_ERR_NOMEM;
	}
	*out = w;
	return GH_OK;
}

void
webhook_wake(struct webhook *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->woken = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
webhook_stop(struct webhook *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
