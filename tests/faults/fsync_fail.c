/*
 * fsync_fail.c - an LD_PRELOAD shim for the durability tests: while the
 * file named by GH_FAULT_FSYNC exists, fsync() and fdatasync() fail with
 * EIO, as they do when a disk stops taking writes. The server must then
 * acknowledge nothing that needs them (tests/e2e/test_durability.py).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int	fsync(int fd);
int	fdatasync(int fd);

static int
failing(void)
{
	const char *path = getenv("GH_FAULT_FSYNC");

	return path != NULL && access(path, F_OK) == 0;
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
