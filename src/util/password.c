/*
 * password.c - Argon2id hashing with OWASP's minimum parameters
 * (19 MiB, t=2, p=1), encoded in the PHC string format.
 */
#include <pthread.h>
#include <string.h>

#include <argon2.h>

#include "crypto.h"
#include "password.h"

#define PW_T_COST	2
#define PW_M_COST	(19 * 1024)	/* KiB */
#define PW_PARALLEL	1
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32

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
	if (argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_PARALLEL, pw,
	    strlen(pw), salt, sizeof(salt), PW_HASH_LEN, out, outsz) !=
	    ARGON2_OK)
		return GH_ERR_CRYPTO;
	return GH_OK;
}

bool
password_verify(const char *encoded, const char *pw)
{
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
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
		(void)argon2id_verify(dummy, pw, strlen(pw));
}
