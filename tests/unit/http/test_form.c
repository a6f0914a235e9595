/*
 * test_form.c - http/form.h: form and query parsing. Decoding ('+', %XX),
 * malformed and NUL input refused, RFC 6749 3.1 (empty means omitted, a
 * repeated name is flagged), and the count and length limits.
 */
#include "../harness.h"
#include "../free_watch.h"

#include "http/form.h"
#include "util/buf.h"

static enum gh_err
parse(const char *s, struct params *p)
{
	return form_parse(s, strlen(s), p);
}

/* A string of n copies of c (caller frees). */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_basic_pairs(void **state)
{
	struct params p;

	(void)state;
	assert_int_equal(parse("a=1&b=2", &p), GH_OK);
	assert_int_equal(p.n, 2);
	assert_string_equal(params_get(&p, "a"), "1");
	assert_string_equal(params_get(&p, "b"), "2");
	assert_null(params_get(&p, "c"));
	assert_null(params_first_dup(&p));
	assert_false(params_is_dup(&p, "a"));
	params_free(&p);
	assert_int_equal(p.n, 0);
}

/* every decoded copy is wiped before it is freed, refused ones too */
static void
test_values_wiped_when_freed(void **state)
{
	static const char *const forms[] = {
		"username=alice&password=s3cret-Pa55w0rd",	/* kept */
		"password=s3cret-Pa55w0rd&password=other",	/* a repeat */
		"s3cret-Pa55w0rd=x",				/* a name */
		"password=s3cret-Pa55w0rd%zz",			/* malformed */
	};
	struct params	p;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		watch_text = "s3cret-Pa55w0rd";
		watch_freed_intact = 0;
		if (parse(forms[i], &p) == GH_OK)
			params_free(&p);
		watch_text = NULL;
		assert_int_equal(watch_freed_intact, 0);
	}
}

static void
test_decoding(void **state)
{
	struct params p;

	(void)state;
	assert_int_equal(parse("q=hello+world&r=%41%2b%2B&s=%7e%7E&"
	    "redirect_uri=https%3A%2F%2Fc.example%2Fcb&a%20b=x", &p), GH_OK);
	assert_string_equal(params_get(&p, "q"), "hello world");
	assert_string_equal(params_get(&p, "r"), "A++");
	assert_string_equal(params_get(&p, "s"), "~~");
	assert_string_equal(params_get(&p, "redirect_uri"),
	    "https://c.example/cb");
	assert_string_equal(params_get(&p, "a b"), "x");
	params_free(&p);
}

/* Only `len` bytes are read; the input need not be NUL-terminated. */
static void
test_length_bounded(void **state)
{
	struct params p;

	(void)state;
	assert_int_equal(form_parse("a=1&b=2", 3, &p), GH_OK);
	assert_int_equal(p.n, 1);
	assert_string_equal(params_get(&p, "a"), "1");
	params_free(&p);
	/* a '%' whose hex digits lie beyond len is malformed */
	assert_int_equal(form_parse("a=%41", 4, &p), GH_ERR_PARSE);
	assert_int_equal(p.n, 0);
}

static void
test_malformed_percent(void **state)
{
	static const char *bad[] = {
		"a=%", "a=%4", "a=%zz", "a=%4g", "a=%g4", "%=1", "a%2=1",
		"a=1&b=%", "a=% 41",
	};
	struct params	p;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &p), GH_ERR_PARSE);
		assert_int_equal(p.n, 0);	/* nothing kept on error */
	}
}

static void
test_nul_rejected(void **state)
{
	struct params p;

	(void)state;
	assert_int_equal(parse("a=x%00y", &p), GH_ERR_PARSE);
	assert_int_equal(parse("a%00b=1", &p), GH_ERR_PARSE);
	assert_int_equal(form_parse("a=x\0y", 5, &p), GH_ERR_PARSE);
	assert_int_equal(p.n, 0);
}

/* RFC 6749 3.1: a parameter sent without a value is treated as omitted. */
static void
test_empty_is_omitted(void **state)
{
	struct params p;

	(void)state;
	assert_int_equal(parse("a=&b=2&c&=v&&d=4&", &p), GH_OK);
	assert_null(params_get(&p, "a"));
	assert_null(params_get(&p, "c"));
	assert_null(params_get(&p, ""));
	assert_string_equal(params_get(&p, "b"), "2");
	assert_string_equal(params_get(&p, "d"), "4");
	assert_int_equal(p.n, 2);
	params_free(&p);
	assert_int_equal(parse("", &p), GH_OK);
	assert_int_equal(p.n, 0);
}

/* RFC 6749 3.1: a repeated name is flagged; the first value is kept. */
static void
test_duplicates(void **state)
{
	struct params p;

	(void)state;
	assert_int_equal(parse("a=1&a=1", &p), GH_OK);
	assert_true(params_is_dup(&p, "a"));
	params_free(&p);

	assert_int_equal(parse("x=0&a=1&b=2&a=other", &p), GH_OK);
	assert_true(params_is_dup(&p, "a"));
	assert_false(params_is_dup(&p, "b"));
	assert_false(params_is_dup(&p, "x"));
	assert_false(params_is_dup(&p, "missing"));
	assert_string_equal(params_get(&p, "a"), "1");
	assert_string_equal(params_first_dup(&p), "a");
	params_free(&p);

	/* names are compared after decoding */
	assert_int_equal(parse("scope=a&%73cope=b", &p), GH_OK);
	assert_true(params_is_dup(&p, "scope"));
	assert_string_equal(params_get(&p, "scope"), "a");
	params_free(&p);

	/* first_dup is the first flagged name in order of appearance */
	assert_int_equal(parse("b=1&c=1&c=2&b=2", &p), GH_OK);
	assert_string_equal(params_first_dup(&p), "b");
	params_free(&p);
}

static void
test_param_count_limit(void **state)
{
	struct buf	b;
	struct params	p;
	size_t		i;

	(void)state;
	buf_init(&b, 4096);
	for (i = 0; i < GH_MAX_PARAMS; i++)
		assert_int_equal(buf_printf(&b, "%sk%zu=v", i ? "&" : "", i),
		    GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_OK);
	assert_int_equal(p.n, GH_MAX_PARAMS);
	assert_string_equal(params_get(&p, "k63"), "v");
	params_free(&p);
	assert_int_equal(buf_puts(&b, "&one=more"), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_ERR_LIMIT);
	assert_int_equal(p.n, 0);
	buf_free(&b);
}

/* Work is bounded even when every pair is dropped as empty. */
static void
test_many_empty_pairs(void **state)
{
	struct buf	b;
	struct params	p;
	size_t		i;

	(void)state;
	buf_init(&b, 8192);
	for (i = 0; i < 4 * GH_MAX_PARAMS; i++)
		assert_int_equal(buf_puts(&b, "a=&"), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_ERR_LIMIT);
	assert_int_equal(p.n, 0);
	buf_free(&b);
}

static void
test_value_length_limit(void **state)
{
	struct params	 p;
	struct buf	 b;
	char		*v;

	(void)state;
	buf_init(&b, 4 * GH_MAX_PARAM_LEN + 64);
	v = repeat('x', GH_MAX_PARAM_LEN);
	assert_int_equal(buf_printf(&b, "v=%s", v), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_OK);
	assert_int_equal(strlen(params_get(&p, "v")), GH_MAX_PARAM_LEN);
	params_free(&p);
	assert_int_equal(buf_putc(&b, 'x'), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_ERR_LIMIT);
	free(v);

	/* the limit applies to the decoded length: %41 is one byte */
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "v="), GH_OK);
	while (b.len < 2 + 3 * GH_MAX_PARAM_LEN)
		assert_int_equal(buf_puts(&b, "%41"), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_OK);
	assert_int_equal(strlen(params_get(&p, "v")), GH_MAX_PARAM_LEN);
	params_free(&p);
	assert_int_equal(buf_puts(&b, "%41"), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_ERR_LIMIT);
	buf_free(&b);
}

static void
test_name_length_limit(void **state)
{
	struct params	 p;
	struct buf	 b;
	char		*n;

	(void)state;
	buf_init(&b, 1024);
	n = repeat('n', GH_MAX_NAME_LEN);
	assert_int_equal(buf_printf(&b, "%s=1", n), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_OK);
	assert_string_equal(params_get(&p, n), "1");
	params_free(&p);
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%sn=1", n), GH_OK);
	assert_int_equal(parse(buf_str(&b), &p), GH_ERR_LIMIT);
	free(n);
	buf_free(&b);
}

static void
test_form_decode(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(form_decode("a+%62", 5, out, sizeof(out)), 3);
	assert_memory_equal(out, "a b", 3);
	assert_int_equal(form_decode("abcd", 4, out, 3), -1);
	assert_int_equal(form_decode("abc", 3, out, 3), 3);
	assert_int_equal(form_decode("%", 1, out, sizeof(out)), -1);
	assert_int_equal(form_decode("%0", 2, out, sizeof(out)), -1);
	assert_int_equal(form_decode("%00", 3, out, sizeof(out)), -1);
	assert_int_equal(form_decode("", 0, out, sizeof(out)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_pairs),
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_malformed_percent),
		cmocka_unit_test(test_nul_rejected),
		cmocka_unit_test(test_empty_is_omitted),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_param_count_limit),
		cmocka_unit_test(test_many_empty_pairs),
		cmocka_unit_test(test_value_length_limit),
		cmocka_unit_test(test_name_length_limit),
		cmocka_unit_test(test_form_decode),
		cmocka_unit_test(test_values_wiped_when_freed),
	};

	return cmocka_run_group_tests_name("http/form", tests, NULL, NULL);
}
