/*
 * test_store_audit.c - the audit chain under concurrent appends (store.h):
 * many threads append at once (the SQLite backend batches them into
 * shared transactions); every event is stored exactly once, seqs are
 * 1..N without gaps, each event names its predecessor's hash, and each
 * thread's events keep their order. Then verify passes on the result.
 * The same with appends made as a request makes them: two per deferred
 * request (store_defer_begin/end), some under store_lazy, the caller's
 * detail buffer rewritten before the request ends. And with the threads
 * split between two stores on one database, as two nodes append: each
 * store's idea of the chain's end goes stale whenever the other appends.
 * And on PostgreSQL, with the chain's last event gone behind the store's
 * back (a lazy commit lost when the database crashed): the next append
 * must chain onto the event that is there. And with the hash failing
 * (OpenSSL out of memory): no event is appended with a wrong hash, and
 * verification is no verdict rather than "edited".
 */
#include <pthread.h>

#include "../harness.h"

#include <dlfcn.h>

#include <openssl/evp.h>

#include "governance/audit.h"

static bool evp_fails;		/* EVP_MD_CTX_new answers NULL */

/* Defined here, so the library's calls bind to it before libcrypto's. */
EVP_MD_CTX *
EVP_MD_CTX_new(void)
{
	static EVP_MD_CTX	*(*real)(void);

	if (evp_fails)
		return NULL;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "EVP_MD_CTX_new");
	return real != NULL ? real() : NULL;
}

#define THREADS	8
#define EACH	200
#define NOW	1700000000

struct appender {
	struct store	*s;
	int		 id;
	bool		 requests;	/* deferred, two rows a request */
	enum gh_err	 rc;
};

static enum gh_err
append_one(struct appender *a, char *detail, size_t size, int i)
{
	struct audit_row r = { .time = NOW, .type = "token.issued",
	    .actor = "client", .client_id = "client1", .detail = detail };

	snprintf(detail, size, "{\"t\":%d,\"i\":%d}", a->id, i);
	return store_audit_append(a->s, &r);
}

/* Two rows in one deferred request; odd threads' requests are lazy. */
static enum gh_err
append_request(struct appender *a, int i)
{
	char		detail[64];
	enum gh_err	rc, end;

	store_defer_begin(a->s);
	store_lazy(a->s, a->id % 2 == 1);
	if ((rc = append_one(a, detail, sizeof(detail), i)) == GH_OK)
		rc = append_one(a, detail, sizeof(detail), i + 1);
	store_lazy(a->s, false);
	/* the rows must not depend on the caller's buffer any more */
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	end = store_defer_end(a->s);
	return rc != GH_OK ? rc : end;
}

static void *
append_many(void *arg)
{
	struct appender	*a = arg;
	char		 detail[64];
	int		 i;

	for (i = 0; i < EACH && a->rc == GH_OK; i += a->requests ? 2 : 1)
		a->rc = a->requests ? append_request(a, i) :
		    append_one(a, detail, sizeof(detail), i);
	return NULL;
}

struct check {
	int64_t	 n;
	int64_t	 last_seq;
	uint8_t	 last_hash[GH_HASH_BYTES];
	int	 next[THREADS];
	bool	 ok;
};

static bool
check_row(void *ctx, const struct audit_row *r)
{
	struct check	*c = ctx;
	int		 t = -1, i = -1;

	if (r->seq != c->last_seq + 1 ||
	    memcmp(r->prev_hash, c->last_hash, GH_HASH_BYTES) != 0 ||
	    r->detail == NULL ||
	    sscanf(r->detail, "{\"t\":%d,\"i\":%d}", &t, &i) != 2 ||
	    t < 0 || t >= THREADS || i != c->next[t]) {
		c->ok = false;
		return false;
	}
	c->next[t]++;
	c->n++;
	c->last_seq = r->seq;
	memcpy(c->last_hash, r->hash, GH_HASH_BYTES);
	return true;
}

static void
appends_chain(struct th_store *t, bool requests, bool two_nodes)
{
	struct appender		 a[THREADS];
	pthread_t		 th[THREADS];
	struct check		 c;
	struct audit_verdict	 v;
	uint8_t			 key[GH_HASH_BYTES], head[GH_HASH_BYTES];
	struct store		*other = t->s;
	int64_t			 seq = 0, seen;
	int			 i;

	memset(key, 7, sizeof(key));
	store_set_audit_key(t->s, key);
	if (two_nodes) {
		assert_int_equal(store_open(t->path, &other), GH_OK);
		store_set_audit_key(other, key);
	}
	for (i = 0; i < THREADS; i++) {
		a[i] = (struct appender){ i % 2 ? other : t->s, i, requests,
		    GH_OK };
		assert_int_equal(pthread_create(&th[i], NULL, append_many,
		    &a[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(a[i].rc, GH_OK);
	}
	if (two_nodes)
		store_close(other);
	memset(&c, 0, sizeof(c));
	c.ok = true;
	do {
		seen = c.n;
		assert_int_equal(store_audit_each(t->s, c.last_seq, 500,
		    check_row, &c), GH_OK);
	} while (c.ok && c.n > seen);
	assert_true(c.ok);
	assert_int_equal(c.n, THREADS * EACH);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(c.next[i], EACH);
	assert_int_equal(store_audit_head(t->s, &seq, head), GH_OK);
	assert_int_equal(seq, THREADS * EACH);
	assert_memory_equal(head, c.last_hash, GH_HASH_BYTES);
	assert_int_equal(audit_verify(t->s, key, NULL, &v), GH_OK);
	assert_true(v.ok);
	assert_int_equal(v.events, THREADS * EACH);
}

static void
test_concurrent_appends_chain(void **state)
{
	appends_chain(*state, false, false);
}

static void
test_request_appends_chain(void **state)
{
	appends_chain(*state, true, false);
}

static void
test_two_nodes_append_chain(void **state)
{
	appends_chain(*state, false, true);
}

static void
test_two_nodes_request_chain(void **state)
{
	appends_chain(*state, true, true);
}

static void
test_lost_end_rechained(void **state)
{
	struct th_store		*t = *state;
	struct audit_verdict	 v;
	struct appender		 a = { t->s, 0, false, GH_OK };
	uint8_t			 key[GH_HASH_BYTES];
	char			 detail[64];
	int			 i;

	if (!t->schema[0])
		skip();		/* SQLite: no remembered end to go stale */
	memset(key, 7, sizeof(key));
	store_set_audit_key(t->s, key);
	for (i = 0; i < 3; i++)
		assert_int_equal(append_one(&a, detail, sizeof(detail), i),
		    GH_OK);
	assert_true(th_sql_int(t, "DELETE FROM audit_events WHERE seq = 3 "
	    "RETURNING seq") == 3);
	for (i = 3; i < 5; i++)
		assert_int_equal(append_one(&a, detail, sizeof(detail), i),
		    GH_OK);
	assert_int_equal(th_sql_int(t, "SELECT max(seq) FROM audit_events"),
	    4);
	assert_int_equal(audit_verify(t->s, key, NULL, &v), GH_OK);
	assert_true(v.ok);
	assert_int_equal(v.events, 4);
}

static void
test_failed_hash_is_no_event_and_no_verdict(void **state)
{
	struct th_store		*t = *state;
	struct audit_verdict	 v;
	struct appender		 a = { t->s, 0, false, GH_OK };
	uint8_t			 key[GH_HASH_BYTES];
	char			 detail[64];
	enum gh_err		 rc;

	memset(key, 7, sizeof(key));
	store_set_audit_key(t->s, key);
	assert_int_equal(append_one(&a, detail, sizeof(detail), 0), GH_OK);
	evp_fails = true;
	rc = append_one(&a, detail, sizeof(detail), 1);
	evp_fails = false;
	assert_int_not_equal(rc, GH_OK);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events"),
	    1);
	/* the chain goes on from the event that is there */
	assert_int_equal(append_one(&a, detail, sizeof(detail), 2), GH_OK);
	assert_int_equal(audit_verify(t->s, key, NULL, &v), GH_OK);
	assert_true(v.ok);
	assert_int_equal(v.events, 2);
	/* a check that cannot hash says so, and no more */
	evp_fails = true;
	rc = audit_verify(t->s, key, NULL, &v);
	evp_fails = false;
	assert_int_not_equal(rc, GH_OK);
	assert_true(v.ok);
	/* nor can the chain's key be made */
	evp_fails = true;
	rc = audit_chain_key(key, sizeof(key), key);
	evp_fails = false;
	assert_int_not_equal(rc, GH_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_appends_chain,
		    th_store_setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(test_request_appends_chain,
		    th_store_setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(test_two_nodes_append_chain,
		    th_store_setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(test_two_nodes_request_chain,
		    th_store_setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(test_lost_end_rechained,
		    th_store_setup, th_store_teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_hash_is_no_event_and_no_verdict,
		    th_store_setup, th_store_teardown),
	};

	return cmocka_run_group_tests_name("store/audit", tests, NULL, NULL);
}
