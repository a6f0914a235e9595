/*
 * test_redirect.c - oauth/redirect.h: exact-string redirect URI matching
 * (RFC 9700 4.1.3), what may be registered (RFC 8252 7.1, 7.3; RFC 3986
 * bytes only, a well-formed host, no fragment, userinfo or wildcard), and
 * building the redirect back.
 */
#include "../harness.h"

#include "oauth/redirect.h"
#include "util/str.h"

#define REG_HTTPS	"https://app.example.com/cb"
#define REG_LOOP	"http://127.0.0.1:9000/callback"

static int
setup(void **state)
{
	struct client_row *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	str_copy(c->id, sizeof(c->id), "client1");
	str_copy(c->redirect_uris[0], GH_MAX_REDIRECT_LEN, REG_HTTPS);
	str_copy(c->redirect_uris[1], GH_MAX_REDIRECT_LEN, REG_LOOP);
	c->nredirect = 2;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

static void
test_match_exact(void **state)
{
	struct client_row *c = *state;

	assert_ptr_equal(redirect_match(c, REG_HTTPS), c->redirect_uris[0]);
	assert_ptr_equal(redirect_match(c, REG_LOOP), c->redirect_uris[1]);
}

/* Anything but the same bytes is refused: no normalisation at all. */
static void
test_match_refuses_variants(void **state)
{
	static const char *bad[] = {
		"https://app.example.com/c",		/* prefix */
		"https://app.example.com/cbx",		/* suffix */
		"https://app.example.com/cb/x",		/* extra segment */
		"https://app.example.com/cb/",		/* trailing slash */
		"https://APP.example.com/cb",		/* host case */
		"HTTPS://app.example.com/cb",		/* scheme case */
		"https://app.example.com/cb?x=1",	/* added query */
		"https://app.example.com/cb?",
		"https://app.example.com/%63b",		/* percent-encoded */
		"https://app.example.com/cb#frag",	/* fragment */
		"https://app.example.com:443/cb",	/* default port */
		"https://app.example.com.evil.com/cb",
		"http://app.example.com/cb",
		"http://127.0.0.1:9001/callback",	/* other port */
		"http://localhost:9000/callback",	/* other loopback */
		"https://app.example.com/cb ",
		"",
	};
	struct client_row	*c = *state;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (redirect_match(c, bad[i]) != NULL)
			fail_msg("matched: \"%s\"", bad[i]);
}

/*
 * A URI stored before the registration rules tightened (a literal '*')
 * still matches, exactly and only itself: the rules apply at
 * registration, and matching never reads a '*' as a wildcard.
 */
static void
test_match_stored_before_rules(void **state)
{
	struct client_row *c = *state;

	str_copy(c->redirect_uris[1], GH_MAX_REDIRECT_LEN,
	    "https://*.example.com/cb");
	assert_false(redirect_uri_acceptable(c->redirect_uris[1]));
	assert_ptr_equal(redirect_match(c, "https://*.example.com/cb"),
	    c->redirect_uris[1]);
	assert_null(redirect_match(c, "https://app.example.com/cb/"));
	assert_null(redirect_match(c, "https://evil.example.com/cb"));
}

/* Omitting redirect_uri is only unambiguous with one registered. */
static void
test_match_null(void **state)
{
	struct client_row *c = *state;

	assert_null(redirect_match(c, NULL));
	c->nredirect = 1;
	assert_ptr_equal(redirect_match(c, NULL), c->redirect_uris[0]);
	assert_null(redirect_match(c, REG_LOOP));	/* not counted now */
	c->nredirect = 0;
	assert_null(redirect_match(c, NULL));
	assert_null(redirect_match(c, REG_HTTPS));
}

static void
test_acceptable_ok(void **state)
{
	static const char *ok[] = {
		"https://app.example.com/cb",
		"https://app.example.com",
		"https://app.example.com:8443/cb?tenant=1",
		"http://127.0.0.1:9000/callback",
		"http://127.0.0.1/cb",
		"http://localhost/cb",
		"http://localhost:1234",
		"http://[::1]:8080/cb",
		"com.example.app:/cb",
		"com.example.app:/oauth2redirect/example-provider",
		/* the forms of a host */
		"https://a.example/cb",
		"https://xn--bcher-kva.example/cb",
		"https://my-app.example.com/cb",
		"https://203.0.113.7/cb",
		"https://203.0.113.7:8443/cb",
		"https://[2001:db8::1]/cb",
		"https://[2001:db8::1]:8443/cb",
		"https://[::ffff:192.0.2.1]/cb",
		"https://app.example.com:65535/cb",
		"https://localhost/cb",
		/* percent-encoding and the sub-delims RFC 3986 allows */
		"https://app.example.com/c%20b?x=%C3%A9",
		"https://app.example.com/cb;v=1?a=b&c=d,e!f$g'h(i)j+k",
		"https://app.example.com/a:b@c/~user",
		"com.example.app:/cb?x=%2F",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!redirect_uri_acceptable(ok[i]))
			fail_msg("refused: \"%s\"", ok[i]);
}

static void
test_acceptable_refused(void **state)
{
	static const char *bad[] = {
		"http://example.com/cb",		/* http, not loopback */
		"http://localhost.example.com/cb",
		"http://127.0.0.1.example.com/cb",
		"http://localhost@example.com/cb",
		"http://[::1/cb",
		"https://app.example.com/cb#frag",	/* fragment */
		"https://app.example.com/cb#",
		"https://user:pw@app.example.com/cb",	/* userinfo */
		"https://user@app.example.com/cb",
		"https://app.example.com/c b",		/* whitespace */
		" https://app.example.com/cb",
		"https://app.example.com/cb\n",
		"https://app.example.com/cb\t",
		"https://app.example.com/\"cb\"",
		"https://app.example.com/<cb>",
		"https://app.example.com\\@evil.com/",
		"javascript:alert(1)",
		"javascript://example.com/%0aalert(1)",
		"data:text/html,<b>x</b>",
		"myapp:/cb",			/* private-use needs a dot */
		"https:app.example.com/cb",
		"https://",
		"https:///cb",
		"//app.example.com/cb",
		"/cb",
		"cb",
		":/cb",
		"1com.example:/cb",
		"",
		/* bytes outside printable ASCII (JSON could not carry 0xff) */
		"https://app.example.com/\xff",
		"https://app.example.com/caf\xc3\xa9",
		"https://app.example.com/\x7f",
		"com.example.app:/\xff",
		/* no host, or a malformed one */
		"https://:443/cb",
		"https://[/cb",
		"https://[]/cb",
		"https://[::1/cb",
		"https://[not-ipv6]/cb",
		"https://[::1]x/cb",
		"https://[::1]]/cb",
		"https://[fe80::1%25eth0]/cb",
		"https://app..example.com/cb",
		"https://.app.example.com/cb",
		"https://app.example.com./cb",
		"https://-app.example.com/cb",
		"https://app-.example.com/cb",
		"https://app_x.example.com/cb",
		"https://app%2eexample.com/cb",
		"https://app.example.com!/cb",
		"https://1.2.3.999/cb",
		"https://1.2.3/cb",
		"https://256.0.0.1/cb",
		/* a port that is not 1 to 65535 */
		"https://app.example.com:/cb",
		"https://app.example.com:0/cb",
		"https://app.example.com:65536/cb",
		"https://app.example.com:8a/cb",
		"https://app.example.com:443:443/cb",
		"http://127.0.0.1:99999/cb",
		/* a literal wildcard, anywhere */
		"https://*.example.com/cb",
		"https://app.example.com/*",
		"https://app.example.com/cb?x=*",
		"com.example.*:/cb",
		"com.example.app:/*",
		/* brackets outside an IPv6 host, bad percent-encoding */
		"https://app.example.com/a[0]",
		"https://app.example.com/cb?a[]=1",
		"com.example.app:/[x]",
		"https://app.example.com/%",
		"https://app.example.com/%4",
		"https://app.example.com/%zz",
		/* other bytes RFC 3986 does not allow */
		"https://app.example.com/a{b}",
		"https://app.example.com/a|b",
		"https://app.example.com/a^b",
		"https://app.example.com/a`b",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (redirect_uri_acceptable(bad[i]))
			fail_msg("accepted: \"%s\"", bad[i]);
}

/* The header's "never userinfo" holds for private-use schemes too. */
static void
test_acceptable_private_use_userinfo(void **state)
{
	(void)state;
	assert_true(redirect_uri_acceptable("com.example.app://cb/x"));
	assert_false(redirect_uri_acceptable(
	    "com.example.app://user@evil.example/cb"));
}

static void
test_acceptable_length(void **state)
{
	char	u[GH_MAX_REDIRECT_LEN + 1];
	size_t	n = strlen("https://a.example/");

	(void)state;
	memcpy(u, "https://a.example/", n);
	memset(u + n, 'x', sizeof(u) - n - 1);
	u[GH_MAX_REDIRECT_LEN - 1] = '\0';
	assert_true(redirect_uri_acceptable(u));
	u[GH_MAX_REDIRECT_LEN - 1] = 'x';
	u[GH_MAX_REDIRECT_LEN] = '\0';
	assert_false(redirect_uri_acceptable(u));
}

static void
test_build(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, GH_MAX_REPLY_LEN);
	assert_int_equal(redirect_build(&b, REG_HTTPS, "code", "abc",
	    "state", "a b&c=d/é", (char *)NULL), GH_OK);
	assert_string_equal(buf_str(&b), REG_HTTPS
	    "?code=abc&state=a%20b%26c%3Dd%2F%C3%A9");
	buf_reset(&b);
	/* a registered query is kept and extended with '&' */
	assert_int_equal(redirect_build(&b, REG_HTTPS "?tenant=1", "code",
	    "abc", (char *)NULL), GH_OK);
	assert_string_equal(buf_str(&b), REG_HTTPS "?tenant=1&code=abc");
	buf_reset(&b);
	/* a base ending in '?' needs no separator */
	assert_int_equal(redirect_build(&b, REG_HTTPS "?", "code", "abc",
	    "iss", "https://i.example", (char *)NULL), GH_OK);
	assert_string_equal(buf_str(&b), REG_HTTPS
	    "?code=abc&iss=https%3A%2F%2Fi.example");
	buf_free(&b);
}

/* NULL values are skipped without leaving a stray separator. */
static void
test_build_skips_null(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, GH_MAX_REPLY_LEN);
	assert_int_equal(redirect_build(&b, REG_HTTPS, "state", (char *)NULL,
	    "code", "x", "nonce", (char *)NULL, "iss", "i", (char *)NULL),
	    GH_OK);
	assert_string_equal(buf_str(&b), REG_HTTPS "?code=x&iss=i");
	buf_reset(&b);
	assert_int_equal(redirect_build(&b, REG_HTTPS, (char *)NULL), GH_OK);
	assert_string_equal(buf_str(&b), REG_HTTPS);
	buf_free(&b);
}

static void
test_build_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, strlen(REG_HTTPS) + 8);
	assert_int_equal(redirect_build(&b, REG_HTTPS, "code", "0123456789",
	    (char *)NULL), GH_ERR_LIMIT);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_match_exact, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_match_refuses_variants,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_stored_before_rules,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_null, setup,
		    teardown),
		cmocka_unit_test(test_acceptable_ok),
		cmocka_unit_test(test_acceptable_refused),
		cmocka_unit_test(test_acceptable_private_use_userinfo),
		cmocka_unit_test(test_acceptable_length),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_skips_null),
		cmocka_unit_test(test_build_limit),
	};

	return cmocka_run_group_tests_name("oauth/redirect", tests, NULL,
	    NULL);
}
