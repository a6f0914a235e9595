/*
 * test_sqlite_walbuf.c - the writer's VFS that gathers a commit's WAL
 * frames into one write (store/sqlite_walbuf.c).
 *
 * Underneath it, as the default VFS, sits a counting one: it counts the
 * writes to WAL files and can fail the next one. A second connection on
 * the plain VFS plays a reader. SQLite only; skipped in the PostgreSQL
 * run of the store tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../harness.h"
#include "store/sqlite_int.h"

/* -- the counting VFS ---------------------------------------------------- */
struct cnt_file {
	sqlite3_file	 base;
	sqlite3_file	*real;
	bool		 wal;
};

static sqlite3_vfs		*unix_vfs;
static sqlite3_vfs		 cnt_vfs;
static sqlite3_io_methods	 cnt_methods;
static int			 wal_writes;	/* calls */
static int			 fail_in;	/* fail the fail_in-th WAL write */
static int			 fail_rc = SQLITE_IOERR_WRITE;

static int
cnt_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct cnt_file *f = (struct cnt_file *)file;

	if (f->wal) {
		wal_writes++;
		if (fail_in > 0 && --fail_in == 0)
			return fail_rc;
	}
	return f->real->pMethods->xWrite(f->real, p, n, off);
}

/* every other method: the real file's (filled in by cnt_open) */
#define FWD0(name, ret, args, call) \
	static ret cnt_##name args { \
		sqlite3_file *r = ((struct cnt_file *)file)->real; \
		return r->pMethods->name call; \
	}
FWD0(xClose, int, (sqlite3_file *file), (r))
FWD0(xRead, int, (sqlite3_file *file, void *p, int n, sqlite3_int64 o),
    (r, p, n, o))
FWD0(xTruncate, int, (sqlite3_file *file, sqlite3_int64 s), (r, s))
FWD0(xSync, int, (sqlite3_file *file, int fl), (r, fl))
FWD0(xFileSize, int, (sqlite3_file *file, sqlite3_int64 *s), (r, s))
FWD0(xLock, int, (sqlite3_file *file, int l), (r, l))
FWD0(xUnlock, int, (sqlite3_file *file, int l), (r, l))
FWD0(xCheckReservedLock, int, (sqlite3_file *file, int *o), (r, o))
FWD0(xFileControl, int, (sqlite3_file *file, int op, void *a), (r, op, a))
FWD0(xSectorSize, int, (sqlite3_file *file), (r))
FWD0(xDeviceCharacteristics, int, (sqlite3_file *file), (r))
FWD0(xShmMap, int, (sqlite3_file *file, int pg, int sz, int ext,
    void volatile **pp), (r, pg, sz, ext, pp))
FWD0(xShmLock, int, (sqlite3_file *file, int o, int n, int fl),
    (r, o, n, fl))
FWD0(xShmBarrier, void, (sqlite3_file *file), (r))
FWD0(xShmUnmap, int, (sqlite3_file *file, int d), (r, d))
FWD0(xFetch, int, (sqlite3_file *file, sqlite3_int64 o, int n, void **pp),
    (r, o, n, pp))
FWD0(xUnfetch, int, (sqlite3_file *file, sqlite3_int64 o, void *p),
    (r, o, p))

static int
cnt_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
    int *out)
{
	struct cnt_file	*f = (struct cnt_file *)file;
	int		 rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = unix_vfs->xOpen(unix_vfs, name, f->real, flags, out);
	if (f->real->pMethods != NULL)
		f->base.pMethods = &cnt_methods;
	f->wal = (flags & SQLITE_OPEN_WAL) != 0;
	return rc;
}

static void
cnt_register(void)
{
	unix_vfs = sqlite3_vfs_find(NULL);
	cnt_vfs = *unix_vfs;
	cnt_vfs.zName = "counting";
	cnt_vfs.szOsFile = (int)sizeof(struct cnt_file) + unix_vfs->szOsFile;
	cnt_vfs.xOpen = cnt_open;
	cnt_methods = (sqlite3_io_methods){ 3, cnt_xClose, cnt_xRead,
	    cnt_write, cnt_xTruncate, cnt_xSync, cnt_xFileSize, cnt_xLock,
	    cnt_xUnlock, cnt_xCheckReservedLock, cnt_xFileControl,
	    cnt_xSectorSize, cnt_xDeviceCharacteristics, cnt_xShmMap,
	    cnt_xShmLock, cnt_xShmBarrier, cnt_xShmUnmap, cnt_xFetch,
	    cnt_xUnfetch };
	assert_int_equal(sqlite3_vfs_register(&cnt_vfs, 1), SQLITE_OK);
}

/* -- fixture: a writer through the shim, a reader on the plain VFS ------ */
struct two {
	char	 dir[64], path[96];
	sqlite3	*w, *r;
	int	 frames;	/* in the WAL after the writer's last commit */
};

static int
on_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct two *)arg)->frames = frames;
	return SQLITE_OK;
}

static void
exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err ? err : "?");
}

static int
count_rows(sqlite3 *db)
{
	sqlite3_stmt	*st;
	int		 n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1,
	    &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

/* Rows of 3,000 bytes: one page each. */
static int
insert_rows(sqlite3 *db, int n)
{
	char sql[192];

	snprintf(sql, sizeof(sql), "WITH RECURSIVE c(i) AS (SELECT 1 UNION "
	    "ALL SELECT i + 1 FROM c WHERE i < %d) INSERT INTO t "
	    "SELECT randomblob(3000) FROM c", n);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int
setup(void **state)
{
	struct two *t;

	*state = NULL;
	if (getenv("GH_TEST_PG_URL") != NULL && *getenv("GH_TEST_PG_URL"))
		return 0;	/* each test skips */
	assert_non_null(sq_walbuf_vfs());
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/gh-walbuf-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	assert_int_equal(sqlite3_open_v2(t->path, &t->w, SQLITE_OPEN_READWRITE
	    | SQLITE_OPEN_CREATE, sq_walbuf_vfs()), SQLITE_OK);
	exec_ok(t->w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE t (b BLOB)");
	/* no automatic checkpoints: this replaces that hook */
	sqlite3_wal_hook(t->w, on_commit, t);
	assert_int_equal(sqlite3_open_v2(t->path, &t->r, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct two	*t = *state;
	char		 cmd[128];

	if (t == NULL)
		return 0;
	sqlite3_close(t->r);
	sqlite3_close(t->w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

/* A commit of 30 pages is one or two writes, and readers see it at once. */
static void
test_commit_is_one_write(void **state)
{
	struct two	*t = *state;
	int		 before, frames;

	if (t == NULL)
		skip();	/* the PostgreSQL run */

	assert_int_equal(insert_rows(t->w, 1), SQLITE_OK);
	assert_int_equal(count_rows(t->r), 1);
	frames = t->frames;
	before = wal_writes;
	assert_int_equal(insert_rows(t->w, 30), SQLITE_OK);
	frames = t->frames - frames;
	assert_true(frames >= 30);
	/* unbuffered: two a frame; 120 KiB hold 29 frames of 4 KiB */
	assert_in_range(wal_writes - before, 1, 2);
	assert_int_equal(count_rows(t->r), 31);
	integrity_ok(t->r);
}

/* A failed write fails the commit; nothing half-written is seen. */
static void
test_failed_write_fails_the_commit(void **state)
{
	struct two *t = *state;

	if (t == NULL)
		skip();	/* the PostgreSQL run */

	assert_int_equal(insert_rows(t->w, 3), SQLITE_OK);
	fail_in = 1;
	assert_int_equal(insert_rows(t->w, 5), SQLITE_IOERR);
	assert_int_equal(fail_in, 0);
	assert_int_equal(count_rows(t->r), 3);
	assert_int_equal(count_rows(t->w), 3);
	/* the writer goes on, over the frames that were not written */
	assert_int_equal(insert_rows(t->w, 4), SQLITE_OK);
	assert_int_equal(count_rows(t->r), 7);
	integrity_ok(t->r);
	integrity_ok(t->w);
}

/*
 * A transaction bigger than the page cache spills frames that no commit
 * covers yet; rolled back, or committed later, the file stays sound.
 */
static void
test_spilled_frames(void **state)
{
	struct two	*t = *state;
	sqlite3		*c;

	if (t == NULL)
		skip();	/* the PostgreSQL run */

	exec_ok(t->w, "PRAGMA cache_size=10");
	exec_ok(t->w, "BEGIN");
	assert_int_equal(insert_rows(t->w, 60), SQLITE_OK);
	exec_ok(t->w, "ROLLBACK");
	assert_int_equal(count_rows(t->r), 0);
	assert_int_equal(count_rows(t->w), 0);
	exec_ok(t->w, "BEGIN");
	assert_int_equal(insert_rows(t->w, 60), SQLITE_OK);
	exec_ok(t->w, "COMMIT");
	assert_int_equal(count_rows(t->r), 60);
	integrity_ok(t->r);
	/* a checkpoint through the plain VFS reads every frame back */
	assert_int_equal(sqlite3_open_v2(t->path, &c, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(c, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL), SQLITE_OK);
	integrity_ok(c);
	assert_int_equal(count_rows(c), 60);
	sqlite3_close(c);
}

static int
int_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	int		 n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Copy the database and its WAL (not the index): the mark it holds. */
static int
recovered_mark(const struct two *t)
{
	char	 cmd[512], path[96];
	sqlite3	*c;
	int	 n;

	snprintf(cmd, sizeof(cmd), "rm -rf %s/copy && mkdir %s/copy && "
	    "cp %s %s-wal %s/copy/", t->dir, t->dir, t->path, t->path, t->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/copy/t.db", t->dir);
	/* no -shm: opening rebuilds the index from the WAL's checksums */
	assert_int_equal(sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	integrity_ok(c);
	n = int_of(c, "SELECT x FROM m");
	sqlite3_close(c);
	return n;
}

/*
 * A transaction bigger than the page cache (pages spilled, then changed
 * again, so SQLite rewrites frames and checksums it already wrote) with
 * its n-th WAL write failing as on a full disk, for every n it makes:
 * either its COMMIT fails and nothing of it is seen, or it commits and a
 * crash (a copy without the index) recovers it. The writer can write
 * again afterwards (the write lock was given back).
 */
static void
test_every_failed_write(void **state)
{
	struct two	*t = *state;
	char		 sql[64];
	int		 n, mark = 0, rc;

	if (t == NULL)
		skip();	/* the PostgreSQL run */

	assert_int_equal(insert_rows(t->w, 60), SQLITE_OK);
	exec_ok(t->w, "CREATE TABLE m (x); INSERT INTO m VALUES (0);"
	    "PRAGMA cache_size=10");
	fail_rc = SQLITE_FULL;
	for (n = 1; n < 400; n++) {
		fail_in = n;
		snprintf(sql, sizeof(sql), "UPDATE m SET x = %d", n);
		rc = sqlite3_exec(t->w, "BEGIN; UPDATE t SET b = "
		    "randomblob(3000) WHERE rowid % 2 = 0; UPDATE t SET b = "
		    "randomblob(3000) WHERE rowid % 3 = 0", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(t->w, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(t->w, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK && !sqlite3_get_autocommit(t->w))
			(void)sqlite3_exec(t->w, "ROLLBACK", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			mark = n;
		assert_int_equal(int_of(t->r, "SELECT x FROM m"), mark);
		integrity_ok(t->r);
		assert_int_equal(recovered_mark(t), mark);
		if (fail_in > 0)	/* it made fewer than n writes */
			break;
		exec_ok(t->w, "UPDATE m SET x = x");
	}
	fail_in = 0;
	fail_rc = SQLITE_IOERR_WRITE;
	print_message("each of its %d WAL writes failed in turn\n", n - 1);
	assert_true(n > 3 && n < 400);	/* it ran out of writes to fail */
	assert_int_equal(mark, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_is_one_write,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_write_fails_the_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spilled_frames, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_every_failed_write,
		    setup, teardown),
	};

	/* under the shim, which takes the default VFS when first asked */
	cnt_register();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
