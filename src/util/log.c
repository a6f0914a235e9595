/*
 * log.c - JSON-lines logger (see log.h). jansson does the escaping, so a
 * hostile user agent cannot forge log lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

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
 * One line, newline included, in one write(2): stderr is unbuffered, so
 * fputs() and fputc() would cost two system calls, and a line written in
 * one piece is not interleaved with another process's.
 */
static void
write_line(const char *line)
{
	char	 small[1024], *p = small;
	size_t	 n = strlen(line), off = 0;
	ssize_t	 w;

	if (n + 1 > sizeof(small) && (p = malloc(n + 1)) == NULL)
		return;
	memcpy(p, line, n);
	p[n++] = '\n';
	flockfile(stderr);
	fflush(stderr);
	while (off < n) {
		if ((w = write(STDERR_FILENO, p + off, n - off)) > 0)
			off += (size_t)w;
		else if (w == 0 || errno != EINTR)
			break;		/* a log that cannot be written is dropped */
	}
	funlockfile(stderr);
	if (p != small)
		free(p);
}

void
log_kv(enum log_level lvl, const char *event, ...)
{
	va_list		 ap;
	json_t		*o;
	char		*line;
	struct timespec	 ts;
	const char	*k, *v;

	if (lvl < min_level)
		return;
	if ((o = json_object()) == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(o, "ts", json_real((double)ts.tv_sec +
	    (double)ts.tv_nsec / 1e9));
	json_object_set_new(o, "level", json_string(level_name(lvl)));
	json_object_set_new(o, "event", json_string(event));
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		json_object_set_new(o, k, v ? json_string(v) : json_null());
	}
	va_end(ap);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		write_line(line);
		free(line);
	}
	json_decref(o);
}
