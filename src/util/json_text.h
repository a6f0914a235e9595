/*
 * json_text.h - a JSON value as text, whole or not at all.
 *
 * json_dumps() is not safe on a failed allocation: jansson ignores the
 * failure to write an object's key (dump.c writes keys without checking),
 * so out of memory it can return a broken document ({"a":1,":2}) as if
 * it were whole, to be answered with a 200, printed, or signed. Here the
 * text is written by json_dumpb() into memory given to it, which cannot
 * fail half way: an allocation failure is NULL, never a shorter text.
 * Use this instead of json_dumps (scripts/checksrc.sh bans it).
 */
#ifndef GH_JSON_TEXT_H
#define GH_JSON_TEXT_H

#include <stddef.h>

#include <jansson.h>

/*
 * The text of `o` with json_dumps flags, NUL-terminated; the caller
 * frees it (free()). NULL when `o` is NULL or on any failure. Text that
 * may hold a secret is the caller's to wipe; the copy made on the way
 * is wiped here.
 */
char	*json_text(const json_t *o, size_t flags);

#endif
