/*
 * library_log.h - libmicrohttpd's messages and its panic, as our log
 * lines (installed by http_start).
 */
#ifndef GH_LIBRARY_LOG_H
#define GH_LIBRARY_LOG_H

#include <stdarg.h>

/*
 * At most HTTP_LIBRARY_LOG_PER_SECOND of its messages a second: out of
 * descriptors the library says so at every turn of its accept loop,
 * which would fill the disk (137 MB a second, measured). What is dropped
 * is counted on the next line let through ("dropped_before").
 */
#define HTTP_LIBRARY_LOG_PER_SECOND	10

void	http_library_log(void *cls, const char *fmt, va_list ap);
/* Its last word before abort(): logged, then abort(). */
void	http_library_panic(void *cls, const char *file, unsigned int line,
	    const char *reason);

#endif
