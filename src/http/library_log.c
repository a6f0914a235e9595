/* library_log.c - see library_log.h. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "library_log.h"
#include "../util/clock.h"
#include "../util/log.h"

/* the count is per second of the wall clock, for every thread at once */
void
http_library_log(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
	static int64_t		 second;
	static unsigned		 lines, dropped;
	char			 msg[512], n[24] = "";
	int64_t			 now = clock_now();
	bool			 say;

	(void)cls;
	pthread_mutex_lock(&mu);
	if (now != second) {
		second = now;
		lines = 0;
	}
	if ((say = lines < HTTP_LIBRARY_LOG_PER_SECOND)) {
		lines++;
		if (dropped)
			snprintf(n, sizeof(n), "%u", dropped);
		dropped = 0;
	} else {
		dropped++;
	}
	pthread_mutex_unlock(&mu);
	if (!say)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_kv(LOG_WARN, "http_library", "msg", msg,
	    n[0] ? "dropped_before" : NULL, n, NULL);
}

/* libmicrohttpd's last word before abort(): make it a log line */
void
http_library_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
	char where[256];

	(void)cls;
	snprintf(where, sizeof(where), "%s:%u", file ? file : "?", line);
	log_kv(LOG_ERROR, "http_library_panic", "where", where, "msg",
	    reason ? reason : "", NULL);
	abort();
}
