/*
 * log.c - JSON-lines logger (see log.h). Lines are written by hand into a
 * bounded buffer with full JSON string escaping (quotes, backslashes,
 * control characters; bytes that are not UTF-8 become U+FFFD), so a
 * hostile user agent cannot forge log lines, and a request does not pay
 * for building and freeing a JSON tree per line.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "str.h"

/* one line; a longer one is cut at a field boundary and marked */
#define LOG_LINE_MAX 4096
_Static_assert(LOG_LINE_MAX <= PIPE_BUF, "a line is one atomic write");

static enum log_level min_level = LOG_INFO;

void
log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

static const char *
level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_DEBUG:	return "debug";
	case LOG_INFO:	return "info";
	case LOG_WARN:	return "warn";
	case LOG_ERROR:	return "error";
	}
	return "info";
}

/*
 * One line, newline included, in one write(2), with no lock of ours: a
 * line of at most PIPE_BUF bytes (LOG_LINE_MAX) written in one piece is
 * not interleaved with another thread's or process's, on a pipe by POSIX
 * and on a file by the kernel's file position lock. (stdio's stderr lock
 * held across the write made request threads queue behind each other's
 * log lines.) stderr is unbuffered and nothing writes to it through stdio
 * once the server serves, so nothing can come out of order. Only a short
 * write (a signal during a write to a terminal or socket, a full disk)
 * leaves the rest of the line to a second write that another line may
 * precede; request threads take no signals, so that is for the CLI.
 */
static void
write_line(const char *p, size_t n)
{
	size_t	off = 0;
	ssize_t	w;

	while (off < n) {
		if ((w = write(STDERR_FILENO, p + off, n - off)) > 0)
			off += (size_t)w;
		else if (w == 0 || errno != EINTR)
			break;		/* a log that cannot be written is dropped */
	}
}

/* room kept at the end of a line for the truncation mark and "}\n" */
#define LOG_TAIL 32

struct line {
	char	b[LOG_LINE_MAX];
	size_t	n;
	bool	full;		/* a field did not fit: it and the rest dropped */
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (l->full || n > sizeof(l->b) - LOG_TAIL - l->n) {
		l->full = true;
		return;
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

/* A JSON string (RFC 8259 7) of s, escaped, into a scratch line. */
static void
put_string(struct line *l, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	char	 esc[8];
	size_t	 run, k;

	put(l, "\"", 1);
	while (*s) {
		/* the longest run that needs no escaping */
		for (run = 0; s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		put(l, (const char *)s, run);
		s += run;
		if (*s == '\0')
			break;
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*s++;
			put(l, esc, 2);
		} else if (*s < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*s >> 4];
			esc[5] = hex[*s & 15];
			put(l, esc, 6);
			s++;
		} else if ((k = str_utf8_seq((const unsigned char *)s)) > 0) {
			put(l, (const char *)s, k);
			s += k;
		} else {
			put(l, "\\ufffd", 6);
			s++;
		}
	}
	put(l, "\"", 1);
}

/* ,"key":"value" (or null), whole or not at all */
static void
put_field(struct line *l, const char *k, const char *v)
{
	size_t at = l->n;

	put(l, ",", 1);
	put_string(l, k);
	put(l, ":", 1);
	if (v != NULL)
		put_string(l, v);
	else
		put(l, "null", 4);
	if (l->full)
		l->n = at;	/* no half field */
}

/* seconds since the epoch with microseconds, as a JSON number */
static void
put_time(struct line *l)
{
	struct timespec	ts;
	char		num[40];
	int		n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(num, sizeof(num), "%lld.%06ld", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000);
	if (n > 0 && (size_t)n < sizeof(num))
		put(l, num, (size_t)n);
}

void
log_kv(enum log_level lvl, const char *event, ...)
{
	struct line	 l;
	va_list		 ap;
	const char	*k, *v;

	if (lvl < min_level)
		return;
	l.n = 0;
	l.full = false;
	put(&l, "{\"ts\":", 6);
	put_time(&l);
	put(&l, ",\"level\":", 9);
	put_string(&l, level_name(lvl));
	put(&l, ",\"event\":", 9);
	put_string(&l, event);
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		put_field(&l, k, v);
	}
	va_end(ap);
	/* LOG_TAIL bytes are still free for these */
	if (l.full) {
		memcpy(l.b + l.n, ",\"truncated\":true", 17);
		l.n += 17;
	}
	memcpy(l.b + l.n, "}\n", 2);
	l.n += 2;
	write_line(l.b, l.n);
}
