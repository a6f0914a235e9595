/*
 * test_webhook_sign.c - governance/webhook_sign.h: the Standard Webhooks
 * headers of a delivery, the signature checked against one made apart
 * (Python's hmac and base64 over "alert_42.1700000000.{"a":1}" under the
 * key bytes 0..23), and malformed secrets refused.
 */
#include "../harness.h"

#include "governance/webhook_sign.h"

static const char key24[] = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";

static void
test_signed(void **state)
{
	struct webhook_headers h;

	(void)state;
	assert_int_equal(webhook_sign(key24, 42, 1700000000, "{\"a\":1}", &h),
	    GH_OK);
	assert_string_equal(h.list[0], "webhook-id: alert_42");
	assert_string_equal(h.list[1], "webhook-timestamp: 1700000000");
	assert_string_equal(h.list[2], "webhook-signature: "
	    "v1,VCkrKooCCKS+3V+6g6J5GVcmAgn95lGoJc3OD8E+Ca8=");
	assert_null(h.list[3]);
	/* another body, time or id: another signature */
	assert_int_equal(webhook_sign(key24, 42, 1700000000, "{\"a\":2}", &h),
	    GH_OK);
	assert_string_not_equal(h.list[2], "webhook-signature: "
	    "v1,VCkrKooCCKS+3V+6g6J5GVcmAgn95lGoJc3OD8E+Ca8=");
}

static void
test_unsigned_without_a_secret(void **state)
{
	struct webhook_headers h;

	(void)state;
	assert_int_equal(webhook_sign("", 7, 5, "{}", &h), GH_OK);
	assert_string_equal(h.list[0], "webhook-id: alert_7");
	assert_string_equal(h.list[1], "webhook-timestamp: 5");
	assert_null(h.list[2]);
}

static void
test_malformed_secrets(void **state)
{
	static const char *const bad[] = {
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX",	/* no whsec_ */
		"whsec_AAECAwQFBgcICQoLDA0ODxAREhMU",	/* 21 bytes */
		"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY*",
		"whsec_",
	};
	struct webhook_headers h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(webhook_sign(bad[i], 1, 1, "{}", &h),
		    GH_ERR_INVALID);
		assert_null(h.list[2]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_unsigned_without_a_secret),
		cmocka_unit_test(test_malformed_secrets),
	};

	return cmocka_run_group_tests_name("governance/webhook_sign", tests,
	    NULL, NULL);
}
