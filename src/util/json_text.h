/*
 * json_text.h - JSON text out and in, whole or not at all.
 *
 * jansson is not safe on a failed allocation in two places:
 *  - json_dumps() ignores a failure to write an object's key (dump.c
 *    writes keys without checking), so out of memory it can return a
 *    broken document ({"a":1,":2}) as if it were whole, to be answered
 *    with a 200, printed, or signed;
 *  - json_loads() ignores a failure to keep a character of a string
 *    (load.c, lex_save), so out of memory "token.refreshed" can load as
 *    "token.refreshe", and the load succeeds.
 * json_text() writes with json_dumpb() into memory given to it, which
 * cannot fail half way. json_parse() counts the allocation failures of
 * its thread (the allocator installed by json_mem_init()) and refuses a
 * load during which any happened. Use these, never json_dumps/json_loads
 * (scripts/checksrc.sh bans them).
 *
 * What this cannot mend: jansson 2.14's lexer, once a string's buffer
 * failed to grow, may also write past it (upstream issue #362). A load
 * that runs out of memory is therefore refused, but is not memory-safe;
 * only a jansson with that fixed is.
 */
#ifndef GH_JSON_TEXT_H
#define GH_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * Make jansson allocate through a wrapper that notes failures per thread
 * (json_parse needs it). Call once, first thing in main().
 */
void	 json_mem_init(void);
/*
 * That allocator, for a library that builds with jansson and allocates
 * beside it (cjose, jose/jose_mem.c): failures noted for this thread,
 * every block wiped before it is freed, or left behind by a realloc.
 */
void	*json_mem_alloc(size_t n);
void	*json_mem_realloc(void *p, size_t n);
void	 json_mem_free(void *p);
/*
 * Failed jansson allocations of this thread so far. Code that lets a
 * library build JSON with jansson (cjose's JWS header) compares it before
 * and after: the library may have made a broken text of a failure.
 */
unsigned long	json_mem_failures(void);
/*
 * For test allocators: note one failed jansson allocation of this thread;
 * whether this thread is inside json_parse() (where a test notes a
 * failure without making one, for the reason above).
 */
void	 json_mem_failed(void);
bool	 json_mem_loading(void);

/*
 * The text of `o` with json_dumps flags, NUL-terminated; the caller
 * frees it (free()). NULL when `o` is NULL or on any failure. Text that
 * may hold a secret is the caller's to wipe; the copy made on the way
 * is wiped here.
 */
char	*json_text(const json_t *o, size_t flags);

/*
 * `o` with member `name` set to `v` (taken), or NULL with `o` released
 * when that fails: `o` or `v` NULL (a failed allocation before), or none
 * now. Chained, it builds an object whole or not at all, which is what
 * an ignored json_object_set_new() does not.
 */
json_t	*json_with(json_t *o, const char *name, json_t *v);

/*
 * The value of `text` (json_loads flags), or NULL: not JSON, or any
 * allocation failed while loading it (then it may not be what the text
 * says). The two look alike to jansson; callers treat NULL as a failure.
 * `err` (may be NULL) says why, as json_loads would ("out of memory").
 */
json_t	*json_parse(const char *text, size_t flags, json_error_t *err);
/* The same for n bytes (json_loadb) and for a file (json_load_file). */
json_t	*json_parse_buf(const char *buf, size_t n, size_t flags,
	    json_error_t *err);
json_t	*json_parse_file(const char *path, size_t flags, json_error_t *err);

#endif
