/*
 * test_client_assertion.c - oauth/client_assertion.h, the claims of a
 * private_key_jwt assertion (client_assertion_claims):
 *  - aud is the issuer identifier alone, a string or an array of that one
 *    string; the token endpoint URL, or the issuer among other values, is
 *    refused (draft-ietf-oauth-rfc7523bis: audience injection);
 *  - exp, nbf and iat are NumericDates (RFC 7519 2), which may have a
 *    fraction: compared without rounding, so a fraction neither lengthens
 *    the assertion nor lets a date a little past the skew through; a
 *    value that is not a number is refused as date_not_number, an absent
 *    exp as exp_missing, never as expired or not yet valid.
 */
#include "../harness.h"

#include <jansson.h>

#include "oauth/client_assertion.h"

#define ISSUER	"https://gh.example"
#define CLIENT	"cl_unit"
#define NOW	INT64_C(1700000000)

/* good claims, with member `name` set to `v` (NULL: removed); v is stolen */
static json_t *
claims(const char *name, json_t *v)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", CLIENT,
	    "sub", CLIENT, "aud", ISSUER, "exp", (json_int_t)(NOW + 60),
	    "iat", (json_int_t)NOW, "jti", "j-1");

	assert_non_null(c);
	if (name != NULL && v != NULL)
		assert_int_equal(json_object_set_new(c, name, v), 0);
	else if (name != NULL)
		json_object_del(c, name);
	return c;
}

/* client_assertion_claims() of claims(name, v): NULL or its reason */
static const char *
check(const char *name, json_t *v)
{
	json_t		*c = claims(name, v);
	const char	*why;

	why = client_assertion_claims(ISSUER, CLIENT, c, NOW);
	json_decref(c);
	return why;
}

static void
assert_reason(const char *why, const char *want)
{
	if (want == NULL)
		assert_null(why);
	else {
		assert_non_null(why);
		assert_string_equal(why, want);
	}
}

static void
test_aud_issuer_alone(void **state)
{
	(void)state;
	assert_null(check(NULL, NULL));
	assert_null(check("aud", json_string(ISSUER)));
	assert_null(check("aud", json_pack("[s]", ISSUER)));
}

static void
test_aud_refused(void **state)
{
	json_t	*auds[] = {
		json_string(ISSUER "/token"),
		json_pack("[s]", ISSUER "/token"),
		json_pack("[s, s]", ISSUER, "https://other.example"),
		json_pack("[s, s]", "https://other.example", ISSUER),
		json_pack("[s, s]", ISSUER, ISSUER),
		json_pack("[s, s]", ISSUER, ISSUER "/token"),
		json_pack("[[s]]", ISSUER),
		json_array(),
		json_string(ISSUER "/"),
		json_string("HTTPS://GH.EXAMPLE"),
		json_string(""),
		json_integer(1),
		json_null(),
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(auds) / sizeof(auds[0]); i++) {
		assert_non_null(auds[i]);
		assert_reason(check("aud", auds[i]), "aud");
	}
	assert_reason(check("aud", NULL), "aud");
}

static void
test_exp_with_fraction(void **state)
{
	const struct {
		double		 exp;
		const char	*why;
	} cases[] = {
		{ NOW + 120.5, NULL },
		{ NOW + 0.25, NULL },		/* a quarter second left */
		{ NOW + 0.0, "expired" },	/* as an integer: not after */
		{ NOW - 0.5, "expired" },
		{ NOW + ASSERTION_MAX_LIFETIME + 0.0, NULL },
		{ NOW + ASSERTION_MAX_LIFETIME + 0.5, "exp_too_far" },
		{ 1e300, "exp_too_far" },
		{ -1e300, "expired" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_reason(check("exp", json_real(cases[i].exp)),
		    cases[i].why);
	/* integers as before */
	assert_reason(check("exp", json_integer(NOW)), "expired");
	assert_reason(check("exp", json_integer(NOW + 1)), NULL);
	assert_reason(check("exp", json_integer(NOW +
	    ASSERTION_MAX_LIFETIME + 1)), "exp_too_far");
	assert_reason(check("exp", json_integer(INT64_MAX)), "exp_too_far");
	assert_reason(check("exp", json_integer(INT64_MIN)), "expired");
}

static void
test_iat_nbf_with_fraction(void **state)
{
	static const char *const names[] = { "iat", "nbf" };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		/* time.time() as a client sends it */
		assert_null(check(names[i], json_real(NOW + 0.123456)));
		assert_null(check(names[i], json_real(NOW - 3600.5)));
		assert_null(check(names[i], json_real(NOW + ASSERTION_SKEW +
		    0.0)));
		assert_reason(check(names[i], json_real(NOW + ASSERTION_SKEW +
		    0.5)), "not_yet_valid");
		assert_reason(check(names[i], json_integer(NOW +
		    ASSERTION_SKEW + 1)), "not_yet_valid");
		assert_reason(check(names[i], json_real(1e300)),
		    "not_yet_valid");
		assert_null(check(names[i], NULL));	/* optional */
	}
}

static void
test_dates_that_are_not_numbers(void **state)
{
	static const char *const names[] = { "exp", "iat", "nbf" };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_reason(check(names[i], json_string("1700000060")),
		    "date_not_number");
		assert_reason(check(names[i], json_true()), "date_not_number");
		assert_reason(check(names[i], json_null()), "date_not_number");
		assert_reason(check(names[i], json_pack("[I]",
		    (json_int_t)NOW)), "date_not_number");
		assert_reason(check(names[i], json_object()),
		    "date_not_number");
	}
	assert_reason(check("exp", NULL), "exp_missing");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aud_issuer_alone),
		cmocka_unit_test(test_aud_refused),
		cmocka_unit_test(test_exp_with_fraction),
		cmocka_unit_test(test_iat_nbf_with_fraction),
		cmocka_unit_test(test_dates_that_are_not_numbers),
	};

	return cmocka_run_group_tests_name("oauth/client_assertion", tests,
	    NULL, NULL);
}
