/*
 * buf.h - a growable byte buffer with a hard maximum.
 *
 * Every buffer built from request data or for a reply is a struct buf with
 * a cap from limits.h; appending past the cap fails with GH_ERR_LIMIT and
 * leaves the buffer unchanged. The data is always NUL-terminated so it can
 * be handed to C string APIs. The caller owns the struct; buf_free()
 * releases the data (and wipes it when the buffer held a secret).
 */
#ifndef GH_BUF_H
#define GH_BUF_H

#include <stddef.h>
#include "err.h"

struct buf {
	char	*data;	/* NUL-terminated, NULL until first append */
	size_t	 len;
	size_t	 alloc;
	size_t	 max;	/* hard limit on len */
};

void		buf_init(struct buf *b, size_t max);
enum gh_err	buf_append(struct buf *b, const void *p, size_t n);
enum gh_err	buf_puts(struct buf *b, const char *s);
enum gh_err	buf_putc(struct buf *b, char c);
enum gh_err	buf_printf(struct buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		buf_reset(struct buf *b);
void		buf_free(struct buf *b);
void		buf_wipe_free(struct buf *b);
/* Hand the data to the caller (who frees it); the buffer is left empty. */
char	       *buf_take(struct buf *b);
const char     *buf_str(const struct buf *b);	/* "" when empty */

#endif
