/*
 * test_store_usage_batch.c - the inventory's usage figures (store.h
 * store_client_usage, store_admin.h store_client_usage_batch) on SQLite
 * or PostgreSQL (harness.h).
 *
 * The inventory reads its clients a batch at a time, each batch with its
 * usage in a few statements; the client detail page reads one client.
 * Both must give, client for client, the same figures: the ones checked
 * by hand here on clients of every shape (no grants; live and revoked
 * grants of several users; more than the 64 sightings read; open and
 * acknowledged alerts; issuances and refreshes whose times do not follow
 * their order in the trail; live, rotated, revoked and expired tokens; a
 * disabled client and a disabled user; 300 grants), whatever the batch
 * boundaries, with and without the live-token count.
 */
#include "../harness.h"

#include "store/sqlite_int.h"
#include "util/log.h"

#define NOW	1700000000
#define NOW_S	"1700000000"
#define NCLIENTS 7

static const char *const ids[NCLIENTS] = {
	"cl_a", "cl_b", "cl_c", "cl_d", "cl_e", "cl_f", "cl_g"
};

/*
 * Rows no store call makes in one go: users, grants, families, tokens,
 * sightings, alerts and audit events, in SQL both backends take.
 */
static const char seed_sql[] =
	"INSERT INTO users (id, username, password_hash, status, created_at, "
	"updated_at) VALUES ('us_a', 'a', 'x', 'active', " NOW_S ", " NOW_S
	"), ('us_b', 'b', 'x', 'active', " NOW_S ", " NOW_S "), "
	"('us_c', 'c', 'x', 'active', " NOW_S ", " NOW_S "), "
	"('us_x', 'x', 'x', 'disabled', " NOW_S ", " NOW_S ");"
	"INSERT INTO grants (id, user_id, client_id, scope, created_at, "
	"revoked_at) VALUES "
	"('gr_b1', 'us_a', 'cl_b', 'openid profile', " NOW_S ", NULL), "
	"('gr_b2', 'us_b', 'cl_b', 'openid email offline_access', " NOW_S
	", NULL), "
	"('gr_b3', 'us_c', 'cl_b', 'admin', " NOW_S ", " NOW_S " - 50), "
	"('gr_c1', 'us_a', 'cl_c', 'openid', " NOW_S ", NULL), "
	"('gr_d1', 'us_x', 'cl_d', 'openid', " NOW_S ", NULL), "
	"('gr_d2', 'us_a', 'cl_d', 'openid offline_access', " NOW_S ", NULL);"
	"INSERT INTO families (id, grant_id, client_id, user_id, created_at, "
	"revoked_at) VALUES "
	"('fa_b1', 'gr_b1', 'cl_b', 'us_a', " NOW_S ", NULL), "
	"('fa_b2', 'gr_b2', 'cl_b', 'us_b', " NOW_S ", " NOW_S " - 10), "
	"('fa_b3', 'gr_b3', 'cl_b', 'us_c', " NOW_S ", NULL), "
	"('fa_c1', 'gr_c1', 'cl_c', 'us_a', " NOW_S ", NULL), "
	"('fa_d1', 'gr_d1', 'cl_d', 'us_x', " NOW_S ", NULL), "
	"('fa_d2', 'gr_d2', 'cl_d', 'us_a', " NOW_S ", NULL);"
	/* live: b1's first two, d2's first two; nothing else */
	"INSERT INTO tokens (hash, kind, family_id, grant_id, client_id, "
	"user_id, scope, issued_at, expires_at, rotated_at, revoked_at) VALUES "
	"('\\xb101', 'access', 'fa_b1', 'gr_b1', 'cl_b', 'us_a', 'openid', "
	NOW_S ", " NOW_S " + 600, NULL, NULL), "
	"('\\xb102', 'refresh', 'fa_b1', 'gr_b1', 'cl_b', 'us_a', 'openid', "
	NOW_S ", " NOW_S " + 86400, NULL, NULL), "
	"('\\xb103', 'refresh', 'fa_b1', 'gr_b1', 'cl_b', 'us_a', 'openid', "
	NOW_S ", " NOW_S " + 86400, " NOW_S " - 5, NULL), "
	"('\\xb104', 'access', 'fa_b1', 'gr_b1', 'cl_b', 'us_a', 'openid', "
	NOW_S ", " NOW_S " - 1, NULL, NULL), "
	"('\\xb105', 'access', 'fa_b1', 'gr_b1', 'cl_b', 'us_a', 'openid', "
	NOW_S ", " NOW_S " + 600, NULL, " NOW_S " - 5), "
	"('\\xb201', 'access', 'fa_b2', 'gr_b2', 'cl_b', 'us_b', 'openid', "
	NOW_S ", " NOW_S " + 600, NULL, NULL), "
	"('\\xb301', 'access', 'fa_b3', 'gr_b3', 'cl_b', 'us_c', 'openid', "
	NOW_S ", " NOW_S " + 600, NULL, NULL), "
	"('\\xc101', 'access', 'fa_c1', 'gr_c1', 'cl_c', 'us_a', 'openid', "
	NOW_S ", " NOW_S " + 600, NULL, NULL), "
	"('\\xd101', 'access', 'fa_d1', 'gr_d1', 'cl_d', 'us_x', 'openid', "
	NOW_S ", " NOW_S " + 600, NULL, NULL), "
	"('\\xd201', 'access', 'fa_d2', 'gr_d2', 'cl_d', 'us_a', 'openid', "
	NOW_S ", " NOW_S " + 600, NULL, NULL), "
	"('\\xd202', 'refresh', 'fa_d2', 'gr_d2', 'cl_d', 'us_a', 'openid', "
	NOW_S ", " NOW_S " + 86400, NULL, NULL), "
	"('\\xd203', 'access', 'fa_d2', 'gr_d2', 'cl_d', 'us_a', 'openid', "
	NOW_S ", " NOW_S ", NULL, NULL);"
	/*
	 * cl_b: 70 networks, the newest, over its three grants (a revoked
	 * one too), then 10 user agents: the 64 latest sightings are all
	 * networks, so it lists no agent
	 */
	"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
	"WHERE i < 69) INSERT INTO grant_sightings (grant_id, kind, value, "
	"first_seen, last_seen) SELECT CASE i % 3 WHEN 0 THEN 'gr_b1' "
	"WHEN 1 THEN 'gr_b2' ELSE 'gr_b3' END, 'net', '10.0.' || i || "
	"'.0/24', " NOW_S " - 1000, " NOW_S " - i FROM n;"
	"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
	"WHERE i < 9) INSERT INTO grant_sightings (grant_id, kind, value, "
	"first_seen, last_seen) SELECT 'gr_b1', 'ua', 'ua-' || i, "
	NOW_S " - 1000, " NOW_S " - 100 - i FROM n;"
	/*
	 * cl_d: one network seen on both grants, listed once; cl_c: older
	 * than all of cl_b's, which share its batch and must not crowd it
	 * out
	 */
	"INSERT INTO grant_sightings (grant_id, kind, value, first_seen, "
	"last_seen) VALUES "
	"('gr_c1', 'net', '203.0.113.0/24', " NOW_S ", " NOW_S " - 5000), "
	"('gr_c1', 'ua', 'old-agent', " NOW_S ", " NOW_S " - 5001), "
	"('gr_d1', 'net', '192.0.2.0/24', " NOW_S ", " NOW_S " - 1), "
	"('gr_d2', 'net', '192.0.2.0/24', " NOW_S ", " NOW_S " - 2), "
	"('gr_d2', 'net', '198.51.100.0/24', " NOW_S ", " NOW_S " - 3), "
	"('gr_d1', 'ua', 'curl/8', " NOW_S ", " NOW_S " - 4), "
	"('gr_d2', 'ua', 'Mozilla/5.0 (X11)', " NOW_S ", " NOW_S " - 5);"
	"INSERT INTO alerts (time, rule, severity, client_id, summary, "
	"evidence, dedupe_key, acked_at, next_attempt_at) VALUES "
	"(" NOW_S ", 'r', 'low', 'cl_b', 's', '{}', 'k1', NULL, 0), "
	"(" NOW_S ", 'r', 'high', 'cl_b', 's', '{}', 'k2', NULL, 0), "
	"(" NOW_S ", 'r', 'low', 'cl_b', 's', '{}', 'k3', " NOW_S ", 0), "
	"(" NOW_S ", 'r', 'low', 'cl_f', 's', '{}', 'k4', " NOW_S ", 0);"
	/* first and last are by order in the trail, not by time */
	"INSERT INTO audit_events (seq, time, type, client_id) VALUES "
	"(1, " NOW_S " - 500, 'token.issued', 'cl_b'), "
	"(2, " NOW_S " - 900, 'token.issued', 'cl_b'), "
	"(3, " NOW_S " - 400, 'token.refreshed', 'cl_b'), "
	"(4, " NOW_S " - 300, 'token.issued', 'cl_e'), "
	"(5, " NOW_S " - 200, 'token.issued', 'cl_b'), "
	"(6, " NOW_S " - 350, 'grant.created', 'cl_b'), "
	"(7, " NOW_S " - 450, 'token.refreshed', 'cl_b'), "
	"(8, " NOW_S " - 10, 'grant.created', 'cl_b'), "
	"(9, " NOW_S " - 50, 'token.issued', 'cl_c'), "
	"(10, " NOW_S " - 5, 'token.issued', NULL);"
	/* cl_g: 300 users, a grant each, 300 different scopes */
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	"WHERE i < 300) INSERT INTO users (id, username, password_hash, "
	"status, created_at, updated_at) SELECT 'us_g' || (1000 + i), "
	"'g' || (1000 + i), 'x', 'active', " NOW_S ", " NOW_S " FROM n;"
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
	"WHERE i < 300) INSERT INTO grants (id, user_id, client_id, scope, "
	"created_at) SELECT 'gr_g' || (1000 + i), 'us_g' || (1000 + i), "
	"'cl_g', 's' || (1000 + i), " NOW_S " FROM n;";

static int
setup(void **state)
{
	struct th_store		*t;
	struct client_row	*c;
	size_t			 i;

	if (th_store_setup(state) != 0)
		return -1;
	t = *state;
	for (i = 0; i < NCLIENTS; i++) {
		c = th_client_new(ids[i], NOW - 1000 + (int64_t)i);
		if (i == 0) {		/* public, no secret, no redirect */
			c->is_public = true;
			c->auth_method = AUTH_NONE;
			c->has_secret = false;
			c->nredirect = 0;
		}
		if (i == 2)
			c->status = CLIENT_DISABLED;
		if (i == 3)
			str_copy(c->networks, sizeof(c->networks),
			    "10.0.0.0/8 192.0.2.0/24");
		assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
		free(c);
	}
	th_sql_exec(t, seed_sql);
	return 0;
}

static int
teardown(void **state)
{
	return th_store_teardown(state);
}

/* Has the space-separated list `list` exactly the words of `want`? */
static void
assert_words(const char *list, const char *want)
{
	struct slice	 w;
	const char	*p = want;
	char		 word[64];
	unsigned	 n = 0, m = 0;

	while (words_next(&p, &w)) {
		assert_true(w.len < sizeof(word));
		memcpy(word, w.p, w.len);
		word[w.len] = '\0';
		assert_true(words_has(list, word));
		n++;
	}
	p = list;
	while (words_next(&p, &w))
		m++;
	assert_int_equal(m, n);
}

/* How many times needle occurs in s. */
static unsigned
count_in(const char *s, const char *needle)
{
	unsigned n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
usage_of(struct th_store *t, const char *id, bool count_tokens,
    struct client_usage *u)
{
	assert_int_equal(store_client_usage(t->s, id, NOW, count_tokens, u),
	    GH_OK);
}

/*
 * The figures of each shape of client, worked out by hand. The scopes
 * are compared as sets: these held for the reads of one client at a
 * time that came before the batches too, which gave them in no set
 * order.
 */
static void
test_figures(void **state)
{
	struct th_store		*t = *state;
	struct client_usage	 u;
	struct slice		 w;
	const char		*p;
	unsigned		 n = 0;

	usage_of(t, "cl_a", true, &u);
	assert_int_equal(u.grants + u.users + u.live_tokens + u.open_alerts,
	    0);
	assert_int_equal(u.first_issued + u.last_issued + u.last_refresh, 0);
	assert_string_equal(u.granted_scopes, "");
	assert_string_equal(u.networks, "");
	assert_string_equal(u.agents, "");

	/* revoked grant, revoked family, rotated, expired, revoked: out */
	usage_of(t, "cl_b", true, &u);
	assert_int_equal(u.grants, 2);
	assert_int_equal(u.users, 2);
	assert_int_equal(u.live_tokens, 2);
	assert_int_equal(u.open_alerts, 2);
	assert_int_equal(u.first_issued, NOW - 500);
	assert_int_equal(u.last_issued, NOW - 200);
	assert_int_equal(u.last_refresh, NOW - 450);
	assert_words(u.granted_scopes, "openid profile email offline_access");
	assert_string_equal(u.networks, "10.0.0.0/24 10.0.1.0/24 10.0.2.0/24");
	assert_string_equal(u.agents, "");
	usage_of(t, "cl_b", false, &u);
	assert_int_equal(u.live_tokens, 0);
	assert_int_equal(u.grants, 2);

	/* a disabled client holds no live token */
	usage_of(t, "cl_c", true, &u);
	assert_int_equal(u.grants, 1);
	assert_int_equal(u.live_tokens, 0);
	assert_int_equal(u.first_issued, NOW - 50);
	assert_int_equal(u.last_issued, NOW - 50);
	assert_string_equal(u.granted_scopes, "openid");
	assert_string_equal(u.networks, "203.0.113.0/24");
	assert_string_equal(u.agents, "old-agent");

	/* nor does a disabled user; a token is live only before its end */
	usage_of(t, "cl_d", true, &u);
	assert_int_equal(u.grants, 2);
	assert_int_equal(u.users, 2);
	assert_int_equal(u.live_tokens, 2);
	assert_words(u.granted_scopes, "openid offline_access");
	assert_string_equal(u.networks, "192.0.2.0/24 198.51.100.0/24");
	assert_string_equal(u.agents, "curl/8\nMozilla/5.0 (X11)");

	usage_of(t, "cl_e", true, &u);
	assert_int_equal(u.first_issued, NOW - 300);
	assert_int_equal(u.last_issued, NOW - 300);
	assert_int_equal(u.last_refresh, 0);
	assert_int_equal(u.grants, 0);

	usage_of(t, "cl_f", true, &u);
	assert_int_equal(u.open_alerts, 0);

	/* the union is bounded by its buffer: some of the 300 scopes */
	usage_of(t, "cl_g", true, &u);
	assert_int_equal(u.grants, 300);
	assert_int_equal(u.users, 300);
	p = u.granted_scopes;
	while (words_next(&p, &w)) {
		assert_int_equal(w.len, 5);
		assert_int_equal(w.p[0], 's');
		n++;
	}
	assert_true(n > 100 && n <= 300);

	/* an unknown client has no usage */
	usage_of(t, "cl_nobody", true, &u);
	assert_int_equal(u.grants + u.live_tokens + u.open_alerts, 0);
	assert_int_equal(u.first_issued, 0);
}

/* Every field of two client rows. */
static void
assert_same_client(const struct client_row *a, const struct client_row *b)
{
	size_t i;

	assert_string_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->owner, b->owner);
	assert_int_equal(a->is_public, b->is_public);
	assert_int_equal(a->auth_method, b->auth_method);
	assert_int_equal(a->has_secret, b->has_secret);
	assert_memory_equal(a->secret_hash, b->secret_hash, GH_HASH_BYTES);
	assert_int_equal(a->nredirect, b->nredirect);
	for (i = 0; i < a->nredirect; i++)
		assert_string_equal(a->redirect_uris[i], b->redirect_uris[i]);
	assert_string_equal(a->scopes, b->scopes);
	assert_string_equal(a->id_token_alg, b->id_token_alg);
	assert_int_equal(a->jwt_access_tokens, b->jwt_access_tokens);
	assert_int_equal(a->require_nonce, b->require_nonce);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->secret_rotated_at, b->secret_rotated_at);
	assert_int_equal(a->updated_at, b->updated_at);
	assert_string_equal(a->networks, b->networks);
	assert_string_equal(a->jwks, b->jwks);
}

/* Every field of two usages. */
static void
assert_same_usage(const struct client_usage *a, const struct client_usage *b)
{
	assert_int_equal(a->grants, b->grants);
	assert_int_equal(a->users, b->users);
	assert_int_equal(a->live_tokens, b->live_tokens);
	assert_int_equal(a->open_alerts, b->open_alerts);
	assert_int_equal(a->first_issued, b->first_issued);
	assert_int_equal(a->last_issued, b->last_issued);
	assert_int_equal(a->last_refresh, b->last_refresh);
	assert_string_equal(a->granted_scopes, b->granted_scopes);
	assert_string_equal(a->networks, b->networks);
	assert_string_equal(a->agents, b->agents);
}

/*
 * A walk in batches of `max` gives every client once, in id order, each
 * with exactly what store_client_get and store_client_usage give it;
 * *batches: how many calls it took, the last one short.
 */
static void
walk(struct th_store *t, unsigned max, bool count_tokens, unsigned *batches)
{
	struct client_row	*rows = calloc(max, sizeof(*rows));
	struct client_row	*one = calloc(1, sizeof(*one));
	struct client_usage	*usage = calloc(max, sizeof(*usage));
	struct client_usage	 u;
	char			 after[GH_MAX_CLIENT_ID_LEN] = "";
	unsigned		 i, n, seen = 0;

	assert_true(rows && one && usage);
	*batches = 0;
	do {
		assert_int_equal(store_client_usage_batch(t->s, after, max,
		    NOW, count_tokens, rows, usage, &n), GH_OK);
		(*batches)++;
		assert_true(n <= max);
		for (i = 0; i < n; i++) {
			assert_true(seen < NCLIENTS);
			assert_string_equal(rows[i].id, ids[seen++]);
			assert_int_equal(store_client_get(t->s, rows[i].id,
			    one), GH_OK);
			assert_same_client(&rows[i], one);
			usage_of(t, rows[i].id, count_tokens, &u);
			assert_same_usage(&usage[i], &u);
		}
		if (n > 0)
			str_copy(after, sizeof(after), rows[n - 1].id);
	} while (n == max);
	assert_int_equal(seen, NCLIENTS);
	free(usage);
	free(one);
	free(rows);
}

/*
 * Batches of 3 (3, 3, 1 clients: cl_b's many sightings and cl_g's 300
 * grants each share a batch with others), of 1, and one batch of all,
 * with and without the live-token count.
 */
static void
test_batch_is_client_by_client(void **state)
{
	struct th_store	*t = *state;
	unsigned	 batches;

	walk(t, 3, true, &batches);
	assert_int_equal(batches, 3);
	walk(t, 3, false, &batches);
	assert_int_equal(batches, 3);
	walk(t, 1, true, &batches);
	assert_int_equal(batches, NCLIENTS + 1);
	walk(t, 256, true, &batches);
	assert_int_equal(batches, 1);
	walk(t, 256, false, &batches);
	assert_int_equal(batches, 1);
}

/* The figures a batch gives are the ones worked out by hand. */
static void
test_batch_figures(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*rows = calloc(3, sizeof(*rows));
	struct client_usage	 usage[3];
	unsigned		 n = 99;

	assert_non_null(rows);
	/* after cl_a: cl_b, cl_c and cl_d */
	assert_int_equal(store_client_usage_batch(t->s, "cl_a", 3, NOW, true,
	    rows, usage, &n), GH_OK);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].id, "cl_b");
	assert_int_equal(usage[0].grants, 2);
	assert_int_equal(usage[0].live_tokens, 2);
	assert_int_equal(usage[0].open_alerts, 2);
	assert_int_equal(usage[0].first_issued, NOW - 500);
	assert_int_equal(usage[0].last_issued, NOW - 200);
	assert_int_equal(usage[0].last_refresh, NOW - 450);
	assert_string_equal(usage[0].granted_scopes,
	    "openid email offline_access profile");
	assert_string_equal(usage[0].networks,
	    "10.0.0.0/24 10.0.1.0/24 10.0.2.0/24");
	assert_string_equal(usage[0].agents, "");
	assert_string_equal(rows[1].id, "cl_c");
	assert_int_equal(rows[1].status, CLIENT_DISABLED);
	assert_int_equal(usage[1].live_tokens, 0);
	assert_string_equal(usage[1].networks, "203.0.113.0/24");
	assert_string_equal(usage[1].agents, "old-agent");
	assert_string_equal(rows[2].id, "cl_d");
	assert_string_equal(rows[2].networks, "10.0.0.0/8 192.0.2.0/24");
	assert_int_equal(usage[2].live_tokens, 2);
	assert_string_equal(usage[2].networks, "192.0.2.0/24 198.51.100.0/24");
	assert_string_equal(usage[2].agents, "curl/8\nMozilla/5.0 (X11)");
	/* the last client, then nothing after it */
	assert_int_equal(store_client_usage_batch(t->s, "cl_f", 3, NOW, true,
	    rows, usage, &n), GH_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].id, "cl_g");
	assert_int_equal(usage[0].grants, 300);
	assert_true(strncmp(usage[0].granted_scopes, "s1001 s1002 s1003 ",
	    18) == 0);
	assert_int_equal(store_client_usage_batch(t->s, "cl_g", 3, NOW, true,
	    rows, usage, &n), GH_OK);
	assert_int_equal(n, 0);
	free(rows);
}

/* The SQLite plans: every figure and list by an index, no table walked. */
static void
test_batch_plans(void **state)
{
	static const enum stmt_id stmts[] = { S_USAGE_BATCH, S_USAGE_SCOPES,
	    S_USAGE_SIGHTS };
	struct th_store	*t = *state;
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 sql[4096], plan[4096];
	const char	*p;
	size_t		 i, len;

	if (t->schema[0])
		skip();
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
		    sqlite_sql[stmts[i]]);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
		    SQLITE_OK);
		plan[0] = '\0';
		len = 0;
		while (sqlite3_step(st) == SQLITE_ROW &&
		    len < sizeof(plan) - 1)
			len += (size_t)snprintf(plan + len, sizeof(plan) - len,
			    "%s\n", (const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
		/*
		 * A SCAN reads a whole table unless it is of a subquery's
		 * rows (d, r, subquery-N): every table is searched by index
		 */
		for (p = plan; (p = strstr(p, "SCAN ")) != NULL; p++)
			assert_true(strncmp(p, "SCAN d\n", 7) == 0 ||
			    strncmp(p, "SCAN r\n", 7) == 0 ||
			    strncmp(p, "SCAN (subquery-", 15) == 0);
		if (stmts[i] != S_USAGE_BATCH) {
			assert_non_null(strstr(plan,
			    "USING INDEX grants_client (client_id>? AND "
			    "client_id<?)"));
			continue;
		}
		/* the audit times: in seq order from the index, no sort */
		assert_int_equal(count_in(plan, "SEARCH e USING INDEX "
		    "audit_client (client_id=?)"), 3);
		assert_null(strstr(plan, "TEMP B-TREE FOR ORDER BY"));
		assert_non_null(strstr(plan, "SEARCH c USING INDEX "
		    "sqlite_autoindex_clients_1 (id>?)"));
	}
	sqlite3_close(db);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_figures),
		T(test_batch_is_client_by_client),
		T(test_batch_figures),
		T(test_batch_plans),
	};
#undef T

	log_set_level(LOG_WARN);	/* no migration chatter */
	return cmocka_run_group_tests_name("store/usage_batch", tests, NULL,
	    NULL);
}
