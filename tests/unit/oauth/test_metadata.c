/*
 * test_metadata.c - the discovery document (oauth/metadata.c, RFC 8414,
 * OIDC Discovery 3) is whole or a 503, whichever jansson allocation
 * fails: it is cached for 300 s, so a document short of a member (an
 * ignored json_object_set_new) would be served that long.
 */
#include "../harness.h"
#include "../json_fault.h"

#include "http/reply.h"
#include "http/request.h"
#include "oauth/endpoints.h"

static void
test_whole_or_503(void **state)
{
	struct app		 app;
	struct http_request	 req;
	struct http_response	 r;
	char			*want;
	size_t			 n, failed = 0;
	bool			 reached;

	(void)state;
	th_app_init(&app);
	str_copy(app.conf.issuer, sizeof(app.conf.issuer),
	    "https://id.example.com");
	memset(&req, 0, sizeof(req));
	req.method = HTTP_GET;
	req.query = "";
	response_init(&r);
	oauth_metadata(&app, &req, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(buf_str(&r.body), "\"prompt_values_supported\":"
	    "[\"none\",\"login\",\"consent\",\"select_account\"]"));
	assert_non_null(want = strdup(buf_str(&r.body)));
	response_free(&r);
	for (n = 1; ; n++) {
		response_init(&r);
		jf_begin(n);
		oauth_metadata(&app, &req, &r);
		reached = jf_end();
		if (reached) {
			assert_int_equal(r.status, 503);
			assert_null(r.cache_control);	/* no-store */
			failed++;
		} else {
			assert_int_equal(r.status, 200);
			assert_string_equal(buf_str(&r.body), want);
			assert_string_equal(r.cache_control,
			    "public, max-age=300");
		}
		response_free(&r);
		if (!reached)
			break;
	}
	assert_true(failed > 0);
	free(want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_or_503),
	};

	return cmocka_run_group_tests_name("oauth/metadata", tests, NULL,
	    NULL);
}
