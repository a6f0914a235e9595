/*
 * test_hygiene.c - governance/hygiene.h: the standing policies the upkeep
 * pass applies, against a real store (SQLite, or PostgreSQL when
 * GH_TEST_PG_URL is set).
 *
 * The pass judges a client on a row it read earlier; an operator may
 * have quarantined the client since. hygiene_client() is handed such a
 * stale row here, which is what the race looks like to it.
 *
 * The pass also deletes the signing keys past publication, each with a
 * "key.deleted" event in the deletion's transaction: a key inside its
 * window stays, and when the event cannot be stored the key is not
 * deleted either, until a later pass deletes it with its event.
 */
#include "../harness.h"

#include "governance/hygiene.h"
#include "jose/keyring.h"
#include "util/clock.h"
#include "util/log.h"

#define DAY	86400
#define PA	300	/* the keyring's publication window; not the conf's */

static int
setup(void **state)
{
	struct th_app_fixture *f;

	if (th_app_fixture_setup(state) != 0)
		return -1;
	f = *state;
	f->app.conf.client_unused_days = 10;
	f->app.conf.secret_max_age_days = 0;
	str_copy(f->app.conf.client_unused_action,
	    sizeof(f->app.conf.client_unused_action), "disable");
	return 0;
}

/* An active client created `days` ago, inserted; its row as read. */
static struct client_row *
idle_client(struct th_app_fixture *f, const char *id, int64_t days)
{
	struct client_row *c = th_client_new(id, f->now - days * DAY);

	assert_int_equal(store_client_insert(f->t->s, c, NULL), GH_OK);
	assert_int_equal(store_client_get(f->t->s, id, c), GH_OK);
	assert_int_equal(c->status, CLIENT_ACTIVE);
	return c;
}

static enum client_status
status_of(struct th_app_fixture *f, const char *id)
{
	struct client_row	*c = calloc(1, sizeof(*c));
	enum client_status	 st;

	assert_non_null(c);
	assert_int_equal(store_client_get(f->t->s, id, c), GH_OK);
	st = c->status;
	free(c);
	return st;
}

struct found {
	const char	*type;
	unsigned	 n;
	char		 text[GH_MAX_ALERT_TEXT];
};

static bool
audit_of_type(void *ctx, const struct audit_row *r)
{
	struct found *f = ctx;

	if (strcmp(r->type, f->type) == 0) {
		f->n++;
		str_copy(f->text, sizeof(f->text), r->detail ? r->detail : "");
	}
	return true;
}

static bool
alert_of_rule(void *ctx, const struct alert_row *a)
{
	struct found *f = ctx;

	if (strcmp(a->rule, f->type) == 0) {
		f->n++;
		str_copy(f->text, sizeof(f->text), a->summary);
	}
	return true;
}

static void
audit_find(struct th_app_fixture *f, struct found *out, const char *type)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	assert_int_equal(store_audit_each(f->t->s, 0, 1000, audit_of_type,
	    out), GH_OK);
}

static void
alert_find(struct th_app_fixture *f, struct found *out, const char *rule)
{
	memset(out, 0, sizeof(*out));
	out->type = rule;
	assert_int_equal(store_alert_each(f->t->s, false, NULL, 100,
	    alert_of_rule, out), GH_OK);
}

/* The plain case: an unused active client is disabled, audited, alerted. */
static void
test_unused_client_disabled(void **state)
{
	struct th_app_fixture		*f = *state;
	struct client_row	*c = idle_client(f, "idle", 11);
	struct client_usage	 u;
	struct found		 ev, al;

	memset(&u, 0, sizeof(u));
	hygiene_client(&f->app, c, &u, f->now);
	assert_int_equal(status_of(f, "idle"), CLIENT_DISABLED);
	audit_find(f, &ev, "client.changed");
	assert_int_equal(ev.n, 1);
	assert_non_null(strstr(ev.text, "\"disabled\""));
	alert_find(f, &al, "client_unused");
	assert_int_equal(al.n, 1);
	assert_non_null(strstr(al.text, "the client was disabled"));
	free(c);
}

/*
 * The pass read the client as active; an operator quarantined it before
 * the pass disabled it. The quarantine stands (a plain "disabled" would
 * let `client enable` lift it), no change is audited that was not made,
 * and the alert says the client was not disabled, and why.
 */
static void
test_quarantine_between_read_and_disable_stands(void **state)
{
	struct th_app_fixture		*f = *state;
	struct client_row	*c = idle_client(f, "idle", 11);
	struct client_usage	 u;
	struct found		 ev, al;
	uint8_t			 h[GH_HASH_BYTES];
	unsigned		 grants = 0;

	th_hash("replaced", h);
	assert_int_equal(store_client_quarantine(f->t->s, "idle", h,
	    "stolen secret", f->now, &grants, NULL), GH_OK);
	memset(&u, 0, sizeof(u));
	hygiene_client(&f->app, c, &u, f->now);	/* c: still "active" */
	assert_int_equal(status_of(f, "idle"), CLIENT_QUARANTINED);
	audit_find(f, &ev, "client.changed");
	assert_int_equal(ev.n, 0);
	alert_find(f, &al, "client_unused");
	assert_int_equal(al.n, 1);
	assert_null(strstr(al.text, "the client was disabled"));
	assert_non_null(strstr(al.text, "not disabled"));
	assert_non_null(strstr(al.text, "quarantined"));
	free(c);
}

/*
 * The pass walked at most 4096 clients, in creation order: one
 * registered after 4096 others was never checked. 4096 disabled clients
 * (which the pass walks but leaves alone) and then an idle one, last in
 * creation and in id order: it is disabled and alerted like any other.
 */
static void
test_pass_checks_every_client(void **state)
{
	struct th_app_fixture		*f = *state;
	struct client_row	*c;
	struct found		 al;
	char			 sql[512];

	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < 4096) "
	    "INSERT INTO clients (id, name, owner, public, auth_method, "
	    "redirect_uris, scopes, status, created_at, updated_at) "
	    "SELECT 'cl_' || i, 'filler', 'team', 1, 'none', "
	    "'http://127.0.0.1:9000/cb', 'openid', 'disabled', %lld + i, "
	    "%lld + i FROM n", (long long)(f->now - 20 * DAY),
	    (long long)(f->now - 20 * DAY));
	th_sql_exec(f->t, sql);
	c = idle_client(f, "zz_idle", 11);
	free(c);
	hygiene_pass(&f->app, f->now);
	assert_int_equal(status_of(f, "zz_idle"), CLIENT_DISABLED);
	alert_find(f, &al, "client_unused");
	assert_int_equal(al.n, 1);
}

/* -- signing keys past publication ---------------------------------- */

/* Store a key of `alg` that signs from `act`; the server's ring reads it. */
static void
gen_key(struct th_app_fixture *f, const char *alg, int64_t act,
    char kid[GH_ID_LEN])
{
	/* made a minute before it activates, as a rotation with a lead */
	assert_int_equal(keyring_generate(f->t->s, f->app.key,
	    sizeof(f->app.key), alg, act - 60, act, kid), GH_OK);
}

static void
open_ring(struct th_app_fixture *f)
{
	assert_int_equal(keyring_open(f->t->s, f->app.key,
	    sizeof(f->app.key), PA, &f->app.keys), GH_OK);
	assert_int_equal(keyring_reload(f->app.keys, f->now), GH_OK);
}

struct find_key {
	const char	*kid;
	bool		 found;
};

static bool
find_key(void *ctx, const struct key_row *k)
{
	struct find_key *fk = ctx;

	if (strcmp(k->kid, fk->kid) == 0)
		fk->found = true;
	return true;
}

static bool
stored(struct th_app_fixture *f, const char *kid)
{
	struct find_key fk = { kid, false };

	assert_int_equal(store_key_each(f->t->s, find_key, &fk), GH_OK);
	return fk.found;
}

static void
assert_deleted_event(struct th_app_fixture *f, const char *kid, const char *alg)
{
	struct found	ev;
	char		want[160];

	audit_find(f, &ev, "key.deleted");
	assert_int_equal(ev.n, 1);
	snprintf(want, sizeof(want), "{\"kid\":\"%s\",\"alg\":\"%s\","
	    "\"reason\":\"past publication\"}", kid, alg);
	assert_string_equal(ev.text, want);
}

/*
 * An ES256 key superseded PA + 10 s ago is deleted by the pass, with
 * exactly one "key.deleted" event saying which; its successor and the
 * RS256 key stay. A second pass finds nothing more to do.
 */
static void
test_key_past_publication_deleted(void **state)
{
	struct th_app_fixture	*f = *state;
	char		 old[GH_ID_LEN], nw[GH_ID_LEN], rs[GH_ID_LEN];

	gen_key(f, "ES256", f->now - 3 * PA, old);
	gen_key(f, "ES256", f->now - PA - 10, nw);
	gen_key(f, "RS256", f->now - 3 * PA, rs);
	open_ring(f);
	hygiene_pass(&f->app, f->now);
	assert_false(stored(f, old));
	assert_true(stored(f, nw) && stored(f, rs));
	assert_deleted_event(f, old, "ES256");
	hygiene_pass(&f->app, f->now + 1);
	assert_deleted_event(f, old, "ES256");	/* still one */
}

/*
 * Superseded PA - 10 s ago: still published (tokens it signed may still
 * be valid), so kept, and nothing is audited; the pass 10 s later, when
 * its window is over, deletes it. The window is the keyring's (PA), not
 * one the pass works out from the settings.
 */
static void
test_key_inside_window_kept(void **state)
{
	struct th_app_fixture	*f = *state;
	struct found	 ev;
	char		 old[GH_ID_LEN], nw[GH_ID_LEN];

	assert_true(PA + 10 < f->app.conf.id_token_ttl_seconds);
	gen_key(f, "ES256", f->now - 3 * PA, old);
	gen_key(f, "ES256", f->now - PA + 10, nw);
	open_ring(f);
	hygiene_pass(&f->app, f->now);
	hygiene_pass(&f->app, f->now + 9);
	assert_true(stored(f, old) && stored(f, nw));
	audit_find(f, &ev, "key.deleted");
	assert_int_equal(ev.n, 0);
	hygiene_pass(&f->app, f->now + 10);
	assert_false(stored(f, old));
	assert_true(stored(f, nw));
	assert_deleted_event(f, old, "ES256");
}

/*
 * The audit append fails: the key is not deleted (what was not recorded
 * was not done), and the failure is logged; the next pass, the store
 * working again, deletes it with its one event.
 */
static void
test_key_kept_when_event_fails(void **state)
{
	struct th_app_fixture		*f = *state;
	struct found		 ev;
	struct th_stderr	 c;
	char			 old[GH_ID_LEN], nw[GH_ID_LEN];

	gen_key(f, "ES256", f->now - 3 * PA, old);
	gen_key(f, "ES256", f->now - PA - 10, nw);
	open_ring(f);
	th_fail_audit(f->t, true);
	th_stderr_begin(&c);
	hygiene_pass(&f->app, f->now);
	th_stderr_end(&c);
	th_fail_audit(f->t, false);
	assert_int_equal(th_stderr_count(&c, "\"signing_key_delete_failed\""),
	    1);
	assert_true(stored(f, old) && stored(f, nw));
	audit_find(f, &ev, "key.deleted");
	assert_int_equal(ev.n, 0);

	hygiene_pass(&f->app, f->now + 1);
	assert_false(stored(f, old));
	assert_true(stored(f, nw));
	assert_deleted_event(f, old, "ES256");
}

/*
 * Unused grants expire in bounded batches, each with its own event: one
 * UPDATE of every idle grant held the writer (and, on PostgreSQL, the
 * audit chain) for as long as a mass expiry took. One more grant than a
 * batch: all go in one pass, recorded as a full batch and then one.
 */
static void
test_grants_expire_in_batches(void **state)
{
	struct th_app_fixture	*f = *state;
	struct client_row *c = idle_client(f, "cl_grants", 1);
	struct found	 ev;
	char		 sql[1024];

	free(c);
	f->app.conf.client_unused_days = 0;
	f->app.conf.grant_unused_days = 30;
	snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 "
	    "UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
	    "INSERT INTO users (id, username, password_hash, status, "
	    "created_at, updated_at) SELECT 'u_g' || i, 'user' || i, 'x', "
	    "'active', 0, 0 FROM n", GH_GRANT_EXPIRE_BATCH + 1);
	th_sql_exec(f->t, sql);
	snprintf(sql, sizeof(sql), "INSERT INTO grants (id, user_id, "
	    "client_id, scope, created_at) SELECT 'g_' || id, id, "
	    "'cl_grants', 'openid', %lld FROM users WHERE id LIKE 'u_g%%'",
	    (long long)(f->now - 40 * DAY));
	th_sql_exec(f->t, sql);
	hygiene_pass(&f->app, f->now);
	assert_int_equal(th_sql_int(f->t, "SELECT count(*) FROM grants "
	    "WHERE revoked_at IS NULL"), 0);
	audit_find(f, &ev, "grant.expired");
	assert_int_equal(ev.n, 2);
	/* the last one found: the batch of one after the full one */
	assert_non_null(strstr(ev.text, "\"grants\":1,"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, \
    th_app_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_unused_client_disabled),
		T(test_quarantine_between_read_and_disable_stands),
		T(test_pass_checks_every_client),
		T(test_key_past_publication_deleted),
		T(test_key_inside_window_kept),
		T(test_key_kept_when_event_fails),
		T(test_grants_expire_in_batches),
	};
#undef T

	log_set_level(LOG_ERROR);	/* no audit and alert lines */
	return cmocka_run_group_tests_name("governance/hygiene", tests, NULL,
	    NULL);
}
