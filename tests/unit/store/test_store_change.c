/*
 * test_store_change.c - a change and its audit event in one transaction
 * (struct change_audit, store.h), on SQLite or PostgreSQL (GH_TEST_PG_URL):
 *  - a client status change, a user status change, an unused-grant
 *    expiry, a signing key's deletion and the creation of a client, a
 *    user or an admin store their event, chained like any append, and
 *    described with the rows changed; so do a user's password or
 *    profile change and a signing key's creation;
 *  - no event when nothing changed (a status that is no longer the one
 *    read, no such client or user, no grant to expire, a key another node
 *    deleted first, an id or name taken);
 *  - when the event cannot be stored (a trigger makes audit inserts
 *    fail) the change is not made either: what a background pass did not
 *    record it did not do, and finds again at its next pass; a user is
 *    not disabled and keeps their sessions; no client, user or admin is
 *    created; a password or profile is not changed, no signing key made;
 *  - events stored so, from two handles (two nodes), and appends queued
 *    at the same time make one unbroken chain.
 */
#include <pthread.h>

#include "../harness.h"

#include "governance/audit.h"

#define NOW		1700000000
#define DAY		86400
#define APPENDERS	4
#define APPENDS		100
#define FLIPS		40

static int
setup(void **state)
{
	struct th_store		*t;
	struct client_row	*c;
	int			 rc;

	if ((rc = th_store_setup(state)) != 0)
		return rc;
	t = *state;
	store_set_audit_key(t->s, TH_AUDIT_KEY);
	c = th_client_new("client1", NOW);
	rc = store_client_insert(t->s, c, NULL) == GH_OK ? 0 : -1;
	free(c);
	return rc;
}

static int64_t
events(const struct th_store *t, const char *type)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_events "
	    "WHERE type = '%s'", type);
	return th_sql_int(t, sql);
}

static enum client_status
status_of(const struct th_store *t)
{
	struct client_row	*c = calloc(1, sizeof(*c));
	enum client_status	 st;

	assert_non_null(c);
	assert_int_equal(store_client_get(t->s, "client1", c), GH_OK);
	st = c->status;
	free(c);
	return st;
}

static void
test_status_change_with_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "client.changed",
	    .actor = "system", .client_id = "client1",
	    .detail = "{\"status\":\"disabled\"}" };
	struct change_audit	 ev = { &r, NULL, NULL };

	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, &ev), GH_OK);
	assert_int_equal(status_of(t), CLIENT_DISABLED);
	assert_int_equal(events(t, "client.changed"), 1);
	/* lost the race: no change, no event */
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, &ev), GH_ERR_CONFLICT);
	assert_int_equal(store_client_set_status(t->s, "nobody",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, &ev), GH_ERR_NOT_FOUND);
	assert_int_equal(events(t, "client.changed"), 1);
	th_chain_ok(t, 1);
}

/* The event cannot be stored: the status is not changed either. */
static void
test_status_change_undone_without_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "client.changed",
	    .actor = "system", .client_id = "client1" };
	struct change_audit	 ev = { &r, NULL, NULL };

	th_fail_audit(t, true);
	assert_int_not_equal(store_client_set_status(t->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, &ev), GH_OK);
	assert_int_equal(status_of(t), CLIENT_ACTIVE);
	th_fail_audit(t, false);
	/* the next pass finds it as it was, and records what it does */
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_ACTIVE, CLIENT_DISABLED, NOW, &ev), GH_OK);
	assert_int_equal(status_of(t), CLIENT_DISABLED);
	assert_int_equal(events(t, "client.changed"), 1);
	th_chain_ok(t, 1);
}

/* alice (us_1), active, with one browser session live until NOW + 100 */
static void
user_with_session(const struct th_store *t)
{
	struct user_row		u;
	struct session_row	r;

	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	memset(&r, 0, sizeof(r));
	th_hash("alice-session", r.hash);
	str_copy(r.user_id, sizeof(r.user_id), "us_1");
	r.auth_time = NOW;
	r.expires_at = NOW + 100;
	assert_int_equal(store_session_insert(t->s, &r, u.password_hash,
	    NULL), GH_OK);
}

static enum user_status
user_status_of(const struct th_store *t)
{
	struct user_row u;

	assert_int_equal(store_user_get(t->s, "us_1", &u), GH_OK);
	return u.status;
}

static bool
session_live(const struct th_store *t)
{
	struct session_row	g;
	uint8_t			h[GH_HASH_BYTES];
	enum gh_err		rc;

	th_hash("alice-session", h);
	rc = store_session_get(t->s, h, NOW, &g);
	assert_true(rc == GH_OK || rc == GH_ERR_NOT_FOUND);
	return rc == GH_OK;
}

static void
test_user_status_with_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "user.changed",
	    .actor = "admin", .user_id = "us_1",
	    .detail = "{\"status\":\"disabled\"}" };
	struct change_audit	 ev = { &r, NULL, NULL };

	user_with_session(t);
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_DISABLED,
	    NOW, &ev), GH_OK);
	assert_int_equal(user_status_of(t), USER_DISABLED);
	assert_false(session_live(t));
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'user.changed' AND user_id = 'us_1' AND "
	    "detail = '{\"status\":\"disabled\"}'"), 1);
	/* an enable (no session to end) is recorded in its transaction too */
	r.detail = "{\"status\":\"active\"}";
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_ACTIVE,
	    NOW, &ev), GH_OK);
	assert_int_equal(user_status_of(t), USER_ACTIVE);
	assert_int_equal(events(t, "user.changed"), 2);
	/* no such user: nothing changed, no event */
	assert_int_equal(store_user_set_status(t->s, "us_9", USER_DISABLED,
	    NOW, &ev), GH_ERR_NOT_FOUND);
	assert_int_equal(events(t, "user.changed"), 2);
	th_chain_ok(t, 2);
}

/*
 * The event cannot be stored: the user is not disabled and keeps their
 * session; an enable of a disabled user is not made either.
 */
static void
test_user_status_undone_without_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "user.changed",
	    .actor = "admin", .user_id = "us_1" };
	struct change_audit	 ev = { &r, NULL, NULL };

	user_with_session(t);
	th_fail_audit(t, true);
	assert_int_not_equal(store_user_set_status(t->s, "us_1",
	    USER_DISABLED, NOW, &ev), GH_OK);
	assert_int_equal(user_status_of(t), USER_ACTIVE);
	assert_true(session_live(t));
	th_fail_audit(t, false);
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_DISABLED,
	    NOW, &ev), GH_OK);
	assert_int_equal(user_status_of(t), USER_DISABLED);
	assert_false(session_live(t));
	th_fail_audit(t, true);
	assert_int_not_equal(store_user_set_status(t->s, "us_1", USER_ACTIVE,
	    NOW, &ev), GH_OK);
	assert_int_equal(user_status_of(t), USER_DISABLED);
	th_fail_audit(t, false);
	assert_int_equal(events(t, "user.changed"), 1);
	th_chain_ok(t, 1);
}

/* Two grants unused for 40 days, one used yesterday. */
static void
grants(const struct th_store *t)
{
	static const char *const names[] = { "alice", "bob", "carol" };
	struct grant_row	 g;
	struct user_row		 u;
	char			 id[16];
	int			 i;

	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "us_%d", i);
		th_user_init(&u, id, names[i], NOW - 50 * DAY);
		assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
		assert_int_equal(store_grant_upsert(t->s, id, "client1",
		    "openid", NOW - (i < 2 ? 40 : 1) * DAY, &g), GH_OK);
	}
}

struct described {
	unsigned	 changed;
	char		 detail[64];
};

static void
describe(void *ctx, unsigned changed, struct audit_row *r)
{
	struct described *d = ctx;

	d->changed = changed;
	snprintf(d->detail, sizeof(d->detail), "{\"grants\":%u}", changed);
	r->detail = d->detail;
}

static bool
live(const struct th_store *t, const char *user)
{
	struct grant_row g;

	return store_grant_find(t->s, user, "client1", &g) == GH_OK;
}

static void
test_expiry_with_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "grant.expired",
	    .actor = "system" };
	struct described	 d = { 0, "" };
	struct change_audit	 ev = { &r, describe, &d };
	unsigned		 n = 9;

	grants(t);
	assert_int_equal(store_grant_expire_unused(t->s, NOW - 30 * DAY, NOW,
	    &n, &ev), GH_OK);
	assert_int_equal(n, 2);
	assert_int_equal(d.changed, 2);
	assert_false(live(t, "us_0") || live(t, "us_1"));
	assert_true(live(t, "us_2"));
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'grant.expired' AND detail = '{\"grants\":2}'"), 1);
	/* nothing left to expire: no event */
	assert_int_equal(store_grant_expire_unused(t->s, NOW - 30 * DAY, NOW,
	    &n, &ev), GH_OK);
	assert_int_equal(n, 0);
	assert_int_equal(events(t, "grant.expired"), 1);
	th_chain_ok(t, 1);
}

/* The event cannot be stored: no grant is revoked, *count is 0. */
static void
test_expiry_undone_without_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "grant.expired",
	    .actor = "system" };
	struct described	 d = { 0, "" };
	struct change_audit	 ev = { &r, describe, &d };
	unsigned		 n = 9;

	grants(t);
	th_fail_audit(t, true);
	assert_int_not_equal(store_grant_expire_unused(t->s, NOW - 30 * DAY,
	    NOW, &n, &ev), GH_OK);
	assert_int_equal(n, 0);
	assert_true(live(t, "us_0") && live(t, "us_1") && live(t, "us_2"));
	th_fail_audit(t, false);
	assert_int_equal(store_grant_expire_unused(t->s, NOW - 30 * DAY, NOW,
	    &n, &ev), GH_OK);
	assert_int_equal(n, 2);
	assert_false(live(t, "us_0") || live(t, "us_1"));
	assert_int_equal(events(t, "grant.expired"), 1);
	th_chain_ok(t, 1);
}

/*
 * A signing key (its key material is not looked at here), with its
 * key.created event ev (may be NULL).
 */
static enum gh_err
add_key(const struct th_store *t, const char *kid,
    const struct change_audit *ev)
{
	struct key_row	*k = calloc(1, sizeof(*k));
	enum gh_err	 rc;

	assert_non_null(k);
	str_copy(k->kid, sizeof(k->kid), kid);
	str_copy(k->alg, sizeof(k->alg), "ES256");
	str_copy(k->private_sealed, sizeof(k->private_sealed), "sealed");
	str_copy(k->public_jwk, sizeof(k->public_jwk), "{}");
	k->created_at = k->activate_at = NOW;
	rc = store_key_insert(t->s, k, ev);
	free(k);
	return rc;
}

static void
signing_key(const struct th_store *t, const char *kid)
{
	assert_int_equal(add_key(t, kid, NULL), GH_OK);
}

static int64_t
keys_stored(const struct th_store *t, const char *kid)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM signing_keys "
	    "WHERE kid = '%s'", kid);
	return th_sql_int(t, sql);
}

static void
test_key_delete_with_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "key.deleted",
	    .actor = "system", .detail = "{\"kid\":\"ES256-a\"}" };
	struct change_audit	 ev = { &r, NULL, NULL };

	signing_key(t, "ES256-a");
	signing_key(t, "ES256-b");
	assert_int_equal(store_key_delete(t->s, "ES256-a", &ev), GH_OK);
	assert_int_equal(keys_stored(t, "ES256-a"), 0);
	assert_int_equal(keys_stored(t, "ES256-b"), 1);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'key.deleted' AND detail = '{\"kid\":\"ES256-a\"}'"),
	    1);
	/* another node deleted it first: not found, no second event */
	assert_int_equal(store_key_delete(t->s, "ES256-a", &ev),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(events(t, "key.deleted"), 1);
	th_chain_ok(t, 1);
}

/* The event cannot be stored: the key is not deleted either. */
static void
test_key_delete_undone_without_event(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 r = { .time = NOW, .type = "key.deleted",
	    .actor = "system" };
	struct change_audit	 ev = { &r, NULL, NULL };

	signing_key(t, "ES256-a");
	th_fail_audit(t, true);
	assert_int_not_equal(store_key_delete(t->s, "ES256-a", &ev), GH_OK);
	assert_int_equal(keys_stored(t, "ES256-a"), 1);
	th_fail_audit(t, false);
	assert_int_equal(store_key_delete(t->s, "ES256-a", &ev), GH_OK);
	assert_int_equal(keys_stored(t, "ES256-a"), 0);
	assert_int_equal(events(t, "key.deleted"), 1);
	th_chain_ok(t, 1);
}

/* How many rows of `table` have `col` = 'value'. */
static int64_t
stored(const struct th_store *t, const char *table, const char *col,
    const char *value)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s = '%s'",
	    table, col, value);
	return th_sql_int(t, sql);
}

/* client2, with its client.created event ev (may be NULL) */
static enum gh_err
add_client(const struct th_store *t, const struct change_audit *ev)
{
	struct client_row	*c = th_client_new("client2", NOW);
	enum gh_err		 rc;

	assert_non_null(c);
	rc = store_client_insert(t->s, c, ev);
	free(c);
	return rc;
}

/* bob (us_2), with its user.created event ev (may be NULL) */
static enum gh_err
add_user(const struct th_store *t, const struct change_audit *ev)
{
	struct user_row u;

	th_user_init(&u, "us_2", "bob", NOW);
	return store_user_insert(t->s, &u, ev);
}

/* the admin ops, with its admin.created event ev (may be NULL) */
static enum gh_err
add_admin(const struct th_store *t, const struct change_audit *ev)
{
	struct admin_row a;

	memset(&a, 0, sizeof(a));
	str_copy(a.name, sizeof(a.name), "ops");
	th_hash("cred-ops", a.secret_hash);
	a.created_at = NOW;
	return store_admin_insert(t->s, &a, ev);
}

/* The three creations that grant access, each with its event. */
struct creations {
	struct audit_row	client, user, admin;
	struct change_audit	cev, uev, aev;
};

static void
creations_init(struct creations *k)
{
	k->client = (struct audit_row){ .time = NOW,
	    .type = "client.created", .actor = "admin",
	    .client_id = "client2" };
	k->user = (struct audit_row){ .time = NOW, .type = "user.created",
	    .actor = "admin", .user_id = "us_2" };
	k->admin = (struct audit_row){ .time = NOW, .type = "admin.created",
	    .actor = "admin", .detail = "{\"admin\":\"ops\"}" };
	k->cev = (struct change_audit){ &k->client, NULL, NULL };
	k->uev = (struct change_audit){ &k->user, NULL, NULL };
	k->aev = (struct change_audit){ &k->admin, NULL, NULL };
}

/* Each made with its event; a second one with a taken id: no event. */
static void
test_inserts_with_event(void **state)
{
	struct th_store		*t = *state;
	struct creations	 k;

	creations_init(&k);
	assert_int_equal(add_client(t, &k.cev), GH_OK);
	assert_int_equal(stored(t, "clients", "id", "client2"), 1);
	assert_int_equal(stored(t, "audit_events", "client_id", "client2"),
	    1);
	assert_int_equal(add_user(t, &k.uev), GH_OK);
	assert_int_equal(stored(t, "users", "id", "us_2"), 1);
	assert_int_equal(stored(t, "audit_events", "user_id", "us_2"), 1);
	assert_int_equal(add_admin(t, &k.aev), GH_OK);
	assert_int_equal(stored(t, "admins", "name", "ops"), 1);
	assert_int_equal(stored(t, "audit_events", "detail",
	    "{\"admin\":\"ops\"}"), 1);
	assert_int_equal(add_client(t, &k.cev), GH_ERR_EXISTS);
	assert_int_equal(add_user(t, &k.uev), GH_ERR_EXISTS);
	assert_int_equal(add_admin(t, &k.aev), GH_ERR_EXISTS);
	assert_int_equal(events(t, "client.created"), 1);
	assert_int_equal(events(t, "user.created"), 1);
	assert_int_equal(events(t, "admin.created"), 1);
	th_chain_ok(t, 3);
}

/*
 * The event cannot be stored: no client, user or admin is created (a
 * login or a credential the trail does not show). Once it can, each is.
 */
static void
test_inserts_undone_without_event(void **state)
{
	struct th_store		*t = *state;
	struct creations	 k;

	creations_init(&k);
	th_fail_audit(t, true);
	assert_int_not_equal(add_client(t, &k.cev), GH_OK);
	assert_int_not_equal(add_user(t, &k.uev), GH_OK);
	assert_int_not_equal(add_admin(t, &k.aev), GH_OK);
	assert_int_equal(stored(t, "clients", "id", "client2"), 0);
	assert_int_equal(stored(t, "users", "id", "us_2"), 0);
	assert_int_equal(stored(t, "admins", "name", "ops"), 0);
	th_fail_audit(t, false);
	assert_int_equal(add_client(t, &k.cev), GH_OK);
	assert_int_equal(add_user(t, &k.uev), GH_OK);
	assert_int_equal(add_admin(t, &k.aev), GH_OK);
	assert_int_equal(stored(t, "clients", "id", "client2"), 1);
	assert_int_equal(stored(t, "users", "id", "us_2"), 1);
	assert_int_equal(stored(t, "admins", "name", "ops"), 1);
	assert_int_equal(events(t, "client.created"), 1);
	assert_int_equal(events(t, "user.created"), 1);
	assert_int_equal(events(t, "admin.created"), 1);
	th_chain_ok(t, 3);
}

/* The changes of credentials and keys, each with its event. */
struct cred_changes {
	struct audit_row	pw, profile, key;
	struct change_audit	pwev, pev, kev;
};

static void
cred_changes_init(struct cred_changes *k)
{
	k->pw = (struct audit_row){ .time = NOW,
	    .type = "user.password_changed", .actor = "admin",
	    .user_id = "us_1" };
	k->profile = (struct audit_row){ .time = NOW, .type = "user.changed",
	    .actor = "admin", .user_id = "us_1",
	    .detail = "{\"changed\":[\"email\"]}" };
	k->key = (struct audit_row){ .time = NOW, .type = "key.created",
	    .actor = "admin", .detail = "{\"kid\":\"ES256-n\"}" };
	k->pwev = (struct change_audit){ &k->pw, NULL, NULL };
	k->pev = (struct change_audit){ &k->profile, NULL, NULL };
	k->kev = (struct change_audit){ &k->key, NULL, NULL };
}

static void
user_us_1(const struct th_store *t, struct user_row *u)
{
	assert_int_equal(store_user_get(t->s, "us_1", u), GH_OK);
}

/*
 * A password set, a profile changed and a key made each with its event;
 * no such user or a taken kid: nothing changed, no event.
 */
static void
test_credentials_with_event(void **state)
{
	struct th_store		*t = *state;
	struct cred_changes	 k;
	struct user_row		 u;

	cred_changes_init(&k);
	user_with_session(t);
	assert_int_equal(store_user_set_password(t->s, "us_1", "new-hash",
	    NOW, &k.pwev), GH_OK);
	user_us_1(t, &u);
	assert_string_equal(u.password_hash, "new-hash");
	assert_false(session_live(t));
	assert_int_equal(store_user_set_profile(t->s, "us_1", "Alice",
	    "a@x", true, NOW, &k.pev), GH_OK);
	user_us_1(t, &u);
	assert_string_equal(u.email, "a@x");
	assert_int_equal(add_key(t, "ES256-n", &k.kev), GH_OK);
	assert_int_equal(keys_stored(t, "ES256-n"), 1);
	assert_int_equal(stored(t, "audit_events", "detail",
	    "{\"kid\":\"ES256-n\"}"), 1);
	assert_int_equal(stored(t, "audit_events", "detail",
	    "{\"changed\":[\"email\"]}"), 1);
	assert_int_equal(store_user_set_password(t->s, "us_9", "x", NOW,
	    &k.pwev), GH_ERR_NOT_FOUND);
	assert_int_equal(store_user_set_profile(t->s, "us_9", "", "", false,
	    NOW, &k.pev), GH_ERR_NOT_FOUND);
	assert_int_equal(add_key(t, "ES256-n", &k.kev), GH_ERR_EXISTS);
	assert_int_equal(events(t, "user.password_changed"), 1);
	assert_int_equal(events(t, "user.changed"), 1);
	assert_int_equal(events(t, "key.created"), 1);
	th_chain_ok(t, 3);
}

/*
 * The event cannot be stored: the password is not changed (the old one
 * still signs in, the session lives on), nor the profile, and no key is
 * made. Once it can, each is.
 */
static void
test_credentials_undone_without_event(void **state)
{
	struct th_store		*t = *state;
	struct cred_changes	 k;
	struct user_row		 u, was;

	cred_changes_init(&k);
	user_with_session(t);
	user_us_1(t, &was);
	th_fail_audit(t, true);
	assert_int_not_equal(store_user_set_password(t->s, "us_1",
	    "new-hash", NOW, &k.pwev), GH_OK);
	assert_int_not_equal(store_user_set_profile(t->s, "us_1", "Alice",
	    "a@x", true, NOW, &k.pev), GH_OK);
	assert_int_not_equal(add_key(t, "ES256-n", &k.kev), GH_OK);
	user_us_1(t, &u);
	assert_string_equal(u.password_hash, was.password_hash);
	assert_string_equal(u.name, was.name);
	assert_string_equal(u.email, was.email);
	assert_true(session_live(t));
	assert_int_equal(keys_stored(t, "ES256-n"), 0);
	th_fail_audit(t, false);
	assert_int_equal(store_user_set_password(t->s, "us_1", "new-hash",
	    NOW, &k.pwev), GH_OK);
	assert_int_equal(store_user_set_profile(t->s, "us_1", "Alice",
	    "a@x", true, NOW, &k.pev), GH_OK);
	assert_int_equal(add_key(t, "ES256-n", &k.kev), GH_OK);
	user_us_1(t, &u);
	assert_string_equal(u.password_hash, "new-hash");
	assert_string_equal(u.email, "a@x");
	assert_false(session_live(t));
	assert_int_equal(keys_stored(t, "ES256-n"), 1);
	assert_int_equal(events(t, "user.password_changed"), 1);
	assert_int_equal(events(t, "user.changed"), 1);
	assert_int_equal(events(t, "key.created"), 1);
	th_chain_ok(t, 3);
}

struct worker {
	struct store	*s;
	bool		 flips;		/* status changes, else appends */
	enum gh_err	 rc;
};

static void *
work(void *arg)
{
	struct worker		*w = arg;
	struct audit_row	 r = { .time = NOW, .actor = "system",
	    .client_id = "client1" };
	struct change_audit	 ev = { &r, NULL, NULL };
	int			 i;

	r.type = w->flips ? "client.changed" : "test.event";
	for (i = 0; i < (w->flips ? FLIPS : APPENDS) && w->rc == GH_OK; i++)
		w->rc = !w->flips ? store_audit_append(w->s, &r) :
		    store_client_set_status(w->s, "client1", i % 2 ?
		    CLIENT_DISABLED : CLIENT_ACTIVE, i % 2 ? CLIENT_ACTIVE :
		    CLIENT_DISABLED, NOW, &ev);
	return NULL;
}

/*
 * Queued appends on two handles and status changes with their events
 * racing: one chain, every event once. On PostgreSQL each handle's queue
 * remembers the chain's end, which the in-transaction events make stale.
 */
static void
test_events_with_changes_chain(void **state)
{
	struct th_store	*t = *state;
	struct worker	 w[APPENDERS + 1];
	pthread_t	 th[APPENDERS + 1];
	struct store	*other;
	int		 i;

	assert_int_equal(store_open(t->path, &other), GH_OK);
	store_set_audit_key(other, TH_AUDIT_KEY);
	for (i = 0; i <= APPENDERS; i++) {
		w[i] = (struct worker){ i % 2 ? other : t->s, i == APPENDERS,
		    GH_OK };
		assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]),
		    0);
	}
	for (i = 0; i <= APPENDERS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].rc, GH_OK);
	}
	store_close(other);
	assert_int_equal(events(t, "client.changed"), FLIPS);
	th_chain_ok(t, APPENDERS * APPENDS + FLIPS);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_status_change_with_event),
		T(test_status_change_undone_without_event),
		T(test_user_status_with_event),
		T(test_user_status_undone_without_event),
		T(test_expiry_with_event),
		T(test_expiry_undone_without_event),
		T(test_key_delete_with_event),
		T(test_key_delete_undone_without_event),
		T(test_inserts_with_event),
		T(test_inserts_undone_without_event),
		T(test_credentials_with_event),
		T(test_credentials_undone_without_event),
		T(test_events_with_changes_chain),
	};
#undef T

	return cmocka_run_group_tests_name("store/change", tests, NULL, NULL);
}
