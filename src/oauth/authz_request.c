/* authz_request.c - see authz_request.h. */
#include <stddef.h>
#include <string.h>

#include "authz_request.h"
#include "pkce.h"
#include "redirect.h"
#include "scope.h"
#include "../jose/id_token.h"
#include "../util/clock.h"
#include "../util/limits.h"
#include "../util/str.h"

/*
 * Not id_token_hint: the sign-in that a hint naming another user asks
 * for answers it, whoever signs in, so the forms that follow do not carry
 * it (authorize.c hint_names_another).
 */
const char *const authz_param_names[] = {
	"response_type", "client_id", "redirect_uri", "scope", "state",
	"code_challenge", "code_challenge_method", "nonce", "prompt",
	"response_mode", "max_age", "login_hint", NULL
};

static enum authz_outcome
fail(struct authz_error *err, enum authz_outcome kind, enum oauth_error e,
    const char *desc)
{
	err->error = e;
	err->description = desc;
	return kind;
}

/* RFC 6749 A.5: state = 1*VSCHAR, VSCHAR = %x20-7E */
static bool
vschar_only(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/*
 * state, nonce and login_hint travel through hidden fields of the login
 * and consent pages (ui/pages.c form_begin), and come back as a browser
 * posts them: CR and LF become CRLF, a byte that is not UTF-8 becomes
 * U+FFFD. A value that would change is refused here, when the request
 * arrives, so that none is ever put in a form. state gets the grammar of
 * RFC 6749 A.5; nonce and login_hint are strings without one (OIDC Core
 * 3.1.2.1): UTF-8 without control characters, which a UTF-8 page carries
 * unchanged.
 * The other carried parameters are fixed words, registered strings, scope
 * tokens, base64url or digits, checked below.
 */
static enum authz_outcome
parse_state(const struct params *p, struct authz_request *out,
    struct authz_error *err)
{
	out->state = params_get(p, "state");
	if (out->state == NULL)
		return AUTHZ_OK;
	if (strlen(out->state) > GH_MAX_STATE_LEN) {
		out->state = NULL;	/* not echoed: it could not fit */
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "state is too long");
	}
	/*
	 * Echoed exactly as received (RFC 6749 4.1.2.1: state is REQUIRED
	 * in the error response), which is still possible: it has not been
	 * through a form. The client can match it and read the error.
	 */
	if (!vschar_only(out->state))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "state must be printable ASCII (RFC 6749 appendix A.5)");
	return AUTHZ_OK;
}

/* Before the client and redirect URI are known: error page only. */
static enum authz_outcome
establish_client(struct app *app, const struct params *p,
    struct authz_request *out, struct authz_error *err)
{
	const char	*cid = params_get(p, "client_id");
	const char	*ru = params_get(p, "redirect_uri");
	const char	*match;
	enum gh_err	 rc;

	if (cid == NULL)
		return fail(err, AUTHZ_PAGE, OE_INVALID_REQUEST,
		    "client_id is missing");
	if (params_is_dup(p, "client_id") || params_is_dup(p, "redirect_uri"))
		return fail(err, AUTHZ_PAGE, OE_INVALID_REQUEST,
		    "client_id or redirect_uri is repeated");
	if (strlen(cid) >= GH_MAX_CLIENT_ID_LEN)
		return fail(err, AUTHZ_PAGE, OE_INVALID_REQUEST,
		    "unknown client");
	rc = store_client_get(app->store, cid, &out->client);
	if (rc == GH_ERR_NOT_FOUND || (rc == GH_OK &&
	    out->client.status != CLIENT_ACTIVE))
		return fail(err, AUTHZ_PAGE, OE_INVALID_REQUEST,
		    "unknown or disabled client");
	if (rc != GH_OK)
		return fail(err, AUTHZ_PAGE, OE_TEMPORARILY_UNAVAILABLE,
		    "try again later");
	/*
	 * OIDC Core 3.1.2.1: redirect_uri is REQUIRED with openid in the
	 * scope, even for a client with one URI (RFC 6749 3.1.2.3 lets a
	 * plain OAuth request leave it out then). A repeated scope may hide
	 * openid in its other copy: the same page.
	 */
	if (ru == NULL && (words_has(params_get(p, "scope"), "openid") ||
	    params_is_dup(p, "scope")))
		return fail(err, AUTHZ_PAGE, OE_INVALID_REQUEST,
		    "redirect_uri is required for OpenID Connect requests");
	if ((match = redirect_match(&out->client, ru)) == NULL)
		return fail(err, AUTHZ_PAGE, OE_INVALID_REQUEST, ru ?
		    "redirect_uri is not registered for this client" :
		    "redirect_uri is required for this client");
	str_copy(out->redirect_uri, sizeof(out->redirect_uri), match);
	out->redirect_given = ru != NULL;
	return AUTHZ_OK;
}

/*
 * OIDC Core 3.1.2.1 id_token_hint: an ID token we issued to this client
 * (its exp may be past); its sub is whom the client expects signed in,
 * which decide() compares with the session. One that does not verify is
 * an invalid request, never ignored: a client that sends a hint relies on
 * it.
 */
static enum authz_outcome
parse_id_token_hint(struct app *app, const char *hint,
    struct authz_request *out, struct authz_error *err)
{
	enum gh_err rc;

	if (strlen(hint) > GH_MAX_JWT_LEN)
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "id_token_hint is too long");
	rc = id_token_hint_sub(app->keys, clock_now(), app->conf.issuer,
	    out->client.id, hint, out->hint_sub, sizeof(out->hint_sub));
	if (rc == GH_ERR_INVALID)
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "id_token_hint is not an ID token this server issued "
		    "to this client");
	if (rc != GH_OK)	/* no verdict: the JWKS could not be made */
		return fail(err, AUTHZ_PAGE, OE_TEMPORARILY_UNAVAILABLE,
		    "try again later");
	return AUTHZ_OK;
}

static enum authz_outcome
parse_prompt(const char *prompt, struct authz_request *out,
    struct authz_error *err)
{
	struct slice	w;

	while (words_next(&prompt, &w)) {
		if (slice_eq_cstr(w, "none"))
			out->prompt_none = true;
		else if (slice_eq_cstr(w, "login"))
			out->prompt_login = true;
		else if (slice_eq_cstr(w, "consent"))
			out->prompt_consent = true;
		else if (slice_eq_cstr(w, "select_account"))
			/* one account per browser: nothing to pick */
			out->prompt_select = true;
		else
			return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
			    "unsupported prompt value");
	}
	/* OIDC Core 3.1.2.1: none with any other value is an error */
	if (out->prompt_none && (out->prompt_login || out->prompt_consent ||
	    out->prompt_select))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "prompt=none cannot be combined");
	return AUTHZ_OK;
}

enum authz_outcome
authz_parse(struct app *app, const struct params *p,
    struct authz_request *out, struct authz_error *err)
{
	const char		*rt, *cc, *ccm, *scope, *nonce, *prompt, *rm;
	const char		*ma, *hint, *idt;
	uint64_t		 max_age;
	enum authz_outcome	 o;

	memset(out, 0, offsetof(struct authz_request, client));
	client_row_clear(&out->client);
	if ((o = establish_client(app, p, out, err)) != AUTHZ_OK)
		return o;
	if ((o = parse_state(p, out, err)) != AUTHZ_OK)
		return o;
	if (params_first_dup(p))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "a parameter is repeated");
	if (params_get(p, "request"))
		return fail(err, AUTHZ_REDIRECT, OE_REQUEST_NOT_SUPPORTED,
		    "request objects are not supported");
	if (params_get(p, "request_uri"))
		return fail(err, AUTHZ_REDIRECT, OE_REQUEST_URI_NOT_SUPPORTED,
		    "request_uri is not supported");
	if ((rt = params_get(p, "response_type")) == NULL)
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "response_type is missing");
	if (strcmp(rt, "code") != 0)
		return fail(err, AUTHZ_REDIRECT, OE_UNSUPPORTED_RESPONSE_TYPE,
		    "only response_type=code is supported");
	if ((rm = params_get(p, "response_mode")) && strcmp(rm, "query") != 0)
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "only response_mode=query is supported");

	/* PKCE is required for every client (RFC 9700 2.1.1) */
	cc = params_get(p, "code_challenge");
	ccm = params_get(p, "code_challenge_method");
	if (cc == NULL)
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "code_challenge is required (PKCE)");
	if (ccm == NULL || strcmp(ccm, "S256") != 0)
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "code_challenge_method must be S256");
	if (!pkce_challenge_valid(cc))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "code_challenge is malformed");
	str_copy(out->challenge, sizeof(out->challenge), cc);

	/* RFC 6749 3.3: we fail rather than guess a default */
	scope = params_get(p, "scope");
	if (scope == NULL || !scope_valid(scope))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_SCOPE,
		    "scope is missing or malformed");
	if (!scope_subset(scope, out->client.scopes))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_SCOPE,
		    "scope is not allowed for this client");
	if (!scope_union("", scope, out->scope, sizeof(out->scope)))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_SCOPE,
		    "scope is too long");

	if ((nonce = params_get(p, "nonce")) != NULL &&
	    !str_copy(out->nonce, sizeof(out->nonce), nonce))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "nonce is too long");
	/* UTF-8 for the ID token's JSON; no control character for the forms */
	if (nonce != NULL && !str_printable(nonce))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "nonce must be UTF-8 text without control characters");
	if (nonce == NULL && out->client.require_nonce &&
	    words_has(out->scope, "openid"))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "this client must send a nonce");
	if ((prompt = params_get(p, "prompt")) != NULL &&
	    (o = parse_prompt(prompt, out, err)) != AUTHZ_OK)
		return o;
	/* OIDC Core 3.1.2.1: seconds since the last active authentication */
	out->max_age = -1;
	if ((ma = params_get(p, "max_age")) != NULL) {
		if (parse_u64(slice_cstr(ma), 0, 315360000, &max_age) != GH_OK)
			return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
			    "max_age must be a number of seconds");
		out->max_age = (int64_t)max_age;
	}
	if ((idt = params_get(p, "id_token_hint")) != NULL &&
	    (o = parse_id_token_hint(app, idt, out, err)) != AUTHZ_OK)
		return o;
	if ((hint = params_get(p, "login_hint")) != NULL &&
	    strlen(hint) > GH_MAX_USERNAME_LEN * 4)
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "login_hint is too long");
	/* it fills the username field too, which drops CR and LF */
	if (hint != NULL && !str_printable(hint))
		return fail(err, AUTHZ_REDIRECT, OE_INVALID_REQUEST,
		    "login_hint must be UTF-8 text without control characters");
	return AUTHZ_OK;
}
