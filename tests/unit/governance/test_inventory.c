/*
 * test_inventory.c - governance/inventory.h and the ranked inventory
 * (gov_json.h inventory_sorted), against a real store (SQLite, or
 * PostgreSQL when GH_TEST_PG_URL is set).
 *
 * The walk used to stop at 4096 clients, taken in creation order: the
 * ones registered after were silently left out of the inventory and of
 * hygiene. It now reads every client in batches. The ranking holds the
 * whole inventory in memory, so it has a maximum, and past it fails,
 * logged, rather than list part of the inventory as if it were all.
 */
#include "../harness.h"

#include "governance/gov_json.h"
#include "governance/inventory.h"
#include "util/clock.h"
#include "util/log.h"

#define OLD_CUT	4096

static void
add_client(struct th_app_fixture *f, const char *id, int64_t created_at)
{
	struct client_row *c = th_client_new(id, created_at);

	assert_int_equal(store_client_insert(f->t->s, c, NULL), GH_OK);
	free(c);
}

struct walked {
	unsigned	 n;
	bool		 last_seen;
};

static bool
count_client(void *ctx, const struct client_row *c,
    const struct client_usage *u, const struct risk *r)
{
	struct walked *w = ctx;

	(void)u;
	(void)r;
	w->n++;
	if (strcmp(c->id, "zz_last") == 0)
		w->last_seen = true;
	return true;
}

/*
 * More clients than the old cut, inserted by one statement, and one
 * more registered after all of them (last in creation and in id order):
 * the walk meets every one, that last one included.
 */
static void
test_walk_reaches_every_client(void **state)
{
	struct th_app_fixture	*f = *state;
	struct walked	 w = { 0, false };
	char		 sql[512];

	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
	    "INSERT INTO clients (id, name, owner, public, auth_method, "
	    "redirect_uris, scopes, status, created_at, updated_at) "
	    "SELECT 'cl_' || i, 'filler', 'team', 1, 'none', "
	    "'http://127.0.0.1:9000/cb', 'openid', 'disabled', 1000 + i, "
	    "1000 + i FROM n", OLD_CUT);
	th_sql_exec(f->t, sql);
	add_client(f, "zz_last", f->now);
	assert_int_equal(inventory_each(&f->app, f->now, false, count_client,
	    &w), GH_OK);
	assert_int_equal(w.n, OLD_CUT + 1);
	assert_true(w.last_seen);
}

static const char *
id_at(json_t *a, size_t i)
{
	return json_string_value(json_object_get(json_array_get(a, i),
	    "client_id"));
}

/*
 * Ranked riskiest first; equal risks, the older client first, whatever
 * the ids; the entries carry nothing of the ranking's own.
 */
static void
test_ranked_riskiest_then_oldest(void **state)
{
	struct th_app_fixture		*f = *state;
	struct client_row	*c = th_client_new("d_public", f->now - 5);
	json_t			*all = NULL;

	c->is_public = true;
	c->auth_method = AUTH_NONE;
	c->has_secret = false;	/* public with offline_access: riskier */
	assert_int_equal(store_client_insert(f->t->s, c, NULL), GH_OK);
	free(c);
	add_client(f, "a_newest", f->now);
	add_client(f, "c_oldest", f->now - 2);
	add_client(f, "b_middle", f->now - 1);
	assert_int_equal(inventory_sorted(&f->app, f->now, 10, &all), GH_OK);
	assert_int_equal(json_array_size(all), 4);
	assert_string_equal(id_at(all, 0), "d_public");
	assert_string_equal(id_at(all, 1), "c_oldest");
	assert_string_equal(id_at(all, 2), "b_middle");
	assert_string_equal(id_at(all, 3), "a_newest");
	assert_null(json_object_get(json_array_get(all, 0), "_c"));
	json_decref(all);
}

/*
 * One client more than the maximum: nothing ranked, GH_ERR_LIMIT, and
 * the log says so; exactly the maximum is ranked whole.
 */
static void
test_ranking_past_its_maximum_fails_loudly(void **state)
{
	struct th_app_fixture		*f = *state;
	struct th_stderr	 cap;
	json_t			*all = NULL;
	enum gh_err		 rc;

	add_client(f, "cl_1", f->now);
	add_client(f, "cl_2", f->now);
	add_client(f, "cl_3", f->now);
	th_stderr_begin(&cap);
	rc = inventory_sorted(&f->app, f->now, 2, &all);
	th_stderr_end(&cap);
	assert_int_equal(rc, GH_ERR_LIMIT);
	assert_null(all);
	assert_int_equal(th_stderr_count(&cap, "\"inventory_too_large\""), 1);
	assert_int_equal(inventory_sorted(&f->app, f->now, 3, &all), GH_OK);
	assert_int_equal(json_array_size(all), 3);
	json_decref(all);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, \
    th_app_fixture_setup, th_app_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_walk_reaches_every_client),
		T(test_ranked_riskiest_then_oldest),
		T(test_ranking_past_its_maximum_fails_loudly),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("governance/inventory", tests,
	    NULL, NULL);
}
