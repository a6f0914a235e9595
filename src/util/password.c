/*
 * password.c - Argon2id hashing with OWASP's minimum parameters
 * (19 MiB, t=2, p=1), encoded in the PHC string format.
 *
 * Each run holds 19 MiB, so at most GH_PASSWORD_SLOTS run at once: a
 * burst of logins costs CPU time, not 19 MiB per request thread. main()
 * makes such blocks come from mmap, so the memory goes back to the kernel
 * when a run ends.
 *
 * A login waits for a run only while at most GH_PASSWORD_QUEUE others do,
 * and for at most GH_PASSWORD_WAIT_MS; past either it is GH_ERR_BUSY (503)
 * at once. A flood of login forms would otherwise park every HTTP thread
 * here, and the token endpoint with them. The admin command's hashing
 * waits as long as it takes. Who may ask for a run at all is decided
 * before: oauth/login.c limits failed sign-ins per address and per
 * username, and lets one address hold only one run or place in the
 * queue, so one client cannot take every slot.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <argon2.h>

#include "clock.h"
#include "crypto.h"
#include "limits.h"
#include "password.h"

#define PW_T_COST	2
#define PW_M_COST	(19 * 1024)	/* KiB */
#define PW_PARALLEL	1
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32

static pthread_mutex_t	slot_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	slot_cv;
static pthread_once_t	slot_once = PTHREAD_ONCE_INIT;
static int		slots_busy;
static int		slots_peak;
static int		waiting;

static void
slot_init(void)
{
	/* a failure leaves the wall clock: the wait is bounded either way */
	if (clock_cond_init(&slot_cv) != 0)
		(void)pthread_cond_init(&slot_cv, NULL);
}

/* bounded: a login's wait (see the top); else as long as it takes */
static enum gh_err
slot_take(bool bounded)
{
	struct timespec	until;
	enum gh_err	rc = GH_OK;

	pthread_once(&slot_once, slot_init);
	clock_wait_until(&until, GH_PASSWORD_WAIT_MS);
	pthread_mutex_lock(&slot_mu);
	if (bounded && slots_busy >= GH_PASSWORD_SLOTS &&
	    waiting >= GH_PASSWORD_QUEUE)
		rc = GH_ERR_BUSY;
	waiting++;
	while (rc == GH_OK && slots_busy >= GH_PASSWORD_SLOTS) {
		if (!bounded)
			pthread_cond_wait(&slot_cv, &slot_mu);
		else if (pthread_cond_timedwait(&slot_cv, &slot_mu, &until) ==
		    ETIMEDOUT && slots_busy >= GH_PASSWORD_SLOTS)
			rc = GH_ERR_BUSY;
	}
	waiting--;
	if (rc == GH_OK && ++slots_busy > slots_peak)
		slots_peak = slots_busy;
	pthread_mutex_unlock(&slot_mu);
	return rc;
}

static void
slot_give(void)
{
	pthread_mutex_lock(&slot_mu);
	slots_busy--;
	pthread_cond_signal(&slot_cv);
	pthread_mutex_unlock(&slot_mu);
}

/* argon2id_verify's result, or -1 for no slot (busy) */
static int
verify_in_slot(const char *encoded, const char *pw)
{
	int	rc;

	if (slot_take(true) != GH_OK)
		return -1;
	rc = argon2id_verify(encoded, pw, strlen(pw));
	slot_give();
	return rc;
}

enum gh_err
password_hash(const char *pw, char *out, size_t outsz)
{
	uint8_t	salt[PW_SALT_LEN];
	size_t	need;
	enum gh_err rc;

	if ((rc = crypto_random(salt, sizeof(salt))) != GH_OK)
		return rc;
	need = argon2_encodedlen(PW_T_COST, PW_M_COST, PW_PARALLEL,
	    PW_SALT_LEN, PW_HASH_LEN, Argon2_id);
	if (need > outsz)
		return GH_ERR_LIMIT;
	(void)slot_take(false);
	rc = argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_PARALLEL, pw,
	    strlen(pw), salt, sizeof(salt), PW_HASH_LEN, out, outsz) ==
	    ARGON2_OK ? GH_OK : GH_ERR_CRYPTO;
	slot_give();
	return rc;
}

enum gh_err
password_verify(const char *encoded, const char *pw, bool *match)
{
	int rc = verify_in_slot(encoded, pw);

	*match = rc == ARGON2_OK;
	if (rc == ARGON2_OK || rc == ARGON2_VERIFY_MISMATCH)
		return GH_OK;
	if (rc == -1)
		return GH_ERR_BUSY;
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? GH_ERR_NOMEM :
	    GH_ERR_CRYPTO;
}

static pthread_mutex_t	dummy_mu = PTHREAD_MUTEX_INITIALIZER;
static char		dummy[160];
static atomic_bool	dummy_ready;

enum gh_err
password_init(void)
{
	uint8_t		raw[16];
	char		pw[32];
	enum gh_err	rc = GH_OK;

	if (atomic_load_explicit(&dummy_ready, memory_order_acquire))
		return GH_OK;
	/* a hash of a random password nobody knows; tried until made */
	pthread_mutex_lock(&dummy_mu);
	if (!atomic_load_explicit(&dummy_ready, memory_order_relaxed) &&
	    (rc = crypto_random(raw, sizeof(raw))) == GH_OK) {
		b64url_encode(raw, sizeof(raw), pw);
		if ((rc = password_hash(pw, dummy, sizeof(dummy))) == GH_OK)
			atomic_store_explicit(&dummy_ready, true,
			    memory_order_release);
		crypto_wipe(pw, sizeof(pw));
	}
	pthread_mutex_unlock(&dummy_mu);
	crypto_wipe(raw, sizeof(raw));
	return rc;
}

enum gh_err
password_dummy_verify(const char *pw)
{
	enum gh_err	rc;
	bool		match;

	/* no hash to spend the time on is no verdict either */
	if ((rc = password_init()) != GH_OK)
		return rc;
	return password_verify(dummy, pw, &match);
}

int
password_runs_peak(void)
{
	int	peak;

	pthread_mutex_lock(&slot_mu);
	peak = slots_peak;
	pthread_mutex_unlock(&slot_mu);
	return peak;
}

int
password_waiting(void)
{
	int	n;

	pthread_mutex_lock(&slot_mu);
	n = waiting;
	pthread_mutex_unlock(&slot_mu);
	return n;
}
