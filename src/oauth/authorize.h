/*
 * authorize.h - the decision logic of the authorization endpoint
 * (RFC 6749 4.1.1-4.1.2, RFC 9207, OIDC Core 3.1.2.1 prompt handling).
 *
 * oauth_authorize() validates the request, signs the user in, checks or
 * records consent and issues the code. It decides what happens next and
 * ui/authorize_view.c renders that decision, so this layer never builds
 * HTML.
 */
#ifndef GH_AUTHORIZE_H
#define GH_AUTHORIZE_H

#include "authz_request.h"
#include "session.h"
#include "../http/form.h"
#include "../http/request.h"

enum authz_step {
	STEP_REDIRECT,		/* `location`: back to the client */
	STEP_ERROR_PAGE,	/* `err`, `status`: never redirect */
	STEP_LOGIN,		/* show the login form (`login_error`) */
	STEP_CONSENT,		/* show the consent form */
	STEP_UNAVAILABLE,	/* store or memory failure: 503 */
};

struct authz_result {
	enum authz_step		 step;
	int			 status;
	struct authz_error	 err;
	struct browser		 browser;
	struct buf		 location;
	const char		*login_error;
	int64_t			 retry_after;	/* > 0: the login form, 429 */
	/*
	 * The user signed in with this request: that sign-in answered
	 * prompt=login and max_age, so a consent form shown now carries
	 * neither; one shown for an older session carries max_age, which
	 * its POST checks again.
	 */
	bool			 signed_in_now;
	char			 csrf[CSRF_TOKEN_LEN];
	char			 username[GH_MAX_USERNAME_LEN + 1];
	struct authz_request	 req;	/* last: authz_parse() clears it */
};

/* `res` is initialised here; release it with authz_result_free(). */
void	oauth_authorize(struct app *app, const struct http_request *req,
	    const struct params *p, struct http_response *resp,
	    struct authz_result *res);
void	authz_result_free(struct authz_result *res);

#endif
