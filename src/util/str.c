/*
 * str.c - slices, bounded parsing, small safe string helpers.
 */
#include <stdlib.h>
#include <stdint.h>
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

size_t
str_utf8_seq(const unsigned char *s)
{
	size_t	 len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool
str_utf8_valid(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 k;

	while (*u) {
		if ((k = str_utf8_seq(u)) == 0)
			return false;
		u += k;
	}
	return true;
}

/* U+0000-U+001F, U+007F, U+0080-U+009F */
bool
str_is_control(const unsigned char *u, size_t k)
{
	return (k == 1 && (u[0] < 0x20 || u[0] == 0x7f)) ||
	    (k == 2 && u[0] == 0xc2 && u[1] < 0xa0);
}

/* str_copy_utf8, and with `text` control characters become '?' too */
static bool
copy_utf8(char *dst, size_t dstsz, const char *src, bool text)
{
	const unsigned char	*u = (const unsigned char *)src;
	size_t			 n = 0, k;

	if (dstsz == 0)
		return false;
	while (*u) {
		k = str_utf8_seq(u);
		if (k == 0 || (text && str_is_control(u, k))) {
			k = k ? k : 1;
			if (n + 1 >= dstsz)
				break;
			dst[n++] = '?';
		} else {
			if (n + k >= dstsz)
				break;
			memcpy(dst + n, u, k);
			n += k;
		}
		u += k;
	}
	dst[n] = '\0';
	return *u == '\0';
}

bool
str_copy_utf8(char *dst, size_t dstsz, const char *src)
{
	return copy_utf8(dst, dstsz, src, false);
}

bool
str_copy_text(char *dst, size_t dstsz, const char *src)
{
	return copy_utf8(dst, dstsz, src, true);
}

char *
str_dup_utf8(const char *s)
{
	char		*out = str_dup(s);
	unsigned char	*u = (unsigned char *)out;
	size_t		 n;

	while (u && *u) {
		if ((n = str_utf8_seq(u)) == 0) {
			*u = '?';
			n = 1;
		}
		u += n;
	}
	return out;
}

bool
str_printable(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 k;

	for (; *u; u += k)
		if ((k = str_utf8_seq(u)) == 0 || str_is_control(u, k))
			return false;
	return true;
}
