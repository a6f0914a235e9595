/*
 * test_store_retention.c - audit retention in the store (store.h:
 * store_audit_prune, store_audit_base), on SQLite or PostgreSQL
 * (GH_TEST_PG_URL):
 *  - a prune deletes only events older than the cutoff, oldest first, at
 *    most the batch, and only a prefix of the chain: an old event after
 *    a newer one stays;
 *  - the base records the last event deleted, its seq and its hash, which
 *    the first kept event names as its prev_hash;
 *  - the audit.pruned event is appended at the chain's end, chained to
 *    it, and described with the number deleted and the new base;
 *  - with nothing old enough nothing is deleted, no event appended and
 *    the base stays;
 *  - without an event, or with one that cannot be stored, nothing is
 *    deleted;
 *  - only events that verify where they stand are deleted: an event aged
 *    by editing its time, or the events after a gap cut by hand, stay
 *    (and the prune says where it stopped);
 *  - a prune may take every event there was: its own event still chains
 *    onto the old end, and appends go on after it;
 *  - prunes racing with appends from two handles leave one chain that
 *    verifies from the base.
 */
#include <pthread.h>

#include "../harness.h"

#include "governance/audit.h"

#define NOW		1700000000
#define OLD		(NOW - 100)
#define CUTOFF		(NOW - 50)
#define APPENDERS	3
#define APPENDS		120

static enum gh_err
append_at(struct store *s, int64_t time)
{
	struct audit_row r = { .time = time, .type = "test.event",
	    .actor = "system", .detail = "{}" };

	return store_audit_append(s, &r);
}

/* The event's describe, as governance/audit_retention.c writes it. */
struct described {
	const struct audit_prune *p;
	unsigned	 calls;
	unsigned	 changed;
	char		 detail[96];
};

static void
describe(void *ctx, unsigned changed, struct audit_row *r)
{
	struct described *d = ctx;

	d->calls++;
	d->changed = changed;
	snprintf(d->detail, sizeof(d->detail), "{\"through_seq\":%lld,"
	    "\"events\":%u}", (long long)d->p->through_seq, changed);
	r->detail = d->detail;
}

/* A prune whose own event has time `at`. */
static enum gh_err
prune_at(struct store *s, int64_t before, unsigned batch, int64_t at,
    struct audit_prune *p, struct described *d)
{
	struct audit_row	 r = { .time = at, .type = AUDIT_PRUNED,
	    .actor = "system" };
	struct change_audit	 ev = { &r, describe, d };

	memset(p, 0, sizeof(*p));
	p->before = before;
	p->batch = batch;
	d->p = p;
	return store_audit_prune(s, p, &ev);
}

static enum gh_err
prune(struct store *s, int64_t before, unsigned batch,
    struct audit_prune *p, struct described *d)
{
	return prune_at(s, before, batch, NOW, p, d);
}

/* One event, copied out (strings into its own buffers). */
struct event {
	bool	 found;
	int64_t	 seq;
	char	 type[32];
	char	 detail[96];
	uint8_t	 prev[GH_HASH_BYTES];
	uint8_t	 hash[GH_HASH_BYTES];
};

static bool
copy_event(void *ctx, const struct audit_row *r)
{
	struct event *e = ctx;

	e->found = true;
	e->seq = r->seq;
	str_copy(e->type, sizeof(e->type), r->type ? r->type : "");
	str_copy(e->detail, sizeof(e->detail), r->detail ? r->detail : "");
	memcpy(e->prev, r->prev_hash, GH_HASH_BYTES);
	memcpy(e->hash, r->hash, GH_HASH_BYTES);
	return false;
}

static void
event_at(const struct th_store *t, int64_t seq, struct event *e)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(store_audit_each(t->s, seq - 1, 1, copy_event, e),
	    GH_OK);
	assert_true(e->found && e->seq == seq);
}

static int64_t
count(const struct th_store *t)
{
	return th_sql_int(t, "SELECT count(*) FROM audit_events");
}

static void
base_is(const struct th_store *t, int64_t seq, const uint8_t *hash,
    int64_t head)
{
	struct audit_base b;

	assert_int_equal(store_audit_base(t->s, &b), GH_OK);
	assert_int_equal(b.seq, seq);
	if (hash != NULL)
		assert_memory_equal(b.hash, hash, GH_HASH_BYTES);
	assert_int_equal(b.head_seq, head);
}

static void
chain_ok(const struct th_store *t, int64_t base, int64_t events)
{
	struct audit_verdict v;

	assert_int_equal(audit_verify(t->s, TH_AUDIT_KEY, NULL, &v), GH_OK);
	if (!v.ok)
		fail_msg("broken at %lld: %s", (long long)v.seq, v.problem);
	assert_int_equal(v.base_seq, base);
	assert_int_equal(v.events, events);
}

static void
test_prune_oldest_first_bounded(void **state)
{
	struct th_store		*t = *state;
	struct audit_prune	 p;
	struct described	 d = { 0 };
	struct event		 e3, e4, e6, pruned;
	int			 i;

	for (i = 0; i < 6; i++)
		assert_int_equal(append_at(t->s, i < 4 ? OLD : NOW), GH_OK);
	event_at(t, 3, &e3);
	event_at(t, 4, &e4);
	event_at(t, 6, &e6);
	base_is(t, 0, NULL, 6);

	/* four are old; the batch takes three, the oldest */
	assert_int_equal(prune(t->s, CUTOFF, 3, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 3);
	assert_int_equal(p.events, 3);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.changed, 3);
	assert_int_equal(th_sql_int(t, "SELECT min(seq) FROM audit_events"),
	    4);
	assert_int_equal(count(t), 6 - 3 + 1);
	/* the base is event 3, which event 4 names */
	base_is(t, 3, e3.hash, 7);
	assert_memory_equal(e4.prev, e3.hash, GH_HASH_BYTES);
	/* the prune's event, at the end and chained to it */
	event_at(t, 7, &pruned);
	assert_string_equal(pruned.type, AUDIT_PRUNED);
	assert_string_equal(pruned.detail,
	    "{\"through_seq\":3,\"events\":3}");
	assert_memory_equal(pruned.prev, e6.hash, GH_HASH_BYTES);
	chain_ok(t, 3, 4);

	/* the rest of the old ones */
	assert_int_equal(prune(t->s, CUTOFF, 3, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 4);
	assert_int_equal(p.events, 1);
	base_is(t, 4, e4.hash, 8);
	chain_ok(t, 4, 4);

	/* nothing older than the cutoff now: no change, no event */
	assert_int_equal(prune(t->s, CUTOFF, 3, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 0);
	assert_int_equal(p.events, 0);
	assert_int_equal(d.calls, 2);
	assert_int_equal(count(t), 4);
	base_is(t, 4, e4.hash, 8);
	chain_ok(t, 4, 4);
}

/* Times out of order (clocks of two processes): only a prefix goes. */
static void
test_prune_only_a_prefix(void **state)
{
	struct th_store		*t = *state;
	struct audit_prune	 p;
	struct described	 d = { 0 };

	assert_int_equal(append_at(t->s, OLD), GH_OK);
	assert_int_equal(append_at(t->s, NOW), GH_OK);
	assert_int_equal(append_at(t->s, OLD), GH_OK);
	assert_int_equal(prune(t->s, CUTOFF, 100, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 1);
	assert_int_equal(p.events, 1);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE seq IN (2, 3)"), 2);
	assert_int_equal(prune(t->s, CUTOFF, 100, &p, &d), GH_OK);
	assert_int_equal(p.events, 0);
	assert_int_equal(d.calls, 1);
	chain_ok(t, 1, 3);
}

static void
test_prune_nothing_old(void **state)
{
	struct th_store		*t = *state;
	struct audit_prune	 p;
	struct described	 d = { 0 };

	/* an empty trail */
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.events, 0);
	assert_int_equal(count(t), 0);
	base_is(t, 0, NULL, 0);
	/* only recent events */
	assert_int_equal(append_at(t->s, NOW), GH_OK);
	assert_int_equal(append_at(t->s, CUTOFF), GH_OK);
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.events, 0);
	assert_int_equal(p.through_seq, 0);
	assert_int_equal(d.calls, 0);
	assert_int_equal(count(t), 2);
	base_is(t, 0, NULL, 2);
	chain_ok(t, 0, 2);
}

/* What no event records is not done. */
static void
test_prune_needs_its_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_prune	 p = { CUTOFF, 10, 5, 5 };
	struct described	 d = { 0 };
	uint8_t			 zero[GH_HASH_BYTES] = { 0 };
	int			 i;

	for (i = 0; i < 3; i++)
		assert_int_equal(append_at(t->s, OLD), GH_OK);
	assert_int_equal(store_audit_prune(t->s, &p, NULL), GH_ERR_INVALID);
	assert_int_equal(p.events, 0);
	assert_int_equal(count(t), 3);
	th_fail_audit(t, true);
	assert_int_not_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	th_fail_audit(t, false);
	assert_int_equal(p.through_seq, 0);
	assert_int_equal(p.events, 0);
	assert_int_equal(count(t), 3);
	base_is(t, 0, zero, 3);
	/* the next pass finds them as they were */
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.events, 3);
	assert_int_equal(count(t), 1);
	chain_ok(t, 3, 1);
}

/*
 * Only what verifies where it stands goes: an event aged by moving its
 * time back (an edit), or the events after a gap cut by hand, stay, and
 * the prune says where it stopped, so tampering is never laundered into
 * retention.
 */
static void
test_prune_stops_at_what_does_not_verify(void **state)
{
	struct th_store		*t = *state;
	struct audit_prune	 p;
	struct described	 d = { 0 };
	char			 sql[96];
	int			 i;

	for (i = 0; i < 4; i++)
		assert_int_equal(append_at(t->s, NOW), GH_OK);
	for (i = 0; i < 4; i++)
		assert_int_equal(append_at(t->s, OLD), GH_OK);
	/* 1-4 are recent; the first two moved back by hand */
	snprintf(sql, sizeof(sql), "UPDATE audit_events SET time = %d "
	    "WHERE seq <= 2", OLD);
	th_sql_exec(t, sql);
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.events, 0);
	assert_int_equal(p.stopped_seq, 1);
	assert_int_equal(d.calls, 0);
	assert_int_equal(count(t), 8);
	base_is(t, 0, NULL, 8);

	/* a gap cut by hand among old events: the prune stops before it */
	th_sql_exec(t, "DELETE FROM audit_events WHERE seq <= 4");
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.events, 0);
	assert_int_equal(p.stopped_seq, 5);
	/*
	 * nor from a base moved by hand to fit the gap: without the audit
	 * key it has no MAC, or a wrong one, and is not taken
	 */
	th_sql_exec(t, "INSERT INTO audit_base (id, seq, hash) SELECT 1, 4, "
	    "prev_hash FROM audit_events WHERE seq = 5");
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.events, 0);
	assert_int_equal(p.stopped_seq, 5);
	th_sql_exec(t, "UPDATE audit_base SET mac = hash");
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.events, 0);
	assert_int_equal(p.stopped_seq, 5);
	assert_int_equal(d.calls, 0);
	assert_int_equal(count(t), 4);
}

/* From a base a prune made, the prune goes on, and stops at a gap. */
static void
test_prune_from_its_own_base_stops_at_a_gap(void **state)
{
	struct th_store		*t = *state;
	struct audit_prune	 p;
	struct described	 d = { 0 };
	int			 i;

	for (i = 0; i < 8; i++)
		assert_int_equal(append_at(t->s, OLD), GH_OK);
	assert_int_equal(prune(t->s, CUTOFF, 2, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 2);
	th_sql_exec(t, "DELETE FROM audit_events WHERE seq = 5");
	assert_int_equal(prune(t->s, CUTOFF, 10, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 4);
	assert_int_equal(p.events, 2);
	assert_int_equal(p.stopped_seq, 6);
	base_is(t, 4, NULL, 10);
}

/*
 * Every event there was goes: the prune's event chains onto the old end
 * (appended before the deletion), and the next appends chain onto it. On
 * PostgreSQL the append queue remembered the old end, gone now.
 */
static void
test_prune_everything(void **state)
{
	struct th_store		*t = *state;
	struct audit_prune	 p;
	struct described	 d = { 0 };
	struct event		 e5, pruned;
	int			 i;

	for (i = 0; i < 5; i++)
		assert_int_equal(append_at(t->s, OLD), GH_OK);
	event_at(t, 5, &e5);
	assert_int_equal(prune(t->s, CUTOFF, 100, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 5);
	assert_int_equal(count(t), 1);
	event_at(t, 6, &pruned);
	assert_memory_equal(pruned.prev, e5.hash, GH_HASH_BYTES);
	base_is(t, 5, e5.hash, 6);
	for (i = 0; i < 2; i++)
		assert_int_equal(append_at(t->s, OLD), GH_OK);
	assert_int_equal(th_sql_int(t, "SELECT max(seq) FROM audit_events"),
	    8);
	chain_ok(t, 5, 3);
	/* the old prune event goes too when it ages out; a new one says so */
	assert_int_equal(prune(t->s, NOW + 1, 100, &p, &d), GH_OK);
	assert_int_equal(p.through_seq, 8);
	assert_int_equal(count(t), 1);
	chain_ok(t, 8, 1);
}

struct worker {
	struct store	*s;
	bool		 pruner;
	volatile bool	*done;
	unsigned	 pruned;
	enum gh_err	 rc;
};

static void *
work(void *arg)
{
	struct worker		*w = arg;
	struct audit_prune	 p;
	struct described	 d = { 0 };
	int			 i;

	if (!w->pruner) {
		for (i = 0; i < APPENDS && w->rc == GH_OK; i++)
			w->rc = append_at(w->s, OLD);
		return NULL;
	}
	while (w->rc == GH_OK && !*w->done) {
		/* old itself, so a later prune may take it */
		if ((w->rc = prune_at(w->s, CUTOFF, 7, OLD, &p, &d)) ==
		    GH_OK)
			w->pruned += p.events;
	}
	return NULL;
}

/*
 * Appends on two handles (two nodes) while one prunes in small batches:
 * every prune deletes a prefix and chains its event among the appends.
 */
static void
test_prunes_with_appends_chain(void **state)
{
	struct th_store		*t = *state;
	struct worker		 w[APPENDERS + 1];
	pthread_t		 th[APPENDERS + 1];
	struct audit_base	 b;
	struct store		*other;
	volatile bool		 done = false;
	int			 i;

	assert_int_equal(store_open(t->path, &other), GH_OK);
	store_set_audit_key(other, TH_AUDIT_KEY);
	for (i = 0; i <= APPENDERS; i++) {
		w[i] = (struct worker){ i % 2 ? other : t->s, i == APPENDERS,
		    &done, 0, GH_OK };
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]),
		    0);
	}
	for (i = 0; i < APPENDERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].rc, GH_OK);
	}
	done = true;
	pthread_join(th[APPENDERS], NULL);
	assert_int_equal(w[APPENDERS].rc, GH_OK);
	store_close(other);
	assert_int_equal(store_audit_base(t->s, &b), GH_OK);
	assert_int_equal(b.seq, w[APPENDERS].pruned);
	assert_true(b.seq > 0);
	assert_int_equal(count(t), b.head_seq - b.seq);
	chain_ok(t, b.seq, b.head_seq - b.seq);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_store_setup_audited, \
    th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_prune_oldest_first_bounded),
		T(test_prune_only_a_prefix),
		T(test_prune_nothing_old),
		T(test_prune_needs_its_event),
		T(test_prune_stops_at_what_does_not_verify),
		T(test_prune_from_its_own_base_stops_at_a_gap),
		T(test_prune_everything),
		T(test_prunes_with_appends_chain),
	};
#undef T

	return cmocka_run_group_tests_name("store/retention", tests, NULL,
	    NULL);
}
