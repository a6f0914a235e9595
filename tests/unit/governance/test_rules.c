/*
 * test_rules.c - governance/rules.h: an alert's evidence is whole or
 * marked, never missing a part. Each jansson allocation of raising an
 * auth_failure_burst alert fails in turn (json_fault.h); the stored
 * evidence must then be either the whole document or the marker
 * {"truncated":true}, and the alert itself is raised either way.
 * login_failure_burst: one alert per user, whatever client's form the
 * failed sign-ins came through, none for names that are no user.
 * auth_failure_burst: a client's count is not pushed out by others'.
 */
#include "gov_fixture.h"
#include "../json_fault.h"

#include "governance/gov_json.h"
#include "governance/rules.h"
#include "governance/webhook.h"

#define T	1800000000

static void
settings(struct conf *c)
{
	/* the first failure is a burst: one event, one alert */
	c->rule_auth_fail_burst = 1;
	c->rule_auth_fail_window_seconds = 60;
	c->rule_disabled_client_use = 0;
	c->rule_login_fail_burst = 3;
	c->rule_login_fail_window_seconds = 600;
	c->rule_new_user_agent = 1;
}

static int
setup(void **state)
{
	return gov_fixture_setup(state, settings);
}

struct found {
	char	evidence[GH_MAX_ALERT_EVIDENCE];
	int	n;
};

static bool
one(void *ctx, const struct alert_row *a)
{
	struct found *fd = ctx;

	snprintf(fd->evidence, sizeof(fd->evidence), "%s", a->evidence);
	fd->n++;
	return true;
}

static void
test_evidence_is_whole_or_marked(void **state)
{
	struct fixture	*f = *state;
	struct audit_row r = { .type = "client.auth_failed",
	    .actor = "client", .remote_addr = "192.0.2.7",
	    .user_agent = "agent/1", .detail = "{\"reason\":\"bad_secret\"}" };
	struct found	 fd;
	char		 client[32];
	size_t		 k;
	int		 whole = 0, marked = 0;
	bool		 reached = true;

	for (k = 1; reached && k < 200; k++) {
		snprintf(client, sizeof(client), "client-%zu", k);
		r.client_id = client;
		r.time = T + (int64_t)k;
		jf_begin(k);
		rules_on_event(&f->app, &r);
		reached = jf_end();
		memset(&fd, 0, sizeof(fd));
		assert_int_equal(store_alert_each(f->t->s, false, client, 10,
		    one, &fd), GH_OK);
		assert_int_equal(fd.n, 1);
		if (strcmp(fd.evidence, "{\"truncated\":true}") == 0) {
			marked++;
			continue;
		}
		/* whole: every part of it there */
		assert_non_null(strstr(fd.evidence, "\"failures\":1"));
		assert_non_null(strstr(fd.evidence, "\"window_seconds\":60"));
		assert_non_null(strstr(fd.evidence, "\"event\":"
		    "\"client.auth_failed\""));
		assert_non_null(strstr(fd.evidence, "\"user_agent\":"
		    "\"agent/1\""));
		assert_non_null(strstr(fd.evidence, "\"detail\":{\"reason\":"
		    "\"bad_secret\"}"));
		whole++;
	}
	/* failures were met on the way, and the last run had none */
	assert_false(reached);
	assert_true(marked > 0);
	assert_true(whole > 0);
}

/*
 * auth_failure_burst: a client's count survives failures spread over
 * many other clients. It lived in a table of 256 clients, least recently
 * used out: failures on 300 other (known) clients pushed it out, and the
 * target's burst was never seen.
 */
static void
test_auth_failure_burst_survives_other_clients(void **state)
{
	struct fixture	*f = *state;
	struct audit_row r = { .type = "client.auth_failed",
	    .actor = "client", .remote_addr = "192.0.2.8",
	    .client_id = "cl_target", .detail = "{\"reason\":\"bad_secret\"}" };
	struct found	 fd;
	char		 other[32];
	int		 i;

	f->app.conf.rule_auth_fail_burst = 5;
	for (i = 0; i < 4; i++) {
		r.time = T + i;
		rules_on_event(&f->app, &r);
	}
	for (i = 0; i < 300; i++) {
		snprintf(other, sizeof(other), "cl_other_%d", i);
		r.client_id = other;
		r.time = T + 4;
		rules_on_event(&f->app, &r);
	}
	r.client_id = "cl_target";
	r.time = T + 5;
	rules_on_event(&f->app, &r);
	f->app.conf.rule_auth_fail_burst = 1;
	memset(&fd, 0, sizeof(fd));
	assert_int_equal(store_alert_each(f->t->s, false, "cl_target", 10,
	    one, &fd), GH_OK);
	assert_int_equal(fd.n, 1);
	assert_non_null(strstr(fd.evidence, "\"failures\":5"));
}

struct burst_alerts {
	int	n;
	char	user[GH_ID_LEN];
	char	key[GH_MAX_ALERT_KEY];
	char	evidence[GH_MAX_ALERT_EVIDENCE];
};

static bool
burst_alert(void *ctx, const struct alert_row *a)
{
	struct burst_alerts *b = ctx;

	if (strcmp(a->rule, "login_failure_burst") != 0)
		return true;
	b->n++;
	snprintf(b->user, sizeof(b->user), "%s", a->user_id);
	snprintf(b->key, sizeof(b->key), "%s", a->dedupe_key);
	snprintf(b->evidence, sizeof(b->evidence), "%s", a->evidence);
	return true;
}

static void
test_login_failure_burst_once_per_user(void **state)
{
	struct fixture		*f = *state;
	struct audit_row	 r = { .type = "login.failure", .actor = "user",
	    .remote_addr = "192.0.2.9", .user_id = "u_burst_1" };
	struct burst_alerts	 b;
	int			 i;

	/* a name that is no user: nothing to alert about (nor to count) */
	r.user_id = NULL;
	for (i = 0; i < 10; i++)
		rules_on_event(&f->app, &r);
	/* one user, through two clients' forms and the account page */
	r.user_id = "u_burst_1";
	for (i = 0; i < 10; i++) {
		r.client_id = i % 3 == 0 ? "cl_a" : i % 3 == 1 ? "cl_b" : NULL;
		r.time = T + i;
		rules_on_event(&f->app, &r);
	}
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_alert_each(f->t->s, false, NULL, 100,
	    burst_alert, &b), GH_OK);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.user, "u_burst_1");
	assert_string_equal(b.key, "login_failure_burst::u_burst_1");
	assert_non_null(strstr(b.evidence, "\"failures\":3"));
	assert_non_null(strstr(b.evidence, "\"window_seconds\":600"));
	/* the admin command keeps no rule state: it counts nothing */
	f->app.gov = NULL;
	r.user_id = "u_burst_2";
	for (i = 0; i < 10; i++)
		rules_on_event(&f->app, &r);
	f->app.gov = f->g;
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_alert_each(f->t->s, false, NULL, 100,
	    burst_alert, &b), GH_OK);
	assert_int_equal(b.n, 1);
}

struct ua_alert {
	int		 n;
	struct alert_row a;
};

static bool
ua_alert(void *ctx, const struct alert_row *a)
{
	struct ua_alert *u = ctx;

	if (strcmp(a->rule, "new_user_agent") == 0 && u->n++ == 0)
		u->a = *a;
	return true;
}

/*
 * A user agent is the client's to choose (valid UTF-8, by the HTTP
 * layer). The summary quotes its first 100 bytes: cut inside a character
 * it was no UTF-8, so jansson refused it, and the alert could be neither
 * listed as JSON (CLI, admin API) nor POSTed to the webhook, ever.
 */
static void
test_new_user_agent_summary_stays_utf8(void **state)
{
	struct fixture		*f = *state;
	struct audit_row	 r = { .type = "token.issued",
	    .actor = "client", .client_id = "cl_ua", .grant_id = "g_ua_1",
	    .remote_addr = "192.0.2.10", .user_agent = "agent/1" };
	struct ua_alert		 u;
	char			 ua[160];
	char			*body;
	json_t			*j;

	/* 99 bytes, then a two-byte character across the 100th */
	memset(ua, 'a', 99);
	snprintf(ua + 99, sizeof(ua) - 99, "\xc3\xa9 tail");
	r.time = T;
	rules_on_event(&f->app, &r);
	r.type = "token.refreshed";
	r.user_agent = ua;
	r.time = T + 1;
	rules_on_event(&f->app, &r);
	memset(&u, 0, sizeof(u));
	assert_int_equal(store_alert_each(f->t->s, false, "cl_ua", 10,
	    ua_alert, &u), GH_OK);
	assert_int_equal(u.n, 1);
	assert_true(str_utf8_valid(u.a.summary));
	assert_true(str_utf8_valid(u.a.dedupe_key));
	assert_non_null(j = alert_json(&u.a));
	json_decref(j);
	assert_non_null(body = webhook_payload(&f->app, &u.a));
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_evidence_is_whole_or_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_login_failure_burst_once_per_user, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_auth_failure_burst_survives_other_clients, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_new_user_agent_summary_stays_utf8, setup, teardown),
	};

	return cmocka_run_group_tests_name("governance/rules", tests, NULL,
	    NULL);
}
