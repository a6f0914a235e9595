/*
 * password.c - Argon2id hashing with OWASP's minimum parameters
 * (19 MiB, t=2, p=1), encoded in the PHC string format.
 *
 * Each run holds 19 MiB, so at most GH_PASSWORD_SLOTS run at once (the
 * rest wait their turn): a burst of logins costs CPU time, not 19 MiB per
 * request thread. main() makes such blocks come from mmap, so the memory
 * goes back to the kernel when a run ends.
 */
#include <pthread.h>
#include <string.h>

#include <argon2.h>

#include "crypto.h"
#include "limits.h"
#include "password.h"

#define PW_T_COST	2
#define PW_M_COST	(19 * 1024)	/* KiB */
#define PW_PARALLEL	1
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32

static pthread_mutex_t	slot_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	slot_cv = PTHREAD_COND_INITIALIZER;
static int		slots_busy;
static int		slots_peak;

static void
slot_take(void)
{
	pthread_mutex_lock(&slot_mu);
	while (slots_busy >= GH_PASSWORD_SLOTS)
		pthread_cond_wait(&slot_cv, &slot_mu);
	if (++slots_busy > slots_peak)
		slots_peak = slots_busy;
	pthread_mutex_unlock(&slot_mu);
}

static void
slot_give(void)
{
	pthread_mutex_lock(&slot_mu);
	slots_busy--;
	pthread_cond_signal(&slot_cv);
	pthread_mutex_unlock(&slot_mu);
}

static int
verify_in_slot(const char *encoded, const char *pw)
{
	int	rc;

	slot_take();
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
	slot_take();
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
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? GH_ERR_NOMEM :
	    GH_ERR_CRYPTO;
}

static char		dummy[160];
static pthread_once_t	dummy_once = PTHREAD_ONCE_INIT;

static void
dummy_init(void)
{
	uint8_t	raw[16];
	char	pw[32];

	/* a hash of a random password nobody knows, made once */
	if (crypto_random(raw, sizeof(raw)) == GH_OK) {
		b64url_encode(raw, sizeof(raw), pw);
		(void)password_hash(pw, dummy, sizeof(dummy));
		crypto_wipe(pw, sizeof(pw));
	}
}

void
password_dummy_verify(const char *pw)
{
	pthread_once(&dummy_once, dummy_init);
	if (dummy[0])
		(void)verify_in_slot(dummy, pw);
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
