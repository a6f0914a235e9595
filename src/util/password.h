/*
 * password.h - Argon2id for human passwords (the only user of libargon2).
 * Slow on purpose; used at login and by the admin command only.
 */
#ifndef GH_PASSWORD_H
#define GH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include "err.h"

enum gh_err	password_hash(const char *pw, char *out, size_t outsz);
bool		password_verify(const char *encoded, const char *pw);
/* Spend the time a verify would, for unknown users (no timing oracle). */
void		password_dummy_verify(const char *pw);
/* The most Argon2id runs there have been at once (<= GH_PASSWORD_SLOTS). */
int		password_runs_peak(void);

#endif
