/*
 * login.h - the username and password check of both login forms: the
 * authorization endpoint's and the account page's.
 */
#ifndef GH_LOGIN_H
#define GH_LOGIN_H

#include <stdbool.h>
#include "../app.h"

/*
 * GH_OK with the verdict in *ok: true only for an active user whose
 * password matches. *known says whether u was found (for the audit
 * event). Unknown and disabled users spend one Argon2id run like the
 * rest, so neither a user's existence nor its status shows in the time
 * the answer takes. Any error is no verdict (store, Argon2, GH_ERR_BUSY
 * when too many logins wait already): answer 503, record no failure.
 */
enum gh_err	login_check(struct app *app, const char *name,
		    const char *pw, struct user_row *u, bool *known,
		    bool *ok);

#endif
