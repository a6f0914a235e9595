/*
 * crypto_fail.c - an LD_PRELOAD shim for the error-path tests: OpenSSL
 * and Argon2 failing on demand, as they do when they cannot allocate.
 *
 *  - While the file named by GH_FAULT_HASH exists, hashing data equal to
 *    its content fails (EVP_DigestUpdate answers 0). The HMAC of exactly
 *    one token, secret or cookie fails, every other hash works, so a test
 *    picks the one step that fails.
 *  - While the file named by GH_FAULT_ARGON2 exists, argon2id_verify()
 *    answers ARGON2_MEMORY_ALLOCATION_ERROR.
 *
 * The server must answer either as its own failure (503), never as a
 * wrong token, secret or password (tests/e2e/test_crypto_faults.py).
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <openssl/evp.h>

#define MAX_VALUE 8192

/* whether (d, n) is the content of the file named by env `var` */
static int
is_fault_value(const char *var, const void *d, size_t n)
{
	const char	*path = getenv(var);
	char		 want[MAX_VALUE];
	ssize_t		 got;
	int		 fd;

	if (path == NULL || n == 0 || n > sizeof(want) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	got = read(fd, want, sizeof(want));
	close(fd);
	return got == (ssize_t)n && memcmp(want, d, n) == 0;
}

int
EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t n)
{
	static int (*real)(EVP_MD_CTX *, const void *, size_t);

	if (is_fault_value("GH_FAULT_HASH", d, n))
		return 0;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "EVP_DigestUpdate");
	return real ? real(ctx, d, n) : 0;
}

int
argon2id_verify(const char *encoded, const void *pwd, const size_t pwdlen)
{
	static int (*real)(const char *, const void *, const size_t);
	const char *path = getenv("GH_FAULT_ARGON2");

	if (path != NULL && access(path, F_OK) == 0)
		return ARGON2_MEMORY_ALLOCATION_ERROR;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "argon2id_verify");
	return real ? real(encoded, pwd, pwdlen) : ARGON2_VERIFY_MISMATCH;
}
