/*
 * test_api_lists.c - admin/api.h: the admin API's lists (grants, alerts,
 * an audit page, the inventory, a client's detail) are whole or a 503,
 * whichever jansson allocation fails. An item that could not be added
 * used to end the store walk as if the list had ended: a 200 with a
 * shorter list (and, for the audit, next_after null, "no more events").
 */
#include "../harness.h"
#include "../json_fault.h"

#include "admin/api.h"
#include "governance/audit.h"
#include "http/request.h"
#include "oauth/secret.h"
#include "util/clock.h"
#include "util/log.h"

#define CRED	"gate_adm_c2VjcmV0LWFkbWluLWNyZWRlbnRpYWwtZm9yLXRlc3Rz"

typedef void (*handler)(struct app *, const struct http_request *,
    struct http_response *);

static struct app app;

static void
add_user(const char *id, const char *name)
{
	struct user_row u;

	th_user_init(&u, id, name, clock_now());
	assert_int_equal(store_user_insert(app.store, &u, NULL), GH_OK);
}

static void
add_alert(const char *rule, const char *client_id, const char *evidence)
{
	struct alert_row	a;
	bool			raised = false;

	memset(&a, 0, sizeof(a));
	a.time = clock_now();
	str_copy(a.rule, sizeof(a.rule), rule);
	str_copy(a.severity, sizeof(a.severity), "high");
	str_copy(a.client_id, sizeof(a.client_id), client_id);
	str_copy(a.summary, sizeof(a.summary), "something happened");
	str_copy(a.evidence, sizeof(a.evidence), evidence);
	str_copy(a.dedupe_key, sizeof(a.dedupe_key), rule);
	assert_int_equal(store_alert_raise(app.store, &a, 0, &raised), GH_OK);
	assert_true(raised);
}

static void
add_event(const char *type, const char *detail)
{
	struct audit_row r;

	memset(&r, 0, sizeof(r));
	r.time = clock_now();
	r.type = type;
	r.actor = "admin";
	r.client_id = "app-one";
	r.remote_addr = "127.0.0.1";
	r.detail = detail;
	assert_int_equal(store_audit_append(app.store, &r), GH_OK);
}

/* an admin, two clients, two users, three grants, alerts, events */
static int
setup(void **state)
{
	struct th_store		*t;
	struct admin_row	 a;
	struct client_row	*c;
	struct grant_row	 g;
	uint8_t			 key[GH_HASH_BYTES];
	const char		*ids[] = { "app-one", "app-two" };
	size_t			 i;

	if (th_store_setup(state) != 0)
		return -1;
	t = *state;
	th_app_init(&app);
	app.store = t->s;
	memset(key, 7, sizeof(key));
	store_set_audit_key(app.store, key);
	memset(&a, 0, sizeof(a));
	str_copy(a.name, sizeof(a.name), "ops");
	assert_int_equal(secret_hash(&app, CRED, a.secret_hash), GH_OK);
	a.created_at = clock_now();
	assert_int_equal(store_admin_insert(app.store, &a, NULL), GH_OK);
	for (i = 0; i < 2; i++) {
		c = th_client_new(ids[i], clock_now());
		assert_int_equal(store_client_insert(app.store, c, NULL), GH_OK);
		free(c);
	}
	add_user("u-alice", "alice");
	add_user("u-bob", "bob");
	assert_int_equal(store_grant_upsert(app.store, "u-alice", "app-one",
	    "openid profile", clock_now(), &g), GH_OK);
	assert_int_equal(store_grant_upsert(app.store, "u-bob", "app-one",
	    "openid", clock_now(), &g), GH_OK);
	assert_int_equal(store_grant_upsert(app.store, "u-alice", "app-two",
	    "openid offline_access", clock_now(), &g), GH_OK);
	add_alert("refresh_reuse", "app-one",
	    "{\"event\":\"token.refreshed\",\"detail\":{\"n\":2}}");
	add_alert("new_network", "app-two", "{\"network\":\"10.0.0.1\"}");
	add_event("client.created", "{\"status\":\"active\"}");
	add_event("grant.revoked", "{\"reason\":\"test\",\"grants_revoked\":1}");
	add_event("admin.login", NULL);
	return 0;
}

static int
teardown(void **state)
{
	app.store = NULL;
	return th_store_teardown(state);
}

/*
 * fn's answer to GET ?query, first with plain allocation, then with each
 * jansson allocation failing in turn: the same body, or a 503 and never a
 * 200 that differs. `has` must be in the whole answer (the list is there).
 */
static void
whole_or_503(handler fn, const char *query, const char *has)
{
	struct http_request	 req;
	struct http_response	 r;
	char			*want;
	size_t			 n, failed = 0;
	bool			 reached;

	memset(&req, 0, sizeof(req));
	req.method = HTTP_GET;
	req.query = query;
	req.query_len = strlen(query);
	req.authorization = "Bearer " CRED;
	str_copy(req.remote_addr, sizeof(req.remote_addr), "127.0.0.1");
	response_init(&r);
	fn(&app, &req, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(buf_str(&r.body), has));
	assert_non_null(want = strdup(buf_str(&r.body)));
	response_free(&r);
	for (n = 1; ; n++) {
		response_init(&r);
		jf_begin(n);
		fn(&app, &req, &r);
		reached = jf_end();
		if (reached) {
			assert_int_equal(r.status, 503);
			assert_string_equal(buf_str(&r.body),
			    "{\"error\":\"temporarily_unavailable\"}");
			failed++;
		} else {
			assert_int_equal(r.status, 200);
			assert_string_equal(buf_str(&r.body), want);
		}
		response_free(&r);
		if (!reached)
			break;
	}
	assert_true(failed > 0);
	free(want);
}

static void
test_grants(void **state)
{
	(void)state;
	whole_or_503(api_grants, "", "\"username\":\"bob\"");
	whole_or_503(api_grants, "client_id=app-one", "\"username\":\"bob\"");
}

static void
test_alerts(void **state)
{
	(void)state;
	whole_or_503(api_alerts, "all=1", "10.0.0.1");
}

static void
test_audit_page(void **state)
{
	(void)state;
	whole_or_503(api_audit, "", "\"grants_revoked\":1");
	whole_or_503(api_audit, "limit=2", "\"next_after\":2");
}

static void
test_inventory(void **state)
{
	(void)state;
	whole_or_503(api_inventory, "", "\"client_id\":\"app-two\"");
}

static void
test_client_detail(void **state)
{
	(void)state;
	whole_or_503(api_client, "client_id=app-one", "refresh_reuse");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_page, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inventory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_client_detail, setup,
		    teardown),
	};

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("admin/api lists", tests, NULL,
	    NULL);
}
