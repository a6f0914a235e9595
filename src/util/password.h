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
/*
 * Whether pw matches the stored hash, in *match (GH_OK). Any error is no
 * verdict: GH_ERR_BUSY when too many logins wait for a run already
 * (GH_PASSWORD_QUEUE, GH_PASSWORD_WAIT_MS), GH_ERR_NOMEM when Argon2 could
 * not allocate its memory, GH_ERR_CRYPTO for any other failure (a
 * malformed stored hash included).
 * Callers answer it as a server failure, never as a wrong password, and
 * never count it as a failed attempt.
 */
enum gh_err	password_verify(const char *encoded, const char *pw,
		    bool *match);
/*
 * Make the hash password_dummy_verify() runs against; serve calls it at
 * start, so the first unknown user does not pay for it. Retried at the
 * next call if it failed.
 */
enum gh_err	password_init(void);
/*
 * Spend the time a verify would, for unknown users (no timing oracle).
 * Errors as password_verify's: no verdict, and never skipped silently.
 */
enum gh_err	password_dummy_verify(const char *pw);
/* The most Argon2id runs there have been at once (<= GH_PASSWORD_SLOTS). */
int		password_runs_peak(void);
/* How many logins wait for a run now (<= GH_PASSWORD_QUEUE). */
int		password_waiting(void);

#endif
