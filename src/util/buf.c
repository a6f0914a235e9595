/*
 * buf.c - bounded growable buffer (see buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

static enum gh_err
buf_reserve(struct buf *b, size_t extra)
{
	size_t	 need, nalloc;
	char	*p;

	if (extra > b->max - b->len)
		return GH_ERR_LIMIT;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return GH_OK;
	nalloc = b->alloc ? b->alloc : 64;
	while (nalloc < need)
		nalloc *= 2;
	if (nalloc > b->max + 1)
		nalloc = b->max + 1;
	/* not realloc: the old block is wiped, it may hold a secret */
	if ((p = malloc(nalloc)) == NULL)
		return GH_ERR_NOMEM;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len + 1);
		crypto_wipe(b->data, b->alloc);
		free(b->data);
	}
	b->data = p;
	b->alloc = nalloc;
	return GH_OK;
}

enum gh_err
buf_append(struct buf *b, const void *p, size_t n)
{
	enum gh_err rc;

	if ((rc = buf_reserve(b, n)) != GH_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return GH_OK;
}

enum gh_err
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum gh_err
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum gh_err
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	enum gh_err rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return GH_ERR_PARSE;
	if ((rc = buf_reserve(b, (size_t)n)) != GH_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return GH_OK;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void
buf_wipe_free(struct buf *b)
{
	if (b->data)
		crypto_wipe(b->data, b->alloc);
	buf_free(b);
}

char *
buf_take(struct buf *b)
{
	char *p = b->data;

	buf_init(b, b->max);
	return p;
}

const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}
