/*
 * str.h - length-carrying string slices and bounded number parsing.
 *
 * Parsers walk untrusted bytes through struct slice (pointer + length,
 * never assumed NUL-terminated). Numbers are parsed with explicit bounds;
 * bare atoi/strtol are banned (scripts/checksrc.sh).
 */
#ifndef GH_STR_H
#define GH_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct slice {
	const char	*p;
	size_t		 len;
};

struct slice	slice_cstr(const char *s);
bool		slice_eq_cstr(struct slice s, const char *c);
/* Split at the first `sep`: head before it, *rest after; false if absent. */
bool		slice_split(struct slice s, char sep, struct slice *head,
		    struct slice *rest);
struct slice	slice_trim(struct slice s);

/* Decimal digits only, no sign, no spaces; value must be in [min, max]. */
enum gh_err	parse_u64(struct slice s, uint64_t min, uint64_t max,
		    uint64_t *out);

/* Copy at most dstsz-1 bytes and NUL-terminate; false if it was cut. */
bool		str_copy(char *dst, size_t dstsz, const char *src);
/* strdup that returns NULL for NULL. */
char	       *str_dup(const char *s);
char	       *str_ndup(const char *s, size_t n);
bool		str_has_ctl(const char *s);	/* any byte < 0x20 or 0x7f */
/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
size_t		str_utf8_seq(const unsigned char *s);
bool		str_utf8_valid(const char *s);
/* Text a person gave: UTF-8, with no control characters (C0, DEL, C1). */
bool		str_printable(const char *s);
/*
 * str_copy for text that must be UTF-8 (it ends up in JSON): a byte that
 * starts no valid sequence becomes '?', and a cut never splits one.
 */
bool		str_copy_utf8(char *dst, size_t dstsz, const char *src);
/*
 * str_copy_utf8 for text from a request that is stored and shown later
 * (a User-Agent): each control character too, C0, DEL or C1 (U+0080 to
 * U+009F), becomes one '?', so that it cannot drive the terminal of
 * whoever reads it back.
 */
bool		str_copy_text(char *dst, size_t dstsz, const char *src);
/* True if the valid UTF-8 sequence at u, k bytes long, is C0, DEL or C1. */
bool		str_is_control(const unsigned char *u, size_t k);
/* A copy of s (caller frees) with each byte of a bad sequence as '?'. */
char	       *str_dup_utf8(const char *s);

/*
 * Space-separated word lists (scope, prompt). words_next() steps *cursor
 * past the next word and returns it in *word; false at the end.
 */
bool		words_next(const char **cursor, struct slice *word);
/* True if `word` is one of the words of `list`. */
bool		words_has(const char *list, const char *word);
bool		words_has_slice(const char *list, struct slice word);

#endif
