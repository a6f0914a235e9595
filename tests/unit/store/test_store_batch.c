/*
 * test_store_batch.c - the SQLite backend's group commit (sqlite_sync.c,
 * sqlite_ckpt.c) and its latest migrations:
 *  - an operation that fails inside a shared batch undoes only itself;
 *  - a lazy write is committed although nobody waits for it;
 *  - a request that writes again after the flusher resolved its first
 *    batch waits for the second one too (and so sees its sync fail);
 *  - after a failed sync nothing more is committed (store_durable);
 *  - a write that changed nothing because of another request's write,
 *    still in the open batch, waits for that batch;
 *  - a store failure inside a request fails its store_defer_end, even
 *    when the caller ignored it;
 *  - the audit head (the anchor) is returned only once it is durable;
 *  - another process (a second connection here) gets the write lock in
 *    good time while four threads keep the batch busy;
 *  - the WAL starts over under steady load instead of growing;
 *  - a database at schema 8 migrates with its tokens, codes and the
 *    code-to-family link intact.
 * SQLite only: on PostgreSQL (unit-pg) every test is skipped.
 */
#include "../harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "store/sqlite_schema.h"
#include "util/limits.h"
#include "util/clock.h"
#include "util/log.h"

#define NOW		1700000000
#define WRITERS		4
/* the rest of a 32-byte test hash after its first byte, in hex */
#define Z		"00000000000000000000000000000000000000000000000000000000000000"

/* fdatasync(2), failing while fail_sync is set (the flusher's and SQLite's) */
static atomic_bool fail_sync;

static int
setup(void **state)
{
	atomic_store(&fail_sync, false);	/* a failed test may leave it */
	if (th_pg_url() != NULL) {
		*state = NULL;
		return 0;
	}
	return th_store_setup(state);
}

static struct th_store *
sqlite_only(void **state)
{
	if (*state == NULL)
		skip();
	return *state;
}

static void
test_failed_operation_leaves_the_batch(void **state)
{
	struct th_store		*t = sqlite_only(state);
	struct user_row		 u;
	struct client_row	*c = th_client_new("client1", NOW);

	/* one request: three writes share a batch, the second one fails */
	store_defer_begin(t->s);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_ERR_EXISTS);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_OK);
	free(c);
	/* read through a connection of its own: both writes committed */
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM users"), 1);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM clients"), 1);
}


int fdatasync(int fd);
int
fdatasync(int fd)
{
	static int (*real)(int);

	if (atomic_load(&fail_sync)) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}

static void *
plain_write(void *arg)
{
	struct th_store	*t = arg;
	struct user_row	 u;

	th_user_init(&u, "us_b", "bob", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	return NULL;
}

static void
test_second_batch_of_a_request_is_waited_for(void **state)
{
	struct th_store		*t = sqlite_only(state);
	struct client_row	*c = th_client_new("client1", NOW);
	pthread_t		 th;

	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	free(c);
	store_defer_begin(t->s);
	assert_int_equal(store_client_set_status(t->s, "client1", CLIENT_ACTIVE,
	    CLIENT_DISABLED, NOW, NULL), GH_OK);
	/* a write that waits: its batch is this one's or later, so the
	 * flusher has resolved this request's first batch once it returns */
	assert_int_equal(pthread_create(&th, NULL, plain_write, t), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	/* the request writes again, in a new batch whose sync fails */
	atomic_store(&fail_sync, true);
	assert_int_equal(store_client_set_status(t->s, "client1",
	    CLIENT_DISABLED, CLIENT_ACTIVE, NOW, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_ERR_IO);
	atomic_store(&fail_sync, false);
}

/*
 * After a failed sync nothing more is committed, though the next sync
 * would succeed: the server must stop and recover from the disk.
 */
static void
test_failed_sync_stops_all_commits(void **state)
{
	struct th_store		*t = sqlite_only(state);
	struct client_row	*c = th_client_new("client1", NOW);
	struct user_row		 u;

	assert_true(store_durable(t->s));
	atomic_store(&fail_sync, true);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_ERR_IO);
	free(c);
	atomic_store(&fail_sync, false);
	assert_false(store_durable(t->s));
	/* the disk works again: a write still fails, and is not kept */
	th_user_init(&u, "us_1", "alice", NOW);
	store_defer_begin(t->s);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	assert_int_equal(store_defer_end(t->s), GH_ERR_IO);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM users"), 0);
	assert_false(store_durable(t->s));
}

static void *
insert_same_user(void *arg)
{
	struct th_store	*t = arg;
	struct user_row	 u;
	enum gh_err	 rc;

	store_defer_begin(t->s);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_ERR_EXISTS);
	rc = store_defer_end(t->s);
	return (void *)(intptr_t)rc;
}

static void
test_noop_write_waits_for_the_batch_it_saw(void **state)
{
	struct th_store	*t = sqlite_only(state);
	struct user_row	 u;
	pthread_t	 th;
	void		*b_rc;

	/* request A's insert is in the open batch, not yet waited for */
	store_defer_begin(t->s);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	atomic_store(&fail_sync, true);
	/* request B is told "exists" from A's write: it must wait for it */
	assert_int_equal(pthread_create(&th, NULL, insert_same_user, t), 0);
	assert_int_equal(pthread_join(th, &b_rc), 0);
	assert_int_equal((int)(intptr_t)b_rc, GH_ERR_IO);
	assert_int_equal(store_defer_end(t->s), GH_ERR_IO);
	atomic_store(&fail_sync, false);
}

static void
raw_sql(const struct th_store *t, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void
test_ignored_store_failure_fails_the_request(void **state)
{
	struct th_store		*t = sqlite_only(state);
	struct user_row		 u;
	struct audit_row	 r = { .time = NOW, .type = "test.event" };

	raw_sql(t, "CREATE TRIGGER no_audit BEFORE INSERT ON audit_events "
	    "BEGIN SELECT RAISE(ABORT, 'injected'); END");
	store_defer_begin(t->s);
	th_user_init(&u, "us_1", "alice", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	(void)store_audit_append(t->s, &r);	/* as audit_event() does */
	assert_int_equal(store_defer_end(t->s), GH_ERR_STORE);
	/* the next request starts clean */
	store_defer_begin(t->s);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_ERR_EXISTS);
	assert_int_equal(store_defer_end(t->s), GH_OK);
}

static void
test_audit_head_is_durable(void **state)
{
	struct th_store		*t = sqlite_only(state);
	struct audit_row	 r = { .time = NOW, .type = "test.event" };
	uint8_t			 hash[GH_HASH_BYTES];
	int64_t			 seq = -1;

	assert_int_equal(store_audit_append(t->s, &r), GH_OK);
	assert_int_equal(store_audit_head(t->s, &seq, hash), GH_OK);
	assert_int_equal(seq, 1);
	/* a second event in the open batch, whose sync will fail */
	store_defer_begin(t->s);
	assert_int_equal(store_audit_append(t->s, &r), GH_OK);
	atomic_store(&fail_sync, true);
	assert_int_equal(store_audit_head(t->s, &seq, hash), GH_ERR_IO);
	assert_int_equal(store_defer_end(t->s), GH_ERR_IO);
	atomic_store(&fail_sync, false);
}

static void
test_lazy_write_is_committed(void **state)
{
	struct th_store	*t = sqlite_only(state);
	struct user_row	 u;
	double		 t0 = clock_mono();

	th_user_init(&u, "us_1", "alice", NOW);
	store_lazy(t->s, true);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	store_lazy(t->s, false);
	/* nobody waits for it: the flusher commits it all the same */
	while (th_sql_int(t, "SELECT count(*) FROM users") != 1)
		assert_true(clock_mono() - t0 < 5.0);
}

struct writer {
	struct th_store	*t;
	volatile bool	*stop;
	int		 n;		/* appends to make; 0: until *stop */
	size_t		 pad;		/* detail bytes per event */
	int		 done;
};

static void *
append_loop(void *arg)
{
	struct writer		*w = arg;
	struct audit_row	 r;
	char			*detail = malloc(w->pad + 16);
	size_t			 i;

	assert_non_null(detail);
	memcpy(detail, "{\"pad\":\"", 8);
	for (i = 0; i < w->pad; i++)
		detail[8 + i] = (char)('a' + i % 26);
	memcpy(detail + 8 + w->pad, "\"}", 3);
	memset(&r, 0, sizeof(r));
	r.time = NOW;
	r.type = "test.load";
	r.client_id = "client1";
	r.detail = detail;
	while (w->n > 0 ? w->done < w->n : !*w->stop) {
		if (store_audit_append(w->t->s, &r) != GH_OK)
			break;
		w->done++;
	}
	free(detail);
	return NULL;
}

static void
test_other_process_gets_the_write_lock(void **state)
{
	struct th_store		*t = sqlite_only(state);
	struct writer		 w[WRITERS];
	pthread_t		 th[WRITERS];
	volatile bool		 stop = false;
	struct store		*other;
	struct client_row	*c = th_client_new("client1", NOW);
	double			 t0, worst = 0;
	int			 i, round;

	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	free(c);
	/* as the admin command does (no readers, no checkpointer) */
	assert_int_equal(store_open_admin(t->path, &other), GH_OK);
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ t, &stop, 0, 64, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, append_loop,
		    &w[i]), 0);
	}
	for (round = 0; round < 5; round++) {
		t0 = clock_mono();
		assert_int_equal(store_client_set_status(other, "client1",
		    round % 2 ? CLIENT_DISABLED : CLIENT_ACTIVE,
		    round % 2 ? CLIENT_ACTIVE : CLIENT_DISABLED, NOW + round,
		    NULL), GH_OK);
		if (clock_mono() - t0 > worst)
			worst = clock_mono() - t0;
	}
	stop = true;
	for (i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		assert_true(w[i].done > 0);	/* the load was real */
	}
	store_close(other);
	/* SQLite's busy handler alone gives up after 5 s (busy_timeout) */
	assert_true(worst < 1.0);
	assert_int_equal(th_sql_int(t,
	    "SELECT status = 'disabled' FROM clients"), 1);
}

static void
test_wal_starts_over_under_load(void **state)
{
	struct th_store	*t = sqlite_only(state);
	struct writer	 w[WRITERS];
	pthread_t	 th[WRITERS];
	volatile bool	 stop = false;
	char		 wal[TH_PATH + 8];
	struct stat	 sb;
	int		 i, total = 0;

	/*
	 * Each event fills most of a page, so the appends write at least one
	 * frame each, half as many again as GH_WAL_RESTART_FRAMES: a WAL
	 * that never started over would end up that much bigger.
	 */
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ t, &stop,
		    GH_WAL_RESTART_FRAMES * 3 / 2 / WRITERS, 3500, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, append_loop,
		    &w[i]), 0);
	}
	for (i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		total += w[i].done;
	}
	assert_int_equal(total, GH_WAL_RESTART_FRAMES * 3 / 2);
	snprintf(wal, sizeof(wal), "%s-wal", t->path);
	assert_int_equal(stat(wal, &sb), 0);
	/* the file keeps its largest size: the limit and one batch more */
	assert_true(sb.st_size < (off_t)(GH_WAL_RESTART_FRAMES + 512) *
	    (4096 + 24));
	assert_int_equal(th_sql_int(t,
	    "SELECT count(*) FROM audit_events"), total);
}

/* schema 8 by hand, then the store migrates it */
static void
test_migration_keeps_tokens_codes_and_families(void **state)
{
	struct th_store		*t = sqlite_only(state);
	static const char rows[] =
	    "INSERT INTO users (id, username, password_hash, status,"
	    " created_at, updated_at) VALUES ('us_1', 'alice', 'x', 'active',"
	    " 1, 1);"
	    "INSERT INTO clients (id, name, owner, public, auth_method,"
	    " redirect_uris, scopes, status, created_at, updated_at) VALUES"
	    " ('client1', 'c', 'o', 1, 'none', 'https://a.example/cb',"
	    " 'openid', 'active', 1, 1);"
	    "INSERT INTO grants (id, user_id, client_id, scope, created_at)"
	    " VALUES ('gr_1', 'us_1', 'client1', 'openid', 1);"
	    "INSERT INTO families (id, grant_id, client_id, user_id,"
	    " code_hash, created_at) VALUES ('fam_1', 'gr_1', 'client1',"
	    " 'us_1', x'11" Z "', 1);"
	    "INSERT INTO codes (hash, grant_id, client_id, user_id,"
	    " redirect_uri, challenge, scope, auth_time, created_at,"
	    " expires_at, consumed_at) VALUES (x'11" Z "', 'gr_1', 'client1',"
	    " 'us_1', 'https://a.example/cb', 'c', 'openid', 1, 1, 2000000000,"
	    " 1700000000);"
	    "INSERT INTO tokens (hash, kind, family_id, grant_id, client_id,"
	    " user_id, scope, issued_at, expires_at) VALUES (x'22" Z "',"
	    " 'access',"
	    " 'fam_1', 'gr_1', 'client1', 'us_1', 'openid', 1, 2000000000);";
	uint8_t			 code[GH_HASH_BYTES], at[GH_HASH_BYTES];
	struct token_row	 tok;
	struct code_row		 cr;
	sqlite3			*raw;
	int			 v;

	/* a database of its own, at schema 8 */
	store_close(t->s);
	t->s = NULL;
	(void)unlink(t->path);
	assert_int_equal(sqlite3_open(t->path, &raw), SQLITE_OK);
	for (v = 0; v < 8; v++)
		assert_int_equal(sqlite3_exec(raw, sqlite_migrations[v], NULL,
		    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 8", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, rows, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(raw);

	assert_int_equal(store_open(t->path, &t->s), GH_OK);
	assert_int_equal(th_sql_int(t, "PRAGMA user_version"),
	    sqlite_migration_count);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM sqlite_master"
	    " WHERE name = 'families_code'"), 0);
	/* the link a replay needs was filled in from the old index */
	assert_int_equal(th_sql_int(t, "SELECT family_id = 'fam_1' FROM codes"),
	    1);

	memset(code, 0, sizeof(code));
	memset(at, 0, sizeof(at));
	code[0] = 0x11;
	at[0] = 0x22;
	assert_int_equal(store_code_get(t->s, code, &cr), GH_OK);
	assert_true(cr.consumed);
	assert_int_equal(store_token_live(t->s, at, NOW, &tok), GH_OK);
	assert_string_equal(tok.family_id, "fam_1");
	/* a replay of the code revokes the family it minted, and its token */
	assert_int_equal(store_family_revoke_by_code(t->s, code, NOW,
	    "code.replayed"), GH_OK);
	assert_int_not_equal(store_token_live(t->s, at, NOW, &tok), GH_OK);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_failed_operation_leaves_the_batch),
		T(test_lazy_write_is_committed),
		T(test_second_batch_of_a_request_is_waited_for),
		T(test_failed_sync_stops_all_commits),
		T(test_noop_write_waits_for_the_batch_it_saw),
		T(test_ignored_store_failure_fails_the_request),
		T(test_audit_head_is_durable),
		T(test_other_process_gets_the_write_lock),
		T(test_wal_starts_over_under_load),
		T(test_migration_keeps_tokens_codes_and_families),
	};
#undef T

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store/batch", tests, NULL, NULL);
}
