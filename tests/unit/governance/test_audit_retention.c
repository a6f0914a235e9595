/*
 * test_audit_retention.c - governance/audit_retention.c and
 * audit_verify.c on a pruned trail, against a real store (SQLite, or
 * PostgreSQL when GH_TEST_PG_URL is set):
 *  - the retention pass deletes the events older than
 *    audit_retention_days (none when it is 0), records the batch with an
 *    audit.pruned event and logs what it pruned;
 *  - the pruned chain verifies from its base;
 *  - what an attacker with the database (not the server key) can do to
 *    old events is still found: deleting one more of the oldest, deleting
 *    some and moving the base on to hide it, making a base where nothing
 *    was pruned, moving the base back, editing a kept event, ageing
 *    events by hand for the pass to delete them;
 *  - an anchor older than the base is reported as not checked, one at the
 *    base is checked against the base's hash.
 */
#include <pthread.h>

#include "../harness.h"

#include "governance/audit.h"
#include "util/clock.h"
#include "util/log.h"

#define DAY	86400

struct fixture {
	struct th_store	*t;
	struct app	 app;
	uint8_t		 key[GH_HASH_BYTES];
	int64_t		 now;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL || th_app_store_setup(&f->t, &f->app) != 0) {
		free(f);
		return -1;
	}
	f->app.conf.audit_retention_days = 365;
	if (audit_chain_key(f->app.key, sizeof(f->app.key), f->key) !=
	    GH_OK) {
		void *ts = f->t;

		th_store_teardown(&ts);
		free(f);
		return -1;
	}
	store_set_audit_key(f->t->s, f->key);
	f->now = clock_now();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	void		*ts = f->t;

	free(f);
	return th_store_teardown(&ts);
}

/* n events `days` old (the trail as a long-running server left it). */
static void
append_aged(struct fixture *f, int n, int64_t days)
{
	struct audit_row r = { .type = "token.issued", .actor = "client",
	    .client_id = "client1", .detail = "{}" };
	int		 i;

	r.time = f->now - days * DAY;
	for (i = 0; i < n; i++)
		assert_int_equal(store_audit_append(f->t->s, &r), GH_OK);
}

static int64_t
count(struct fixture *f)
{
	return th_sql_int(f->t, "SELECT count(*) FROM audit_events");
}

static void
verify(struct fixture *f, const struct audit_anchor *a,
    struct audit_verdict *v)
{
	assert_int_equal(audit_verify(f->t->s, f->key, a, v), GH_OK);
}

static void
expect_broken(struct fixture *f, int64_t seq, const char *problem)
{
	struct audit_verdict v;

	verify(f, NULL, &v);
	if (v.ok)
		fail_msg("verified; expected %s at %lld", problem,
		    (long long)seq);
	assert_string_equal(v.problem, problem);
	assert_int_equal(v.seq, seq);
}

/* Six events a year and more old, four recent, then the pass: base 6. */
static void
pruned_trail(struct fixture *f)
{
	append_aged(f, 6, 400);
	append_aged(f, 4, 1);
	assert_int_equal(audit_retention_pass(&f->app, f->now), 6);
	assert_int_equal(count(f), 4 + 1);
}

static void
test_retention_off_keeps_every_event(void **state)
{
	struct fixture		*f = *state;
	struct audit_verdict	 v;

	f->app.conf.audit_retention_days = 0;
	append_aged(f, 3, 4000);
	assert_int_equal(audit_retention_pass(&f->app, f->now), 0);
	assert_int_equal(count(f), 3);
	verify(f, NULL, &v);
	assert_true(v.ok);
	assert_int_equal(v.base_seq, 0);
	assert_int_equal(v.events, 3);
}

static void
test_pass_prunes_records_and_logs(void **state)
{
	struct fixture		*f = *state;
	struct audit_verdict	 v;
	struct th_stderr	 log;
	char			 want[160];

	append_aged(f, 6, 366);
	append_aged(f, 4, 364);
	log_set_level(LOG_INFO);
	th_stderr_begin(&log);
	assert_int_equal(audit_retention_pass(&f->app, f->now), 6);
	th_stderr_end(&log);
	log_set_level(LOG_ERROR);
	assert_int_equal(th_stderr_count(&log, "\"event\":\"audit_pruned\""),
	    1);
	assert_int_equal(th_stderr_count(&log, "\"events\":\"6\""), 1);
	/* the event that records it, with the base it made */
	snprintf(want, sizeof(want), "SELECT count(*) FROM audit_events "
	    "WHERE seq = 11 AND type = 'audit.pruned' AND actor = 'system' "
	    "AND detail = '{\"through_seq\":6,\"events\":6,\"before\":%lld}'",
	    (long long)(f->now - 365 * DAY));
	assert_int_equal(th_sql_int(f->t, want), 1);
	assert_int_equal(th_sql_int(f->t, "SELECT seq FROM audit_base"), 6);
	verify(f, NULL, &v);
	assert_true(v.ok);
	assert_int_equal(v.base_seq, 6);
	assert_int_equal(v.events, 5);
	assert_int_equal(v.head_seq, 11);
	/* nothing is old enough any more: no batch, no event */
	assert_int_equal(audit_retention_pass(&f->app, f->now), 0);
	assert_int_equal(count(f), 5);
}

static void
test_deleting_one_more_is_found(void **state)
{
	struct fixture *f = *state;

	pruned_trail(f);
	th_sql_int(f->t, "DELETE FROM audit_events WHERE seq = 7");
	expect_broken(f, 7, "deleted");
}

/* Deleting more and moving the base on so the chain still fits. */
static void
test_moving_the_base_on_is_found(void **state)
{
	struct fixture *f = *state;

	pruned_trail(f);
	th_sql_int(f->t, "UPDATE audit_base SET seq = 8, hash = "
	    "(SELECT hash FROM audit_events WHERE seq = 8)");
	th_sql_int(f->t, "DELETE FROM audit_events WHERE seq <= 8");
	expect_broken(f, 7, "deleted");
}

/*
 * The same, then waiting for retention to launder it: once the events
 * after the moved base are old, a prune that took the base as it found it
 * would delete them and record a prune vouching for the whole gap, and
 * the trail would verify. The base's MAC (audit_base_mac) is not the
 * attacker's to make: the pass deletes nothing, says where it stopped,
 * and the deletion is still found.
 */
static void
test_a_moved_base_is_not_laundered_by_retention(void **state)
{
	struct fixture		*f = *state;
	struct th_stderr	 log;
	int64_t			 before;

	pruned_trail(f);		/* base 6, events 7..11 */
	th_sql_int(f->t, "UPDATE audit_base SET seq = 8, hash = "
	    "(SELECT hash FROM audit_events WHERE seq = 8)");
	th_sql_int(f->t, "DELETE FROM audit_events WHERE seq <= 8");
	before = count(f);
	log_set_level(LOG_WARN);
	th_stderr_begin(&log);
	assert_int_equal(audit_retention_pass(&f->app, f->now + 367 * DAY),
	    0);
	th_stderr_end(&log);
	log_set_level(LOG_ERROR);
	assert_int_equal(count(f), before);
	assert_int_equal(th_stderr_count(&log, "\"audit_prune_stopped\""),
	    1);
	assert_int_equal(th_stderr_count(&log, "\"seq\":\"9\""), 1);
	expect_broken(f, 7, "deleted");
}

/* A base where no prune ever was, to pass off deleting the oldest. */
static void
test_a_base_no_prune_made_is_found(void **state)
{
	struct fixture *f = *state;

	append_aged(f, 5, 1);
	th_sql_int(f->t, "INSERT INTO audit_base (id, seq, hash) "
	    "SELECT 1, seq, hash FROM audit_events WHERE seq = 2");
	th_sql_int(f->t, "DELETE FROM audit_events WHERE seq <= 2");
	expect_broken(f, 1, "deleted");
}

/*
 * The same, taking the prune's event with the rest: no event vouches for
 * any base then, and the chain reads as cut from its start.
 */
static void
test_moving_the_base_past_its_prune_is_found(void **state)
{
	struct fixture *f = *state;

	pruned_trail(f);		/* base 6, events 7..11 */
	append_aged(f, 2, 0);		/* 12, 13 */
	th_sql_int(f->t, "UPDATE audit_base SET seq = 11, hash = "
	    "(SELECT hash FROM audit_events WHERE seq = 11)");
	th_sql_int(f->t, "DELETE FROM audit_events WHERE seq <= 11");
	expect_broken(f, 1, "deleted");
}

static void
test_base_moved_back_is_found(void **state)
{
	struct fixture *f = *state;

	pruned_trail(f);
	th_sql_int(f->t, "UPDATE audit_base SET seq = 5");
	expect_broken(f, 6, "deleted");
}

static void
test_base_row_deleted_is_found(void **state)
{
	struct fixture *f = *state;

	pruned_trail(f);
	th_sql_int(f->t, "DELETE FROM audit_base");
	expect_broken(f, 1, "deleted");
}

static void
test_edits_are_still_found(void **state)
{
	struct fixture *f = *state;

	pruned_trail(f);
	th_sql_int(f->t, "UPDATE audit_events SET remote_addr = '10.6.6.6' "
	    "WHERE seq = 8");
	expect_broken(f, 8, "edited");
}

/* The prune's own event edited: its through_seq no longer holds. */
static void
test_the_prune_event_edited_is_found(void **state)
{
	struct fixture *f = *state;

	pruned_trail(f);
	th_sql_int(f->t, "UPDATE audit_events SET detail = "
	    "'{\"through_seq\":8,\"events\":8}' WHERE seq = 11");
	expect_broken(f, 11, "edited");
}

/*
 * The oldest events aged by hand, to have retention delete them: their
 * hashes no longer fit, so the pass keeps them, warns, and the check
 * reports the edit.
 */
static void
test_events_aged_by_hand_are_kept(void **state)
{
	struct fixture		*f = *state;
	struct th_stderr	 log;
	char			 sql[96];

	append_aged(f, 5, 1);
	snprintf(sql, sizeof(sql), "UPDATE audit_events SET time = %lld "
	    "WHERE seq <= 3", (long long)(f->now - 400 * DAY));
	th_sql_int(f->t, sql);
	log_set_level(LOG_WARN);
	th_stderr_begin(&log);
	assert_int_equal(audit_retention_pass(&f->app, f->now), 0);
	th_stderr_end(&log);
	log_set_level(LOG_ERROR);
	assert_int_equal(th_stderr_count(&log,
	    "\"event\":\"audit_prune_stopped\",\"seq\":\"1\""), 1);
	assert_int_equal(count(f), 5);
	expect_broken(f, 1, "edited");
}

static void
anchor_of(struct fixture *f, int64_t seq, struct audit_anchor *a)
{
	char	 text[GH_HASH_HEX + 24];
	int64_t	 head;

	/* the head as upkeep logs it, before later events */
	assert_int_equal(audit_head_text(f->t->s, &head, text, sizeof(text)),
	    GH_OK);
	assert_int_equal(head, seq);
	assert_true(audit_anchor_parse(text, a));
}

static void
test_anchors_against_the_base(void **state)
{
	struct fixture		*f = *state;
	struct audit_anchor	 at3, at6, at11, wrong;
	struct audit_verdict	 v;

	append_aged(f, 3, 400);
	anchor_of(f, 3, &at3);
	append_aged(f, 3, 400);
	anchor_of(f, 6, &at6);
	append_aged(f, 4, 1);
	assert_int_equal(audit_retention_pass(&f->app, f->now), 6);
	anchor_of(f, 11, &at11);

	/* its event is gone: not checked, and said so */
	verify(f, &at3, &v);
	assert_true(v.ok);
	assert_true(v.anchor_pruned);
	/* at the base: the base's hash, which the first kept event names */
	verify(f, &at6, &v);
	assert_true(v.ok);
	assert_false(v.anchor_pruned);
	wrong = at6;
	wrong.hash[0] ^= 1;
	verify(f, &wrong, &v);
	assert_false(v.ok);
	assert_string_equal(v.problem, "rewritten");
	assert_int_equal(v.seq, 6);
	/* after it, as before retention */
	verify(f, &at11, &v);
	assert_true(v.ok);
	assert_false(v.anchor_pruned);
	th_sql_int(f->t, "DELETE FROM audit_events WHERE seq = 11");
	verify(f, &at11, &v);
	assert_false(v.ok);
	assert_string_equal(v.problem, "truncated");
}

struct pruner {
	struct fixture	*f;
	volatile bool	 stop;
	unsigned	 pruned;
	enum gh_err	 rc;
};

/*
 * Events keep coming and going, as on a busy server. The cutoff is
 * ahead of every event's time, the prunes' own events' too (which are
 * stamped now, and would stop every later prune at them otherwise), and
 * a prune takes more than the two appends add: the chain stays short.
 */
static void *
prune_on(void *arg)
{
	struct pruner		*p = arg;
	struct audit_prune	 ap;
	struct audit_row	 r = { .type = "token.issued",
	    .actor = "client", .detail = "{}" };
	int			 i;

	r.time = p->f->now - 400 * DAY;
	for (i = 0; i < 100000 && !p->stop && p->rc == GH_OK; i++) {
		if ((p->rc = store_audit_append(p->f->t->s, &r)) == GH_OK &&
		    (p->rc = store_audit_append(p->f->t->s, &r)) == GH_OK &&
		    (p->rc = audit_prune_batch(&p->f->app, p->f->now + DAY,
		    4, &ap)) == GH_OK)
			p->pruned += ap.events;
	}
	return NULL;
}

/*
 * Checks while prunes run: a prune between reading the base and reading
 * the events from it is not a deletion, the check starts again from the
 * new base. Every verdict holds (or is no verdict, busy).
 */
static void
test_verify_while_pruning(void **state)
{
	struct fixture		*f = *state;
	struct pruner		 p = { f, false, 0, GH_OK };
	struct audit_verdict	 v;
	pthread_t		 th;
	enum gh_err		 rc = GH_OK;
	int			 i, busy = 0;

	append_aged(f, 20, 400);
	assert_int_equal(pthread_create(&th, NULL, prune_on, &p), 0);
	for (i = 0; i < 1000; i++) {
		if ((rc = audit_verify(f->t->s, f->key, NULL, &v)) ==
		    GH_ERR_BUSY)
			busy++;
		else if (rc != GH_OK || !v.ok)
			break;
	}
	p.stop = true;
	pthread_join(th, NULL);		/* before any failure: p is ours */
	if (rc != GH_ERR_BUSY && (rc != GH_OK || !v.ok))
		fail_msg("check %d: %s, %s at %lld (base %lld)", i,
		    gh_err_str(rc), v.ok ? "ok" : v.problem, (long long)v.seq,
		    (long long)v.base_seq);
	assert_int_equal(p.rc, GH_OK);
	assert_true(p.pruned > 0);
	assert_true(busy < 100);
}

static void
test_pruned_detail_parse(void **state)
{
	struct audit_row	 r = { .type = AUDIT_PRUNED };
	int64_t			 n = 9;

	(void)state;
	r.detail = "{\"through_seq\":42,\"events\":3,\"before\":1}";
	assert_true(audit_pruned_through(&r, &n));
	assert_int_equal(n, 42);
	r.detail = "{\"through_seq\":,\"events\":3}";
	assert_false(audit_pruned_through(&r, &n));
	r.detail = "{\"through_seq\":42}";
	assert_false(audit_pruned_through(&r, &n));
	r.detail = "{\"events\":3,\"through_seq\":42,}";
	assert_false(audit_pruned_through(&r, &n));
	r.detail = "{\"through_seq\":99999999999999999999,\"events\":3}";
	assert_false(audit_pruned_through(&r, &n));
	r.detail = NULL;
	assert_false(audit_pruned_through(&r, &n));
	r.type = "token.issued";
	r.detail = "{\"through_seq\":42,\"events\":3,\"before\":1}";
	assert_false(audit_pruned_through(&r, &n));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_retention_off_keeps_every_event),
		T(test_pass_prunes_records_and_logs),
		T(test_deleting_one_more_is_found),
		T(test_moving_the_base_on_is_found),
		T(test_a_moved_base_is_not_laundered_by_retention),
		T(test_a_base_no_prune_made_is_found),
		T(test_moving_the_base_past_its_prune_is_found),
		T(test_base_moved_back_is_found),
		T(test_base_row_deleted_is_found),
		T(test_edits_are_still_found),
		T(test_the_prune_event_edited_is_found),
		T(test_events_aged_by_hand_are_kept),
		T(test_anchors_against_the_base),
		T(test_verify_while_pruning),
		cmocka_unit_test(test_pruned_detail_parse),
	};
#undef T

	log_set_level(LOG_ERROR);	/* no audit lines */
	return cmocka_run_group_tests_name("governance/audit_retention",
	    tests, NULL, NULL);
}
