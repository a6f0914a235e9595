/*
 * test_password.c - util/password.h: Argon2id round trip, wrong and
 * malformed hashes, an Argon2 run that could not allocate (an error, not
 * a wrong password), the bound on runs at once under a burst of logins,
 * and the bound on logins waiting for one (GH_ERR_BUSY past it).
 */
#include "../harness.h"

#include <dlfcn.h>
#include <pthread.h>

#include <argon2.h>

#include "util/clock.h"
#include "util/limits.h"
#include "util/password.h"

#define BURST	6

static char	stored[160];
static int	argon2_fault;	/* what argon2id_verify answers, or 0 */

/* while gated, verify runs park here until the gate opens */
static pthread_mutex_t	gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	gate_cv = PTHREAD_COND_INITIALIZER;
static bool		gated;
static int		inside;

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
	pthread_mutex_lock(&gate_mu);
	inside++;
	pthread_cond_broadcast(&gate_cv);
	while (gated)
		pthread_cond_wait(&gate_cv, &gate_mu);
	inside--;
	pthread_mutex_unlock(&gate_mu);
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
	int		 verdict;
};

static void *
login(void *arg)
{
	struct login *l = arg;

	l->verdict = verdict(stored, l->pw);
	return NULL;
}

static void
gate(bool on)
{
	pthread_mutex_lock(&gate_mu);
	gated = on;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* until n runs are parked at the gate */
static void
wait_inside(int n)
{
	pthread_mutex_lock(&gate_mu);
	while (inside < n)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
}

static void
start(struct login *l, const char *pw)
{
	l->pw = pw;
	assert_int_equal(pthread_create(&l->t, NULL, login, l), 0);
}

static void
test_burst_bounded(void **state)
{
	struct login	l[GH_PASSWORD_SLOTS + GH_PASSWORD_QUEUE];
	bool		match = true;
	double		t0;
	int		i, n = GH_PASSWORD_SLOTS + GH_PASSWORD_QUEUE;

	(void)state;
	assert_int_equal(password_hash("burst", stored, sizeof(stored)),
	    GH_OK);
	/* its one-time hash first: that one waits as long as it takes */
	assert_int_equal(password_dummy_verify("x"), GH_OK);
	gate(true);
	for (i = 0; i < GH_PASSWORD_SLOTS; i++)
		start(&l[i], i % 2 ? "burst" : "wrong");
	wait_inside(GH_PASSWORD_SLOTS);
	for (; i < n; i++)
		start(&l[i], i % 2 ? "burst" : "wrong");
	while (password_waiting() < GH_PASSWORD_QUEUE)
		usleep(1000);
	/* every slot running and the queue full: no verdict, at once */
	t0 = clock_mono();
	assert_int_equal(password_verify(stored, "burst", &match),
	    GH_ERR_BUSY);
	assert_false(match);
	assert_int_equal(password_dummy_verify("burst"), GH_ERR_BUSY);
	assert_true(clock_mono() - t0 < 0.5);
	gate(false);
	for (i = 0; i < n; i++) {
		assert_int_equal(pthread_join(l[i].t, NULL), 0);
		assert_int_equal(l[i].verdict, i % 2);
	}
	/* at most GH_PASSWORD_SLOTS ran at a time */
	assert_int_equal(password_runs_peak(), GH_PASSWORD_SLOTS);
	assert_int_equal(password_waiting(), 0);
}

/* a login waits for a run GH_PASSWORD_WAIT_MS at most */
static void
test_wait_is_bounded(void **state)
{
	struct login	l[GH_PASSWORD_SLOTS + 1];
	double		t0;
	int		i;

	(void)state;
	assert_int_equal(password_hash("burst", stored, sizeof(stored)),
	    GH_OK);
	gate(true);
	for (i = 0; i < GH_PASSWORD_SLOTS; i++)
		start(&l[i], "burst");
	wait_inside(GH_PASSWORD_SLOTS);
	t0 = clock_mono();
	start(&l[i], "burst");
	assert_int_equal(pthread_join(l[i].t, NULL), 0);
	assert_int_equal(l[i].verdict, -1);
	assert_true(clock_mono() - t0 >= GH_PASSWORD_WAIT_MS / 1000.0 - 0.05);
	gate(false);
	for (i = 0; i < GH_PASSWORD_SLOTS; i++) {
		assert_int_equal(pthread_join(l[i].t, NULL), 0);
		assert_int_equal(l[i].verdict, 1);
	}
	/* and once the runs are done, the next one goes through */
	assert_int_equal(verdict(stored, "burst"), 1);
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
	/* the run for an unknown user says so too: no silent 401 */
	assert_int_equal(password_dummy_verify("wrong"), GH_ERR_NOMEM);
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
		cmocka_unit_test(test_wait_is_bounded),
	};

	return cmocka_run_group_tests_name("util/password", tests, NULL, NULL);
}
