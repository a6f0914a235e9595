/*
 * test_store_gov.c - store/store.h, the governance reads that a flood or
 * a large registry must not defeat (SQLite, or PostgreSQL when
 * GH_TEST_PG_URL is set):
 *
 * - alert lists are bounded, so they are ranked: open before acknowledged,
 *   high before medium before low, then newest first; a flood of newer,
 *   lesser alerts cannot push a high one off the list, and the count says
 *   how many there are in all;
 * - client ids are read in batches after a given id (a keyset), so a walk
 *   reaches every client, in id order, whatever the order of creation.
 */
#include "../harness.h"

#include "util/log.h"

#define NOW	1700000000

static int64_t
raise_at(struct th_store *t, const char *severity, const char *client_id,
    int64_t time)
{
	struct alert_row	a;
	bool			raised = false;

	memset(&a, 0, sizeof(a));
	a.time = time;
	str_copy(a.rule, sizeof(a.rule), "some_rule");
	str_copy(a.severity, sizeof(a.severity), severity);
	str_copy(a.client_id, sizeof(a.client_id), client_id);
	str_copy(a.summary, sizeof(a.summary), "summary");
	str_copy(a.evidence, sizeof(a.evidence), "{}");
	snprintf(a.dedupe_key, sizeof(a.dedupe_key), "k:%s:%lld", severity,
	    (long long)time);
	/* a quiet period that starts after the alert: always raised */
	assert_int_equal(store_alert_raise(t->s, &a, time + 1, &raised),
	    GH_OK);
	assert_true(raised);
	return a.id;
}

struct seen {
	int64_t		 id[64];
	char		 severity[64][8];
	bool		 acked[64];
	size_t		 n;
};

static bool
add_seen(void *ctx, const struct alert_row *a)
{
	struct seen *s = ctx;

	assert_true(s->n < 64);
	s->id[s->n] = a->id;
	str_copy(s->severity[s->n], sizeof(s->severity[0]), a->severity);
	s->acked[s->n++] = a->acked_at != 0;
	return true;
}

static void
list(struct th_store *t, bool open_only, const char *client, unsigned limit,
    struct seen *out)
{
	memset(out, 0, sizeof(*out));
	assert_int_equal(store_alert_each(t->s, open_only, client, limit,
	    add_seen, out), GH_OK);
}

static int64_t
count(struct th_store *t, bool open_only, const char *client)
{
	int64_t n = -1;

	assert_int_equal(store_alert_count(t->s, open_only, client, &n),
	    GH_OK);
	return n;
}

/*
 * One high alert, then 20 newer medium and 20 newer low ones, and an
 * acknowledged high one newest of all: a list of 5 open alerts starts
 * with the high one, then the newest mediums; with acknowledged ones the
 * acknowledged one comes after every open one.
 */
static void
test_alerts_ranked_by_state_severity_then_time(void **state)
{
	struct th_store	*t = *state;
	struct seen	 s;
	int64_t		 high, acked, first_medium = 0, last_medium = 0;
	int		 i;

	high = raise_at(t, "high", "cl_a", NOW);
	for (i = 1; i <= 20; i++) {
		last_medium = raise_at(t, "medium", i % 2 ? "cl_a" : "cl_b",
		    NOW + i);
		if (i == 1)
			first_medium = last_medium;
		raise_at(t, "low", "cl_a", NOW + 100 + i);
	}
	acked = raise_at(t, "high", "cl_a", NOW + 200);
	assert_int_equal(store_alert_ack(t->s, acked, "ops", NOW + 201),
	    GH_OK);

	list(t, true, NULL, 5, &s);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.id[0], high);
	assert_int_equal(s.id[1], last_medium);	/* then newest first */
	assert_string_equal(s.severity[4], "medium");

	list(t, false, NULL, 64, &s);
	assert_int_equal(s.n, 42);
	assert_int_equal(s.id[0], high);
	assert_int_equal(s.id[20], first_medium);
	assert_string_equal(s.severity[21], "low");
	assert_false(s.acked[40]);
	assert_int_equal(s.id[41], acked);		/* open ones first */
	assert_true(s.acked[41]);

	list(t, true, "cl_b", 64, &s);
	assert_int_equal(s.n, 10);
	assert_string_equal(s.severity[0], "medium");

	assert_int_equal(count(t, true, NULL), 41);
	assert_int_equal(count(t, false, NULL), 42);
	assert_int_equal(count(t, true, "cl_a"), 31);
	assert_int_equal(count(t, false, "cl_a"), 32);
	assert_int_equal(count(t, true, "cl_none"), 0);
}

/*
 * Seven clients created in the reverse of their id order, read three at
 * a time: batches of 3, 3 and 1, each starting after the last id of the
 * one before, every id once, in id order; after the last, nothing.
 */
static void
test_client_ids_in_batches(void **state)
{
	struct th_store		*t = *state;
	char			 ids[3][GH_MAX_CLIENT_ID_LEN];
	char			 after[GH_MAX_CLIENT_ID_LEN] = "";
	char			 want[GH_MAX_CLIENT_ID_LEN];
	unsigned		 n, i, seen = 0, batches = 0;
	struct client_row	*c;

	for (i = 7; i >= 1; i--) {
		snprintf(want, sizeof(want), "cl_%u", i);
		c = th_client_new(want, NOW + 7 - i);
		assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
		free(c);
	}
	do {
		assert_int_equal(store_client_ids(t->s, after, 3, ids, &n),
		    GH_OK);
		for (i = 0; i < n; i++) {
			snprintf(want, sizeof(want), "cl_%u", ++seen);
			assert_string_equal(ids[i], want);
		}
		if (n > 0)
			str_copy(after, sizeof(after), ids[n - 1]);
		batches++;
	} while (n == 3);
	assert_int_equal(seen, 7);
	assert_int_equal(batches, 3);
	assert_int_equal(store_client_ids(t->s, "cl_7", 3, ids, &n), GH_OK);
	assert_int_equal(n, 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_store_setup, \
	th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_alerts_ranked_by_state_severity_then_time),
		T(test_client_ids_in_batches),
	};
#undef T

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store/gov", tests, NULL, NULL);
}
