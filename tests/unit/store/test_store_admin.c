/*
 * test_store_admin.c - store/store.h on SQLite, administration side:
 * admins and their credential hashes, console sessions (expiry, disabled
 * admins, bounded purge), a user revoking only their own grant, and the
 * hourly token activity of a client.
 */
#include "../harness.h"

#include "util/log.h"

#define NOW	1700000000

static void
admin_init(struct admin_row *a, const char *name, const char *label)
{
	memset(a, 0, sizeof(*a));
	str_copy(a->name, sizeof(a->name), name);
	th_hash(label, a->secret_hash);
	a->created_at = NOW;
}

static bool
count_admin(void *ctx, const struct admin_row *a)
{
	(void)a;
	(*(int *)ctx)++;
	return true;
}

static void
test_admins(void **state)
{
	struct th_store	*t = *state;
	struct admin_row a, got;
	uint8_t		 h[GH_HASH_BYTES];
	int		 n = 0;

	admin_init(&a, "ops", "cred-ops");
	assert_int_equal(store_admin_insert(t->s, &a, NULL), GH_OK);
	assert_int_equal(store_admin_insert(t->s, &a, NULL), GH_ERR_EXISTS);
	admin_init(&a, "sec", "cred-sec");
	assert_int_equal(store_admin_insert(t->s, &a, NULL), GH_OK);
	th_hash("cred-ops", h);
	assert_int_equal(store_admin_by_hash(t->s, h, NOW + 100, &got), GH_OK);
	assert_string_equal(got.name, "ops");
	assert_int_equal(got.disabled_at, 0);
	assert_int_equal(store_admin_by_hash(t->s, h, NOW + 200, &got), GH_OK);
	assert_int_equal(got.last_used_at, NOW + 100);
	th_hash("nobody", h);
	assert_int_equal(store_admin_by_hash(t->s, h, NOW, &got),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_admin_disable(t->s, "ops", NOW + 300), GH_OK);
	assert_int_equal(store_admin_disable(t->s, "ops", NOW + 300),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_admin_disable(t->s, "none", NOW),
	    GH_ERR_NOT_FOUND);
	th_hash("cred-ops", h);
	assert_int_equal(store_admin_by_hash(t->s, h, NOW + 400, &got), GH_OK);
	assert_int_equal(got.disabled_at, NOW + 300);
	assert_int_equal(store_admin_each(t->s, count_admin, &n), GH_OK);
	assert_int_equal(n, 2);
}

static void
test_admin_sessions(void **state)
{
	struct th_store	*t = *state;
	struct admin_row a;
	uint8_t		 s1[GH_HASH_BYTES], s2[GH_HASH_BYTES];
	char		 who[GH_MAX_ADMIN_NAME + 1];

	admin_init(&a, "ops", "cred-ops");
	assert_int_equal(store_admin_insert(t->s, &a, NULL), GH_OK);
	th_hash("session-1", s1);
	th_hash("session-2", s2);
	assert_int_equal(store_admin_session_insert(t->s, s1, "ops", NOW,
	    NOW + 60), GH_OK);
	assert_int_equal(store_admin_session_get(t->s, s1, NOW + 59, who),
	    GH_OK);
	assert_string_equal(who, "ops");
	assert_int_equal(store_admin_session_get(t->s, s1, NOW + 60, who),
	    GH_ERR_NOT_FOUND);
	/* a later login purges the expired session */
	assert_int_equal(store_admin_session_insert(t->s, s2, "ops",
	    NOW + 100, NOW + 1000), GH_OK);
	assert_int_equal(store_admin_session_get(t->s, s1, NOW, who),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_admin_session_get(t->s, s2, NOW + 101, who),
	    GH_OK);
	/* disabling the admin ends the session at once */
	assert_int_equal(store_admin_disable(t->s, "ops", NOW + 102), GH_OK);
	assert_int_equal(store_admin_session_get(t->s, s2, NOW + 103, who),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_admin_session_delete(t->s, s2), GH_OK);
}

static void
test_grant_revoke_own(void **state)
{
	struct th_store		*t = *state;
	struct client_row	*c = th_client_new("client1", NOW);
	struct user_row		 alice, bob;
	struct grant_row	 g;

	th_user_init(&alice, "u_alice", "alice", NOW);
	th_user_init(&bob, "u_bob", "bob", NOW);
	assert_int_equal(store_client_insert(t->s, c, NULL), GH_OK);
	assert_int_equal(store_user_insert(t->s, &alice, NULL), GH_OK);
	assert_int_equal(store_user_insert(t->s, &bob, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "u_alice", "client1",
	    "openid", NOW, &g), GH_OK);
	/* bob cannot touch alice's grant */
	assert_int_equal(store_grant_revoke_own(t->s, g.id, "u_bob", "x",
	    NOW + 1), GH_ERR_NOT_FOUND);
	assert_int_equal(store_grant_find(t->s, "u_alice", "client1", &g),
	    GH_OK);
	assert_int_equal(store_grant_revoke_own(t->s, g.id, "u_alice",
	    "revoked by the user", NOW + 2), GH_OK);
	assert_int_equal(store_grant_find(t->s, "u_alice", "client1", &g),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(store_grant_revoke_own(t->s, g.id, "u_alice", "x",
	    NOW + 3), GH_ERR_NOT_FOUND);
	free(c);
}

static void
test_client_activity(void **state)
{
	struct th_store	*t = *state;
	unsigned	 issued[GH_MAX_ACTIVITY_HOURS];
	unsigned	 refreshed[GH_MAX_ACTIVITY_HOURS];
	uint8_t		 key[GH_HASH_BYTES];
	int64_t		 since = NOW - NOW % 3600;

	th_hash("audit key", key);
	store_set_audit_key(t->s, key);
	th_client_event(t->s, since - 1, "token.issued", "c1");	/* before: ignored */
	th_client_event(t->s, since, "token.issued", "c1");
	th_client_event(t->s, since + 3599, "token.issued", "c1");
	th_client_event(t->s, since + 3600, "token.refreshed", "c1");
	th_client_event(t->s, since + 7200, "token.issued", "c2");	/* other client */
	th_client_event(t->s, since + 7200, "login.success", "c1");	/* other type */
	th_client_event(t->s, since + 4 * 3600, "token.issued", "c1");	/* after */
	assert_int_equal(store_client_activity(t->s, "c1", since, 4, issued,
	    refreshed), GH_OK);
	assert_int_equal(issued[0], 2);
	assert_int_equal(refreshed[0], 0);
	assert_int_equal(issued[1], 0);
	assert_int_equal(refreshed[1], 1);
	assert_int_equal(issued[2] + issued[3] + refreshed[2] + refreshed[3],
	    0);
	assert_int_equal(store_client_activity(t->s, "c1", since,
	    GH_MAX_ACTIVITY_HOURS + 1, issued, refreshed), GH_ERR_LIMIT);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, th_store_setup, \
	th_store_teardown)
	const struct CMUnitTest tests[] = {
		T(test_admins),
		T(test_admin_sessions),
		T(test_grant_revoke_own),
		T(test_client_activity),
	};
#undef T

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("store/admin", tests, NULL, NULL);
}
