/*
 * test_cookie.c - http/cookie.h: finding one cookie in a Cookie header,
 * refusing a name sent twice (cookie tossing), skipping every other
 * cookie whatever its size or number, and the header's size limit.
 */
#include "../harness.h"

#include "http/cookie.h"
#include "util/buf.h"
#include "util/limits.h"

static enum gh_err
get(const char *h, const char *name, char *out, size_t outsz)
{
	return cookie_get(h, h ? strlen(h) : 0, name, out, outsz);
}

static void
test_finds_among_several(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(get("a=1; gh_session=abc; b=2", "gh_session", out,
	    sizeof(out)), GH_OK);
	assert_string_equal(out, "abc");
	assert_int_equal(get("a=1; gh_session=abc; b=2", "a", out,
	    sizeof(out)), GH_OK);
	assert_string_equal(out, "1");
	assert_int_equal(get("a=1; gh_session=abc; b=2", "b", out,
	    sizeof(out)), GH_OK);
	assert_string_equal(out, "2");
	/* spaces around the pair are not part of the name or value */
	assert_int_equal(get("  sid = v ;x=y", "sid", out, sizeof(out)),
	    GH_OK);
	assert_string_equal(out, "v");
	/* a value may itself contain '=' */
	assert_int_equal(get("t=a=b", "t", out, sizeof(out)), GH_OK);
	assert_string_equal(out, "a=b");
}

/* Names match whole, never by prefix or suffix. */
static void
test_exact_name(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(get("xsid=1; sid2=2; sid=3", "sid", out,
	    sizeof(out)), GH_OK);
	assert_string_equal(out, "3");
	assert_int_equal(get("xsid=1; sid2=2", "sid", out, sizeof(out)),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(get("SID=1", "sid", out, sizeof(out)),
	    GH_ERR_NOT_FOUND);
}

static void
test_quoted_value(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(get("a=1; sid=\"xyz\"", "sid", out, sizeof(out)),
	    GH_OK);
	assert_string_equal(out, "xyz");
	assert_int_equal(get("sid=\"\"", "sid", out, sizeof(out)), GH_OK);
	assert_string_equal(out, "");
}

/* A second cookie of the same name is the signature of cookie tossing. */
static void
test_duplicate(void **state)
{
	char	out[64];
	size_t	i;

	(void)state;
	assert_int_equal(get("sid=1; sid=2", "sid", out, sizeof(out)),
	    GH_ERR_DUPLICATE);
	assert_int_equal(get("sid=1; other=x; sid=1", "sid", out,
	    sizeof(out)), GH_ERR_DUPLICATE);
	/* the first copy was read into out: nothing of it is left there */
	memset(out, 'x', sizeof(out));
	assert_int_equal(get("sid=gate_ss_secret; sid=2", "sid", out,
	    sizeof(out)), GH_ERR_DUPLICATE);
	for (i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0);
	/* a duplicate of another name does not matter */
	assert_int_equal(get("o=1; sid=2; o=3", "sid", out, sizeof(out)),
	    GH_OK);
	assert_string_equal(out, "2");
}

static void
test_absent(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(get("a=1; b=2", "sid", out, sizeof(out)),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(get(NULL, "sid", out, sizeof(out)),
	    GH_ERR_NOT_FOUND);
	assert_int_equal(get("", "sid", out, sizeof(out)), GH_ERR_NOT_FOUND);
	/* a bare word without '=' is not a cookie named that word */
	assert_int_equal(get("sid; a=1", "sid", out, sizeof(out)),
	    GH_ERR_NOT_FOUND);
	/* only `len` bytes are read */
	assert_int_equal(cookie_get("a=1; sid=2", 4, "sid", out,
	    sizeof(out)), GH_ERR_NOT_FOUND);
}

/*
 * The header may be as long as the server lets all headers be: a session
 * cookie after 4 KiB of others' cookies is still found; past the limit
 * the header is refused.
 */
static void
test_long_header(void **state)
{
	struct buf	b;
	char		out[64];

	(void)state;
	buf_init(&b, GH_MAX_COOKIE_HDR + 16);
	assert_int_equal(buf_puts(&b, "_ga="), GH_OK);
	while (b.len < 4100)
		assert_int_equal(buf_putc(&b, 'x'), GH_OK);
	assert_int_equal(buf_puts(&b, "; sid=1; pad="), GH_OK);
	assert_int_equal(get(buf_str(&b), "sid", out, sizeof(out)), GH_OK);
	assert_string_equal(out, "1");
	while (b.len < GH_MAX_COOKIE_HDR)
		assert_int_equal(buf_putc(&b, 'x'), GH_OK);
	assert_int_equal(get(buf_str(&b), "sid", out, sizeof(out)), GH_OK);
	assert_int_equal(buf_putc(&b, 'x'), GH_OK);
	assert_int_equal(get(buf_str(&b), "sid", out, sizeof(out)),
	    GH_ERR_LIMIT);
	buf_free(&b);
}

/*
 * However many other cookies come first or after (40 here, and as many
 * empty pairs as fit), ours is found, and a duplicate of ours is still
 * seen past them.
 */
static void
test_many_cookies(void **state)
{
	struct buf	b;
	char		out[64];
	size_t		i;

	(void)state;
	buf_init(&b, GH_MAX_COOKIE_HDR);
	for (i = 0; i < 40; i++)
		assert_int_equal(buf_printf(&b, "c%zu=1; ", i), GH_OK);
	assert_int_equal(buf_puts(&b, "sid=2"), GH_OK);
	for (i = 0; i < 40; i++)
		assert_int_equal(buf_printf(&b, "; d%zu=1", i), GH_OK);
	assert_int_equal(get(buf_str(&b), "sid", out, sizeof(out)), GH_OK);
	assert_string_equal(out, "2");
	assert_int_equal(get(buf_str(&b), "c39", out, sizeof(out)), GH_OK);
	while (b.len + 16 < GH_MAX_COOKIE_HDR)
		assert_int_equal(buf_putc(&b, ';'), GH_OK);
	assert_int_equal(get(buf_str(&b), "sid", out, sizeof(out)), GH_OK);
	assert_int_equal(buf_puts(&b, "sid=3"), GH_OK);
	assert_int_equal(get(buf_str(&b), "sid", out, sizeof(out)),
	    GH_ERR_DUPLICATE);
	buf_free(&b);
}

/* Another cookie's value too large for out is skipped, not a failure. */
static void
test_others_large_value(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(get("big=0123456789; sid=ab; x=\"0123456789\"",
	    "sid", out, sizeof(out)), GH_OK);
	assert_string_equal(out, "ab");
}

/* The value and its NUL must fit in out. */
static void
test_value_larger_than_out(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(get("sid=abc", "sid", out, sizeof(out)), GH_OK);
	assert_string_equal(out, "abc");
	assert_int_equal(get("sid=abcd", "sid", out, sizeof(out)),
	    GH_ERR_LIMIT);
	assert_int_equal(get("sid=\"abcd\"", "sid", out, sizeof(out)),
	    GH_ERR_LIMIT);
	assert_int_equal(cookie_get("sid=a\0c", 7, "sid", out, sizeof(out)),
	    GH_ERR_LIMIT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds_among_several),
		cmocka_unit_test(test_exact_name),
		cmocka_unit_test(test_quoted_value),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_many_cookies),
		cmocka_unit_test(test_others_large_value),
		cmocka_unit_test(test_value_larger_than_out),
	};

	return cmocka_run_group_tests_name("http/cookie", tests, NULL, NULL);
}
