/*
 * harness.h - what every unit test program includes: cmocka (with the
 * headers it needs before it) and a few small helpers shared by tests
 * that touch files: a private temp directory, writing a file, removing
 * the directory again, a test `struct app` with a fixed server key, and
 * a fresh SQLite store per test with rows to fill it.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "store/store.h"
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

/* A distinct, stable 32-byte "hash" for a label: SHA-256 of it. */
static inline void
th_hash(const char *label, uint8_t out[GH_HASH_BYTES])
{
	crypto_sha256(label, strlen(label), out);
}

/* A store on a fresh SQLite file; cmocka setup/teardown pair. */
struct th_store {
	char		 dir[TH_PATH];
	char		 path[TH_PATH];
	struct store	*s;
};

static inline int
th_store_setup(void **state)
{
	struct th_store *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	th_tmpdir(t->dir, sizeof(t->dir));
	th_path(t->path, sizeof(t->path), t->dir, "gatehouse.db");
	if (store_open(t->path, &t->s) != GH_OK) {
		th_rmdir(t->dir);
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static inline int
th_store_teardown(void **state)
{
	struct th_store *t = *state;

	if (t == NULL)
		return 0;
	store_close(t->s);
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

#endif
