/*
 * alloc_fail.c - an LD_PRELOAD shim for the out-of-memory tests: while the
 * file named by GH_FAULT_STRDUP exists, strdup() of a string equal to its
 * content answers NULL, as it does when memory runs out. So exactly one
 * chosen value cannot be copied (a user agent the test sends), and every
 * other copy works: on PostgreSQL an audit event whose copy fails cannot
 * be queued, and the request it belongs to must answer 503, never what the
 * event was about (tests/e2e/test_durability.py).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_VALUE 4096

char	*strdup(const char *s);

/* whether s is the content of the file named by GH_FAULT_STRDUP */
static int
is_fault_value(const char *s)
{
	const char	*path = getenv("GH_FAULT_STRDUP");
	char		 want[MAX_VALUE];
	size_t		 n = strlen(s);
	ssize_t		 got;
	int		 fd, saved = errno;

	if (path == NULL || n == 0 || n > sizeof(want) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		errno = saved;		/* a strdup that works sets none */
		return 0;
	}
	got = read(fd, want, sizeof(want));
	close(fd);
	errno = saved;
	return got == (ssize_t)n && memcmp(want, s, n) == 0;
}

char *
strdup(const char *s)
{
	static char *(*real)(const char *);

	if (is_fault_value(s)) {
		errno = ENOMEM;
		return NULL;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "strdup");
	return real ? real(s) : NULL;
}
