/*
 * test_store_defer.c - durability put off to the end of a request
 * (store_defer_begin/end, store.h).
 *
 * On both backends: writes made while deferring are seen by other
 * connections (on PostgreSQL at once, as other nodes must see a
 * revocation), and a failed operation inside the request leaves nothing
 * behind.
 *
 * On PostgreSQL the writes commit without waiting for their WAL flush, and
 * store_defer_end makes them durable: either a durable audit row queued
 * after the last write (its commit flushes the WAL up to itself), or one
 * extra durable write, a row of flush_marks. The tests count those extra
 * writes: one exactly when some write is not followed by such a row.
 *
 * On both backends, an audit append that fails at once (out of memory)
 * fails its request's end, though the append's caller went on; so does
 * any other store write that fails, while an answer (no such row, a lost
 * race, a taken id, a replay) does not.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../harness.h"

#include <dlfcn.h>

#include <openssl/evp.h>

#include "util/limits.h"

#define NOW	1700000000

/*
 * The allocation an audit append makes at once, failing on demand: on
 * PostgreSQL the copy of the event's fields (strdup) before the row is
 * queued, on SQLite the context of the hash made as the row is inserted
 * (EVP_MD_CTX_new). Defined here, so the library's calls bind to these.
 */
#define UNCOPYABLE	"audit.uncopyable"	/* the type whose copy fails */
enum fault { FAULT_NONE, FAULT_COPY, FAULT_HASH };
static atomic_int fault;

char *
strdup(const char *s)
{
	static char	*(*real)(const char *);

	if (atomic_load(&fault) == FAULT_COPY && strcmp(s, UNCOPYABLE) == 0)
		return NULL;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "strdup");
	return real != NULL ? real(s) : NULL;
}

EVP_MD_CTX *
EVP_MD_CTX_new(void)
{
	static EVP_MD_CTX	*(*real)(void);

	if (atomic_load(&fault) == FAULT_HASH)
		return NULL;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "EVP_MD_CTX_new");
	return real != NULL ? real() : NULL;
}

static int64_t
marks(struct th_store *t)
{
	return th_sql_int(t, "SELECT coalesce(sum(n), 0) FROM flush_marks");
}

static enum gh_err
audit(struct store *s, const char *type)
{
	struct audit_row r = { .time = NOW, .type = type, .actor = "admin",
	    .client_id = "c1" };

	return store_audit_append(s, &r);
}

/* 1 active, 2 disabled, 3 quarantined */
static int64_t
status_of_c1(struct th_store *t)
{
	return th_sql_int(t, "SELECT CASE status WHEN 'active' THEN 1 "
	    "WHEN 'disabled' THEN 2 ELSE 3 END FROM clients WHERE id = 'c1'");
}

static int
setup(void **state)
{
	return th_store_setup_client(state, "c1", NOW);
}

/* Writes seen from other connections; a failed one leaves nothing. */
static void
test_writes_visible_while_deferred(void **state)
{
	struct th_store	*t = *state;
	uint8_t		 h[GH_HASH_BYTES];
	unsigned	 grants = 9;

	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	/* PostgreSQL has committed it; SQLite's batch commits at the end */
	assert_int_equal(status_of_c1(t), t->schema[0] ? 2 : 1);
	/* a failed transaction inside the request changes nothing */
	th_hash("new", h);
	assert_int_equal(store_client_quarantine(t->s, "nobody", h, "test",
	    NOW, &grants, NULL), GH_ERR_NOT_FOUND);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(status_of_c1(t), 2);
	assert_int_equal(th_sql_int(t,
	    "SELECT count(*) FROM clients WHERE id = 'nobody'"), 0);
}

/* Which requests need the extra durable write on PostgreSQL. */
static void
test_extra_flush_only_when_uncovered(void **state)
{
	struct th_store	*t = *state;
	uint8_t		 h[GH_HASH_BYTES];
	unsigned	 grants = 0;
	int64_t		 m;

	if (!t->schema[0])
		skip();		/* SQLite: one batch commit covers all */
	m = marks(t);

	/* a write and nothing after it: one extra */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 1);

	/* a write, then a durable audit row: its commit covers the write */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(audit(t->s, "client.enabled"), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 1);

	/* a transaction after the row is not covered by it */
	store_defer_begin(t->s);
	assert_int_equal(audit(t->s, "client.quarantined"), GH_OK);
	th_hash("new", h);
	assert_int_equal(store_client_quarantine(t->s, "c1", h, "test", NOW,
	    &grants, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 2);
	assert_int_equal(status_of_c1(t), 3);

	/* a lazy row covers nothing */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_QUARANTINED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	store_lazy(t->s, true);
	assert_int_equal(audit(t->s, "client.enabled"), GH_OK);
	store_lazy(t->s, false);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 3);

	/* lazy writes, reads and audit rows alone owe nothing */
	store_defer_begin(t->s);
	store_lazy(t->s, true);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	store_lazy(t->s, false);
	assert_int_equal(status_of_c1(t), 2);
	assert_int_equal(audit(t->s, "client.disabled"), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(marks(t), m + 3);

	/* outside a request, writes are durable on their own */
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(marks(t), m + 3);
}

/* what a wake saw: set from the flusher's (leader's) thread, or this one */
struct woken {
	atomic_int	 n;
	pthread_t	 by;
};

static void
wake(void *arg)
{
	struct woken *w = arg;

	w->by = pthread_self();
	atomic_fetch_add(&w->n, 1);
}

static void
until_woken(struct woken *w)
{
	struct timespec	ts = { 0, 1000 * 1000 };
	int		i;

	for (i = 0; i < 5000 && atomic_load(&w->n) == 0; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(atomic_load(&w->n), 1);
}

/*
 * A request's wait handed over (store_defer_detach): the HTTP server
 * parks the connection instead of the thread. Nothing written: no wait.
 * A write: a wait whose wake comes once, from another thread (SQLite's
 * flusher, PostgreSQL's audit leader, which makes the write durable with
 * a flush mark), after which the write is durable and the outcome is
 * GH_OK; if the wait is already resolved when it is watched, the wake
 * comes at once, in the watching thread. PostgreSQL used to hand nothing
 * over: its store_defer_end() waited in the request's thread.
 */
static void
test_detach_hands_the_wait_over(void **state)
{
	struct th_store		*t = *state;
	struct store_wait	*w = (struct store_wait *)1, *w2;
	struct woken		 seen = { 0 }, at_once = { 0 };
	int64_t			 m = t->schema[0] ? marks(t) : 0;

	store_defer_begin(t->s);
	assert_int_equal(status_of_c1(t), 1);	/* a read */
	assert_int_equal(store_defer_detach(t->s, &w), GH_OK);
	assert_null(w);

	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(store_defer_detach(t->s, &w), GH_OK);
	assert_non_null(w);
	store_wait_watch(w, wake, &seen);
	until_woken(&seen);
	assert_false(pthread_equal(seen.by, pthread_self()));
	assert_int_equal(status_of_c1(t), 2);
	assert_int_equal(store_wait_end(w), GH_OK);
	if (t->schema[0])
		assert_int_equal(marks(t), m + 1);

	/*
	 * Resolved before it is watched: on SQLite made durable by another
	 * request's batch; on PostgreSQL the leader resolves a wait before
	 * it appends a row queued after it.
	 */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(store_defer_detach(t->s, &w), GH_OK);
	assert_non_null(w);
	store_defer_begin(t->s);
	assert_int_equal(audit(t->s, "client.enabled"), GH_OK);
	assert_int_equal(store_defer_detach(t->s, &w2), GH_OK);
	assert_non_null(w2);
	assert_int_equal(store_wait_end(w2), GH_OK);	/* waits here */
	store_wait_watch(w, wake, &at_once);
	assert_int_equal(atomic_load(&at_once.n), 1);
	assert_true(pthread_equal(at_once.by, pthread_self()));
	assert_int_equal(store_wait_end(w), GH_OK);
	assert_int_equal(status_of_c1(t), 1);
	if (t->schema[0])
		assert_int_equal(marks(t), m + 2);
}

/*
 * PostgreSQL: a handed-over wait whose audit row failed (no type: NOT
 * NULL) ends with that failure, as store_defer_end would, and after the
 * flush its write is owed (another request may have seen it).
 */
static void
test_detached_wait_fails_with_its_row(void **state)
{
	struct th_store		*t = *state;
	struct store_wait	*w;
	struct woken		 seen = { 0 };
	int64_t			 m;

	if (!t->schema[0])
		skip();		/* SQLite: the append fails at once */
	m = marks(t);
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(audit(t->s, NULL), GH_OK);	/* queued */
	assert_int_equal(store_defer_detach(t->s, &w), GH_OK);
	assert_non_null(w);
	store_wait_watch(w, wake, &seen);
	until_woken(&seen);
	assert_int_equal(store_wait_end(w), GH_ERR_STORE);
	assert_int_equal(marks(t), m + 1);
	assert_int_equal(status_of_c1(t), 2);

	/* the same through store_defer_end, in this thread */
	store_defer_begin(t->s);
	assert_int_equal(audit(t->s, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_ERR_STORE);
	assert_int_equal(marks(t), m + 2);
}

/*
 * PostgreSQL: a request's audit rows are appended once it ends, in one
 * batch (one transaction, so one flush), however far apart they queued;
 * the leader does not take the first alone while the request runs.
 */
static void
test_request_rows_share_a_batch(void **state)
{
	struct th_store		*t = *state;
	struct store_wait	*w;
	struct timespec		 ts = { 0, 100 * 1000 * 1000 };

	if (!t->schema[0])
		skip();		/* SQLite: every write joins the open batch */
	store_defer_begin(t->s);
	assert_int_equal(audit(t->s, "token.issued"), GH_OK);
	nanosleep(&ts, NULL);		/* time enough to append it alone */
	assert_int_equal(audit(t->s, "token.refreshed"), GH_OK);
	assert_int_equal(store_defer_detach(t->s, &w), GH_OK);
	assert_non_null(w);
	assert_int_equal(store_wait_end(w), GH_OK);
	/* rows a transaction inserted carry its id */
	assert_int_equal(th_sql_int(t, "SELECT count(DISTINCT xmin::text) "
	    "FROM audit_events WHERE type IN ('token.issued', "
	    "'token.refreshed')"), 1);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type IN ('token.issued', 'token.refreshed')"), 2);
}

/* an append outside a request, from a thread of its own */
struct plain {
	struct store	*s;
	atomic_int	 done;
	enum gh_err	 rc;
};

static void *
plain_append(void *arg)
{
	struct plain *p = arg;

	p->rc = audit(p->s, "client.enabled");
	atomic_store(&p->done, 1);
	return NULL;
}

/*
 * PostgreSQL: an append outside a request returns once its row is
 * committed, even behind more than a batch (GH_PG_AUDIT_BATCH) of a
 * running request's rows, which nobody waits for yet: the leader leads
 * while some queued row is wanted, not only when the first one is. The
 * request's rows all reach the trail at its end.
 */
static void
test_wanted_row_behind_a_running_request(void **state)
{
	struct th_store		*t = *state;
	struct store_wait	*w;
	struct plain		 p = { .s = t->s };
	struct timespec		 ts = { 0, 1000 * 1000 };
	pthread_t		 th;
	int			 i;

	if (!t->schema[0])
		skip();		/* SQLite: no queue */
	store_defer_begin(t->s);
	for (i = 0; i < 2 * GH_PG_AUDIT_BATCH + 5; i++)
		assert_int_equal(audit(t->s, "token.issued"), GH_OK);
	atomic_init(&p.done, 0);
	assert_int_equal(pthread_create(&th, NULL, plain_append, &p), 0);
	for (i = 0; i < 5000 && atomic_load(&p.done) == 0; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(atomic_load(&p.done), 1);
	pthread_join(th, NULL);
	assert_int_equal(p.rc, GH_OK);
	assert_int_equal(store_defer_detach(t->s, &w), GH_OK);
	assert_non_null(w);
	assert_int_equal(store_wait_end(w), GH_OK);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'token.issued'"), 2 * GH_PG_AUDIT_BATCH + 5);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'client.enabled'"), 1);
}

/* The append of an UNCOPYABLE event, with its allocation failing. */
static void
append_fails(struct th_store *t)
{
	atomic_store(&fault, t->schema[0] ? FAULT_COPY : FAULT_HASH);
	assert_int_not_equal(audit(t->s, UNCOPYABLE), GH_OK);
	atomic_store(&fault, FAULT_NONE);
}

/*
 * An audit append that fails at once, before any batch, fails its
 * request, whatever the append's caller did with the error (audit_event
 * logs it and goes on): the request's wait or its end reports it, and
 * the HTTP layer answers 503 instead of the answer the event was for. On
 * SQLite the append's store failure fails the request (sq_release). On
 * PostgreSQL the row was never queued, and the request ended with GH_OK:
 * a token could be answered without its event.
 */
static void
test_append_failed_at_once_fails_the_request(void **state)
{
	struct th_store		*t = *state;
	struct store_wait	*w = (struct store_wait *)1;
	enum gh_err		 rc;

	/* a write, then the event that cannot be stored: the wait fails */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	append_fails(t);
	if ((rc = store_defer_detach(t->s, &w)) == GH_OK) {
		assert_non_null(w);
		rc = store_wait_end(w);
	}
	assert_int_not_equal(rc, GH_OK);
	assert_int_equal(status_of_c1(t), 2);

	/* the event alone: no wait, the failure at once */
	store_defer_begin(t->s);
	append_fails(t);
	assert_int_not_equal(store_defer_detach(t->s, &w), GH_OK);
	assert_null(w);

	/* after an event that is stored, through store_defer_end */
	store_defer_begin(t->s);
	assert_int_equal(audit(t->s, "client.enabled"), GH_OK);
	append_fails(t);
	assert_int_not_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = '" UNCOPYABLE "'"), 0);

	/* it failed that request only: the next one ends well */
	store_defer_begin(t->s);
	assert_int_equal(audit(t->s, UNCOPYABLE), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = '" UNCOPYABLE "'"), 1);
}

/* A sighting of grant g1 from `value`, as governance/rules.c records. */
static enum gh_err
sighting(struct store *s, const char *value)
{
	enum sighting seen;

	return store_grant_sighting(s, "g1", "ua", value, NOW, &seen);
}

/*
 * A store write that fails inside a request fails the request, though
 * its caller went on (governance/rules.c ignores a failed sighting, as
 * it does a failed alert): the wait, or the end, reports the failure, and
 * the HTTP layer answers 503. On SQLite sq_release saw to it; on
 * PostgreSQL only an audit row that could not be queued did, and the
 * request ended with GH_OK.
 */
static void
test_ignored_store_failure_fails_the_request(void **state)
{
	struct th_store		*t = *state;
	struct store_wait	*w = (struct store_wait *)1;
	enum gh_err		 rc;

	th_fail_inserts(t, "grant_sightings", NULL, true);

	/* a write, the failed one, then a stored event: the wait fails */
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(sighting(t->s, "agent/1"), GH_ERR_STORE);
	assert_int_equal(audit(t->s, "token.issued"), GH_OK);
	if ((rc = store_defer_detach(t->s, &w)) == GH_OK) {
		assert_non_null(w);
		rc = store_wait_end(w);
	}
	assert_int_equal(rc, GH_ERR_STORE);
	assert_int_equal(status_of_c1(t), 2);

	/* the failed write alone, through store_defer_end */
	store_defer_begin(t->s);
	assert_int_equal(sighting(t->s, "agent/2"), GH_ERR_STORE);
	assert_int_equal(store_defer_end(t->s), GH_ERR_STORE);

	/* it failed those requests only: the next one ends well */
	th_fail_inserts(t, "grant_sightings", NULL, false);
	store_defer_begin(t->s);
	assert_int_equal(sighting(t->s, "agent/3"), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(th_sql_int(t,
	    "SELECT count(*) FROM grant_sightings"), 1);
}

/*
 * What the store answers, not a failure of it, leaves the request as it
 * is: no such row, a status changed by another request (a lost race,
 * rolled back), an id taken (a unique violation), a replayed jti, a
 * transaction that changed nothing and rolled back, text that no row can
 * hold (PostgreSQL refuses it, SQLite finds nothing).
 */
static void
test_store_answers_do_not_fail_the_request(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c;
	uint8_t			 h[GH_HASH_BYTES];
	unsigned		 grants = 9;
	enum gh_err		 rc;

	th_hash("jti", h);
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "nobody",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, NULL), GH_ERR_NOT_FOUND);
	assert_int_equal(store_client_set_status(t->s, "c1", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_ERR_CONFLICT);
	c = th_client_new("c1", NOW);
	rc = store_client_insert(t->s, c, NULL);
	free(c);
	assert_int_equal(rc, GH_ERR_EXISTS);
	assert_int_equal(store_jti_use(t->s, "c1", h, NOW + 60, NOW), GH_OK);
	assert_int_equal(store_jti_use(t->s, "c1", h, NOW + 60, NOW),
	    GH_ERR_CONFLICT);
	assert_int_equal(store_client_quarantine(t->s, "nobody", h, "test",
	    NOW, &grants, NULL), GH_ERR_NOT_FOUND);
	rc = store_client_set_status(t->s, "c\xff", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL);
	assert_true(rc == GH_ERR_INVALID || rc == GH_ERR_NOT_FOUND);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	assert_int_equal(status_of_c1(t), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_writes_visible_while_deferred, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_extra_flush_only_when_uncovered, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_detach_hands_the_wait_over, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_detached_wait_fails_with_its_row, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_request_rows_share_a_batch, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_wanted_row_behind_a_running_request, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_append_failed_at_once_fails_the_request, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ignored_store_failure_fails_the_request, setup,
		    th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_answers_do_not_fail_the_request, setup,
		    th_store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
