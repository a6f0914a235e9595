/* json_text.c - see json_text.h. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "json_text.h"

/* most documents (a token response with an ID token) fit in one pass */
#define FIRST_PASS	4096

/* failed jansson allocations of this thread, ever (wraps harmlessly) */
static _Thread_local unsigned long failures;
static _Thread_local bool	   loading;	/* in json_parse() */

static void *
noting_malloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		failures++;
	return p;
}

void
json_mem_init(void)
{
	json_set_alloc_funcs(noting_malloc, free);
}

void
json_mem_failed(void)
{
	failures++;
}

bool
json_mem_loading(void)
{
	return loading;
}

char *
json_text(const json_t *o, size_t flags)
{
	char	 first[FIRST_PASS];
	char	*s = NULL;
	size_t	 n;

	/* json_dumpb answers the size it needs, 0 on failure */
	if (o == NULL || (n = json_dumpb(o, first, sizeof(first), flags)) == 0)
		return NULL;
	if ((s = malloc(n + 1)) == NULL)
		goto out;
	if (n <= sizeof(first)) {
		memcpy(s, first, n);
	} else if (json_dumpb(o, s, n, flags) != n) {
		free(s);		/* changed under us, or failed */
		s = NULL;
		goto out;
	}
	s[n] = '\0';
out:
	crypto_wipe(first, n < sizeof(first) ? n : sizeof(first));
	return s;
}

json_t *
json_parse(const char *text, size_t flags)
{
	unsigned long	 before = failures;
	json_t		*o;

	if (text == NULL)
		return NULL;
	loading = true;
	o = json_loads(text, flags, NULL);
	loading = false;
	if (o != NULL && failures != before) {
		json_decref(o);		/* loaded, but perhaps not as written */
		o = NULL;
	}
	return o;
}
