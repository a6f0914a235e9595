/*
 * test_store_ident.c - store/store.h on SQLite (or PostgreSQL when
 * GH_TEST_PG_URL is set, see harness.h), identity side: opening
 * and migrations, clients, users, browser sessions, grants, the audit
 * log, and durability across a reopen. Each test gets a fresh database.
 */
#include "../harness.h"

#include <pthread.h>

#include "store/pg_int.h"
#include "util/log.h"

#define NOW	1700000000

static void
test_open_urls(void **state)
{
	struct th_store	 t;
	struct store	*s = NULL;
	char		 url[TH_PATH + 8], shown[128];
	int64_t		 v;

	(void)state;
	memset(&t, 0, sizeof(t));
	th_tmpdir(t.dir, sizeof(t.dir));
	th_path(t.path, sizeof(t.path), t.dir, "x.db");
	snprintf(url, sizeof(url), "sqlite:%s", t.path);
	assert_int_equal(store_open(url, &s), GH_OK);
	store_close(s);
	/* an unknown scheme is refused, not taken for a file name */
	assert_int_equal(store_open("mysql://h/db", &s), GH_ERR_INVALID);
	/* a PostgreSQL URL goes to libpq: nobody listens on port 1 */
	assert_int_equal(store_open("postgresql://127.0.0.1:1/db", &s),
	    GH_ERR_STORE);
	assert_int_equal(store_open("postgres://127.0.0.1:1/db", &s),
	    GH_ERR_STORE);
	/* a database from a newer binary is refused, not downgraded */
	if (th_pg_url()) {
		th_pg_schema(&t);
		assert_int_equal(store_open(t.path, &s), GH_OK);
		store_close(s);
		v = th_sql_int(&t, "SELECT max(version) FROM schema_version");
		assert_true(v >= 1);
		/* opening again applies nothing twice */
		assert_int_equal(store_open(t.path, &s), GH_OK);
		store_close(s);
		assert_int_equal(th_sql_int(&t,
		    "SELECT count(*) FROM schema_version"), v);
		th_sql_int(&t, "UPDATE schema_version SET version = 999");
		assert_int_not_equal(store_open(t.path, &s), GH_OK);
		snprintf(url, sizeof(url), "DROP SCHEMA %s CASCADE", t.schema);
		th_pg_int(th_pg_url(), url);
	} else {
		assert_true(th_sql_int(&t, "PRAGMA user_version") >= 1);
		th_sql_int(&t, "PRAGMA user_version = 999");
		assert_int_not_equal(store_open(t.path, &s), GH_OK);
	}
	th_rmdir(t.dir);
	/* a password never shows in messages */
	store_url_redact("postgresql://gh:s3cret@db.example:5432/gh?x=1",
	    shown, sizeof(shown));
	assert_string_equal(shown, "postgresql://gh:***@db.example:5432/gh?x=1");
	store_url_redact("postgres://db/gh?user=gh&password=s3cret", shown,
	    sizeof(shown));
	assert_null(strstr(shown, "s3cret"));
	store_url_redact("postgres://gh@db/gh", shown, sizeof(shown));
	assert_string_equal(shown, "postgres://gh@db/gh");
	store_url_redact("/var/lib/gh.db", shown, sizeof(shown));
	assert_string_equal(shown, "/var/lib/gh.db");
}

static void
test_client_round_trip(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct client_row	*g = calloc(1, sizeof(*g));

	assert_non_null(g);
	c->auth_method = AUTH_SECRET_POST;
	str_copy(c->redirect_uris[2], GH_MAX_REDIRECT_LEN,
	    "com.example.app:/cb");
	c->nredirect = 3;
	c->secret_rotated_at = NOW - 5;
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	assert_int_equal(store_client_get(t->s, "client1", g), GH_OK);
	assert_string_equal(g->id, "client1");
	assert_string_equal(g->name, c->name);
	assert_string_equal(g->owner, c->owner);
	assert_false(g->is_public);
	assert_int_equal(g->auth_method, AUTH_SECRET_POST);
	assert_true(g->has_secret);
	assert_memory_equal(g->secret_hash, c->secret_hash, GH_HASH_BYTES);
	assert_int_equal(g->nredirect, 3);
	assert_string_equal(g->redirect_uris[0], c->redirect_uris[0]);
	assert_string_equal(g->redirect_uris[1], c->redirect_uris[1]);
	assert_string_equal(g->redirect_uris[2], "com.example.app:/cb");
	assert_string_equal(g->scopes, "openid profile offline_access");
	assert_int_equal(g->status, CLIENT_ACTIVE);
	assert_int_equal(g->created_at, NOW);
	assert_int_equal(g->secret_rotated_at, NOW - 5);
	assert_int_equal(store_client_get(t->s, "client2", g),
	    GH_ERR_NOT_FOUND);
	/* an id that is not UTF-8 (as a client may send it) is unknown */
	assert_int_equal(store_client_get(t->s, "\xe9\xe9", g),
	    GH_ERR_NOT_FOUND);
	free(c);
	free(g);
}

static void
test_client_public_and_duplicate(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("pub", NOW);
	struct client_row	*g = calloc(1, sizeof(*g));
	uint8_t			 h[GH_HASH_BYTES];

	assert_non_null(g);
	c->is_public = true;
	c->has_secret = false;
	c->auth_method = AUTH_NONE;
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	assert_int_equal(store_client_get(t->s, "pub", g), GH_OK);
	assert_true(g->is_public);
	assert_false(g->has_secret);
	assert_int_equal(g->auth_method, AUTH_NONE);
	/* same id again: refused, and the first row is untouched */
	str_copy(c->name, sizeof(c->name), "Impostor");
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_ERR_EXISTS);
	assert_int_equal(store_client_get(t->s, "pub", g), GH_OK);
	assert_string_equal(g->name, "Test client");
	/* a public client never gets a secret */
	th_hash("x", h);
	assert_int_equal(store_client_set_secret(t->s, "pub", h, NOW),
	    GH_ERR_NOT_FOUND);
	free(c);
	free(g);
}

static void
test_client_status_and_secret(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct client_row	*g = calloc(1, sizeof(*g));
	uint8_t			 h[GH_HASH_BYTES];

	assert_non_null(g);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	assert_int_equal(store_client_set_status(t->s, "client1", CLIENT_ACTIVE,
	    CLIENT_QUARANTINED, NOW + 1, NULL), GH_OK);
	assert_int_equal(store_client_get(t->s, "client1", g), GH_OK);
	assert_int_equal(g->status, CLIENT_QUARANTINED);
	assert_int_equal(g->updated_at, NOW + 1);
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_QUARANTINED, CLIENT_DISABLED, NOW + 2, NULL), GH_OK);
	assert_int_equal(store_client_get(t->s, "client1", g), GH_OK);
	assert_int_equal(g->status, CLIENT_DISABLED);
	assert_int_equal(store_client_set_status(t->s, "nobody", CLIENT_ACTIVE,
	    CLIENT_ACTIVE, NOW, NULL), GH_ERR_NOT_FOUND);

	th_hash("rotated", h);
	assert_int_equal(store_client_set_secret(t->s, "client1", h, NOW + 3),
	    GH_OK);
	assert_int_equal(store_client_get(t->s, "client1", g), GH_OK);
	assert_memory_equal(g->secret_hash, h, GH_HASH_BYTES);
	assert_int_equal(g->secret_rotated_at, NOW + 3);
	free(c);
	free(g);
}

/*
 * A status change is made only from the status the caller read: a client
 * quarantined since is left quarantined (GH_ERR_CONFLICT, nothing
 * written), which a hygiene disable or an admin's disable or enable
 * decided on an older read must not undo.
 */
static void
test_client_status_conditional(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct client_row	*g = calloc(1, sizeof(*g));

	assert_non_null(g);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	assert_int_equal(store_client_set_status(t->s, "client1", CLIENT_ACTIVE,
	    CLIENT_QUARANTINED, NOW + 1, NULL), GH_OK);
	/* decided on a read that said "active" */
	assert_int_equal(store_client_set_status(t->s, "client1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW + 2, NULL), GH_ERR_CONFLICT);
	/* decided on a read that said "disabled" */
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_DISABLED, CLIENT_ACTIVE, NOW + 2, NULL), GH_ERR_CONFLICT);
	assert_int_equal(store_client_get(t->s, "client1", g), GH_OK);
	assert_int_equal(g->status, CLIENT_QUARANTINED);
	assert_int_equal(g->updated_at, NOW + 1);
	/* from the status it has, it changes */
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_QUARANTINED, CLIENT_ACTIVE, NOW + 3, NULL), GH_OK);
	assert_int_equal(store_client_get(t->s, "client1", g), GH_OK);
	assert_int_equal(g->status, CLIENT_ACTIVE);
	assert_int_equal(store_client_set_status(t->s, "nobody", CLIENT_DISABLED,
	    CLIENT_ACTIVE, NOW, NULL), GH_ERR_NOT_FOUND);
	free(c);
	free(g);
}

struct status_racer {
	struct store		*s;
	pthread_barrier_t	*go;
	enum client_status	 to;
	enum gh_err		 rc;
};

static void *
race_status(void *arg)
{
	struct status_racer *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = store_client_set_status(r->s, "client1", CLIENT_ACTIVE, r->to,
	    NOW, NULL);
	return NULL;
}

/*
 * A quarantine and a disable racing from an active client on two store
 * handles (two nodes): exactly one wins, and the status is the winner's.
 */
static void
test_client_status_race(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct status_racer	 r[2];
	pthread_barrier_t	 go;
	pthread_t		 th[2];
	struct store		*other;
	int			 round, i, won;

	assert_int_equal(store_open(t->path, &other), GH_OK);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	for (round = 0; round < 10; round++) {
		assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
		r[0] = (struct status_racer){ t->s, &go, CLIENT_QUARANTINED,
		    GH_ERR_STORE };
		r[1] = (struct status_racer){ other, &go, CLIENT_DISABLED,
		    GH_ERR_STORE };
		for (i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&th[i], NULL,
			    race_status, &r[i]), 0);
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		won = r[0].rc == GH_OK ? 0 : 1;
		assert_int_equal(r[won].rc, GH_OK);
		assert_int_equal(r[1 - won].rc, GH_ERR_CONFLICT);
		assert_int_equal(store_client_get(t->s, "client1", c), GH_OK);
		assert_int_equal(c->status, r[won].to);
		assert_int_equal(store_client_set_status(t->s, "client1",
		    r[won].to, CLIENT_ACTIVE, NOW, NULL), GH_OK);
	}
	store_close(other);
	free(c);
}

static bool
count_client(void *ctx, const struct client_row *c)
{
	int *n = ctx;

	(void)c;
	(*n)++;
	return true;
}

static bool
first_client(void *ctx, const struct client_row *c)
{
	str_copy(ctx, GH_MAX_CLIENT_ID_LEN, c->id);
	return false;
}

static void
test_client_each(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c;
	char			 first[GH_MAX_CLIENT_ID_LEN] = "";
	int			 n = 0;

	c = th_client_new("b-later", NOW + 10);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	free(c);
	c = th_client_new("a-earlier", NOW);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	free(c);
	assert_int_equal(store_client_each(t->s, count_client, &n), GH_OK);
	assert_int_equal(n, 2);
	/* creation order; returning false stops the walk */
	assert_int_equal(store_client_each(t->s, first_client, first), GH_OK);
	assert_string_equal(first, "a-earlier");
}

static void
test_users(void **state)
{
	struct th_store	*t = *state;
	struct user_row	 u, g;

	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	assert_int_equal(store_user_by_name(t->s, "alice", &g), GH_OK);
	assert_string_equal(g.id, "us_1");
	assert_string_equal(g.password_hash, u.password_hash);
	assert_int_equal(g.status, USER_ACTIVE);
	assert_int_equal(g.created_at, NOW);
	assert_int_equal(store_user_get(t->s, "us_1", &g), GH_OK);
	assert_string_equal(g.username, "alice");
	assert_int_equal(store_user_by_name(t->s, "Alice", &g),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_user_get(t->s, "us_2", &g), GH_ERR_NOT_FOUND);

	assert_int_equal(store_user_set_status(t->s, "us_1", USER_DISABLED,
	    NOW + 1, NULL), GH_OK);
	assert_int_equal(store_user_get(t->s, "us_1", &g), GH_OK);
	assert_int_equal(g.status, USER_DISABLED);
	assert_int_equal(store_user_set_status(t->s, "us_9", USER_DISABLED,
	    NOW, NULL), GH_ERR_NOT_FOUND);
	assert_int_equal(store_user_set_password(t->s, "us_1", "$new", NOW,
	    NULL), GH_OK);
	assert_int_equal(store_user_by_name(t->s, "alice", &g), GH_OK);
	assert_string_equal(g.password_hash, "$new");

	/* ids and usernames are unique */
	th_user_init(&u, "us_1", "bob", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_ERR_EXISTS);
	th_user_init(&u, "us_2", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_ERR_EXISTS);
}

static void
test_sessions(void **state)
{
	struct th_store		*t = *state;
	struct user_row		 u;
	struct session_row	 r, g;

	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	memset(&r, 0, sizeof(r));
	th_hash("session-1", r.hash);
	str_copy(r.user_id, sizeof(r.user_id), "us_1");
	r.auth_time = NOW;
	r.expires_at = NOW + 100;
	assert_int_equal(store_session_insert(t->s, &r, u.password_hash,
	    NULL), GH_OK);

	memset(&g, 0, sizeof(g));
	assert_int_equal(store_session_get(t->s, r.hash, NOW + 99, &g), GH_OK);
	assert_string_equal(g.user_id, "us_1");
	/* the user's name comes with it, for the consent page */
	assert_string_equal(g.username, "alice");
	assert_int_equal(g.auth_time, NOW);
	assert_int_equal(g.expires_at, NOW + 100);
	assert_memory_equal(g.hash, r.hash, GH_HASH_BYTES);
	/* expired at expires_at exactly */
	assert_int_equal(store_session_get(t->s, r.hash, NOW + 100, &g),
	    GH_ERR_NOT_FOUND);
	/* logout */
	assert_int_equal(store_session_delete(t->s, r.hash), GH_OK);
	assert_int_equal(store_session_get(t->s, r.hash, NOW, &g),
	    GH_ERR_NOT_FOUND);
	/* an unknown hash */
	th_hash("session-2", r.hash);
	assert_int_equal(store_session_get(t->s, r.hash, NOW, &g),
	    GH_ERR_NOT_FOUND);
}

/*
 * Start a session as a login that checked password hash pw would, on a
 * browser whose session was `old` (NULL: none).
 */
static enum gh_err
session_replacing(struct th_store *t, const char *label,
    const char *user_id, const char *pw, const char *old)
{
	struct session_row	r;
	uint8_t			oh[GH_HASH_BYTES];

	memset(&r, 0, sizeof(r));
	th_hash(label, r.hash);
	str_copy(r.user_id, sizeof(r.user_id), user_id);
	r.auth_time = NOW;
	r.expires_at = NOW + 100;
	if (old != NULL)
		th_hash(old, oh);
	return store_session_insert(t->s, &r, pw, old != NULL ? oh : NULL);
}

static enum gh_err
session_for(struct th_store *t, const char *label, const char *user_id,
    const char *pw)
{
	return session_replacing(t, label, user_id, pw, NULL);
}

static bool
session_live(struct th_store *t, const char *label)
{
	struct session_row	g;
	struct grant_row	f;
	uint8_t			hash[GH_HASH_BYTES];
	bool			have = false;
	enum gh_err		rc;

	th_hash(label, hash);
	rc = store_session_get(t->s, hash, NOW, &g);
	assert_true(rc == GH_OK || rc == GH_ERR_NOT_FOUND);
	/* the read with the grant agrees */
	assert_int_equal(store_session_grant(t->s, hash, NOW, "client1", &g,
	    &f, &have), rc);
	return rc == GH_OK;
}

/*
 * A password change and a disable end every browser session of the user,
 * and only theirs: enabling the user again brings none back.
 */
static void
test_sessions_end_with_credential(void **state)
{
	struct th_store		*t = *state;
	struct user_row		 u;

	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	th_user_init(&u, "us_2", "bob", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	assert_int_equal(session_for(t, "alice-1", "us_1", u.password_hash),
	    GH_OK);
	assert_int_equal(session_for(t, "alice-2", "us_1", u.password_hash),
	    GH_OK);
	assert_int_equal(session_for(t, "bob-1", "us_2", u.password_hash),
	    GH_OK);
	/* a profile change, or enabling an active user, ends none */
	assert_int_equal(store_user_set_profile(t->s, "us_1", "Alice", "a@x",
	    true, NOW, NULL), GH_OK);
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_ACTIVE,
	    NOW, NULL), GH_OK);
	assert_true(session_live(t, "alice-1"));
	assert_true(session_live(t, "alice-2"));

	/* a new password: both of alice's sessions end, bob's stays */
	assert_int_equal(store_user_set_password(t->s, "us_1", "new-hash",
	    NOW, NULL), GH_OK);
	assert_false(session_live(t, "alice-1"));
	assert_false(session_live(t, "alice-2"));
	assert_true(session_live(t, "bob-1"));

	/* a disable ends them too, and enabling again revives none */
	assert_int_equal(session_for(t, "alice-3", "us_1", "new-hash"), GH_OK);
	assert_true(session_live(t, "alice-3"));
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_DISABLED,
	    NOW, NULL), GH_OK);
	assert_false(session_live(t, "alice-3"));
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_ACTIVE,
	    NOW, NULL), GH_OK);
	assert_false(session_live(t, "alice-3"));
	assert_true(session_live(t, "bob-1"));

	/* no such user: nothing changes */
	assert_int_equal(store_user_set_password(t->s, "us_9", "x", NOW,
	    NULL), GH_ERR_NOT_FOUND);
	assert_int_equal(store_user_set_status(t->s, "us_9", USER_DISABLED,
	    NOW, NULL), GH_ERR_NOT_FOUND);
	assert_true(session_live(t, "bob-1"));
}

/*
 * A login checks the password, then starts the session: the insert
 * happens only while the user is still active with the hash checked, so a
 * password change or a disable in between is not outlived.
 */
static void
test_session_insert_checks_credential(void **state)
{
	struct th_store		*t = *state;
	struct user_row		 u;

	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	/* the password changed after the login read the old hash */
	assert_int_equal(store_user_set_password(t->s, "us_1", "new-hash",
	    NOW, NULL), GH_OK);
	assert_int_equal(session_for(t, "old", "us_1", u.password_hash),
	    GH_ERR_NOT_FOUND);
	assert_false(session_live(t, "old"));
	assert_int_equal(session_for(t, "new", "us_1", "new-hash"), GH_OK);
	assert_true(session_live(t, "new"));
	/* disabled after the check (and enabled again: still no session) */
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_DISABLED,
	    NOW, NULL), GH_OK);
	assert_int_equal(session_for(t, "off", "us_1", "new-hash"),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_ACTIVE,
	    NOW, NULL), GH_OK);
	assert_false(session_live(t, "off"));
	/* no such user */
	assert_int_equal(session_for(t, "nobody", "us_9", "new-hash"),
	    GH_ERR_NOT_FOUND);
}

/*
 * A login on a browser that had a session ends that session in the same
 * transaction (a shared browser: the first user's session dies on the
 * server, not at its TTL), and only that one; when the new session
 * cannot start, the old one is left as it was.
 */
static void
test_session_insert_replaces(void **state)
{
	struct th_store		*t = *state;
	struct user_row		 a, b;

	th_user_init(&a, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &a, NULL), GH_OK);
	th_user_init(&b, "us_2", "bob", NOW);
	assert_int_equal(store_user_insert(t->s, &b, NULL), GH_OK);
	assert_int_equal(session_for(t, "alice-here", "us_1",
	    a.password_hash), GH_OK);
	assert_int_equal(session_for(t, "alice-elsewhere", "us_1",
	    a.password_hash), GH_OK);

	/* bob signs in on alice's browser: her session there ends */
	assert_int_equal(session_replacing(t, "bob-here", "us_2",
	    b.password_hash, "alice-here"), GH_OK);
	assert_false(session_live(t, "alice-here"));
	assert_true(session_live(t, "bob-here"));
	assert_true(session_live(t, "alice-elsewhere"));
	/* a fresh sign-in of the same user replaces the session too */
	assert_int_equal(session_replacing(t, "bob-again", "us_2",
	    b.password_hash, "bob-here"), GH_OK);
	assert_false(session_live(t, "bob-here"));
	assert_true(session_live(t, "bob-again"));
	/* a session already gone (expired and purged) is no failure */
	assert_int_equal(session_replacing(t, "bob-3", "us_2",
	    b.password_hash, "never-was"), GH_OK);
	assert_true(session_live(t, "bob-3"));

	/*
	 * bob's password changed after his login read it: no new session,
	 * and the browser's (alice's) is not ended either
	 */
	assert_int_equal(store_user_set_password(t->s, "us_2", "new-hash",
	    NOW, NULL), GH_OK);
	assert_int_equal(session_replacing(t, "bob-stale", "us_2",
	    b.password_hash, "alice-elsewhere"), GH_ERR_NOT_FOUND);
	assert_false(session_live(t, "bob-stale"));
	assert_true(session_live(t, "alice-elsewhere"));
}

struct pw_change {
	struct store	*s;
	enum gh_err	 rc;
};

static void *
change_password(void *arg)
{
	struct pw_change *c = arg;

	c->rc = store_user_set_password(c->s, "us_1", "new-hash", NOW,
	    NULL);
	return NULL;
}

/* A statement on raw that succeeds, changing `rows` rows ("": any)? */
static bool
raw_ok(PGconn *raw, const char *sql, int n, const char *const *v,
    const char *rows)
{
	PGresult	*r = PQexecParams(raw, sql, n, NULL, v, NULL, NULL, 0);
	bool		 ok = PQresultStatus(r) == PGRES_COMMAND_OK &&
	    (rows[0] == '\0' || strcmp(PQcmdTuples(r), rows) == 0);

	PQclear(r);
	return ok;
}

/*
 * PostgreSQL: a login's session insert, still uncommitted when a password
 * change starts, is ended by that change all the same. The insert holds
 * the user's row (FOR SHARE) until it commits, the change's UPDATE waits
 * for it, and the change's DELETE, a later statement, then sees the
 * session. (SQLite runs one operation at a time: nothing to interleave.)
 * Nothing is asserted while the raw transaction is open: a failure would
 * leave its locks to block the teardown's DROP SCHEMA.
 */
static void
test_session_insert_racing_password_change(void **state)
{
	struct th_store		*t = *state;
	struct user_row		 u;
	struct pw_change	 c = { t->s, GH_ERR_STORE };
	PGconn			*raw;
	pthread_t		 th;
	uint8_t			 hash[GH_HASH_BYTES];
	char			 hex[3 + 2 * GH_HASH_BYTES];
	const char		*v[5];
	bool			 held, started, waited, committed;
	size_t			 i;

	if (!th_pg_url())
		skip();
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	th_hash("held", hash);
	memcpy(hex, "\\x", 2);
	for (i = 0; i < GH_HASH_BYTES; i++)
		snprintf(hex + 2 + 2 * i, 3, "%02x", hash[i]);
	v[0] = hex;
	v[1] = "us_1";
	v[2] = "1700000000";
	v[3] = "1700000100";
	v[4] = u.password_hash;
	raw = PQconnectdb(t->path);
	held = PQstatus(raw) == CONNECTION_OK &&
	    raw_ok(raw, "BEGIN", 0, NULL, "") &&
	    raw_ok(raw, pg_sql[P_SESSION_INSERT], 5, v, "1");
	started = held &&
	    pthread_create(&th, NULL, change_password, &c) == 0;
	/* the change waits for the user's row */
	for (i = 0; started && i < 250 && th_pg_int(th_pg_url(),
	    "SELECT count(*) FROM pg_stat_activity "
	    "WHERE wait_event_type = 'Lock' "
	    "AND query LIKE 'UPDATE users SET password_hash%'") < 1; i++)
		usleep(20000);
	waited = started && i < 250;
	committed = held && raw_ok(raw, "COMMIT", 0, NULL, "");
	PQfinish(raw);		/* ends the transaction in any case */
	if (started)
		assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(held);
	assert_true(started);
	assert_true(waited);
	assert_true(committed);
	assert_int_equal(c.rc, GH_OK);
	assert_false(session_live(t, "held"));
}

/* store_session_grant: the session, and its user's live grant to a client */
static void
test_session_grant(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct user_row		 u;
	struct session_row	 r, g;
	struct grant_row	 a, f;
	unsigned		 n = 0;
	bool			 have = true;

	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	str_copy(c->id, sizeof(c->id), "client2");
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	memset(&r, 0, sizeof(r));
	th_hash("session-1", r.hash);
	str_copy(r.user_id, sizeof(r.user_id), "us_1");
	r.auth_time = NOW;
	r.expires_at = NOW + 100;
	assert_int_equal(store_session_insert(t->s, &r, u.password_hash,
	    NULL), GH_OK);

	/* a session, no grant yet */
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_session_grant(t->s, r.hash, NOW, "client1", &g,
	    &f, &have), GH_OK);
	assert_false(have);
	assert_string_equal(g.user_id, "us_1");
	assert_string_equal(g.username, "alice");
	assert_int_equal(g.auth_time, NOW);
	assert_int_equal(g.expires_at, NOW + 100);

	/* the grant to client1 comes with it, not to client2 */
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1",
	    "openid profile", NOW + 1, &a), GH_OK);
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_session_grant(t->s, r.hash, NOW, "client1", &g,
	    &f, &have), GH_OK);
	assert_true(have);
	assert_string_equal(f.id, a.id);
	assert_string_equal(f.user_id, "us_1");
	assert_string_equal(f.client_id, "client1");
	assert_string_equal(f.scope, "openid profile");
	assert_int_equal(f.created_at, NOW + 1);
	assert_int_equal(f.last_used_at, 0);
	assert_int_equal(store_session_grant(t->s, r.hash, NOW, "client2", &g,
	    &f, &have), GH_OK);
	assert_false(have);

	/* a revoked grant is not offered */
	assert_int_equal(store_grant_revoke(t->s, GRANT_ONE, a.id, "test",
	    NOW + 2, &n), GH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_grant(t->s, r.hash, NOW, "client1", &g,
	    &f, &have), GH_OK);
	assert_false(have);

	/* no session: expired, of a disabled user, or unknown */
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW + 3, &a), GH_OK);
	assert_int_equal(store_session_grant(t->s, r.hash, NOW + 100,
	    "client1", &g, &f, &have), GH_ERR_NOT_FOUND);
	assert_false(have);
	assert_int_equal(store_user_set_status(t->s, "us_1", USER_DISABLED,
	    NOW, NULL), GH_OK);
	assert_int_equal(store_session_grant(t->s, r.hash, NOW, "client1", &g,
	    &f, &have), GH_ERR_NOT_FOUND);
	assert_false(have);
	th_hash("session-2", r.hash);
	assert_int_equal(store_session_grant(t->s, r.hash, NOW, "client1", &g,
	    &f, &have), GH_ERR_NOT_FOUND);
	assert_false(have);
	free(c);
}

static void
test_grant_upsert(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct user_row		 u;
	struct grant_row	 a, b, f;

	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	str_copy(c->id, sizeof(c->id), "client2");
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);

	assert_int_equal(store_grant_find(t->s, "us_1", "client1", &f),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW, &a), GH_OK);
	assert_true(a.id[0] != '\0');
	assert_string_equal(a.user_id, "us_1");
	assert_string_equal(a.client_id, "client1");
	assert_string_equal(a.scope, "openid");
	assert_int_equal(a.created_at, NOW);
	/* the second upsert updates the same grant */
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1",
	    "openid profile", NOW + 5, &b), GH_OK);
	assert_string_equal(b.id, a.id);
	assert_string_equal(b.scope, "openid profile");
	assert_int_equal(b.created_at, NOW);
	assert_int_equal(store_grant_find(t->s, "us_1", "client1", &f),
	    GH_OK);
	assert_string_equal(f.id, a.id);
	assert_string_equal(f.scope, "openid profile");
	/* another client: another grant */
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client2", "openid",
	    NOW, &b), GH_OK);
	assert_string_not_equal(b.id, a.id);
	free(c);
}

static void
test_audit_append(void **state)
{
	struct th_store		*t = *state;
	struct audit_row	 a = {
		.time = NOW, .type = "code.replayed", .actor = "client",
		.client_id = "client1", .detail = "{\"family\":\"revoked\"}",
	};

	assert_int_equal(store_audit_append(t->s, &a), GH_OK);
	a.type = "user.login";
	a.actor = "user";
	a.client_id = NULL;
	a.user_id = "us_1";
	a.remote_addr = "127.0.0.1";
	a.user_agent = "test";
	a.detail = NULL;
	assert_int_equal(store_audit_append(t->s, &a), GH_OK);
	/* bytes a client sent, not UTF-8: the event is still recorded */
	a.type = "client.auth_failed";
	a.client_id = "\xe9\xe9";
	a.user_agent = "agent \xff\xfe";
	assert_int_equal(store_audit_append(t->s, &a), GH_OK);
	assert_int_equal(th_sql_int(t,
	    "SELECT count(*) FROM audit_events"), 3);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'code.replayed' AND client_id = 'client1' AND "
	    "detail = '{\"family\":\"revoked\"}' AND time = 1700000000"), 1);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'user.login' AND client_id IS NULL"), 1);
}

#define APPENDERS	4
#define APPENDS		25

struct appender {
	struct store		*s;
	pthread_barrier_t	*go;
	enum gh_err		 rc;
};

static void *
append_many(void *arg)
{
	struct appender		*a = arg;
	struct audit_row	 r = { .time = NOW, .type = "test.event",
				    .actor = "admin" };
	int			 i;

	pthread_barrier_wait(a->go);
	a->rc = GH_OK;
	for (i = 0; i < APPENDS && a->rc == GH_OK; i++)
		a->rc = store_audit_append(a->s, &r);
	return NULL;
}

struct chain_check {
	int64_t	 next;
	uint8_t	 prev[GH_HASH_BYTES];
	bool	 ok;
};

static bool
check_link(void *ctx, const struct audit_row *r)
{
	struct chain_check *c = ctx;

	if (r->seq != c->next ||
	    memcmp(r->prev_hash, c->prev, GH_HASH_BYTES) != 0)
		c->ok = false;
	memcpy(c->prev, r->hash, GH_HASH_BYTES);
	c->next++;
	return true;
}

/*
 * Appends racing from several threads on two store handles (two
 * connections, as two nodes would have) still make one unbroken chain.
 */
static void
test_audit_chain_concurrent(void **state)
{
	struct th_store		*t = *state;
	struct store		*s2 = NULL;
	struct appender		 a[APPENDERS];
	pthread_t		 th[APPENDERS];
	pthread_barrier_t	 go;
	struct chain_check	 c = { 1, { 0 }, true };
	uint8_t			 key[GH_HASH_BYTES];
	int			 i;

	th_hash("audit key", key);
	store_set_audit_key(t->s, key);
	assert_int_equal(store_open(t->path, &s2), GH_OK);
	store_set_audit_key(s2, key);
	pthread_barrier_init(&go, NULL, APPENDERS);
	for (i = 0; i < APPENDERS; i++) {
		a[i] = (struct appender){ i % 2 ? s2 : t->s, &go, GH_ERR_STORE };
		assert_int_equal(pthread_create(&th[i], NULL, append_many,
		    &a[i]), 0);
	}
	for (i = 0; i < APPENDERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	store_close(s2);
	for (i = 0; i < APPENDERS; i++)
		assert_int_equal(a[i].rc, GH_OK);
	assert_int_equal(store_audit_each(t->s, 0, 1000, check_link, &c),
	    GH_OK);
	assert_true(c.ok);
	assert_int_equal(c.next - 1, APPENDERS * APPENDS);
}

/* Every write is durable when the call returns: visible after reopen. */
static void
test_durable_reopen(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct user_row		 u;

	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	store_close(t->s);
	t->s = NULL;
	memset(c, 0, sizeof(*c));
	assert_int_equal(store_open(t->path, &t->s), GH_OK);
	assert_int_equal(store_client_get(t->s, "client1", c), GH_OK);
	assert_int_equal(c->nredirect, 2);
	assert_int_equal(store_user_by_name(t->s, "alice", &u), GH_OK);
	free(c);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_store_setup, \
	th_store_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_urls),
		T(test_client_round_trip),
		T(test_client_public_and_duplicate),
		T(test_client_status_and_secret),
		T(test_client_status_conditional),
		T(test_client_status_race),
		T(test_client_each),
		T(test_users),
		T(test_sessions),
		T(test_sessions_end_with_credential),
		T(test_session_insert_checks_credential),
		T(test_session_insert_replaces),
		T(test_session_insert_racing_password_change),
		T(test_session_grant),
		T(test_grant_upsert),
		T(test_audit_append),
		T(test_audit_chain_concurrent),
		T(test_durable_reopen),
	};
#undef T

	log_set_level(LOG_WARN);	/* no migration chatter */
	return cmocka_run_group_tests_name("store/ident", tests, NULL, NULL);
}
