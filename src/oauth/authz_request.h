/*
 * authz_request.h - validating an authorization request (RFC 6749 4.1.1,
 * RFC 7636 4.3, RFC 9700 2.1) into a typed struct.
 *
 * Errors come in two kinds (RFC 6749 4.1.2.1): while the client and the
 * redirect URI are not established, the user sees an error page and is
 * never redirected; after that, errors go back to the client's redirect
 * URI with `state` and `iss`.
 */
#ifndef GH_AUTHZ_REQUEST_H
#define GH_AUTHZ_REQUEST_H

#include <stdbool.h>
#include "error.h"
#include "../app.h"
#include "../http/form.h"

/* the authorization parameters carried through the login/consent forms */
extern const char *const authz_param_names[];

struct authz_request {
	char			 redirect_uri[GH_MAX_REDIRECT_LEN];
	bool			 redirect_given;	/* vs. the sole one */
	const char		*state;		/* echoed as given */
	char			 scope[GH_MAX_SCOPE_LEN];
	char			 challenge[GH_S256_CHALLENGE_LEN + 1];
	char			 nonce[GH_MAX_NONCE_LEN + 1];
	/* OIDC Core 3.1.2.1 prompt, a set: a repeated value adds nothing */
	bool			 prompt_none, prompt_login, prompt_consent;
	bool			 prompt_select;	/* select_account */
	int64_t			 max_age;	/* -1: not sent */
	/* the sub of a verified id_token_hint; "" if none was sent */
	char			 hint_sub[GH_ID_LEN];
	struct client_row	 client;	/* last: cleared apart (43 KB) */
};

enum authz_outcome {
	AUTHZ_OK,
	AUTHZ_PAGE,	/* show an error page, never redirect */
	AUTHZ_REDIRECT,	/* redirect the error to the client */
};

struct authz_error {
	enum oauth_error	 error;
	const char		*description;
};

/*
 * Validate `p`. On AUTHZ_REDIRECT the client and redirect URI in `out`
 * are valid and `err` says what to send; on AUTHZ_PAGE only `err` is.
 * The store may fail: that is AUTHZ_PAGE with OE_TEMPORARILY_UNAVAILABLE.
 */
enum authz_outcome authz_parse(struct app *app, const struct params *p,
		    struct authz_request *out, struct authz_error *err);

#endif
