/*
 * test_store_keys.c - inserting signing keys with their key.created
 * events (store_keys_insert, store_keys_insert_first), on SQLite or
 * PostgreSQL (GH_TEST_PG_URL):
 *  - a first key is not inserted, nor its event written, when a key of
 *    its alg is stored: GH_ERR_EXISTS, and nothing of the call stays
 *    (neither the other alg's key nor any event);
 *  - two keys are one transaction: when the second's event or insert
 *    fails, the first key and its event are not stored either (`keys
 *    rotate` is never made by half);
 *  - two nodes (two store handles on one database) that both found no
 *    key and then insert their first keys at the same moment, round after
 *    round on fresh databases: one wins, the other gets GH_ERR_EXISTS,
 *    and there is exactly one key per alg and one key.created event per
 *    key. Every other round the database already holds an RS256 key (an
 *    old one) and the nodes make the ES256 key alone: on PostgreSQL a
 *    lone INSERT ... WHERE NOT EXISTS is not enough there, each
 *    transaction seeing no ES256 key committed.
 */
#include <pthread.h>

#include "../harness.h"

#include "governance/audit.h"

#define NOW	1700000000
#define ROUNDS	20

/* Up to two keys and their key.created events, as a command makes them. */
struct new_keys {
	struct key_row		k[GH_MAX_NEW_KEYS];
	struct audit_row	r[GH_MAX_NEW_KEYS];
	struct change_audit	ev[GH_MAX_NEW_KEYS];
	char			detail[GH_MAX_NEW_KEYS][64];
};

/* Key i of nk: kid `kid` (its alg its first five characters). */
static void
new_key(struct new_keys *nk, size_t i, const char *kid)
{
	struct key_row *k = &nk->k[i];

	memset(k, 0, sizeof(*k));
	str_copy(k->kid, sizeof(k->kid), kid);
	memcpy(k->alg, kid, 5);
	str_copy(k->private_sealed, sizeof(k->private_sealed), "sealed");
	str_copy(k->public_jwk, sizeof(k->public_jwk), "{}");
	k->created_at = k->activate_at = NOW;
	snprintf(nk->detail[i], sizeof(nk->detail[i]), "{\"kid\":\"%s\"}",
	    kid);
	nk->r[i] = (struct audit_row){ .time = NOW, .type = "key.created",
	    .actor = "system", .detail = nk->detail[i] };
	nk->ev[i] = (struct change_audit){ &nk->r[i], NULL, NULL };
}

static struct new_keys *
new_keys(const char *kid0, const char *kid1)
{
	struct new_keys *nk = calloc(1, sizeof(*nk));

	assert_non_null(nk);
	new_key(nk, 0, kid0);
	if (kid1 != NULL)
		new_key(nk, 1, kid1);
	return nk;
}

static int64_t
count(const struct th_store *t, const char *table, const char *where)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s", table,
	    where);
	return th_sql_int(t, sql);
}

static int64_t
keys_of(const struct th_store *t, const char *alg)
{
	char where[64];

	snprintf(where, sizeof(where), "alg = '%s'", alg);
	return count(t, "signing_keys", where);
}

static int64_t
created_events(const struct th_store *t)
{
	return th_audit_count(t, "key.created");
}

/*
 * While on, the audit insert of the event whose detail names `kid`
 * fails (a trigger), and only that one.
 */
static void
fail_event_of(const struct th_store *t, const char *kid, bool on)
{
	char when[128];

	snprintf(when, sizeof(when), "NEW.detail LIKE '%%%s%%'", kid);
	th_fail_inserts(t, "audit_events", when, on);
}

/*
 * A key of the alg is stored: the first key is not made, and no event
 * is written for it; nor is the other alg's key of the same call. With
 * none of its alg stored, a first key is made with its event.
 */
static void
test_first_key_not_made_over_another(void **state)
{
	struct th_store	*t = *state;
	struct new_keys	*old = new_keys("ES256-old", NULL);
	struct new_keys	*one = new_keys("ES256-one", NULL);
	struct new_keys	*two = new_keys("RS256-two", "ES256-two");
	struct new_keys	*rs = new_keys("RS256-rs", NULL);

	assert_int_equal(store_key_insert(t->s, &old->k[0], &old->ev[0]),
	    GH_OK);
	assert_int_equal(store_keys_insert_first(t->s, one->k, one->ev, 1),
	    GH_ERR_EXISTS);
	assert_int_equal(store_keys_insert_first(t->s, two->k, two->ev, 2),
	    GH_ERR_EXISTS);
	assert_int_equal(keys_of(t, "ES256"), 1);
	assert_int_equal(keys_of(t, "RS256"), 0);
	assert_int_equal(count(t, "signing_keys", "kid = 'ES256-old'"), 1);
	assert_int_equal(created_events(t), 1);
	/* no RS256 key yet: its first one is made, with its event */
	assert_int_equal(store_keys_insert_first(t->s, rs->k, rs->ev, 1),
	    GH_OK);
	assert_int_equal(keys_of(t, "RS256"), 1);
	assert_int_equal(count(t, "audit_events",
	    "detail = '{\"kid\":\"RS256-rs\"}'"), 1);
	/* and a rotation (not a first key) is made beside them */
	assert_int_equal(store_keys_insert(t->s, one->k, one->ev, 1), GH_OK);
	assert_int_equal(keys_of(t, "ES256"), 2);
	assert_int_equal(created_events(t), 3);
	/* 1 to GH_MAX_NEW_KEYS keys a call */
	assert_int_equal(store_keys_insert(t->s, two->k, two->ev, 0),
	    GH_ERR_INVALID);
	assert_int_equal(store_keys_insert(t->s, two->k, two->ev,
	    GH_MAX_NEW_KEYS + 1), GH_ERR_INVALID);
	th_chain_ok(t, 3);
	free(old);
	free(one);
	free(two);
	free(rs);
}

/*
 * Two keys in one call: the second's event cannot be stored, or its kid
 * is taken, and the first key is not stored either, nor its event. Once
 * nothing fails, both are, each with its event.
 */
static void
test_two_keys_all_or_nothing(void **state)
{
	struct th_store	*t = *state;
	struct new_keys	*nk = new_keys("RS256-a", "ES256-b");
	struct new_keys	*taken = new_keys("RS256-c", "ES256-b");

	fail_event_of(t, "ES256-b", true);
	assert_int_not_equal(store_keys_insert(t->s, nk->k, nk->ev, 2),
	    GH_OK);
	assert_int_equal(count(t, "signing_keys", "1 = 1"), 0);
	assert_int_equal(created_events(t), 0);
	/* the same for first keys */
	assert_int_not_equal(store_keys_insert_first(t->s, nk->k, nk->ev, 2),
	    GH_OK);
	assert_int_equal(count(t, "signing_keys", "1 = 1"), 0);
	assert_int_equal(created_events(t), 0);
	fail_event_of(t, "ES256-b", false);
	assert_int_equal(store_keys_insert(t->s, nk->k, nk->ev, 2), GH_OK);
	assert_int_equal(keys_of(t, "RS256"), 1);
	assert_int_equal(keys_of(t, "ES256"), 1);
	assert_int_equal(created_events(t), 2);
	/* the second insert fails (its kid is taken): no RS256-c either */
	assert_int_equal(store_keys_insert(t->s, taken->k, taken->ev, 2),
	    GH_ERR_EXISTS);
	assert_int_equal(count(t, "signing_keys", "kid = 'RS256-c'"), 0);
	assert_int_equal(count(t, "audit_events",
	    "detail = '{\"kid\":\"RS256-c\"}'"), 0);
	assert_int_equal(created_events(t), 2);
	th_chain_ok(t, 2);
	free(nk);
	free(taken);
}

/* One node starting: it found no key (of n's algs), and makes them. */
struct node {
	struct store		*s;
	pthread_barrier_t	*go;
	struct new_keys		*nk;
	size_t			 n;
	enum gh_err		 rc;
	unsigned		 seen;
};

static bool
seen_key(void *ctx, const struct key_row *k)
{
	(void)k;
	(*(unsigned *)ctx)++;
	return true;
}

static void *
start_node(void *arg)
{
	struct node *n = arg;

	n->rc = store_key_each(n->s, seen_key, &n->seen);
	/* both have read what is stored before either inserts */
	pthread_barrier_wait(n->go);
	if (n->rc == GH_OK && n->seen + n->n == GH_MAX_NEW_KEYS)
		n->rc = store_keys_insert_first(n->s, n->nk->k, n->nk->ev,
		    n->n);
	return NULL;
}

/*
 * One round on a fresh database (t): two nodes, one set of first keys;
 * with `old`, an RS256 key is stored before (with no event), and the
 * nodes make the ES256 key alone.
 */
static void
race_round(struct th_store *t, int round, bool old)
{
	pthread_barrier_t	 go;
	struct node		 n[2];
	pthread_t		 th[2];
	struct new_keys		*had = new_keys("RS256-old", NULL);
	char			 rs[GH_ID_LEN], es[GH_ID_LEN];
	int			 i, won = 0;

	if (old)
		assert_int_equal(store_key_insert(t->s, &had->k[0], NULL),
		    GH_OK);
	free(had);
	assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
	for (i = 0; i < 2; i++) {
		snprintf(rs, sizeof(rs), "RS256-%d-%d", round, i);
		snprintf(es, sizeof(es), "ES256-%d-%d", round, i);
		n[i] = (struct node){ t->s, &go, old ? new_keys(es, NULL) :
		    new_keys(rs, es), old ? 1 : 2, GH_OK, 0 };
	}
	assert_int_equal(store_open(t->path, &n[1].s), GH_OK);
	store_set_audit_key(n[1].s, TH_AUDIT_KEY);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, start_node,
		    &n[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	store_close(n[1].s);
	pthread_barrier_destroy(&go);
	for (i = 0; i < 2; i++) {
		assert_int_equal(n[i].seen, old ? 1 : 0);
		assert_true(n[i].rc == GH_OK || n[i].rc == GH_ERR_EXISTS);
		won += n[i].rc == GH_OK;
		free(n[i].nk);
	}
	assert_int_equal(won, 1);
	assert_int_equal(keys_of(t, "RS256"), 1);
	assert_int_equal(keys_of(t, "ES256"), 1);
	/* one event per key made, none for the loser's */
	assert_int_equal(created_events(t), n[0].n);
	assert_int_equal(count(t, "audit_events", "detail IN (SELECT "
	    "'{\"kid\":\"' || kid || '\"}' FROM signing_keys)"), n[0].n);
	th_chain_ok(t, (int64_t)n[0].n);
}

static void
test_nodes_starting_together_make_one_first_key_per_alg(void **state)
{
	void	*round_state;
	int	 round;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		round_state = NULL;
		assert_int_equal(th_store_setup_audited(&round_state), 0);
		race_round(round_state, round, round % 2 == 1);
		th_store_teardown(&round_state);
	}
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_store_setup_audited, \
    th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_first_key_not_made_over_another),
		T(test_two_keys_all_or_nothing),
		cmocka_unit_test(
		    test_nodes_starting_together_make_one_first_key_per_alg),
	};
#undef T

	return cmocka_run_group_tests_name("store/keys", tests, NULL, NULL);
}
