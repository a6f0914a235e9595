/*
 * test_store_token.c - store/store.h on SQLite or PostgreSQL (harness.h),
 * the grant chain: codes and their single use (also under 8 racing threads
 * on two connections), refresh rotation, and revocation by ancestry
 * (token, family, grant, client, user), the client kill switch, and the
 * replay cache of client assertions' jtis. Each test gets a fresh
 * database holding two clients, a user, a grant and one unexpired code.
 */
#include "../harness.h"

#include <pthread.h>

#include "util/log.h"

#define NOW		1700000000
#define RACERS		8

struct chain {
	struct th_store		*t;
	struct grant_row	 g;
	uint8_t			 code[GH_HASH_BYTES];
	uint8_t			 at[GH_HASH_BYTES];	/* access token */
	uint8_t			 rt[GH_HASH_BYTES];	/* refresh token */
};

static int
setup(void **state)
{
	struct chain		*ch = calloc(1, sizeof(*ch));
	struct client_row	*c;
	struct user_row		 u;
	struct code_row		 r;

	if (ch == NULL || th_store_setup(state) != 0)
		return -1;
	ch->t = *state;
	c = th_client_new("client1", NOW);
	assert_int_equal(store_client_insert(ch->t->s, c, NULL), GH_OK);
	str_copy(c->id, sizeof(c->id), "client2");
	assert_int_equal(store_client_insert(ch->t->s, c, NULL), GH_OK);
	free(c);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(ch->t->s, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(ch->t->s, "us_1", "client1",
	    "openid offline_access", NOW, &ch->g), GH_OK);

	th_hash("code", ch->code);
	th_code_init(&r, ch->code, ch->g.id, NOW);
	r.auth_time = NOW - 10;
	assert_int_equal(store_code_insert(ch->t->s, &r), GH_OK);
	th_hash("access", ch->at);
	th_hash("refresh", ch->rt);
	*state = ch;
	return 0;
}

static int
teardown(void **state)
{
	struct chain *ch = *state;

	*state = ch->t;
	th_store_teardown(state);
	free(ch);
	return 0;
}

static void
token_init(struct token_row *k, const uint8_t *hash, enum token_kind kind,
    const struct chain *ch, const char *family, int64_t ttl)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->hash, hash, GH_HASH_BYTES);
	k->kind = kind;
	str_copy(k->family_id, sizeof(k->family_id), family);
	str_copy(k->grant_id, sizeof(k->grant_id), ch->g.id);
	str_copy(k->client_id, sizeof(k->client_id), "client1");
	str_copy(k->user_id, sizeof(k->user_id), "us_1");
	str_copy(k->scope, sizeof(k->scope), "openid offline_access");
	k->issued_at = NOW;
	k->expires_at = NOW + ttl;
}

/* Redeem `code` into family `fam` with the given access/refresh hashes. */
static enum gh_err
redeem(struct store *s, const struct chain *ch, const uint8_t *code,
    const char *fam, const uint8_t *at, const uint8_t *rt, int64_t now)
{
	struct family_row	f;
	struct token_row	k[2];

	memset(&f, 0, sizeof(f));
	str_copy(f.id, sizeof(f.id), fam);
	str_copy(f.grant_id, sizeof(f.grant_id), ch->g.id);
	str_copy(f.client_id, sizeof(f.client_id), "client1");
	str_copy(f.user_id, sizeof(f.user_id), "us_1");
	memcpy(f.code_hash, code, GH_HASH_BYTES);
	f.created_at = now;
	token_init(&k[0], at, TOKEN_ACCESS, ch, fam, 600);
	token_init(&k[1], rt, TOKEN_REFRESH, ch, fam, 86400);
	return store_code_redeem(s, code, now, &f, k, 2);
}

static enum gh_err
live(const struct chain *ch, const uint8_t *hash)
{
	struct token_row out;

	return store_token_live(ch->t->s, hash, NOW + 1, &out);
}

/* Redeem the fixture's code into family fa_1: ch->at and ch->rt. */
static void
redeem_ok(const struct chain *ch)
{
	assert_int_equal(redeem(ch->t->s, ch, ch->code, "fa_1", ch->at,
	    ch->rt, NOW), GH_OK);
}

static void
test_code_round_trip(void **state)
{
	struct chain	*ch = *state;
	struct code_row	 r;
	uint8_t		 other[GH_HASH_BYTES];

	assert_int_equal(store_code_get(ch->t->s, ch->code, &r), GH_OK);
	assert_memory_equal(r.hash, ch->code, GH_HASH_BYTES);
	assert_string_equal(r.grant_id, ch->g.id);
	assert_string_equal(r.client_id, "client1");
	assert_string_equal(r.user_id, "us_1");
	assert_string_equal(r.redirect_uri, "https://app.example.com/cb");
	assert_string_equal(r.challenge,
	    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	assert_string_equal(r.scope, "openid offline_access");
	assert_string_equal(r.nonce, "");
	assert_int_equal(r.auth_time, NOW - 10);
	assert_int_equal(r.created_at, NOW);
	assert_int_equal(r.expires_at, NOW + 60);
	assert_false(r.consumed);
	th_hash("no such code", other);
	assert_int_equal(store_code_get(ch->t->s, other, &r),
	    GH_ERR_NOT_FOUND);
}

/* Single use: the second redemption is a replay and writes nothing. */
static void
test_code_redeem_once(void **state)
{
	struct chain	*ch = *state;
	struct code_row	 r;
	struct token_row k;
	uint8_t		 at2[GH_HASH_BYTES], rt2[GH_HASH_BYTES];

	redeem_ok(ch);
	assert_int_equal(store_code_get(ch->t->s, ch->code, &r), GH_OK);
	assert_true(r.consumed);
	th_hash("access-2", at2);
	th_hash("refresh-2", rt2);
	assert_int_equal(redeem(ch->t->s, ch, ch->code, "fa_2", at2, rt2,
	    NOW + 1), GH_ERR_CONFLICT);
	assert_int_equal(store_token_get(ch->t->s, at2, &k, NULL),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(live(ch, ch->at), GH_OK);
}

static void
test_code_redeem_expired_or_unknown(void **state)
{
	struct chain	*ch = *state;
	struct code_row	 r;
	uint8_t		 other[GH_HASH_BYTES];

	/* expired at expires_at exactly */
	assert_int_equal(redeem(ch->t->s, ch, ch->code, "fa_1", ch->at,
	    ch->rt, NOW + 60), GH_ERR_NOT_FOUND);
	assert_int_equal(redeem(ch->t->s, ch, ch->code, "fa_1", ch->at,
	    ch->rt, NOW + 3600), GH_ERR_NOT_FOUND);
	assert_int_equal(store_code_get(ch->t->s, ch->code, &r), GH_OK);
	assert_false(r.consumed);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	th_hash("no such code", other);
	assert_int_equal(redeem(ch->t->s, ch, other, "fa_1", ch->at, ch->rt,
	    NOW), GH_ERR_NOT_FOUND);
	/* the unexpired code still works after those failures */
	redeem_ok(ch);
}

/* One transaction: if recording the tokens fails, the code is not used. */
static void
test_code_redeem_atomic(void **state)
{
	struct chain	*ch = *state;
	struct code_row	 r;

	assert_int_not_equal(redeem(ch->t->s, ch, ch->code, "fa_1", ch->at,
	    ch->at, NOW), GH_OK);
	assert_int_equal(store_code_get(ch->t->s, ch->code, &r), GH_OK);
	assert_false(r.consumed);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	redeem_ok(ch);
}

struct racer {
	struct store		*s;
	const struct chain	*ch;
	pthread_barrier_t	*go;
	const uint8_t		*hash;	/* code or refresh token raced for */
	int			 i;
	enum gh_err		 rc;
};

static void *
race_code(void *arg)
{
	struct racer	*r = arg;
	char		 fam[32];
	uint8_t		 at[GH_HASH_BYTES], rt[GH_HASH_BYTES];

	snprintf(fam, sizeof(fam), "fa_race_%d", r->i);
	th_hash(fam, at);
	at[0] ^= 1;
	th_hash(fam, rt);
	rt[0] ^= 2;
	pthread_barrier_wait(r->go);
	r->rc = redeem(r->s, r->ch, r->hash, fam, at, rt, NOW);
	return NULL;
}

static void *
race_refresh(void *arg)
{
	struct racer	*r = arg;
	struct token_row k[2];
	char		 label[32];

	snprintf(label, sizeof(label), "succ_%d", r->i);
	token_init(&k[0], r->ch->at, TOKEN_ACCESS, r->ch, "", 600);
	token_init(&k[1], r->ch->rt, TOKEN_REFRESH, r->ch, "", 86400);
	th_hash(label, k[0].hash);
	memcpy(k[1].hash, k[0].hash, GH_HASH_BYTES);
	k[1].hash[0] ^= 1;
	pthread_barrier_wait(r->go);
	r->rc = store_refresh_exchange(r->s, r->hash, "client1", NOW + 1, k,
	    2);
	return NULL;
}

/*
 * RACERS threads at once, alternating between two connections to the same
 * database: exactly one wins, every other one sees a replay.
 */
static void
race(struct chain *ch, void *(*fn)(void *), const uint8_t *hash)
{
	struct store		*s2 = NULL;
	struct racer		 r[RACERS];
	pthread_t		 th[RACERS];
	pthread_barrier_t	 go;
	int			 i, won = 0, lost = 0;

	assert_int_equal(store_open(ch->t->path, &s2), GH_OK);
	pthread_barrier_init(&go, NULL, RACERS);
	for (i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ i % 2 ? s2 : ch->t->s, ch, &go, hash,
		    i, GH_ERR_STORE };
		assert_int_equal(pthread_create(&th[i], NULL, fn, &r[i]), 0);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	store_close(s2);
	for (i = 0; i < RACERS; i++) {
		won += r[i].rc == GH_OK;
		lost += r[i].rc == GH_ERR_CONFLICT;
	}
	assert_int_equal(won, 1);
	assert_int_equal(lost, RACERS - 1);
}

static void
test_code_redeem_race(void **state)
{
	struct chain	*ch = *state;
	struct code_row	 r;

	race(ch, race_code, ch->code);
	assert_int_equal(store_code_get(ch->t->s, ch->code, &r), GH_OK);
	assert_true(r.consumed);
}

static void
test_refresh_race(void **state)
{
	struct chain *ch = *state;

	redeem_ok(ch);
	race(ch, race_refresh, ch->rt);
	assert_int_equal(live(ch, ch->rt), GH_ERR_NOT_FOUND);
}

static void
test_token_live_after_redeem(void **state)
{
	struct chain	 *ch = *state;
	struct token_row  k;
	bool		  rotated = true;

	redeem_ok(ch);
	assert_int_equal(store_token_live(ch->t->s, ch->at, NOW + 1, &k),
	    GH_OK);
	assert_int_equal(k.kind, TOKEN_ACCESS);
	assert_string_equal(k.family_id, "fa_1");
	assert_string_equal(k.grant_id, ch->g.id);
	assert_string_equal(k.client_id, "client1");
	assert_string_equal(k.user_id, "us_1");
	assert_string_equal(k.scope, "openid offline_access");
	assert_int_equal(k.expires_at, NOW + 600);
	assert_int_equal(store_token_get(ch->t->s, ch->rt, &k, &rotated),
	    GH_OK);
	assert_int_equal(k.kind, TOKEN_REFRESH);
	assert_false(rotated);
	/* expired at expires_at */
	assert_int_equal(store_token_live(ch->t->s, ch->at, NOW + 600, &k),
	    GH_ERR_NOT_FOUND);
}

/* Code replay: every family minted from the code dies. */
static void
test_family_revoke_by_code(void **state)
{
	struct chain *ch = *state;

	redeem_ok(ch);
	assert_int_equal(store_family_revoke_by_code(ch->t->s, ch->code,
	    NOW + 2, "code_replay"), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	assert_int_equal(live(ch, ch->rt), GH_ERR_NOT_FOUND);
	/* a repeat finds nothing left to revoke, and says so */
	assert_int_equal(store_family_revoke_by_code(ch->t->s, ch->code,
	    NOW + 3, "code_replay"), GH_ERR_NOT_FOUND);
}

static void
test_family_revoke(void **state)
{
	struct chain *ch = *state;

	redeem_ok(ch);
	assert_int_equal(store_family_revoke(ch->t->s, "fa_1", NOW + 2,
	    "refresh_reuse"), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	assert_int_equal(live(ch, ch->rt), GH_ERR_NOT_FOUND);
	/* a repeat finds nothing left to revoke, and says so */
	assert_int_equal(store_family_revoke(ch->t->s, "fa_1", NOW + 3,
	    "refresh_reuse"), GH_ERR_NOT_FOUND);
	assert_int_equal(store_family_revoke(ch->t->s, "fa_none", NOW + 3,
	    "refresh_reuse"), GH_ERR_NOT_FOUND);
}

static void
test_refresh_rotates_once(void **state)
{
	struct chain	 *ch = *state;
	struct token_row  k[2], g;
	bool		  rotated = false;

	redeem_ok(ch);
	memset(k, 0, sizeof(k));
	th_hash("access-2", k[0].hash);
	k[0].kind = TOKEN_ACCESS;
	str_copy(k[0].scope, sizeof(k[0].scope), "openid");
	k[0].issued_at = NOW + 1;
	k[0].expires_at = NOW + 601;
	th_hash("refresh-2", k[1].hash);
	k[1].kind = TOKEN_REFRESH;
	str_copy(k[1].scope, sizeof(k[1].scope), "openid offline_access");
	k[1].issued_at = NOW + 1;
	k[1].expires_at = NOW + 86401;
	assert_int_equal(store_refresh_exchange(ch->t->s, ch->rt, "client1",
	    NOW + 1, k, 2), GH_OK);
	/* the store copied the ancestry into the successors */
	assert_string_equal(k[0].family_id, "fa_1");
	assert_string_equal(k[1].grant_id, ch->g.id);
	assert_string_equal(k[1].user_id, "us_1");
	assert_int_equal(store_token_live(ch->t->s, k[0].hash, NOW + 2, &g),
	    GH_OK);
	assert_string_equal(g.family_id, "fa_1");
	assert_string_equal(g.grant_id, ch->g.id);
	assert_string_equal(g.user_id, "us_1");
	assert_string_equal(g.client_id, "client1");
	assert_string_equal(g.scope, "openid");
	assert_int_equal(store_token_live(ch->t->s, k[1].hash, NOW + 2, &g),
	    GH_OK);
	assert_int_equal(g.kind, TOKEN_REFRESH);
	/* the old one is retired, and a second use is a reuse */
	assert_int_equal(live(ch, ch->rt), GH_ERR_NOT_FOUND);
	assert_int_equal(store_token_get(ch->t->s, ch->rt, &g, &rotated),
	    GH_OK);
	assert_true(rotated);
	th_hash("access-3", k[0].hash);
	th_hash("refresh-3", k[1].hash);
	assert_int_equal(store_refresh_exchange(ch->t->s, ch->rt, "client1",
	    NOW + 2, k, 2), GH_ERR_CONFLICT);
	assert_int_equal(store_token_get(ch->t->s, k[0].hash, &g, NULL),
	    GH_ERR_NOT_FOUND);
}

/* One transaction: if recording the successors fails, nothing rotates. */
static void
test_refresh_atomic(void **state)
{
	struct chain	 *ch = *state;
	struct token_row  k[2];
	int		  deferred;

	redeem_ok(ch);
	for (deferred = 0; deferred < 2; deferred++) {
		memset(k, 0, sizeof(k));
		th_hash("access-2", k[0].hash);
		k[0].kind = TOKEN_ACCESS;
		k[0].issued_at = NOW + 1;
		k[0].expires_at = NOW + 601;
		/* the same hash as the live access token: the insert fails */
		memcpy(k[1].hash, ch->at, GH_HASH_BYTES);
		k[1].kind = TOKEN_REFRESH;
		k[1].issued_at = NOW + 1;
		k[1].expires_at = NOW + 86401;
		if (deferred)
			store_defer_begin(ch->t->s);
		assert_int_not_equal(store_refresh_exchange(ch->t->s, ch->rt,
		    "client1", NOW + 1, k, 2), GH_OK);
		if (deferred)
			assert_int_equal(store_defer_end(ch->t->s), GH_OK);
		assert_int_equal(live(ch, ch->rt), GH_OK);
		assert_int_equal(live(ch, k[0].hash), GH_ERR_NOT_FOUND);
	}
}

static void
test_refresh_refusals(void **state)
{
	struct chain	 *ch = *state;
	struct token_row  k[1];
	uint8_t		  other[GH_HASH_BYTES];

	redeem_ok(ch);
	memset(k, 0, sizeof(k));
	th_hash("access-2", k[0].hash);
	k[0].expires_at = NOW + 601;
	/* another client's token, an access token, an unknown token */
	assert_int_equal(store_refresh_exchange(ch->t->s, ch->rt, "client2",
	    NOW + 1, k, 1), GH_ERR_NOT_FOUND);
	assert_int_equal(store_refresh_exchange(ch->t->s, ch->at, "client1",
	    NOW + 1, k, 1), GH_ERR_NOT_FOUND);
	th_hash("unknown", other);
	assert_int_equal(store_refresh_exchange(ch->t->s, other, "client1",
	    NOW + 1, k, 1), GH_ERR_NOT_FOUND);
	/* expired */
	assert_int_equal(store_refresh_exchange(ch->t->s, ch->rt, "client1",
	    NOW + 86400, k, 1), GH_ERR_NOT_FOUND);
	/* none of those retired it */
	assert_int_equal(live(ch, ch->rt), GH_OK);
	assert_int_equal(store_token_get(ch->t->s, k[0].hash, &k[0], NULL),
	    GH_ERR_NOT_FOUND);
	/* revoked */
	assert_int_equal(store_token_revoke(ch->t->s, ch->rt, NOW + 1), GH_OK);
	th_hash("access-2", k[0].hash);
	assert_int_equal(store_refresh_exchange(ch->t->s, ch->rt, "client1",
	    NOW + 2, k, 1), GH_ERR_NOT_FOUND);
}

/* A refresh on a revoked family must not mint live tokens. */
static void
test_refresh_revoked_family(void **state)
{
	struct chain	 *ch = *state;
	struct token_row  k[1], g;
	enum gh_err	  rc;

	redeem_ok(ch);
	assert_int_equal(store_family_revoke_by_code(ch->t->s, ch->code,
	    NOW + 1, "code_replay"), GH_OK);
	memset(k, 0, sizeof(k));
	th_hash("access-2", k[0].hash);
	k[0].expires_at = NOW + 601;
	rc = store_refresh_exchange(ch->t->s, ch->rt, "client1", NOW + 1, k,
	    1);
	assert_true(rc == GH_OK || rc == GH_ERR_NOT_FOUND);
	assert_int_equal(store_token_live(ch->t->s, k[0].hash, NOW + 2, &g),
	    GH_ERR_NOT_FOUND);
}

static void
test_token_revoke(void **state)
{
	struct chain *ch = *state;

	redeem_ok(ch);
	assert_int_equal(store_token_revoke(ch->t->s, ch->at, NOW + 1), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	/* its sibling lives on */
	assert_int_equal(live(ch, ch->rt), GH_OK);
	/* revoking again, or an unknown token, is not an error */
	assert_int_equal(store_token_revoke(ch->t->s, ch->at, NOW + 2), GH_OK);
	assert_int_equal(store_token_revoke(ch->t->s, ch->code, NOW + 2),
	    GH_OK);
	assert_int_equal(live(ch, ch->rt), GH_OK);
}

/* Disabling the client kills its tokens; re-enabling revives them. */
static void
test_ancestry_client(void **state)
{
	struct chain *ch = *state;

	redeem_ok(ch);
	assert_int_equal(store_client_set_status(ch->t->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	assert_int_equal(live(ch, ch->rt), GH_ERR_NOT_FOUND);
	assert_int_equal(store_client_set_status(ch->t->s, "client1",
	    CLIENT_DISABLED, CLIENT_QUARANTINED, NOW, NULL), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	assert_int_equal(store_client_set_status(ch->t->s, "client1",
	    CLIENT_QUARANTINED, CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_OK);
	assert_int_equal(live(ch, ch->rt), GH_OK);
	/* another client's status has no effect */
	assert_int_equal(store_client_set_status(ch->t->s, "client2",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_OK);
}

static void
test_ancestry_user(void **state)
{
	struct chain *ch = *state;

	redeem_ok(ch);
	assert_int_equal(store_user_set_status(ch->t->s, "us_1",
	    USER_DISABLED, NOW, NULL), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	assert_int_equal(live(ch, ch->rt), GH_ERR_NOT_FOUND);
	assert_int_equal(store_user_set_status(ch->t->s, "us_1",
	    USER_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(live(ch, ch->at), GH_OK);
	assert_int_equal(live(ch, ch->rt), GH_OK);
}

static bool
count_alert(void *ctx, const struct alert_row *a)
{
	(void)a;
	(*(unsigned *)ctx)++;
	return true;
}

/* The kill switch: status, secret, grants and alert at once; tokens die. */
static void
test_client_quarantine(void **state)
{
	struct chain		*ch = *state;
	struct client_row	*c = calloc(1, sizeof(*c));
	struct grant_row	 g;
	struct alert_row	 al;
	uint8_t			 h[GH_HASH_BYTES];
	unsigned		 n = 9, alerts = 0;

	assert_non_null(c);
	redeem_ok(ch);
	th_hash("replacement secret", h);
	memset(&al, 0, sizeof(al));
	al.time = NOW + 1;
	snprintf(al.rule, sizeof(al.rule), "client_quarantined");
	snprintf(al.severity, sizeof(al.severity), "high");
	snprintf(al.client_id, sizeof(al.client_id), "client1");
	snprintf(al.summary, sizeof(al.summary), "quarantined");
	snprintf(al.evidence, sizeof(al.evidence), "{}");
	snprintf(al.dedupe_key, sizeof(al.dedupe_key), "q:client1");
	assert_int_equal(store_client_quarantine(ch->t->s, "client1", h,
	    "stolen", NOW + 1, &n, &al), GH_OK);
	assert_int_equal(n, 1);
	/* the alert is stored with the kill switch, never folded */
	assert_true(al.id > 0);
	assert_int_equal(store_alert_each(ch->t->s, true, "client1", 10,
	    count_alert, &alerts), GH_OK);
	assert_int_equal(alerts, 1);
	assert_int_equal(store_client_get(ch->t->s, "client1", c), GH_OK);
	assert_int_equal(c->status, CLIENT_QUARANTINED);
	assert_memory_equal(c->secret_hash, h, GH_HASH_BYTES);
	assert_int_equal(c->secret_rotated_at, NOW + 1);
	assert_int_equal(live(ch, ch->at), GH_ERR_NOT_FOUND);
	/* re-enabling does not revive the grant or its tokens */
	assert_int_equal(store_client_set_status(ch->t->s, "client1",
	    CLIENT_QUARANTINED, CLIENT_ACTIVE, NOW + 2, NULL), GH_OK);
	assert_int_equal(live(ch, ch->rt), GH_ERR_NOT_FOUND);
	assert_int_equal(store_grant_find(ch->t->s, "us_1", "client1", &g),
	    GH_ERR_NOT_FOUND);
	/* a client without grants revokes none; an unknown one is refused */
	assert_int_equal(store_client_quarantine(ch->t->s, "client2", h,
	    "x", NOW, &n, NULL), GH_OK);
	assert_int_equal(n, 0);
	/* an unknown client: nothing, not even the alert, is kept */
	al.id = 0;
	snprintf(al.client_id, sizeof(al.client_id), "nobody");
	assert_int_equal(store_client_quarantine(ch->t->s, "nobody", h, "x",
	    NOW, &n, &al), GH_ERR_NOT_FOUND);
	alerts = 0;
	assert_int_equal(store_alert_each(ch->t->s, false, "nobody", 10,
	    count_alert, &alerts), GH_OK);
	assert_int_equal(alerts, 0);
	free(c);
}

/* Purge keeps what a late replay needs, then removes what nothing can use. */
static void
test_purge(void **state)
{
	struct chain		*ch = *state;
	struct token_row	 t;
	struct code_row		 c;
	bool			 rotated;
	unsigned		 n;

	redeem_ok(ch);
	/* within the keep window nothing goes */
	assert_int_equal(store_purge(ch->t->s, NOW + 700, 86400, 0, 100, &n),
	    GH_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_code_get(ch->t->s, ch->code, &c), GH_OK);
	/* past it: the code and the expired access token go, refresh stays */
	assert_int_equal(store_purge(ch->t->s, NOW + 700, 0, 0, 100, &n), GH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_code_get(ch->t->s, ch->code, &c),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_token_get(ch->t->s, ch->at, &t, &rotated),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_token_get(ch->t->s, ch->rt, &t, &rotated),
	    GH_OK);
	assert_int_equal(th_sql_int(ch->t, "SELECT count(*) FROM families"),
	    1);
	/* after the refresh token expires, it and its empty family go */
	assert_int_equal(store_purge(ch->t->s, NOW + 90000, 0, 0, 100, &n),
	    GH_OK);
	assert_int_equal(store_token_get(ch->t->s, ch->rt, &t, &rotated),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(n, 1);
	assert_int_equal(th_sql_int(ch->t, "SELECT count(*) FROM families"),
	    0);
	/* and then nothing is left to purge */
	assert_int_equal(store_purge(ch->t->s, NOW + 90000, 0, 0, 1, &n), GH_OK);
	assert_int_equal(n, 0);
}

/*
 * The replay cache outlives an assertion's exp by GH_JTI_KEEP_SECONDS:
 * a node whose clock is behind still accepts the assertion, so a purge
 * by a node ahead must not let it be used there a second time.
 */
static void
test_jti_kept_past_expiry(void **state)
{
	struct chain	*ch = *state;
	uint8_t		 jti[GH_HASH_BYTES], other[GH_HASH_BYTES];
	int64_t		 t = NOW + 60;		/* the assertion's exp */

	th_hash("jti", jti);
	th_hash("other", other);
	assert_int_equal(store_jti_use(ch->t->s, "client1", jti, t, NOW),
	    GH_OK);
	/* a use on a node ahead, just past exp, purges */
	assert_int_equal(store_jti_use(ch->t->s, "client1", other, t + 300,
	    t + 1), GH_OK);
	/* a node behind, to whom the assertion is still valid: a replay */
	assert_int_equal(store_jti_use(ch->t->s, "client1", jti, t,
	    t + GH_JTI_KEEP_SECONDS - 1), GH_ERR_CONFLICT);
	assert_int_equal(th_sql_int(ch->t, "SELECT count(*) FROM "
	    "assertion_jtis"), 2);
	/* past the margin it goes, and the cache stays bounded */
	assert_int_equal(store_jti_use(ch->t->s, "client1", other, t + 300,
	    t + GH_JTI_KEEP_SECONDS + 1), GH_ERR_CONFLICT);
	assert_int_equal(th_sql_int(ch->t, "SELECT count(*) FROM "
	    "assertion_jtis"), 1);
}

/* the inventory's figures; the live-token count only when asked for */
static void
test_client_usage(void **state)
{
	struct chain		*ch = *state;
	struct client_usage	 u;

	redeem_ok(ch);
	assert_int_equal(store_client_usage(ch->t->s, "client1", NOW + 1, true,
	    &u), GH_OK);
	assert_int_equal(u.grants, 1);
	assert_int_equal(u.users, 1);
	assert_int_equal(u.live_tokens, 2);
	assert_string_equal(u.granted_scopes, "openid offline_access");
	assert_int_equal(store_client_usage(ch->t->s, "client1", NOW + 1,
	    false, &u), GH_OK);
	assert_int_equal(u.grants, 1);
	assert_int_equal(u.live_tokens, 0);
	/* the access token (600 s) has expired, the refresh token is live */
	assert_int_equal(store_client_usage(ch->t->s, "client1", NOW + 601,
	    true, &u), GH_OK);
	assert_int_equal(u.live_tokens, 1);
	assert_int_equal(store_client_usage(ch->t->s, "client2", NOW + 1, true,
	    &u), GH_OK);
	assert_int_equal(u.grants + u.live_tokens, 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_code_round_trip),
		T(test_code_redeem_once),
		T(test_code_redeem_expired_or_unknown),
		T(test_code_redeem_atomic),
		T(test_code_redeem_race),
		T(test_refresh_race),
		T(test_token_live_after_redeem),
		T(test_family_revoke_by_code),
		T(test_family_revoke),
		T(test_refresh_rotates_once),
		T(test_refresh_atomic),
		T(test_refresh_refusals),
		T(test_refresh_revoked_family),
		T(test_token_revoke),
		T(test_ancestry_client),
		T(test_ancestry_user),
		T(test_client_quarantine),
		T(test_purge),
		T(test_jti_kept_past_expiry),
		T(test_client_usage),
	};
#undef T

	log_set_level(LOG_WARN);	/* no migration chatter */
	return cmocka_run_group_tests_name("store/token", tests, NULL, NULL);
}
