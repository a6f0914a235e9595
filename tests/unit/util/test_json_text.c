/*
 * test_json_text.c - util/json_text.h: a document's text is whole or
 * NULL, whichever jansson allocation fails (json_dumps can instead leave
 * out a key and answer the broken text), for small documents and for one
 * too big for the first pass; a load during which an allocation failed is
 * refused (json_loads can instead load a string short, and succeed).
 */
#include "../harness.h"
#include "../json_fault.h"

#include <jansson.h>

#include "util/json_text.h"

#define FLAGS	(JSON_COMPACT | JSON_PRESERVE_ORDER)

static json_t *
document(size_t entries)
{
	json_t	*o, *list;
	char	 key[32];
	size_t	 i;

	o = json_pack("{s:s, s:s, s:I, s:{s:b, s:s}}", "access_token",
	    "gate_at_AAAA", "token_type", "Bearer", "expires_in",
	    (json_int_t)600, "nested", "ok", 1, "error_description",
	    "a longer value so the text grows past a few buffer sizes");
	assert_non_null(o);
	assert_non_null(list = json_array());
	for (i = 0; i < entries; i++) {
		snprintf(key, sizeof(key), "entry_key_%zu", i);
		assert_int_equal(json_array_append_new(list, json_pack(
		    "{s:s, s:I}", key, "some value of a list entry", "n",
		    (json_int_t)i)), 0);
	}
	assert_int_equal(json_object_set_new(o, "list", list), 0);
	return o;
}

static void
whole_or_nothing(size_t entries)
{
	json_t	*o = document(entries);
	char	*want = json_text(o, FLAGS), *got;
	size_t	 n, failed = 0;
	bool	 reached;

	assert_non_null(want);
	for (n = 1; ; n++) {
		jf_begin(n);
		got = json_text(o, FLAGS);
		reached = jf_end();
		if (got == NULL) {
			assert_true(reached);
			failed++;
		} else {
			assert_string_equal(got, want);
			free(got);
		}
		if (!reached)
			break;
	}
	assert_true(failed > 0);
	free(want);
	json_decref(o);
}

static void
test_small_document(void **state)
{
	(void)state;
	whole_or_nothing(2);
}

static void
test_document_past_the_first_pass(void **state)
{
	json_t	*o = document(200);
	char	*s = json_text(o, FLAGS);

	(void)state;
	assert_non_null(s);
	assert_true(strlen(s) > 8192);
	free(s);
	json_decref(o);
	whole_or_nothing(200);
}

static void
test_null(void **state)
{
	(void)state;
	assert_null(json_text(NULL, FLAGS));
	assert_null(json_parse(NULL, 0, NULL));
}

/* the value the text says, or NULL: never one loaded short */
static void
test_parse_whole_or_nothing(void **state)
{
	const char	*text = "{\"event\":\"token.refreshed\",\"n\":2,"
	    "\"detail\":{\"reason\":\"a longer string than sixteen\","
	    "\"list\":[1,\"x\",true,null,2.5]}}";
	json_t		*want, *got;
	size_t		 n, refused = 0;
	bool		 reached;

	(void)state;
	assert_non_null(want = json_parse(text, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(want,
	    "event")), "token.refreshed");
	for (n = 1; ; n++) {
		jf_begin(n);
		got = json_parse(text, 0, NULL);
		reached = jf_end();
		if (reached) {
			assert_null(got);
			refused++;
		} else {
			assert_true(json_equal(got, want));
		}
		json_decref(got);
		if (!reached)
			break;
	}
	assert_true(refused > 0);
	json_decref(want);
	/* not JSON */
	assert_null(json_parse("{\"a\":", 0, NULL));
	assert_null(json_parse("", 0, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_document),
		cmocka_unit_test(test_document_past_the_first_pass),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_parse_whole_or_nothing),
	};

	return cmocka_run_group_tests_name("util/json_text", tests, NULL,
	    NULL);
}
