/*
 * session.h - the browser side of the authorization endpoint: the login
 * session cookie and the CSRF token of every form.
 *
 * Cookies are HttpOnly and SameSite=Lax; with an https issuer they are
 * also Secure and carry the __Host- prefix. The CSRF token of a form is
 * HMAC(server key, "csrf:" + value of the CSRF cookie): a site that cannot
 * read the cookie cannot forge the token, and a tossed cookie without the
 * key does not help.
 */
#ifndef GH_SESSION_H
#define GH_SESSION_H

#include <stdbool.h>
#include "../app.h"
#include "../http/request.h"

#define CSRF_TOKEN_LEN	44	/* base64url of 32 bytes, plus NUL */

struct browser {
	bool		 has_session;
	struct session_row session;
	/* the session user's live grant to the client browser_load named */
	bool		 has_grant;
	struct grant_row grant;
	char		 csrf_cookie[GH_MAX_TOKEN_LEN];	/* "" if none */
	bool		 csrf_new;	/* must be set on the reply */
};

/*
 * Read the cookies; an unknown or expired session is simply absent. With
 * a client_id, the session comes with its user's grant to that client
 * (one store read).
 */
enum gh_err	browser_load(struct app *app, const struct http_request *req,
		    const char *client_id, struct browser *b);
/* Make sure a CSRF cookie exists (minted when absent). */
enum gh_err	browser_csrf_ensure(struct app *app, struct browser *b);
/* The token of this browser's forms; an error if the HMAC failed. */
enum gh_err	browser_csrf_token(const struct app *app,
		    const struct browser *b, char out[CSRF_TOKEN_LEN]);
/*
 * GH_OK if `token` is this browser's, GH_ERR_INVALID if not (or there is
 * none); any other error is a failed HMAC: no verdict on the form, to be
 * answered as a server failure, never as an expired form.
 */
enum gh_err	browser_csrf_check(const struct app *app,
		    const struct browser *b, const char *token);
/*
 * New session for user u, as read before its password was checked; its
 * cookie is added to resp. The browser's previous session, if any, is
 * deleted in the same store transaction. GH_ERR_NOT_FOUND if u's password
 * or status changed since (store_session_insert). On any error nothing
 * changed in the store, b has no session, and the caller must answer the
 * login as failed (never as a success: the browser's cookie still names
 * its previous session).
 */
enum gh_err	browser_login(struct app *app, struct browser *b,
		    const struct user_row *u, struct http_response *resp);
/*
 * Sign out: the session's row is deleted (so its cookie, replayed, finds
 * nothing on any node) and the cookie is cleared on resp.
 */
enum gh_err	browser_logout(struct app *app, struct browser *b,
		    struct http_response *resp);
/* Set-Cookie headers that the reply needs (the CSRF cookie). */
enum gh_err	browser_set_cookies(const struct app *app,
		    const struct browser *b, struct http_response *resp);

#endif
