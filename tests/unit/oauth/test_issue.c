/*
 * test_issue.c - oauth/issue.h: the token response (RFC 6749 5.1) is
 * complete or it is a 5xx error (RFC 6749 5.2 shape), whichever jansson
 * allocation fails: never a 200 without its tokens. The plaintexts are
 * wiped either way.
 */
#include "../harness.h"
#include "../json_fault.h"

#include <jansson.h>

#include "http/request.h"
#include "oauth/issue.h"

#define ACCESS	"gate_at_AQAAAZB4nO8dT1YfQ2hKz0b6nKc4vXq2aGm8tLr3wP0eN5sY"
#define REFRESH	"gate_rt_AQAAAZB4nO8dT1YfQ2hKz0b6nKc4vXq2aGm8tLr3wP0eN5sZ"
#define IDTOKEN	"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
#define SCOPE	"openid offline_access"

static struct app app;

static void
fill(struct issued *is, bool with_refresh, bool with_id_token)
{
	memset(is, 0, sizeof(*is));
	str_copy(is->access, sizeof(is->access), ACCESS);
	str_copy(is->rows[0].scope, sizeof(is->rows[0].scope), SCOPE);
	is->n = 1;
	if (with_refresh) {
		str_copy(is->refresh, sizeof(is->refresh), REFRESH);
		is->n = 2;
	}
	if (with_id_token)
		assert_non_null(is->id_token = strdup(IDTOKEN));
}

/* o's string member `name`, which must be there */
static const char *
member(json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));

	assert_non_null(v);
	return v;
}

/* A complete 200, or a 5xx naming its error with no token in it. */
static void
check_reply(const struct http_response *r, bool with_refresh,
    bool with_id_token)
{
	const char	*body = buf_str(&r->body);
	json_t		*o = json_loads(body, 0, NULL);

	assert_non_null(o);
	assert_string_equal(r->content_type, "application/json");
	if (r->status == 200) {
		assert_string_equal(member(o, "access_token"), ACCESS);
		assert_string_equal(member(o, "token_type"), "Bearer");
		assert_int_equal(json_integer_value(json_object_get(o,
		    "expires_in")), app.conf.access_token_ttl_seconds);
		assert_string_equal(member(o, "scope"), SCOPE);
		if (with_refresh)
			assert_string_equal(member(o, "refresh_token"),
			    REFRESH);
		else
			assert_null(json_object_get(o, "refresh_token"));
		if (with_id_token)
			assert_string_equal(member(o, "id_token"), IDTOKEN);
		else
			assert_null(json_object_get(o, "id_token"));
	} else {
		assert_true(r->status == 500 || r->status == 503);
		assert_non_null(member(o, "error"));
		assert_true(strcmp(member(o, "error"), "server_error") == 0 ||
		    strcmp(member(o, "error"), "temporarily_unavailable") ==
		    0);
		assert_null(strstr(body, "gate_"));
		assert_null(strstr(body, "eyJ"));
	}
	json_decref(o);
}

static void
run(bool with_refresh, bool with_id_token)
{
	struct http_response	r;
	struct issued		is;
	size_t			n, failed = 0;
	bool			reached;

	for (n = 1; ; n++) {
		fill(&is, with_refresh, with_id_token);
		response_init(&r);
		jf_begin(n);
		issue_reply(&app, &r, &is);
		reached = jf_end();
		check_reply(&r, with_refresh, with_id_token);
		assert_true(reached == (r.status != 200));
		/* the plaintexts are gone, whatever happened */
		assert_int_equal(is.access[0], 0);
		assert_int_equal(is.refresh[0], 0);
		assert_null(is.id_token);
		response_free(&r);
		if (!reached)
			break;
		failed++;
	}
	assert_true(failed > 0);	/* the loop did inject failures */
}

static void
test_code_response(void **state)
{
	(void)state;
	run(true, true);
}

static void
test_refresh_response(void **state)
{
	(void)state;
	run(true, false);
}

static void
test_access_only_response(void **state)
{
	(void)state;
	run(false, false);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_response),
		cmocka_unit_test(test_refresh_response),
		cmocka_unit_test(test_access_only_response),
	};

	th_app_init(&app);
	return cmocka_run_group_tests_name("oauth/issue", tests, NULL, NULL);
}
