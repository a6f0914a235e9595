/*
 * test_rules.c - governance/rules.h: an alert's evidence is whole or
 * marked, never missing a part. Each jansson allocation of raising an
 * auth_failure_burst alert fails in turn (json_fault.h); the stored
 * evidence must then be either the whole document or the marker
 * {"truncated":true}, and the alert itself is raised either way.
 */
#include "gov_fixture.h"
#include "../json_fault.h"

#include "governance/rules.h"

#define T	1800000000

static void
settings(struct conf *c)
{
	/* the first failure is a burst: one event, one alert */
	c->rule_auth_fail_burst = 1;
	c->rule_auth_fail_window_seconds = 60;
	c->rule_disabled_client_use = 0;
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_evidence_is_whole_or_marked, setup, teardown),
	};

	return cmocka_run_group_tests_name("governance/rules", tests, NULL,
	    NULL);
}
