/*
 * test_password.c - util/password.h: Argon2id round trip, wrong and
 * malformed hashes, an Argon2 run that could not allocate (an error, not
 * a wrong password), and the bound on runs at once under a burst of
 * logins.
 */
#include "../harness.h"

#include <dlfcn.h>
#include <pthread.h>

#include <argon2.h>

#include "util/limits.h"
#include "util/password.h"

#define BURST	6

static char	stored[160];
static int	argon2_fault;	/* what argon2id_verify answers, or 0 */

/*
 * Defined here, so password.c's calls bind to it before libargon2's: the
 * real verify, unless a test asks for a failure (Argon2 allocates its
 * memory per run, so a malloc failure shows up as exactly this).
 */
int
argon2id_verify(const char *encoded, const void *pwd, const size_t pwdlen)
{
	static int	(*real)(const char *, const void *, const size_t);

	if (argon2_fault != 0)
		return argon2_fault;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "argon2id_verify");
	return real != NULL ? real(encoded, pwd, pwdlen) :
	    ARGON2_VERIFY_MISMATCH;
}

/* password_verify's verdict: 1 match, 0 mismatch, -1 error */
static int
verdict(const char *encoded, const char *pw)
{
	bool	match = true;

	if (password_verify(encoded, pw, &match) != GH_OK) {
		assert_false(match);
		return -1;
	}
	return match ? 1 : 0;
}

static void
test_round_trip(void **state)
{
	char	other[160];

	(void)state;
	assert_int_equal(password_hash("correct horse", stored,
	    sizeof(stored)), GH_OK);
	assert_true(strncmp(stored, "$argon2id$v=19$m=19456,t=2,p=1$",
	    31) == 0);
	assert_int_equal(verdict(stored, "correct horse"), 1);
	assert_int_equal(verdict(stored, "correct hors"), 0);
	assert_int_equal(verdict(stored, ""), 0);
	/* a malformed stored hash is no verdict on the password */
	assert_int_equal(verdict("$argon2id$v=19$garbage", "x"), -1);
	assert_int_equal(verdict("", "x"), -1);
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

	l->ok = verdict(stored, l->pw) == 1;
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

/* out of memory in Argon2: an error, whether the password is right or not */
static void
test_allocation_failure_is_no_verdict(void **state)
{
	bool	match = true;

	(void)state;
	assert_int_equal(password_hash("correct horse", stored,
	    sizeof(stored)), GH_OK);
	argon2_fault = ARGON2_MEMORY_ALLOCATION_ERROR;
	assert_int_equal(password_verify(stored, "correct horse", &match),
	    GH_ERR_NOMEM);
	assert_false(match);
	match = true;
	assert_int_equal(password_verify(stored, "wrong", &match),
	    GH_ERR_NOMEM);
	assert_false(match);
	argon2_fault = ARGON2_THREAD_FAIL;
	assert_int_equal(password_verify(stored, "correct horse", &match),
	    GH_ERR_CRYPTO);
	assert_false(match);
	argon2_fault = 0;
	assert_int_equal(verdict(stored, "correct horse"), 1);
	assert_int_equal(verdict(stored, "wrong"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_allocation_failure_is_no_verdict),
		cmocka_unit_test(test_burst_bounded),
	};

	return cmocka_run_group_tests_name("util/password", tests, NULL, NULL);
}
