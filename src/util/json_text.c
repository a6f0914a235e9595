/* json_text.c - see json_text.h. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "json_text.h"

/* most documents (a token response with an ID token) fit in one pass */
#define FIRST_PASS	4096

/* failed jansson allocations of this thread, ever (wraps harmlessly) */
static _Thread_local unsigned long failures;
static _Thread_local bool	   loading;	/* in json_parse() */

void *
json_mem_alloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		failures++;
	return p;
}

/*
 * jansson holds the tokens of a token response, and every string of every
 * document, in blocks of its own: each is wiped before it goes back, so
 * no freed block keeps a secret for the next owner to find.
 */
void
json_mem_free(void *p)
{
	if (p != NULL)
		crypto_wipe(p, malloc_usable_size(p));
	free(p);
}

/* not realloc: the block left behind is wiped */
void *
json_mem_realloc(void *p, size_t n)
{
	void	*q;
	size_t	 had;

	if (p == NULL)
		return json_mem_alloc(n);
	if ((q = json_mem_alloc(n)) == NULL)
		return NULL;
	had = malloc_usable_size(p);
	memcpy(q, p, had < n ? had : n);
	json_mem_free(p);
	return q;
}

void
json_mem_init(void)
{
	json_set_alloc_funcs(json_mem_alloc, json_mem_free);
}

unsigned long
json_mem_failures(void)
{
	return failures;
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
	if (o == NULL)
		return NULL;
	/* a failed or oversized pass may have written part of a secret */
	if ((n = json_dumpb(o, first, sizeof(first), flags)) == 0)
		goto out;
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
	crypto_wipe(first, n > 0 && n < sizeof(first) ? n : sizeof(first));
	return s;
}

json_t *
json_with(json_t *o, const char *name, json_t *v)
{
	/* set_new releases v when it fails, o NULL included */
	if (json_object_set_new(o, name, v) == 0)
		return o;
	json_decref(o);
	return NULL;
}

/* o, unless an allocation failed since `before` (then NULL, said in err) */
static json_t *
checked(json_t *o, unsigned long before, json_error_t *err)
{
	loading = false;
	if (failures == before)
		return o;
	json_decref(o);		/* loaded, but perhaps not as written */
	if (err != NULL) {
		memset(err, 0, sizeof(*err));
		err->line = err->column = err->position = -1;
		snprintf(err->text, sizeof(err->text), "out of memory");
	}
	return NULL;
}

json_t *
json_parse(const char *text, size_t flags, json_error_t *err)
{
	unsigned long before = failures;

	if (text == NULL)
		return NULL;
	loading = true;
	return checked(json_loads(text, flags, err), before, err);
}

json_t *
json_parse_buf(const char *buf, size_t n, size_t flags, json_error_t *err)
{
	unsigned long before = failures;

	loading = true;
	return checked(json_loadb(buf, n, flags, err), before, err);
}

json_t *
json_parse_file(const char *path, size_t flags, json_error_t *err)
{
	unsigned long before = failures;

	loading = true;
	return checked(json_load_file(path, flags, err), before, err);
}
