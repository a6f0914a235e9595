/* login.c - see login.h. */
#include <string.h>

#include "login.h"
#include "../util/limits.h"
#include "../util/password.h"

enum gh_err
login_check(struct app *app, const char *name, const char *pw,
    struct user_row *u, bool *known, bool *ok)
{
	enum gh_err	rc;
	bool		match = false;

	*known = false;
	*ok = false;
	if (name == NULL || pw == NULL || strlen(name) > GH_MAX_USERNAME_LEN ||
	    strlen(pw) > GH_MAX_PASSWORD_LEN)
		return GH_OK;
	rc = store_user_by_name(app->store, name, u);
	if (rc == GH_ERR_NOT_FOUND)
		return password_dummy_verify(pw);
	if (rc != GH_OK)
		return rc;
	*known = true;
	if ((rc = password_verify(u->password_hash, pw, &match)) != GH_OK)
		return rc;
	*ok = match && u->status == USER_ACTIVE;
	return GH_OK;
}
