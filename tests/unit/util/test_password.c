/*
 * test_password.c - util/password.h: Argon2id round trip, wrong and
 * malformed hashes, and the bound on runs at once under a burst of logins.
 */
#include "../harness.h"

#include <pthread.h>

#include "util/limits.h"
#include "util/password.h"

#define BURST	6

static char	stored[160];

static void
test_round_trip(void **state)
{
	char	other[160];

	(void)state;
	assert_int_equal(password_hash("correct horse", stored,
	    sizeof(stored)), GH_OK);
	assert_true(strncmp(stored, "$argon2id$v=19$m=19456,t=2,p=1$",
	    31) == 0);
	assert_true(password_verify(stored, "correct horse"));
	assert_false(password_verify(stored, "correct hors"));
	assert_false(password_verify(stored, ""));
	assert_false(password_verify("$argon2id$v=19$garbage", "x"));
	assert_false(password_verify("", "x"));
	/* a fresh salt each time */
	assert_int_equal(password_hash("correct horse", other, sizeof(other)),
	    GH_OK);
	assert_string_not_equal(stored, other);
	/* no room for the encoding */
	assert_int_equal(password_hash("x", other, 40), GH_ERR_LIMIT);
}

struct login {
	pthread_t	 t;
	const char	*pw;
	bool		 ok;
};

static void *
login(void *arg)
{
	struct login *l = arg;

	l->ok = password_verify(stored, l->pw);
	if (!l->ok)
		password_dummy_verify(l->pw);	/* as for an unknown user */
	return NULL;
}

static void
test_burst_bounded(void **state)
{
	struct login	l[BURST];
	int		i;

	(void)state;
	assert_int_equal(password_hash("burst", stored, sizeof(stored)),
	    GH_OK);
	for (i = 0; i < BURST; i++) {
		l[i].pw = i % 2 ? "burst" : "wrong";
		assert_int_equal(pthread_create(&l[i].t, NULL, login, &l[i]),
		    0);
	}
	for (i = 0; i < BURST; i++) {
		assert_int_equal(pthread_join(l[i].t, NULL), 0);
		assert_int_equal(l[i].ok, i % 2 == 1);
	}
	/* 6 threads asked at once (9 runs), at most 2 ran at a time */
	assert_true(password_runs_peak() >= 1);
	assert_true(password_runs_peak() <= GH_PASSWORD_SLOTS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_burst_bounded),
	};

	return cmocka_run_group_tests_name("util/password", tests, NULL, NULL);
}
