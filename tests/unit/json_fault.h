/*
 * json_fault.h - jansson allocation failures on demand (json_set_alloc_
 * funcs), for tests that a document is built whole or not at all: the
 * Nth allocation fails and the ones after it work, so a failure that is
 * ignored leaves a silently shorter document, which the test then sees.
 * The failure is noted as util/json_text.c's own allocator notes one, so
 * json_parse() sees it as it would in the server. Inside json_parse() it
 * is only noted, the memory given: jansson's lexer is not memory-safe on
 * a failed allocation (see json_text.h), which is no test of ours.
 *
 *	for (n = 1; ; n++) {
 *		jf_begin(n);
 *		...build and reply...
 *		reached = jf_end();
 *		...check: complete, or a clean failure...
 *		if (!reached)
 *			break;		(the run needed fewer: done)
 *	}
 *
 * Single-threaded use only: the allocator is process-wide.
 */
#ifndef GH_TEST_JSON_FAULT_H
#define GH_TEST_JSON_FAULT_H

#include <stdbool.h>
#include <stdlib.h>

#include <jansson.h>

#include "util/json_text.h"

static size_t	jf_count, jf_fail_at;

static inline void *
jf_malloc(size_t n)
{
	if (++jf_count == jf_fail_at) {
		json_mem_failed();
		if (!json_mem_loading())
			return NULL;
	}
	return malloc(n);
}

static inline void
jf_begin(size_t n)
{
	jf_count = 0;
	jf_fail_at = n;
	json_set_alloc_funcs(jf_malloc, free);
}

/* Back to plain malloc; whether the failing allocation was reached. */
static inline bool
jf_end(void)
{
	json_set_alloc_funcs(malloc, free);
	return jf_count >= jf_fail_at;
}

#endif
