/*
 * test_authz_request.c - oauth/authz_request.h: the parameters the login
 * and consent forms carry in hidden fields must come back from a browser
 * as they were sent. A browser posts CR or LF as CRLF and a byte that is
 * not UTF-8 as U+FFFD, so authz_parse() refuses such a state (RFC 6749
 * A.5: printable ASCII only), nonce or login_hint (UTF-8 text without
 * control characters) with an error redirect, before any form is shown.
 * The refused state is echoed exactly (RFC 6749 4.1.2.1); one too long to
 * echo is not. The request is read from a query string as the endpoint
 * reads it (form_parse), against a store holding one client.
 */
#include "../harness.h"

#include "http/form.h"
#include "oauth/authz_request.h"

#define CLIENT	"cl_unit"
#define NOW	1700000000
#define BASE	"response_type=code&client_id=" CLIENT "&redirect_uri=" \
		"https%3A%2F%2Fapp.example.com%2Fcb&scope=openid+profile&" \
		"code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&" \
		"code_challenge_method=S256"

/* every VSCHAR, %x20-7E, once each and in order */
static char	vschar[0x7f - 0x20 + 1];

struct fixture {
	struct th_store		*t;
	struct app		 app;
	struct params		 p;
	struct authz_request	*r;
	struct authz_error	 err;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	void		*ts = NULL;

	if (f == NULL || th_store_setup_client(&ts, CLIENT, NOW) != 0 ||
	    (f->r = malloc(sizeof(*f->r))) == NULL) {
		free(f);
		return -1;
	}
	f->t = ts;
	th_app_init(&f->app);
	f->app.store = f->t->s;
	str_copy(f->app.conf.issuer, sizeof(f->app.conf.issuer),
	    "https://gh.example");
	params_init(&f->p);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	void		*ts = f->t;

	params_free(&f->p);
	free(f->r);
	free(f);
	return th_store_teardown(&ts);
}

/* authz_parse() of BASE followed by `extra` (already form-encoded) */
static enum authz_outcome
parse(struct fixture *f, const char *extra)
{
	char q[8192];

	assert_true((size_t)snprintf(q, sizeof(q), "%s%s", BASE, extra) <
	    sizeof(q));
	params_free(&f->p);
	assert_int_equal(form_parse(q, strlen(q), &f->p), GH_OK);
	f->err.error = OE_SERVER_ERROR;
	f->err.description = NULL;
	return authz_parse(&f->app, &f->p, f->r, &f->err);
}

/* An error redirect: invalid_request whose description names `what`. */
static void
assert_refused(struct fixture *f, enum authz_outcome o, const char *what)
{
	assert_int_equal(o, AUTHZ_REDIRECT);
	assert_int_equal(f->err.error, OE_INVALID_REQUEST);
	assert_non_null(f->err.description);
	assert_non_null(strstr(f->err.description, what));
}

/* What a browser cannot carry unchanged in a hidden field. */
static const char *const unsafe[] = {
	"a%0Db", "a%0Ab", "a%0D%0Ab", "a%FFb", "a%C3b", "%ED%A0%80",
	"a%01b", "a%7Fb", "a%C2%85b",
};

static void
test_state_refused_and_echoed_exactly(void **state)
{
	static const char *const decoded[] = {
		"a\rb", "a\nb", "a\r\nb", "a\xff" "b", "a\xc3" "b",
		"\xed\xa0\x80", "a\x01" "b", "a\x7f" "b", "a\xc2\x85" "b",
	};
	/* non-ASCII UTF-8 and TAB would survive, but are not VSCHAR */
	static const char *const more[] = { "caf%C3%A9", "a%09b" };
	static const char *const more_decoded[] = { "caf\xc3\xa9", "a\tb" };
	struct fixture	*f = *state;
	char		 x[64];
	size_t		 i;

	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		snprintf(x, sizeof(x), "&nonce=n&state=%s", unsafe[i]);
		assert_refused(f, parse(f, x), "state");
		assert_non_null(f->r->state);
		assert_string_equal(f->r->state, decoded[i]);
	}
	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		snprintf(x, sizeof(x), "&state=%s", more[i]);
		assert_refused(f, parse(f, x), "state");
		assert_string_equal(f->r->state, more_decoded[i]);
	}
}

static void
test_state_of_every_vschar_accepted(void **state)
{
	struct fixture	*f = *state;
	char		 x[512];
	size_t		 n, i;

	n = (size_t)snprintf(x, sizeof(x), "&state=");
	for (i = 0; vschar[i] != '\0'; i++)
		n += (size_t)snprintf(x + n, sizeof(x) - n, "%%%02X",
		    (unsigned)(unsigned char)vschar[i]);
	assert_true(n < sizeof(x));
	assert_int_equal(parse(f, x), AUTHZ_OK);
	assert_string_equal(f->r->state, vschar);
	/* '+' is a space in a form: both spellings of it */
	assert_int_equal(parse(f, "&state=a+b%20c"), AUTHZ_OK);
	assert_string_equal(f->r->state, "a b c");
}

/* The first check after the client: its error wins, state echoed. */
static void
test_state_checked_before_other_parameters(void **state)
{
	struct fixture *f = *state;

	assert_refused(f, parse(f, "&state=a%0Db&scope=admin&prompt=bogus"),
	    "state");
	assert_string_equal(f->r->state, "a\rb");
}

static void
test_state_too_long_not_echoed(void **state)
{
	struct fixture	*f = *state;
	char		 x[GH_MAX_STATE_LEN + 16];

	memset(x, 'a', sizeof(x));
	memcpy(x, "&state=", 7);
	x[7 + GH_MAX_STATE_LEN + 1] = '\0';
	assert_refused(f, parse(f, x), "state");
	assert_null(f->r->state);
	x[7 + GH_MAX_STATE_LEN] = '\0';		/* the longest echoed */
	assert_int_equal(parse(f, x), AUTHZ_OK);
	assert_int_equal(strlen(f->r->state), GH_MAX_STATE_LEN);
}

static void
test_nonce_refused_unless_text(void **state)
{
	struct fixture	*f = *state;
	char		 x[64];
	size_t		 i;

	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		snprintf(x, sizeof(x), "&state=s&nonce=%s", unsafe[i]);
		assert_refused(f, parse(f, x), "nonce");
		assert_string_equal(f->r->state, "s");
	}
	/* UTF-8 text survives a UTF-8 form: accepted, byte for byte */
	assert_int_equal(parse(f, "&nonce=%22%3C%3E+%C3%A9%E4%B8%AD%F0%9F%98%80"
	    "%26"), AUTHZ_OK);
	assert_string_equal(f->r->nonce,
	    "\"<> \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80&");
}

static void
test_login_hint_refused_unless_text(void **state)
{
	struct fixture	*f = *state;
	char		 x[64];
	size_t		 i;

	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		snprintf(x, sizeof(x), "&state=s&nonce=n&login_hint=%s",
		    unsafe[i]);
		assert_refused(f, parse(f, x), "login_hint");
		assert_string_equal(f->r->state, "s");
	}
	assert_int_equal(parse(f,
	    "&nonce=n&login_hint=j%C3%B6rg%40example.com"), AUTHZ_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_state_refused_and_echoed_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_state_of_every_vschar_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_state_checked_before_other_parameters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_state_too_long_not_echoed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonce_refused_unless_text,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_login_hint_refused_unless_text, setup, teardown),
	};
	size_t i;

	for (i = 0; i < sizeof(vschar) - 1; i++)
		vschar[i] = (char)(0x20 + i);
	return cmocka_run_group_tests_name("oauth/authz_request", tests, NULL,
	    NULL);
}
