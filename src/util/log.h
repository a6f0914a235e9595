/*
 * log.h - a tiny structured logger: one JSON object per line on stderr.
 *
 * Fields are key/value string pairs ending with NULL. Callers never pass a
 * secret, code, token, password or query string: log what happened and to
 * whom (client id, user id, status), never the credential.
 */
#ifndef GH_LOG_H
#define GH_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void	log_set_level(enum log_level lvl);
void	log_kv(enum log_level lvl, const char *event, ...)
	    __attribute__((sentinel));

#endif
