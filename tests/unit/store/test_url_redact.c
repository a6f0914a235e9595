/*
 * test_url_redact.c - store_url_redact(): a database URL as check-config,
 * init and the "database ..." errors show it, with every password hidden.
 *
 * Each URL is also read by libpq itself (PQconninfoParse), so what is
 * hidden is what libpq would send as the password, not what this test
 * guesses it to be: libpq decodes %XX in parameter names, so
 * "?pass%77ord=" is a password (it was shown), and it takes the userinfo
 * up to the first '@' ahead of any '/', '?' included.
 */
#include "../harness.h"

/* The value libpq reads for keyword kw from url, or NULL (caller frees). */
static char *
libpq_value(const char *url, const char *kw)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, *v = NULL;

	opts = PQconninfoParse(url, &err);
	PQfreemem(err);
	if (opts == NULL)
		fail_msg("libpq refuses %s", url);
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, kw) == 0 && o->val != NULL)
			v = strdup(o->val);
	PQconninfoFree(opts);
	return v;
}

/* url shown as want, and libpq's password for it, pw, not shown. */
static void
hidden(const char *url, const char *kw, const char *pw, const char *want)
{
	char	 shown[256];
	char	*got = libpq_value(url, kw);

	assert_non_null(got);
	assert_string_equal(got, pw);	/* libpq reads it so */
	free(got);
	store_url_redact(url, shown, sizeof(shown));
	assert_null(strstr(shown, pw));
	assert_string_equal(shown, want);
}

static void
test_userinfo_password_hidden(void **state)
{
	(void)state;
	hidden("postgresql://gh:s3cret@db.example:5432/gh?connect_timeout=5",
	    "password", "s3cret",
	    "postgresql://gh:***@db.example:5432/gh?connect_timeout=5");
	hidden("postgresql://gh:s3cret@db.example", "password", "s3cret",
	    "postgresql://gh:***@db.example");
	/* a '?' before the '@' is still the password's, for libpq */
	hidden("postgresql://gh:s3?cret@db.example/gh", "password", "s3?cret",
	    "postgresql://gh:***@db.example/gh");
}

static void
test_query_password_hidden(void **state)
{
	(void)state;
	hidden("postgres://db/gh?user=gh&password=s3cret&connect_timeout=5",
	    "password", "s3cret",
	    "postgres://db/gh?user=gh&password=***&connect_timeout=5");
	/* libpq decodes the name: these are all the password */
	hidden("postgresql://gh@db.example/gh?pass%77ord=s3cret", "password",
	    "s3cret", "postgresql://gh@db.example/gh?pass%77ord=***");
	hidden("postgresql://gh@db.example/gh?%70%61%73%73%77%6F%72%64=s3cret",
	    "password", "s3cret",
	    "postgresql://gh@db.example/gh?%70%61%73%73%77%6F%72%64=***");
	hidden("postgresql://db.example?pass%77ord=s3cret", "password",
	    "s3cret", "postgresql://db.example?pass%77ord=***");
	/* the password of the client's TLS key */
	hidden("postgresql://db.example/gh?ssl%70assword=s3cret",
	    "sslpassword", "s3cret",
	    "postgresql://db.example/gh?ssl%70assword=***");
	/* both places at once */
	hidden("postgresql://gh:one@db/gh?password=s3cret", "password",
	    "s3cret", "postgresql://gh:***@db/gh?password=***");
}

static void
test_rest_shown_as_is(void **state)
{
	char shown[128];

	(void)state;
	store_url_redact("postgres://gh@db/gh?passfile=/x&sslmode=require",
	    shown, sizeof(shown));
	assert_string_equal(shown,
	    "postgres://gh@db/gh?passfile=/x&sslmode=require");
	store_url_redact("/var/lib/gh.db", shown, sizeof(shown));
	assert_string_equal(shown, "/var/lib/gh.db");
}

/* Cut short by the buffer: a prefix, never a part of a hidden value. */
static void
test_cut_short(void **state)
{
	const char	*url = "postgresql://db/gh?pass%77ord=s3cret&x=1";
	char		 shown[64];
	size_t		 n;

	(void)state;
	for (n = 1; n < sizeof(shown); n++) {
		memset(shown, 'Z', sizeof(shown));
		store_url_redact(url, shown, n);
		assert_true(strlen(shown) < n);
		assert_int_equal(strncmp(shown,
		    "postgresql://db/gh?pass%77ord=***&x=1", strlen(shown)), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_userinfo_password_hidden),
		cmocka_unit_test(test_query_password_hidden),
		cmocka_unit_test(test_rest_shown_as_is),
		cmocka_unit_test(test_cut_short),
	};

	return cmocka_run_group_tests_name("store/url_redact", tests, NULL,
	    NULL);
}
