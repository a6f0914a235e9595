/*
 * test_store_take.c - store_code_take and store_refresh_take (store.h) on
 * SQLite or PostgreSQL: the callback sees the code only while it is
 * unconsumed and unexpired, the refresh token only while it is a live
 * refresh token of the client; a refusal, or tokens that cannot be
 * recorded, leave the code unconsumed and the token live; an accepted
 * one is consumed or rotated with its successors recorded; of RACERS
 * threads on two connections exactly one wins; and a token is read with
 * its family's creation. Each test gets a client, a user, a grant and a
 * code.
 */
#include "../harness.h"

#include <pthread.h>

#define NOW		1700000000
#define RACERS		8

struct fixture {
	struct th_store		*t;
	struct grant_row	 g;
	uint8_t			 code[GH_HASH_BYTES];
};

/* What a take() callback does, and what it saw. */
struct taker {
	const struct fixture	*f;
	enum gh_err		 answer;	/* GH_OK: accept */
	const char		*label;		/* family id, token seeds */
	bool			 same_hashes;	/* tokens that cannot insert */
	int			 calls;
	struct family_row	 fam;
	struct token_row	 tok[2];
};

static int
setup(void **state)
{
	struct fixture		*f = calloc(1, sizeof(*f));
	struct client_row	*c;
	struct user_row		 u;
	struct code_row		 r;

	if (f == NULL || th_store_setup(state) != 0)
		return -1;
	f->t = *state;
	c = th_client_new("client1", NOW);
	assert_int_equal(store_client_insert(f->t->s, c, NULL), GH_OK);
	free(c);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(f->t->s, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(f->t->s, "us_1", "client1",
	    "openid", NOW, &f->g), GH_OK);
	memset(&r, 0, sizeof(r));
	th_hash("code", f->code);
	memcpy(r.hash, f->code, GH_HASH_BYTES);
	str_copy(r.grant_id, sizeof(r.grant_id), f->g.id);
	str_copy(r.client_id, sizeof(r.client_id), "client1");
	str_copy(r.user_id, sizeof(r.user_id), "us_1");
	str_copy(r.challenge, sizeof(r.challenge), "challenge");
	str_copy(r.scope, sizeof(r.scope), "openid");
	r.created_at = NOW;
	r.expires_at = NOW + 60;
	assert_int_equal(store_code_insert(f->t->s, &r), GH_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	*state = f->t;
	th_store_teardown(state);
	free(f);
	return 0;
}

static enum gh_err
take(void *arg, const struct code_row *c, struct code_take *rec)
{
	struct taker	*k = arg;
	size_t		 i;

	k->calls++;
	assert_false(c->consumed);
	assert_string_equal(c->challenge, "challenge");
	if (k->answer != GH_OK)
		return k->answer;
	memset(&k->fam, 0, sizeof(k->fam));
	str_copy(k->fam.id, sizeof(k->fam.id), k->label);
	str_copy(k->fam.grant_id, sizeof(k->fam.grant_id), c->grant_id);
	str_copy(k->fam.client_id, sizeof(k->fam.client_id), c->client_id);
	str_copy(k->fam.user_id, sizeof(k->fam.user_id), c->user_id);
	memcpy(k->fam.code_hash, c->hash, GH_HASH_BYTES);
	k->fam.created_at = NOW;
	for (i = 0; i < 2; i++) {
		memset(&k->tok[i], 0, sizeof(k->tok[i]));
		th_hash(k->label, k->tok[i].hash);
		k->tok[i].hash[0] ^= k->same_hashes ? 0 : (uint8_t)i;
		k->tok[i].kind = i ? TOKEN_REFRESH : TOKEN_ACCESS;
		str_copy(k->tok[i].family_id, GH_ID_LEN, k->label);
		str_copy(k->tok[i].grant_id, GH_ID_LEN, c->grant_id);
		str_copy(k->tok[i].client_id, GH_MAX_CLIENT_ID_LEN,
		    c->client_id);
		str_copy(k->tok[i].user_id, GH_ID_LEN, c->user_id);
		str_copy(k->tok[i].scope, GH_MAX_SCOPE_LEN, c->scope);
		k->tok[i].issued_at = NOW;
		k->tok[i].expires_at = NOW + 600;
	}
	rec->fam = &k->fam;
	rec->tokens = k->tok;
	rec->ntokens = 2;
	return GH_OK;
}

static enum gh_err
take_code(const struct fixture *f, struct store *s, struct taker *k,
    int64_t now, struct code_row *out)
{
	return store_code_take(s, f->code, now, take, k, out);
}

static bool
consumed(const struct fixture *f)
{
	struct code_row r;

	assert_int_equal(store_code_get(f->t->s, f->code, &r), GH_OK);
	return r.consumed;
}

static enum gh_err
access_live(const struct fixture *f, const struct taker *k)
{
	struct token_row out;

	return store_token_live(f->t->s, k->tok[0].hash, NOW + 1, &out);
}

/* Refused, or not recordable: the code stays as it was. Then it works. */
static void
test_take_refused_or_failed(void **state)
{
	struct fixture	*f = *state;
	struct taker	 k = { f, GH_ERR_INVALID, "fa_1", false, 0 };
	struct code_row	 c;

	assert_int_equal(take_code(f, f->t->s, &k, NOW, &c), GH_ERR_INVALID);
	assert_int_equal(k.calls, 1);
	assert_false(consumed(f));
	k.answer = GH_OK;
	k.same_hashes = true;
	assert_int_not_equal(take_code(f, f->t->s, &k, NOW, &c), GH_OK);
	assert_int_equal(k.calls, 2);
	assert_false(consumed(f));
	assert_int_equal(access_live(f, &k), GH_ERR_NOT_FOUND);
	k.same_hashes = false;
	assert_int_equal(take_code(f, f->t->s, &k, NOW, &c), GH_OK);
	assert_true(consumed(f));
	assert_int_equal(access_live(f, &k), GH_OK);
	assert_string_equal(c.grant_id, f->g.id);
}

/* Consumed, expired, unknown: take is not called; the row says which. */
static void
test_take_not_offered(void **state)
{
	struct fixture	*f = *state;
	struct taker	 k = { f, GH_OK, "fa_1", false, 0 };
	struct code_row	 c;
	uint8_t		 keep[GH_HASH_BYTES];

	/* expired at expires_at exactly */
	assert_int_equal(take_code(f, f->t->s, &k, NOW + 60, &c),
	    GH_ERR_CONFLICT);
	assert_false(c.consumed);
	assert_int_equal(c.expires_at, NOW + 60);
	assert_int_equal(k.calls, 0);
	memcpy(keep, f->code, GH_HASH_BYTES);
	th_hash("no such code", f->code);
	assert_int_equal(take_code(f, f->t->s, &k, NOW, &c),
	    GH_ERR_NOT_FOUND);
	memcpy(f->code, keep, GH_HASH_BYTES);
	assert_int_equal(k.calls, 0);
	assert_int_equal(take_code(f, f->t->s, &k, NOW, &c), GH_OK);
	assert_int_equal(k.calls, 1);
	assert_int_equal(take_code(f, f->t->s, &k, NOW, &c),
	    GH_ERR_CONFLICT);
	assert_true(c.consumed);
	assert_string_equal(c.client_id, "client1");
	assert_int_equal(k.calls, 1);
}

struct racer {
	const struct fixture	*f;
	struct store		*s;
	pthread_barrier_t	*go;
	struct taker		 k;
	struct code_row		 c;
	enum gh_err		 rc;
};

static void *
race_take(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = take_code(r->f, r->s, &r->k, NOW, &r->c);
	return NULL;
}

static void
test_take_race(void **state)
{
	struct fixture		*f = *state;
	struct store		*s2;
	struct racer		 r[RACERS];
	pthread_t		 th[RACERS];
	pthread_barrier_t	 go;
	char			 labels[RACERS][24];
	int			 i, won = 0, lost = 0;

	assert_int_equal(store_open(f->t->path, &s2), GH_OK);
	pthread_barrier_init(&go, NULL, RACERS);
	for (i = 0; i < RACERS; i++) {
		snprintf(labels[i], sizeof(labels[i]), "fa_race_%d", i);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].f = f;
		r[i].s = i % 2 ? s2 : f->t->s;
		r[i].go = &go;
		r[i].k = (struct taker){ f, GH_OK, labels[i], false, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race_take,
		    &r[i]), 0);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	store_close(s2);
	for (i = 0; i < RACERS; i++) {
		won += r[i].rc == GH_OK;
		if (r[i].rc == GH_ERR_CONFLICT && r[i].c.consumed)
			lost++;
	}
	assert_int_equal(won, 1);
	assert_int_equal(lost, RACERS - 1);
	assert_true(consumed(f));
}

/* A take() that breaks the contract: it calls the store. */
struct nested {
	struct store	*s;
	enum gh_err	 rc;
};

static enum gh_err
take_nested(void *arg, const struct code_row *c, struct code_take *rec)
{
	struct nested	*n = arg;
	struct code_row	 again;

	(void)rec;
	n->rc = store_code_get(n->s, c->hash, &again);
	return GH_ERR_INVALID;
}

/*
 * On PostgreSQL the callback runs on a thread that holds a connection, and
 * a store call from there could wait for ever for a second one (the pool
 * held by redemptions waiting on the same row): it fails at once instead.
 * SQLite's take holds nothing while the callback runs.
 */
static void
test_take_must_not_call_store(void **state)
{
	struct fixture	*f = *state;
	struct nested	 n = { f->t->s, GH_ERR_NOT_FOUND };
	struct code_row	 c;

	assert_int_equal(store_code_take(f->t->s, f->code, NOW, take_nested,
	    &n, &c), GH_ERR_INVALID);
	assert_int_equal(n.rc, f->t->schema[0] ? GH_ERR_STORE : GH_OK);
	assert_false(consumed(f));
	/* and the store works as before afterwards */
	assert_int_equal(store_code_get(f->t->s, f->code, &c), GH_OK);
}

/* What a refresh take() does, and what it saw. */
struct rotator {
	enum gh_err		 answer;
	const char		*label;
	int			 calls;
	struct token_row	 next[2];
};

static enum gh_err
rotate(void *arg, const struct token_row *live, struct refresh_take *rec)
{
	struct rotator	*k = arg;
	size_t		 i;

	k->calls++;
	if (live->kind != TOKEN_REFRESH)
		return GH_ERR_STORE;	/* never offered: fails the test */
	if (k->answer != GH_OK)
		return k->answer;
	for (i = 0; i < 2; i++) {
		k->next[i] = *live;
		th_hash(k->label, k->next[i].hash);
		k->next[i].hash[0] ^= (uint8_t)i;
		k->next[i].kind = i ? TOKEN_REFRESH : TOKEN_ACCESS;
		k->next[i].family_id[0] = '\0';	/* the store's to fill */
	}
	rec->next = k->next;
	rec->nnext = 2;
	return GH_OK;
}

/* Redeem the code: k->tok[1] is then a live refresh token. */
static void
redeemed(struct fixture *f, struct taker *k)
{
	struct code_row c;

	*k = (struct taker){ f, GH_OK, "fa_1", false, 0 };
	assert_int_equal(take_code(f, f->t->s, k, NOW, &c), GH_OK);
}

static enum gh_err
rotate_token(struct store *s, const uint8_t *hash, const char *client,
    int64_t now, struct rotator *k, struct token_row *out)
{
	return store_refresh_take(s, hash, client, now, rotate, k, out);
}

/* Refused or accepted; not offered when it is not a live refresh token. */
static void
test_refresh_take(void **state)
{
	struct fixture		*f = *state;
	struct taker		 k;
	struct rotator		 r = { GH_ERR_INVALID, "succ_1", 0 };
	struct token_row	 out;
	bool			 rotated;

	redeemed(f, &k);
	assert_int_equal(rotate_token(f->t->s, k.tok[1].hash, "client1",
	    NOW + 1, &r, &out), GH_ERR_INVALID);
	assert_int_equal(r.calls, 1);
	assert_string_equal(out.family_id, "fa_1");
	assert_int_equal(store_token_live(f->t->s, k.tok[1].hash, NOW + 1,
	    &out), GH_OK);
	/* not offered: an access token, another client, expired */
	assert_int_equal(rotate_token(f->t->s, k.tok[0].hash, "client1",
	    NOW + 1, &r, &out), GH_ERR_NOT_FOUND);
	assert_int_equal(rotate_token(f->t->s, k.tok[1].hash, "client2",
	    NOW + 1, &r, &out), GH_ERR_NOT_FOUND);
	assert_int_equal(rotate_token(f->t->s, k.tok[1].hash, "client1",
	    NOW + 600, &r, &out), GH_ERR_NOT_FOUND);
	assert_int_equal(r.calls, 1);
	r.answer = GH_OK;
	assert_int_equal(rotate_token(f->t->s, k.tok[1].hash, "client1",
	    NOW + 1, &r, &out), GH_OK);
	assert_int_equal(r.calls, 2);
	assert_int_equal(store_token_live(f->t->s, r.next[1].hash, NOW + 2,
	    &out), GH_OK);
	assert_string_equal(out.family_id, "fa_1");
	assert_int_equal(store_token_get(f->t->s, k.tok[1].hash, &out,
	    &rotated), GH_OK);
	assert_true(rotated);
	/* rotated: a reuse, not offered */
	assert_int_equal(rotate_token(f->t->s, k.tok[1].hash, "client1",
	    NOW + 2, &r, &out), GH_ERR_NOT_FOUND);
	assert_int_equal(r.calls, 2);
}

/* A rotate() that keeps the live token it was given and dates the
 * successors `at`. */
struct watcher {
	struct rotator		 k;
	int64_t			 at;
	struct token_row	 seen;
};

static enum gh_err
rotate_seen(void *arg, const struct token_row *live, struct refresh_take *rec)
{
	struct watcher	*w = arg;
	enum gh_err	 rc;
	size_t		 i;

	w->seen = *live;
	if ((rc = rotate(&w->k, live, rec)) == GH_OK)
		for (i = 0; i < rec->nnext; i++) {
			rec->next[i].issued_at = w->at;
			rec->next[i].expires_at = w->at + 600;
		}
	return rc;
}

/*
 * Every read of a token brings its family's creation with it
 * (family_created_at, what the family's absolute lifetime counts from):
 * store_token_live, store_token_get and the live token store_refresh_take
 * hands to take(), for a successor minted long after its family began
 * as for the first tokens.
 */
static void
test_token_carries_family_creation(void **state)
{
	struct fixture		*f = *state;
	struct taker		 k;
	struct watcher		 w;
	struct token_row	 out;
	uint8_t			 rt1[GH_HASH_BYTES];
	bool			 rotated = true;

	memset(&w, 0, sizeof(w));
	w.k = (struct rotator){ GH_OK, "succ_1", 0 };
	w.at = NOW + 100;
	redeemed(f, &k);		/* family fa_1, created at NOW */
	assert_int_equal(store_token_live(f->t->s, k.tok[0].hash, NOW + 1,
	    &out), GH_OK);
	assert_int_equal(out.family_created_at, NOW);
	assert_int_equal(store_refresh_take(f->t->s, k.tok[1].hash,
	    "client1", NOW + 100, rotate_seen, &w, &out), GH_OK);
	assert_int_equal(w.seen.issued_at, NOW);
	assert_int_equal(w.seen.family_created_at, NOW);
	assert_int_equal(out.family_created_at, NOW);
	/* a successor issued at NOW + 100, of a family of NOW */
	memcpy(rt1, w.k.next[1].hash, GH_HASH_BYTES);
	assert_int_equal(store_token_live(f->t->s, rt1, NOW + 101, &out),
	    GH_OK);
	assert_int_equal(out.issued_at, NOW + 100);
	assert_int_equal(out.family_created_at, NOW);
	assert_int_equal(store_token_get(f->t->s, rt1, &out, &rotated),
	    GH_OK);
	assert_false(rotated);
	assert_int_equal(out.family_created_at, NOW);
	/* taken in turn: take() sees it with its family's creation */
	memset(&w.seen, 0, sizeof(w.seen));
	w.k.label = "succ_2";
	w.at = NOW + 200;
	assert_int_equal(store_refresh_take(f->t->s, rt1, "client1",
	    NOW + 200, rotate_seen, &w, &out), GH_OK);
	assert_int_equal(w.seen.issued_at, NOW + 100);
	assert_int_equal(w.seen.family_created_at, NOW);
	assert_int_equal(out.family_created_at, NOW);
	/* and a rotated one, read for reuse detection */
	assert_int_equal(store_token_get(f->t->s, rt1, &out, &rotated),
	    GH_OK);
	assert_true(rotated);
	assert_int_equal(out.family_created_at, NOW);
}

struct rot_racer {
	struct store		*s;
	const uint8_t		*hash;
	pthread_barrier_t	*go;
	struct rotator		 k;
	enum gh_err		 rc;
};

static void *
race_rotate(void *arg)
{
	struct rot_racer	*r = arg;
	struct token_row	 out;

	pthread_barrier_wait(r->go);
	r->rc = rotate_token(r->s, r->hash, "client1", NOW + 1, &r->k, &out);
	return NULL;
}

static void
test_refresh_take_race(void **state)
{
	struct fixture		*f = *state;
	struct taker		 k;
	struct store		*s2;
	struct rot_racer	 r[RACERS];
	pthread_t		 th[RACERS];
	pthread_barrier_t	 go;
	char			 labels[RACERS][24];
	int			 i, won = 0, lost = 0;

	redeemed(f, &k);
	assert_int_equal(store_open(f->t->path, &s2), GH_OK);
	pthread_barrier_init(&go, NULL, RACERS);
	for (i = 0; i < RACERS; i++) {
		snprintf(labels[i], sizeof(labels[i]), "succ_race_%d", i);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].s = i % 2 ? s2 : f->t->s;
		r[i].hash = k.tok[1].hash;
		r[i].go = &go;
		r[i].k = (struct rotator){ GH_OK, labels[i], 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race_rotate,
		    &r[i]), 0);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	store_close(s2);
	for (i = 0; i < RACERS; i++) {
		won += r[i].rc == GH_OK;
		lost += r[i].rc == GH_ERR_NOT_FOUND;
	}
	assert_int_equal(won, 1);
	assert_int_equal(lost, RACERS - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_take_refused_or_failed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_not_offered,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_race,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_take_must_not_call_store,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_take,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_take_race,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_token_carries_family_creation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
