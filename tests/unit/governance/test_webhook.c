/*
 * test_webhook.c - governance/webhook.h: the body POSTed for an alert is
 * whole or not made. Each jansson allocation of building it fails in
 * turn (json_fault.h): the result must be NULL (the delivery fails and
 * is tried again) or the whole document, with the stored evidence as it
 * was stored; never the alert with empty evidence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../json_fault.h"
#include "governance/gov_json.h"
#include "governance/webhook.h"

static const char stored[] =
    "{\"failures\":7,\"network\":\"192.0.2.0/24\",\"window_seconds\":60}";

static void
alert(struct alert_row *a, const char *evidence)
{
	memset(a, 0, sizeof(*a));
	a->id = 42;
	a->time = 1800000000;
	snprintf(a->rule, sizeof(a->rule), "auth_failure_burst");
	snprintf(a->severity, sizeof(a->severity), "high");
	snprintf(a->client_id, sizeof(a->client_id), "crm-sync");
	snprintf(a->summary, sizeof(a->summary), "7 failures in 60 s");
	snprintf(a->evidence, sizeof(a->evidence), "%s", evidence);
}

/* an app with only what the payload reads: its issuer */
static void
issuer_app(struct app *app)
{
	memset(app, 0, sizeof(*app));
	snprintf(app->conf.issuer, sizeof(app->conf.issuer),
	    "https://id.example");
}

/* body's evidence, loaded; fails the test unless body is whole */
static json_t *
evidence_of(const char *body)
{
	json_t	*doc = json_parse(body, JSON_REJECT_DUPLICATES, NULL);
	json_t	*ev;

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "rule")),
	    "auth_failure_burst");
	assert_string_equal(json_string_value(json_object_get(doc,
	    "issuer")), "https://id.example");
	assert_int_equal(json_integer_value(json_object_get(doc, "id")), 42);
	assert_non_null(ev = json_object_get(doc, "evidence"));
	json_incref(ev);
	json_decref(doc);
	return ev;
}

static void
test_payload_whole(void **state)
{
	struct app		 app;
	struct alert_row	 a;
	json_t			*want, *got;
	char			*body;

	(void)state;
	issuer_app(&app);
	alert(&a, stored);
	assert_non_null(body = webhook_payload(&app, &a));
	want = json_parse(stored, 0, NULL);
	got = evidence_of(body);
	assert_true(json_equal(want, got));
	json_decref(want);
	json_decref(got);
	free(body);
}

static void
test_payload_whole_or_none(void **state)
{
	struct app		 app;
	struct alert_row	 a;
	json_t			*want, *got;
	char			*body;
	size_t			 k;
	int			 whole = 0, none = 0;
	bool			 reached = true;

	(void)state;
	issuer_app(&app);
	alert(&a, stored);
	want = json_parse(stored, 0, NULL);
	assert_non_null(want);
	for (k = 1; reached && k < 500; k++) {
		jf_begin(k);
		body = webhook_payload(&app, &a);
		reached = jf_end();
		if (body == NULL) {
			none++;
			continue;
		}
		got = evidence_of(body);
		/* the alert is never sent with its evidence lost */
		assert_true(json_equal(want, got));
		json_decref(got);
		free(body);
		whole++;
	}
	assert_false(reached);		/* every allocation was failed once */
	assert_true(none > 0);		/* the failures were seen */
	assert_true(whole > 0);		/* the last run was not failed */
	json_decref(want);
}

/* text that is not JSON never loads: sent as a marker, not held for good */
static void
test_payload_unreadable_evidence(void **state)
{
	struct app		 app;
	struct alert_row	 a;
	json_t			*got;
	char			*body;

	(void)state;
	issuer_app(&app);
	alert(&a, "{\"failures\":");
	assert_non_null(body = webhook_payload(&app, &a));
	got = evidence_of(body);
	assert_true(json_is_true(json_object_get(got, "unreadable")));
	assert_int_equal(json_object_size(got), 1);
	json_decref(got);
	free(body);
}

/*
 * A stored summary that is no UTF-8 (a row written before summaries were
 * cut at a character, or by hand) is sent and listed with the bad bytes
 * as '?': jansson refuses it as it is, which held the alert back from
 * the webhook and failed every JSON listing that met it.
 */
static void
test_payload_summary_not_utf8(void **state)
{
	struct app		 app;
	struct alert_row	 a;
	json_t			*doc;
	char			*body;

	(void)state;
	issuer_app(&app);
	alert(&a, stored);
	snprintf(a.summary, sizeof(a.summary), "agent: abc\xc3");
	assert_non_null(body = webhook_payload(&app, &a));
	assert_non_null(doc = json_parse(body, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(doc,
	    "summary")), "agent: abc?");
	json_decref(doc);
	free(body);
	assert_non_null(doc = alert_json(&a));
	assert_string_equal(json_string_value(json_object_get(doc,
	    "summary")), "agent: abc?");
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_whole),
		cmocka_unit_test(test_payload_whole_or_none),
		cmocka_unit_test(test_payload_unreadable_evidence),
		cmocka_unit_test(test_payload_summary_not_utf8),
	};

	json_mem_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
