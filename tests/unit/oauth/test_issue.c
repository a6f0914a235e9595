/*
 * test_issue.c - oauth/issue.h: the token response (RFC 6749 5.1) is
 * complete or it is a 5xx error (RFC 6749 5.2 shape), whichever jansson
 * allocation fails: never a 200 without its tokens. The plaintexts are
 * wiped either way. Minted tokens expire after their ttl or at their
 * family's end (refresh_family_lifetime_seconds), whichever is first, and
 * expires_in says the access token's own lifetime.
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
#define NOW	1700000000
#define LEFT	300	/* expires_in of the responses built here */

static struct app app;

static void
fill(struct issued *is, bool with_refresh, bool with_id_token)
{
	memset(is, 0, sizeof(*is));
	str_copy(is->access, sizeof(is->access), ACCESS);
	str_copy(is->rows[0].scope, sizeof(is->rows[0].scope), SCOPE);
	is->rows[0].issued_at = NOW;
	is->rows[0].expires_at = NOW + LEFT;
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
		    "expires_in")), LEFT);
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
		issue_reply(&r, &is);
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

/* Mint at NOW in a family created at `created`, under `lifetime`. */
static void
mint(int64_t lifetime, int64_t created, struct issued *is)
{
	struct client_row	c;
	struct token_row	tmpl;

	memset(&c, 0, sizeof(c));
	str_copy(c.id, sizeof(c.id), "client1");
	memset(&tmpl, 0, sizeof(tmpl));
	str_copy(tmpl.family_id, sizeof(tmpl.family_id), "fam_1");
	str_copy(tmpl.grant_id, sizeof(tmpl.grant_id), "gr_1");
	str_copy(tmpl.user_id, sizeof(tmpl.user_id), "us_1");
	tmpl.family_created_at = created;
	app.conf.refresh_family_lifetime_seconds = lifetime;
	assert_int_equal(issue_mint(&app, &c, &tmpl, NOW, SCOPE, SCOPE, is),
	    GH_OK);
	assert_int_equal(is->n, 2);
	assert_int_equal(is->rows[0].issued_at, NOW);
	assert_int_equal(is->rows[1].issued_at, NOW);
	assert_string_equal(is->rows[1].family_id, "fam_1");
}

/* The family's end: its creation plus the lifetime; none for 0. */
static void
test_family_end(void **state)
{
	(void)state;
	app.conf.refresh_family_lifetime_seconds = 3600;
	assert_int_equal(issue_family_end(&app, NOW), NOW + 3600);
	app.conf.refresh_family_lifetime_seconds = 0;
	assert_true(issue_family_end(&app, NOW) == INT64_MAX);
	app.conf.refresh_family_lifetime_seconds = 31536000;
}

/*
 * Near its family's end a token expires at the end, not at now + ttl,
 * and the response's expires_in says so; early in the family, or without
 * a lifetime, the ttls as configured.
 */
static void
test_tokens_end_with_their_family(void **state)
{
	struct http_response	 r;
	struct issued		 is;
	json_t			*o;
	int64_t			 ttl = app.conf.refresh_token_ttl_seconds;

	(void)state;
	assert_int_equal(app.conf.access_token_ttl_seconds, 600);
	mint(3600, NOW - 3300, &is);
	assert_int_equal(is.rows[0].expires_at, NOW + 300);
	assert_int_equal(is.rows[1].expires_at, NOW + 300);
	response_init(&r);
	issue_reply(&r, &is);
	assert_int_equal(r.status, 200);
	assert_non_null(o = json_loads(buf_str(&r.body), 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(o, "expires_in")),
	    300);
	json_decref(o);
	response_free(&r);

	mint(3600, NOW - 10, &is);
	assert_int_equal(is.rows[0].expires_at, NOW + 600);
	assert_int_equal(is.rows[1].expires_at, NOW + 3590);
	issue_wipe(&is);

	mint(0, NOW - 315360000, &is);
	assert_int_equal(is.rows[0].expires_at, NOW + 600);
	assert_int_equal(is.rows[1].expires_at, NOW + ttl);
	issue_wipe(&is);
	app.conf.refresh_family_lifetime_seconds = 31536000;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_response),
		cmocka_unit_test(test_refresh_response),
		cmocka_unit_test(test_access_only_response),
		cmocka_unit_test(test_family_end),
		cmocka_unit_test(test_tokens_end_with_their_family),
	};

	th_app_init(&app);
	return cmocka_run_group_tests_name("oauth/issue", tests, NULL, NULL);
}
