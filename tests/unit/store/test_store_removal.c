/*
 * test_store_removal.c - removals of access made with their audit event
 * in one transaction (store_admin.h: store_grant_revoke_with_event,
 * store_key_retire_with_event, store_admin_disable_with_event), on SQLite
 * or PostgreSQL (GH_TEST_PG_URL):
 *  - each stores its event with the change, chained like any append; a
 *    revocation's event is described with the grants it revoked;
 *  - no event when nothing changed (no live grant left, a key retired
 *    already or unknown, an admin disabled already or unknown);
 *  - when the event cannot be stored (a trigger makes audit inserts
 *    fail) the change is not made either: both or neither, which is
 *    what makes an unknown outcome safe (test_pg_reconnect.c breaks the
 *    connection under them); without an event the change is made alone.
 */
#include "../harness.h"

#include "governance/audit.h"
#include "governance/gov_json.h"

#define NOW	1700000000

/*
 * client1 and client2; alice (us_1) and bob (us_2); grants of alice to
 * both clients and of bob to client1; the signing key RS256-a; admin ops.
 */
static int
setup(void **state)
{
	struct th_store		*t;
	struct user_row		 u;
	struct grant_row	 g;
	struct key_row		 k;
	struct admin_row	 a;

	if (th_store_setup_audited(state) != 0)
		return -1;
	t = *state;
	th_two_clients_alice(t->s, NOW);
	th_user_init(&u, "us_2", "bob", NOW);
	assert_int_equal(store_user_insert(t->s, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client1", "openid",
	    NOW, &g), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "us_1", "client2", "openid",
	    NOW, &g), GH_OK);
	assert_int_equal(store_grant_upsert(t->s, "us_2", "client1", "openid",
	    NOW, &g), GH_OK);
	memset(&k, 0, sizeof(k));
	str_copy(k.kid, sizeof(k.kid), "RS256-a");
	str_copy(k.alg, sizeof(k.alg), "RS256");
	str_copy(k.private_sealed, sizeof(k.private_sealed), "sealed");
	str_copy(k.public_jwk, sizeof(k.public_jwk), "{}");
	k.created_at = k.activate_at = NOW;
	assert_int_equal(store_key_insert(t->s, &k, NULL), GH_OK);
	memset(&a, 0, sizeof(a));
	str_copy(a.name, sizeof(a.name), "ops");
	th_hash("cred-ops", a.secret_hash);
	a.created_at = NOW;
	assert_int_equal(store_admin_insert(t->s, &a, NULL), GH_OK);
	return 0;
}

static int
teardown(void **state)
{
	return th_store_teardown(state);
}

/* An event as the admin command drafts it; detail set by describe. */
struct draft {
	struct audit_row	 r;
	struct change_audit	 ev;
	char			 detail[GH_MAX_AUDIT_DETAIL];
};

static void
revoked(void *ctx, unsigned changed, struct audit_row *r)
{
	struct draft *d = ctx;

	revocation_detail("test", changed, d->detail, sizeof(d->detail));
	r->detail = d->detail;
}

static void
draft(struct draft *d, const char *type)
{
	memset(d, 0, sizeof(*d));
	d->r = (struct audit_row){ .time = NOW, .type = type,
	    .actor = "admin", .detail = "{}" };
	d->ev = (struct change_audit){ &d->r, revoked, d };
	if (strcmp(type, "grant.revoked") != 0)
		d->ev.describe = NULL;
}

static int64_t
live_grants(const struct th_store *t)
{
	return th_sql_int(t, "SELECT count(*) FROM grants WHERE "
	    "revoked_at IS NULL");
}

static int64_t
retired(const struct th_store *t)
{
	return th_sql_int(t, "SELECT count(*) FROM signing_keys WHERE "
	    "retire_at IS NOT NULL");
}

static int64_t
disabled(const struct th_store *t)
{
	return th_sql_int(t, "SELECT count(*) FROM admins WHERE "
	    "disabled_at IS NOT NULL");
}

static void
test_revocations_with_event(void **state)
{
	struct th_store	*t = *state;
	struct draft	 d;
	unsigned	 n = 99;

	draft(&d, "grant.revoked");
	assert_int_equal(store_grant_revoke_with_event(t->s, GRANTS_OF_CLIENT,
	    "client1", "test", NOW + 1, &n, &d.ev), GH_OK);
	assert_int_equal(n, 2);
	assert_int_equal(live_grants(t), 1);
	assert_int_equal(th_sql_int(t, "SELECT count(*) FROM audit_events "
	    "WHERE type = 'grant.revoked' AND detail = "
	    "'{\"reason\":\"test\",\"grants_revoked\":2}'"), 1);
	assert_int_equal(store_grant_revoke_with_event(t->s, GRANTS_OF_USER,
	    "us_1", "test", NOW + 2, &n, &d.ev), GH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(live_grants(t), 0);
	/* nothing left to revoke: no event */
	assert_int_equal(store_grant_revoke_with_event(t->s, GRANTS_OF_USER,
	    "us_2", "test", NOW + 3, &n, &d.ev), GH_OK);
	assert_int_equal(n, 0);
	assert_int_equal(th_audit_count(t, "grant.revoked"), 2);
	th_chain_ok(t, 2);
}

static void
test_one_grant_with_event(void **state)
{
	struct th_store		*t = *state;
	struct grant_row	 g;
	struct draft		 d;
	unsigned		 n = 99;

	assert_int_equal(store_grant_find(t->s, "us_2", "client1", &g), GH_OK);
	draft(&d, "grant.revoked");
	assert_int_equal(store_grant_revoke_with_event(t->s, GRANT_ONE, g.id,
	    "test", NOW + 1, &n, &d.ev), GH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_grant_revoke_with_event(t->s, GRANT_ONE, g.id,
	    "test", NOW + 2, &n, &d.ev), GH_OK);
	assert_int_equal(n, 0);
	assert_int_equal(live_grants(t), 2);
	assert_int_equal(th_audit_count(t, "grant.revoked"), 1);
	th_chain_ok(t, 1);
}

static void
test_key_retire_with_event(void **state)
{
	struct th_store	*t = *state;
	struct draft	 d;

	draft(&d, "key.retired");
	assert_int_equal(store_key_retire_with_event(t->s, "RS256-a", NOW + 1,
	    &d.ev), GH_OK);
	assert_int_equal(retired(t), 1);
	assert_int_equal(store_key_retire_with_event(t->s, "RS256-a", NOW + 2,
	    &d.ev), GH_ERR_NOT_FOUND);
	assert_int_equal(store_key_retire_with_event(t->s, "RS256-none",
	    NOW + 2, &d.ev), GH_ERR_NOT_FOUND);
	assert_int_equal(th_audit_count(t, "key.retired"), 1);
	th_chain_ok(t, 1);
}

static void
test_admin_disable_with_event(void **state)
{
	struct th_store	*t = *state;
	struct draft	 d;

	draft(&d, "admin.disabled");
	assert_int_equal(store_admin_disable_with_event(t->s, "ops", NOW + 1,
	    &d.ev), GH_OK);
	assert_int_equal(disabled(t), 1);
	assert_int_equal(store_admin_disable_with_event(t->s, "ops", NOW + 2,
	    &d.ev), GH_ERR_NOT_FOUND);
	assert_int_equal(store_admin_disable_with_event(t->s, "nobody",
	    NOW + 2, &d.ev), GH_ERR_NOT_FOUND);
	assert_int_equal(th_audit_count(t, "admin.disabled"), 1);
	th_chain_ok(t, 1);
}

/*
 * The event cannot be stored: no change either. Without an event (what
 * the admin command then falls back to, appending the event after) the
 * change alone is made.
 */
static void
test_removals_undone_without_event(void **state)
{
	struct th_store	*t = *state;
	struct draft	 g, k, a;
	unsigned	 n = 99;

	draft(&g, "grant.revoked");
	draft(&k, "key.retired");
	draft(&a, "admin.disabled");
	th_fail_audit(t, true);
	assert_int_not_equal(store_grant_revoke_with_event(t->s,
	    GRANTS_OF_CLIENT, "client1", "test", NOW + 1, &n, &g.ev), GH_OK);
	assert_int_equal(n, 0);
	assert_int_not_equal(store_key_retire_with_event(t->s, "RS256-a",
	    NOW + 1, &k.ev), GH_OK);
	assert_int_not_equal(store_admin_disable_with_event(t->s, "ops",
	    NOW + 1, &a.ev), GH_OK);
	assert_int_equal(live_grants(t), 3);
	assert_int_equal(retired(t), 0);
	assert_int_equal(disabled(t), 0);
	assert_int_equal(store_grant_revoke_with_event(t->s, GRANTS_OF_CLIENT,
	    "client1", "test", NOW + 2, &n, NULL), GH_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_key_retire_with_event(t->s, "RS256-a", NOW + 2,
	    NULL), GH_OK);
	assert_int_equal(store_admin_disable_with_event(t->s, "ops", NOW + 2,
	    NULL), GH_OK);
	th_fail_audit(t, false);
	assert_int_equal(live_grants(t), 1);
	assert_int_equal(retired(t), 1);
	assert_int_equal(disabled(t), 1);
	th_chain_ok(t, 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_revocations_with_event),
		T(test_one_grant_with_event),
		T(test_key_retire_with_event),
		T(test_admin_disable_with_event),
		T(test_removals_undone_without_event),
	};
#undef T

	return cmocka_run_group_tests_name("store/removal", tests, NULL, NULL);
}
