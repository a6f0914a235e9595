/*
 * fsync_fail.c - an LD_PRELOAD shim for the durability tests: while the
 * file named by GH_FAULT_FSYNC exists, fsync() and fdatasync() fail with
 * EIO, as they do when a disk stops taking writes. The server must then
 * acknowledge nothing that needs them (tests/e2e/test_durability.py).
 * While the file named by GH_FAULT_FSYNC_HOLD exists, they wait instead,
 * as on a slow disk: what waits for durability must not be answered, and
 * nothing else may be held up.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int	fsync(int fd);
int	fdatasync(int fd);

static int
exists(const char *var)
{
	const char *path = getenv(var);

	return path != NULL && access(path, F_OK) == 0;
}

static int
failing(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (exists("GH_FAULT_FSYNC_HOLD"))
		nanosleep(&ts, NULL);
	return exists("GH_FAULT_FSYNC");
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	return real ? real(fd) : -1;
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (failing()) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	return real ? real(fd) : -1;
}
