/*
 * test_error.c - oauth/error.h: an error reply (RFC 6749 5.2) names its
 * error and carries its description, or, when it cannot be built (out of
 * memory, whichever jansson allocation fails), it is the 503 of
 * reply_unavailable(): never an error reply without its error. And
 * invalid_client's status and challenge follow the Authorization header.
 */
#include "../harness.h"
#include "../json_fault.h"

#include <jansson.h>

#include "http/request.h"
#include "oauth/error.h"

static void
check(enum oauth_error e, int status, const char *name, const char *desc)
{
	struct http_response	 r;
	json_t			*o;
	size_t			 n;
	bool			 reached;

	for (n = 1; ; n++) {
		response_init(&r);
		jf_begin(n);
		oauth_error_reply(&r, e, desc, false);
		reached = jf_end();
		assert_non_null(o = json_loads(buf_str(&r.body), 0, NULL));
		if (reached) {
			assert_int_equal(r.status, 503);
			assert_string_equal(json_string_value(json_object_get(o,
			    "error")), "temporarily_unavailable");
		} else {
			assert_int_equal(r.status, status);
			assert_string_equal(json_string_value(json_object_get(o,
			    "error")), name);
			if (desc)
				assert_string_equal(json_string_value(
				    json_object_get(o, "error_description")),
				    desc);
			assert_int_equal(json_object_size(o), desc ? 2 : 1);
		}
		json_decref(o);
		response_free(&r);
		if (!reached)
			break;
	}
	assert_true(n > 1);
}

static void
test_error_replies_are_whole(void **state)
{
	(void)state;
	check(OE_INVALID_GRANT, 400, "invalid_grant",
	    "unknown authorization code");
	check(OE_SERVER_ERROR, 500, "server_error", NULL);
	check(OE_INVALID_CLIENT, 400, "invalid_client",
	    "unknown client or bad credentials");
}

/*
 * invalid_client is 401 with a Basic challenge when the request carried
 * an Authorization header (RFC 6749 5.2), else 400 without one (a 401
 * must carry a challenge, RFC 9110 15.5.2); other errors keep theirs.
 */
static void
test_challenge_only_for_a_header(void **state)
{
	struct http_response	r;
	const char		*h;

	(void)state;
	response_init(&r);
	oauth_error_reply(&r, OE_INVALID_CLIENT, "bad", true);
	assert_int_equal(r.status, 401);
	assert_non_null(h = response_get_header(&r, "WWW-Authenticate"));
	assert_string_equal(h, "Basic realm=\"gatehouse\", charset=\"UTF-8\"");
	response_free(&r);

	response_init(&r);
	oauth_error_reply(&r, OE_INVALID_CLIENT, "bad", false);
	assert_int_equal(r.status, 400);
	assert_null(response_get_header(&r, "WWW-Authenticate"));
	response_free(&r);

	response_init(&r);
	oauth_error_reply(&r, OE_INVALID_REQUEST, "bad", true);
	assert_int_equal(r.status, 400);
	assert_null(response_get_header(&r, "WWW-Authenticate"));
	response_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_replies_are_whole),
		cmocka_unit_test(test_challenge_only_for_a_header),
	};

	return cmocka_run_group_tests_name("oauth/error", tests, NULL, NULL);
}
