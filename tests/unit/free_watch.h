/*
 * free_watch.h - free() seen from a unit test, for the rules that secrets
 * are wiped before their memory goes back: a block that still holds the
 * watched text anywhere when it is freed is counted. The sanitizer's
 * free(), found with RTLD_NEXT, does the freeing. Include it in one test
 * file only (it defines free()).
 */
#ifndef GH_TEST_FREE_WATCH_H
#define GH_TEST_FREE_WATCH_H

#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static const char	*watch_text;
static int		 watch_freed_intact;

static int
watch_holds(void *ptr)
{
	return ptr != NULL && watch_text != NULL && memmem(ptr,
	    malloc_usable_size(ptr), watch_text, strlen(watch_text)) != NULL;
}

void
free(void *ptr)
{
	static void	(*real)(void *);
	static int	 resolving;

	if (real == NULL) {
		if (resolving)
			return;		/* dlsym's own scratch: kept */
		resolving = 1;
		*(void **)&real = dlsym(RTLD_NEXT, "free");
		resolving = 0;
		if (real == NULL)
			abort();
	}
	if (watch_holds(ptr))
		watch_freed_intact++;
	real(ptr);
}

void *
realloc(void *ptr, size_t n)
{
	static void	*(*real)(void *, size_t);
	int		 held = watch_holds(ptr);
	void		*q;

	if (real == NULL &&
	    (*(void **)&real = dlsym(RTLD_NEXT, "realloc")) == NULL)
		abort();
	if ((q = real(ptr, n)) != NULL && q != ptr && held)
		watch_freed_intact++;	/* the old block, freed as it was */
	return q;
}

#endif
