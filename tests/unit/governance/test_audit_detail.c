/*
 * test_audit_detail.c - governance/audit.h audit_detail() and the
 * revocation detail built with it: an event's detail is the whole JSON
 * object or the marker AUDIT_DETAIL_LOST, never "{}" (which says there
 * was nothing to record) and never JSON cut short by its buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../json_fault.h"
#include "governance/audit.h"
#include "governance/gov_json.h"
#include "util/limits.h"

static const char whole[] =
    "{\"reason\":\"integration retired\",\"grants_revoked\":3}";

static void
test_revocation_detail_whole(void **state)
{
	char out[512];

	(void)state;
	revocation_detail("integration retired", 3, out, sizeof(out));
	assert_string_equal(out, whole);
}

/* each jansson allocation fails in turn: whole, or the marker */
static void
test_revocation_detail_whole_or_marked(void **state)
{
	char	out[512];
	size_t	k;
	int	n_whole = 0, n_marked = 0;
	bool	reached = true;

	(void)state;
	for (k = 1; reached && k < 200; k++) {
		memset(out, 'x', sizeof(out) - 1);
		out[sizeof(out) - 1] = '\0';
		jf_begin(k);
		revocation_detail("integration retired", 3, out, sizeof(out));
		reached = jf_end();
		if (strcmp(out, AUDIT_DETAIL_LOST) == 0)
			n_marked++;
		else {
			assert_string_equal(out, whole);
			n_whole++;
		}
	}
	assert_false(reached);
	assert_true(n_marked > 0);
	assert_true(n_whole > 0);
}

/* a detail longer than its buffer is replaced, not cut mid-JSON */
static void
test_detail_too_long_is_marked(void **state)
{
	char	reason[300], out[64];
	json_t	*doc;

	(void)state;
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	revocation_detail(reason, 1, out, sizeof(out));
	assert_string_equal(out, AUDIT_DETAIL_LOST);
	assert_non_null(doc = json_parse(out, 0, NULL));
	json_decref(doc);
}

/*
 * The longest reason an admin may give, of the characters JSON escapes
 * to two bytes, fits the detail buffers of the revocation and kill switch
 * events whole: an admin cannot blank the record of their own action.
 */
static void
test_longest_reason_fits_whole(void **state)
{
	char	reason[GH_MAX_REASON_LEN + 1], out[GH_MAX_AUDIT_DETAIL];
	json_t	*doc;

	(void)state;
	memset(reason, '"', GH_MAX_REASON_LEN);
	reason[GH_MAX_REASON_LEN] = '\0';
	revocation_detail(reason, 7, out, sizeof(out));
	assert_non_null(doc = json_parse(out, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(doc, "reason")),
	    reason);
	assert_int_equal(json_integer_value(json_object_get(doc,
	    "grants_revoked")), 7);
	json_decref(doc);
}

static void
test_detail_null_object_is_marked(void **state)
{
	char out[64];

	(void)state;
	audit_detail(NULL, out, sizeof(out));
	assert_string_equal(out, AUDIT_DETAIL_LOST);
	audit_detail(json_pack("{s:s}", "admin", "ops"), out, sizeof(out));
	assert_string_equal(out, "{\"admin\":\"ops\"}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revocation_detail_whole),
		cmocka_unit_test(test_revocation_detail_whole_or_marked),
		cmocka_unit_test(test_detail_too_long_is_marked),
		cmocka_unit_test(test_longest_reason_fits_whole),
		cmocka_unit_test(test_detail_null_object_is_marked),
	};

	json_mem_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
