/*
 * harness.h - what every unit test program includes: cmocka (with the
 * headers it needs before it) and a few small helpers shared by tests
 * that touch files: a private temp directory, writing a file, removing
 * the directory again, a test `struct app` with a fixed server key, and
 * a fresh store per test (SQLite, or PostgreSQL when GH_TEST_PG_URL is
 * set) with rows to fill it.
 *
 * Helpers are static inline so a program that does not use one gets no
 * unused-function warning. They abort the test (via cmocka) on failure.
 */
#ifndef GH_TEST_HARNESS_H
#define GH_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "app.h"
#include "governance/audit.h"
#include "jose/keyring.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/crypto.h"
#include "util/str.h"

#define TH_PATH 1024

/* A fresh directory under $TMPDIR (or /tmp), path in out. */
static inline void
th_tmpdir(char *out, size_t outsz)
{
	const char	*base = getenv("TMPDIR");
	int		 n;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(out, outsz, "%s/gh-unit-XXXXXX", base);
	assert_true(n > 0 && (size_t)n < outsz);
	assert_non_null(mkdtemp(out));
}

/* dir + "/" + name into out. */
static inline void
th_path(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < outsz);
}

static inline void
th_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Remove a flat directory made by th_tmpdir (files only, no subfolders). */
static inline void
th_rmdir(const char *dir)
{
	char		 p[TH_PATH];
	DIR		*d;
	struct dirent	*e;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		th_path(p, sizeof(p), dir, e->d_name);
		(void)unlink(p);
	}
	closedir(d);
	(void)rmdir(dir);
}

/*
 * stderr (the log) into a file from th_stderr_begin() to th_stderr_end(),
 * which restores it and keeps what was written in c->text (bounded).
 */
struct th_stderr {
	char	dir[TH_PATH];
	char	path[TH_PATH];
	int	saved;
	char	text[16384];
};

static inline void
th_stderr_begin(struct th_stderr *c)
{
	int fd;

	th_tmpdir(c->dir, sizeof(c->dir));
	th_path(c->path, sizeof(c->path), c->dir, "log");
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

static inline void
th_stderr_end(struct th_stderr *c)
{
	FILE	*f;
	size_t	 n;

	assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	close(c->saved);
	assert_non_null(f = fopen(c->path, "r"));
	n = fread(c->text, 1, sizeof(c->text) - 1, f);
	fclose(f);
	c->text[n] = '\0';
	th_rmdir(c->dir);
}

/* How many times `needle` occurs in what th_stderr_end() kept. */
static inline unsigned
th_stderr_count(const struct th_stderr *c, const char *needle)
{
	const char	*p = c->text;
	unsigned	 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* A test app: default settings, no store, key bytes 0x01..0x20. */
static inline void
th_app_init(struct app *a)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	conf_defaults(&a->conf);
	for (i = 0; i < sizeof(a->key); i++)
		a->key[i] = (uint8_t)(i + 1);
}

static inline void
th_pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A distinct, stable 32-byte "hash" for a label: SHA-256 of it. */
static inline void
th_hash(const char *label, uint8_t out[GH_HASH_BYTES])
{
	crypto_sha256(label, strlen(label), out);
}

/*
 * A store per test, on a fresh SQLite file; or, when GH_TEST_PG_URL names
 * a PostgreSQL database (scripts/pg-throwaway.sh), in a fresh schema of it,
 * dropped again at teardown. t->path is what store_open() takes: the file,
 * or the URL with search_path set to the schema. cmocka setup/teardown.
 */
struct th_store {
	char		 dir[TH_PATH];
	char		 path[TH_PATH];
	char		 schema[32];		/* "" on SQLite */
	struct store	*s;
};

/* The PostgreSQL URL under test, or NULL for SQLite. */
static inline const char *
th_pg_url(void)
{
	const char *u = getenv("GH_TEST_PG_URL");

	return u != NULL && u[0] != '\0' ? u : NULL;
}

/* Run SQL on a PostgreSQL URL; the first column of the first row, or -1. */
static inline int64_t
th_pg_int(const char *url, const char *sql)
{
	PGconn		*c = PQconnectdb(url);
	PGresult	*r;
	uint64_t	 u;
	int64_t		 v = -1;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PQsetNoticeProcessor(c, th_pg_quiet, NULL);
	r = PQexec(c, sql);
	assert_true(PQresultStatus(r) == PGRES_TUPLES_OK ||
	    PQresultStatus(r) == PGRES_COMMAND_OK);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
	    !PQgetisnull(r, 0, 0) && parse_u64(slice_cstr(PQgetvalue(r, 0,
	    0)), 0, INT64_MAX, &u) == GH_OK)
		v = (int64_t)u;
	PQclear(r);
	PQfinish(c);
	return v;
}

/* A fresh schema of the PostgreSQL under test; its URL in t->path. */
static inline void
th_pg_schema(struct th_store *t)
{
	const char	*url = th_pg_url();
	char		 sql[96];
	uint8_t		 rnd[6];
	int		 n;

	assert_int_equal(crypto_random(rnd, sizeof(rnd)), GH_OK);
	snprintf(t->schema, sizeof(t->schema), "t_%02x%02x%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", t->schema);
	th_pg_int(url, sql);
	n = snprintf(t->path, sizeof(t->path),
	    "%s%coptions=-csearch_path%%3D%s", url,
	    strchr(url, '?') ? '&' : '?', t->schema);
	assert_true(n > 0 && (size_t)n < sizeof(t->path));
}

/* One integer from a direct SQL query on the test's database. */
static inline int64_t
th_sql_int(const struct th_store *t, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (t->schema[0])
		return th_pg_int(t->path, sql);
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);		/* a write waits its turn */
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* How many audit events of `type` the test's database holds. */
static inline int64_t
th_audit_count(const struct th_store *t, const char *type)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM audit_events WHERE type = '%s'", type);
	return th_sql_int(t, sql);
}

/* Run SQL (no result) directly on the test's database. */
static inline void
th_sql_exec(const struct th_store *t, const char *sql)
{
	sqlite3 *db;

	if (t->schema[0]) {
		th_pg_int(t->path, sql);
		return;
	}
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * While on, every insert into `table` fails (a trigger), or only those
 * whose row matches `when` (an SQL condition on NEW; NULL: every one).
 */
static inline void
th_fail_inserts(const struct th_store *t, const char *table,
    const char *when, bool on)
{
	char	sql[768], cond[256] = "";

	if (when != NULL)
		snprintf(cond, sizeof(cond), t->schema[0] ? "WHEN (%s) " :
		    "WHEN %s ", when);
	if (t->schema[0] && on)
		snprintf(sql, sizeof(sql), "CREATE OR REPLACE FUNCTION "
		    "gh_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION "
		    "'injected'; END $$ LANGUAGE plpgsql; CREATE TRIGGER "
		    "gh_fail BEFORE INSERT ON %s FOR EACH ROW %sEXECUTE "
		    "FUNCTION gh_fail()", table, cond);
	else if (t->schema[0])
		snprintf(sql, sizeof(sql), "DROP TRIGGER gh_fail ON %s", table);
	else if (on)
		snprintf(sql, sizeof(sql), "CREATE TRIGGER gh_fail BEFORE "
		    "INSERT ON %s %sBEGIN SELECT RAISE(ABORT, 'injected'); "
		    "END", table, cond);
	else
		snprintf(sql, sizeof(sql), "DROP TRIGGER gh_fail");
	th_sql_exec(t, sql);
}

/*
 * While on, every audit insert fails (a trigger): for the changes that
 * must not be made without their event (struct change_audit).
 */
static inline void
th_fail_audit(const struct th_store *t, bool on)
{
	th_fail_inserts(t, "audit_events", NULL, on);
}

static inline int
th_store_setup(void **state)
{
	struct th_store *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	th_tmpdir(t->dir, sizeof(t->dir));
	if (th_pg_url())
		th_pg_schema(t);
	else
		th_path(t->path, sizeof(t->path), t->dir, "gatehouse.db");
	if (store_open(t->path, &t->s) != GH_OK) {
		th_rmdir(t->dir);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

/* the audit key the store tests chain their events under */
#define TH_AUDIT_KEY	((const uint8_t *)"0123456789abcdef0123456789abcde")

/* th_store_setup, with the audit key TH_AUDIT_KEY set */
static inline int
th_store_setup_audited(void **state)
{
	int rc;

	if ((rc = th_store_setup(state)) != 0)
		return rc;
	store_set_audit_key(((struct th_store *)*state)->s, TH_AUDIT_KEY);
	return 0;
}

/* The test's trail verifies under TH_AUDIT_KEY and holds `events`. */
static inline void
th_chain_ok(const struct th_store *t, int64_t events)
{
	struct audit_verdict v;

	assert_int_equal(audit_verify(t->s, TH_AUDIT_KEY, NULL, &v), GH_OK);
	assert_true(v.ok);
	assert_int_equal(v.events, events);
}

/*
 * A store (th_store_setup) and an app on it with the test defaults
 * (th_app_init): 0, or -1 with nothing left open.
 */
static inline int
th_app_store_setup(struct th_store **t, struct app *a)
{
	void *ts = NULL;

	if (th_store_setup(&ts) != 0)
		return -1;
	*t = ts;
	th_app_init(a);
	a->store = (*t)->s;
	return 0;
}

static inline int
th_store_teardown(void **state)
{
	struct th_store	*t = *state;
	char		 sql[96];

	if (t == NULL)
		return 0;
	store_close(t->s);
	if (t->schema[0]) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", t->schema);
		th_pg_int(th_pg_url(), sql);
	}
	th_rmdir(t->dir);
	free(t);
	return 0;
}

/*
 * An active confidential client (caller frees): client_secret_basic,
 * two redirect URIs, scopes "openid profile offline_access".
 */
static inline struct client_row *
th_client_new(const char *id, int64_t now)
{
	struct client_row *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	str_copy(c->id, sizeof(c->id), id);
	str_copy(c->name, sizeof(c->name), "Test client");
	str_copy(c->owner, sizeof(c->owner), "team-test");
	c->auth_method = AUTH_SECRET_BASIC;
	c->has_secret = true;
	th_hash(id, c->secret_hash);
	str_copy(c->redirect_uris[0], GH_MAX_REDIRECT_LEN,
	    "https://app.example.com/cb");
	str_copy(c->redirect_uris[1], GH_MAX_REDIRECT_LEN,
	    "http://127.0.0.1:9000/callback");
	c->nredirect = 2;
	str_copy(c->scopes, sizeof(c->scopes), "openid profile offline_access");
	c->status = CLIENT_ACTIVE;
	c->created_at = now;
	return c;
}

/*
 * A store, an app on it (th_app_store_setup) and the time it was made:
 * the fixture of the tests of a governance pass.
 */
struct th_app_fixture {
	struct th_store	*t;
	struct app	 app;
	int64_t		 now;
};

static inline int
th_app_fixture_setup(void **state)
{
	struct th_app_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || th_app_store_setup(&f->t, &f->app) != 0) {
		free(f);
		return -1;
	}
	f->now = clock_now();
	*state = f;
	return 0;
}

static inline int
th_app_fixture_teardown(void **state)
{
	struct th_app_fixture	*f = *state;
	void			*ts = f->t;

	keyring_close(f->app.keys);
	free(f);
	return th_store_teardown(&ts);
}

/*
 * th_store_setup, then client `id` (th_client_new) stored in it: the
 * body of a cmocka setup for tests that need one client.
 */
static inline int
th_store_setup_client(void **state, const char *id, int64_t now)
{
	struct client_row	*c;
	int			 rc;

	if ((rc = th_store_setup(state)) != 0)
		return rc;
	c = th_client_new(id, now);
	rc = store_client_insert(((struct th_store *)*state)->s, c, NULL) ==
	    GH_OK ? 0 : -1;
	free(c);
	return rc;
}

static inline void
th_user_init(struct user_row *u, const char *id, const char *name,
    int64_t now)
{
	memset(u, 0, sizeof(*u));
	str_copy(u->id, sizeof(u->id), id);
	str_copy(u->username, sizeof(u->username), name);
	str_copy(u->password_hash, sizeof(u->password_hash),
	    "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	u->status = USER_ACTIVE;
	u->created_at = now;
}

/*
 * client1 and client2 (th_client_new) and alice (us_1), stored: what the
 * grant and removal store tests start from.
 */
static inline void
th_two_clients_alice(struct store *s, int64_t now)
{
	struct client_row	*c = th_client_new("client1", now);
	struct user_row		 u;

	assert_int_equal(store_client_insert(s, c, NULL), GH_OK);
	str_copy(c->id, sizeof(c->id), "client2");
	assert_int_equal(store_client_insert(s, c, NULL), GH_OK);
	free(c);
	th_user_init(&u, "us_1", "alice", now);
	assert_int_equal(store_user_insert(s, &u, NULL), GH_OK);
}

/* An audit event of `type` by client `client` at `time`, appended. */
static inline void
th_client_event(struct store *s, int64_t time, const char *type,
    const char *client)
{
	struct audit_row r;

	memset(&r, 0, sizeof(r));
	r.time = time;
	r.type = type;
	r.actor = "client";
	r.client_id = client;
	assert_int_equal(store_audit_append(s, &r), GH_OK);
}

/*
 * The code the store tests redeem: of client1 and us_1 in grant
 * `grant_id`, PKCE S256, "openid offline_access", live for 60 s.
 */
static inline void
th_code_init(struct code_row *r, const uint8_t hash[GH_HASH_BYTES],
    const char *grant_id, int64_t now)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->hash, hash, GH_HASH_BYTES);
	str_copy(r->grant_id, sizeof(r->grant_id), grant_id);
	str_copy(r->client_id, sizeof(r->client_id), "client1");
	str_copy(r->user_id, sizeof(r->user_id), "us_1");
	str_copy(r->redirect_uri, sizeof(r->redirect_uri),
	    "https://app.example.com/cb");
	str_copy(r->challenge, sizeof(r->challenge),
	    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	str_copy(r->scope, sizeof(r->scope), "openid offline_access");
	r->created_at = now;
	r->expires_at = now + 60;
}

#endif
