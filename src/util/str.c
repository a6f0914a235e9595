/*
 * str.c - slices, bounded parsing, small safe string helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "str.h"

struct slice
slice_cstr(const char *s)
{
	struct slice sl = { s, s ? strlen(s) : 0 };

	return sl;
}

bool
slice_eq_cstr(struct slice s, const char *c)
{
	size_t n = strlen(c);

	return s.len == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

bool
slice_split(struct slice s, char sep, struct slice *head, struct slice *rest)
{
	const char *q = s.len ? memchr(s.p, sep, s.len) : NULL;

	if (q == NULL) {
		*head = s;
		rest->p = s.p + s.len;
		rest->len = 0;
		return false;
	}
	head->p = s.p;
	head->len = (size_t)(q - s.p);
	rest->p = q + 1;
	rest->len = s.len - head->len - 1;
	return true;
}

struct slice
slice_trim(struct slice s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

enum gh_err
parse_u64(struct slice s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (s.len == 0 || s.len > 20)
		return GH_ERR_PARSE;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return GH_ERR_PARSE;
		d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return GH_ERR_LIMIT;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return GH_ERR_LIMIT;
	*out = v;
	return GH_OK;
}

bool
str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return false;
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

char *
str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *
str_ndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

bool
str_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

bool
words_next(const char **cursor, struct slice *word)
{
	const char *p = *cursor;

	while (*p == ' ')
		p++;
	word->p = p;
	word->len = strcspn(p, " ");
	*cursor = p + word->len;
	return word->len > 0;
}

bool
words_has_slice(const char *list, struct slice word)
{
	struct slice w;

	if (list == NULL || word.len == 0)
		return false;
	while (words_next(&list, &w))
		if (w.len == word.len && memcmp(w.p, word.p, w.len) == 0)
			return true;
	return false;
}

bool
words_has(const char *list, const char *word)
{
	return words_has_slice(list, slice_cstr(word));
}
