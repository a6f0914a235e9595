/*
 * authorize.c - the authorization endpoint's decisions (see authorize.h).
 *
 * Order of checks (each step assumes the ones above it):
 *   1. client and redirect URI (else error page, never a redirect)
 *   2. the rest of the request (else error redirect with state and iss)
 *   3. form actions need POST and a valid CSRF token; a posted refusal
 *      ends the request here (it needs no sign-in)
 *   4. a signed-in user, the one id_token_hint names if sent (login
 *      form, or login_required for prompt=none)
 *   5. consent covering the scope (consent form, or consent_required);
 *      a posted consent counts only for the user its form named, and is
 *      stored only if the client and user are still active (else the
 *      error page of step 1)
 *   6. a fresh single-use code, redirected with state and iss (RFC 9207)
 */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "authorize.h"
#include "login.h"
#include "redirect.h"
#include "scope.h"
#include "secret.h"
#include "../governance/audit.h"
#include "../governance/audit_budget.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/str.h"

static void
origin_of(const struct http_request *req, struct audit_origin *o)
{
	o->remote_addr = req->remote_addr;
	o->user_agent = req->user_agent;
	o->actor = "user";
}

static void
redirect_error(struct app *app, struct authz_result *res,
    enum oauth_error e, const char *desc)
{
	buf_reset(&res->location);
	if (redirect_build(&res->location, res->req.redirect_uri,
	    "error", oauth_error_name(e), "error_description", desc,
	    "state", res->req.state, "iss", app->conf.issuer, NULL) != GH_OK)
		res->step = STEP_UNAVAILABLE;
	else
		res->step = STEP_REDIRECT;
}

static void
error_page(struct authz_result *res, int status, enum oauth_error e,
    const char *desc)
{
	res->step = STEP_ERROR_PAGE;
	res->status = status;
	res->err.error = e;
	res->err.description = desc;
}

/* Step 4 helper: check a username and password from the login form. */
static void
do_login(struct app *app, const struct http_request *req,
    const struct params *p, struct http_response *resp,
    struct authz_result *res, bool *fresh)
{
	const char		*name = params_get(p, "username");
	const char		*pw = params_get(p, "password");
	struct user_row		 u;
	struct audit_origin	 o;
	struct audit_subject	 subj = { res->req.client.id, NULL, NULL };
	struct login_attempt	 a = { name, pw, &o, res->req.client.id };
	struct login_verdict	 v;

	origin_of(req, &o);
	/* a store or Argon2 failure, or too many logins, is no verdict */
	if (login_check(app, &a, &u, &v) != GH_OK) {
		res->step = STEP_UNAVAILABLE;
		return;
	}
	if (v.retry_after > 0) {	/* refused unchecked: the form again */
		res->step = STEP_LOGIN;
		res->login_error = "Too many sign-in attempts. Wait a little, "
		    "then try again.";
		res->retry_after = v.retry_after;
		return;
	}
	if (!v.ok) {
		login_audit_failure(app, &a, &v, &u);
		res->step = STEP_LOGIN;
		res->login_error = "Wrong username or password.";
		return;
	}
	if (browser_login(app, &res->browser, &u, resp) != GH_OK) {
		res->step = STEP_UNAVAILABLE;
		return;
	}
	subj.user_id = u.id;
	audit_event(app, &o, "login.success", &subj, NULL);
	*fresh = true;
}

/* Step 6: mint the code, store its hash, redirect. */
static void
issue_code(struct app *app, const struct http_request *req,
    const struct grant_row *g, struct authz_result *res)
{
	struct code_row		 c;
	char			 code[GH_MAX_TOKEN_LEN];
	struct audit_origin	 o;
	struct audit_subject	 subj = { g->client_id, g->user_id, g->id };
	int64_t			 now = clock_now();
	enum gh_err		 rc;

	memset(&c, 0, sizeof(c));
	if (secret_mint(app, PREFIX_CODE, code, c.hash) != GH_OK)
		goto fail;
	str_copy(c.grant_id, sizeof(c.grant_id), g->id);
	str_copy(c.client_id, sizeof(c.client_id), g->client_id);
	str_copy(c.user_id, sizeof(c.user_id), g->user_id);
	/* empty when the client relied on its sole registered URI */
	if (res->req.redirect_given)
		str_copy(c.redirect_uri, sizeof(c.redirect_uri),
		    res->req.redirect_uri);
	str_copy(c.challenge, sizeof(c.challenge), res->req.challenge);
	str_copy(c.scope, sizeof(c.scope), res->req.scope);
	str_copy(c.nonce, sizeof(c.nonce), res->req.nonce);
	c.auth_time = res->browser.session.auth_time;
	c.created_at = now;
	c.expires_at = now + app->conf.code_ttl_seconds;
	/*
	 * The redirect need not wait for the code to reach the disk: a code
	 * lost in a power cut is one nobody can redeem, and the redemption,
	 * which does wait, makes the issuance durable with it (store_lazy).
	 */
	store_lazy(app->store, true);
	rc = store_code_insert(app->store, &c);
	if (rc == GH_OK) {
		origin_of(req, &o);
		audit_event(app, &o, "code.issued", &subj, NULL);
	}
	store_lazy(app->store, false);
	if (rc != GH_OK)
		goto fail;
	buf_reset(&res->location);
	if (redirect_build(&res->location, res->req.redirect_uri,
	    "code", code, "state", res->req.state, "iss", app->conf.issuer,
	    NULL) != GH_OK)
		goto fail;
	crypto_wipe(code, sizeof(code));
	res->step = STEP_REDIRECT;
	return;
fail:
	crypto_wipe(code, sizeof(code));
	res->step = STEP_UNAVAILABLE;
}

static bool
consent_allowed(const struct params *p)
{
	const char *decision = params_get(p, "decision");

	return decision != NULL && strcmp(decision, "allow") == 0;
}

/*
 * A consent form answers for the user it named ("Signed in as ...", sent
 * back as gh_user): not for another one signed in on this browser since
 * (in another tab), who has seen no page of theirs.
 */
static bool
consent_names_session_user(const struct params *p, const char *username)
{
	const char *named = params_get(p, "gh_user");

	return named != NULL && strcmp(named, username) == 0;
}

/*
 * A refusal posted from the consent form (anything but "allow"). It needs
 * no signed-in user, fresh or not: it only ends the request, and asking
 * for a sign-in first would lose it.
 *
 * So anyone with the CSRF pair of a login page, which is free, can post
 * one as often as they like: the event is recorded within the audit
 * budgets (audit_budget.h). A signed-in user's refusal is that user's
 * decision, kept within a budget of its own per user and client,
 * whatever the address; one without a session says only that someone at
 * an address declined a client, and is held to the budget of an address
 * and client.
 */
static void
do_deny(struct app *app, const struct http_request *req,
    struct authz_result *res)
{
	struct audit_subject	 subj = { res->req.client.id, NULL, NULL };
	struct audit_origin	 o;

	origin_of(req, &o);
	if (res->browser.has_session) {
		subj.user_id = res->browser.session.user_id;
		if (res->browser.has_grant)
			subj.grant_id = res->browser.grant.id;
		audit_budgeted_by(app, &o, "consent.denied", &subj,
		    subj.user_id, NULL);
	} else
		audit_budgeted(app, &o, "consent.denied", &subj, NULL, NULL);
	redirect_error(app, res, OE_ACCESS_DENIED, "the user denied access");
}

/* Step 5: the consent given by the user. */
static void
do_consent(struct app *app, const struct http_request *req,
    const struct grant_row *old, bool have_old, struct authz_result *res)
{
	const char		*uid = res->browser.session.user_id;
	struct audit_subject	 subj = { res->req.client.id, uid, NULL };
	struct audit_origin	 o;
	struct grant_row	 g;
	char			 scope[GH_MAX_SCOPE_LEN];
	enum gh_err		 rc;

	origin_of(req, &o);
	if (!scope_union(have_old ? old->scope : "", res->req.scope, scope,
	    sizeof(scope))) {
		redirect_error(app, res, OE_INVALID_SCOPE, "scope too long");
		return;
	}
	rc = store_grant_upsert(app->store, uid, res->req.client.id, scope,
	    clock_now(), &g);
	/*
	 * The client (or the user) was active when this request read it,
	 * and is no longer: quarantined or disabled since, and the store
	 * wrote no grant. Answered as a client found inactive at step 1
	 * (RFC 6749 4.1.2.1: no redirect to a client that may be in an
	 * attacker's hands), and no code.
	 */
	if (rc == GH_ERR_NOT_FOUND) {
		error_page(res, 400, OE_INVALID_REQUEST,
		    "unknown or disabled client or user");
		return;
	}
	if (rc != GH_OK) {
		res->step = STEP_UNAVAILABLE;
		return;
	}
	subj.grant_id = g.id;
	audit_event(app, &o, "consent.granted", &subj, NULL);
	issue_code(app, req, &g, res);
}

/* OIDC Core 3.1.2.1: max_age=0 is prompt=login */
static bool
too_old(const struct authz_request *r, const struct session_row *s)
{
	if (r->max_age < 0)
		return false;
	return r->max_age == 0 || clock_now() - s->auth_time > r->max_age;
}

/*
 * OIDC Core 3.1.2.1: the id_token_hint names another user than the one
 * signed in (sub is the user id, the same for every client). A sign-in
 * made in this request answers it, whoever signs in: the hint is not
 * carried into the forms (authz_param_names), so the form posted after
 * it is not held to it again.
 */
static bool
hint_names_another(const struct authz_result *res)
{
	return res->req.hint_sub[0] != '\0' && res->browser.has_session &&
	    strcmp(res->req.hint_sub, res->browser.session.user_id) != 0;
}

static void
decide(struct app *app, const struct http_request *req,
    const struct params *p, struct http_response *resp,
    struct authz_result *res)
{
	const char	*action = NULL;
	struct grant_row *g = &res->browser.grant;
	bool		 fresh = false;
	enum gh_err	 rc;

	if (browser_load(app, req, res->req.client.id, &res->browser) !=
	    GH_OK) {
		res->step = STEP_UNAVAILABLE;
		return;
	}
	/* 3. actions only by POST with the form's CSRF token */
	if (req->method == HTTP_POST)
		action = params_get(p, "gh_action");
	if (action && (rc = browser_csrf_check(app, &res->browser,
	    params_get(p, "csrf"))) != GH_OK) {
		if (rc == GH_ERR_INVALID)
			error_page(res, 400, OE_INVALID_REQUEST,
			    "This form has expired or was not sent by this "
			    "site.");
		else
			res->step = STEP_UNAVAILABLE;	/* no verdict */
		return;
	}
	if (action && strcmp(action, "consent") == 0 && !consent_allowed(p)) {
		do_deny(app, req, res);
		return;
	}
	if (action && strcmp(action, "login") == 0) {
		do_login(app, req, p, resp, res, &fresh);
		if (!fresh)
			return;
		res->signed_in_now = true;
	}
	/*
	 * 4. a signed-in user, fresh if prompt=login or max_age says so,
	 * and the one id_token_hint names if sent
	 */
	if (!res->browser.has_session || (!fresh && (res->req.prompt_login ||
	    too_old(&res->req, &res->browser.session) ||
	    hint_names_another(res)))) {
		if (res->req.prompt_none)
			redirect_error(app, res, OE_LOGIN_REQUIRED,
			    hint_names_another(res) ? "the user signed in "
			    "is not the one id_token_hint names" :
			    "the user is not signed in");
		else
			res->step = STEP_LOGIN;
		return;
	}
	/* the session was found only while its user is active */
	str_copy(res->username, sizeof(res->username),
	    res->browser.session.username);

	/* 5. consent: the grant came with the session, unless new */
	if (fresh) {
		rc = store_grant_find(app->store, res->browser.session.user_id,
		    res->req.client.id, g);
		if (rc != GH_OK && rc != GH_ERR_NOT_FOUND) {
			res->step = STEP_UNAVAILABLE;
			return;
		}
		res->browser.has_grant = rc == GH_OK;
	}
	if (action && strcmp(action, "consent") == 0 &&
	    !consent_names_session_user(p, res->username))
		res->step = STEP_CONSENT;	/* this user's own page */
	else if (action && strcmp(action, "consent") == 0)
		do_consent(app, req, g, res->browser.has_grant, res);
	else if (res->browser.has_grant && scope_subset(res->req.scope,
	    g->scope) && !res->req.prompt_consent)
		issue_code(app, req, g, res);	/* remembered consent */
	else if (res->req.prompt_none)
		redirect_error(app, res, OE_CONSENT_REQUIRED,
		    "the user has not consented to this scope");
	else
		res->step = STEP_CONSENT;
}

void
oauth_authorize(struct app *app, const struct http_request *req,
    const struct params *p, struct http_response *resp,
    struct authz_result *res)
{
	enum authz_outcome o;

	/* all but req, which authz_parse() clears without its 43 KB client */
	memset(res, 0, offsetof(struct authz_result, req));
	buf_init(&res->location, GH_MAX_URI_LEN);
	o = authz_parse(app, p, &res->req, &res->err);
	if (o == AUTHZ_PAGE) {
		res->step = res->err.error == OE_TEMPORARILY_UNAVAILABLE ?
		    STEP_UNAVAILABLE : STEP_ERROR_PAGE;
		res->status = 400;
		return;
	}
	if (o == AUTHZ_REDIRECT) {
		redirect_error(app, res, res->err.error, res->err.description);
		return;
	}
	decide(app, req, p, resp, res);
	/* a form without its token could never be sent: 503 instead */
	if ((res->step == STEP_LOGIN || res->step == STEP_CONSENT) &&
	    (browser_csrf_ensure(app, &res->browser) != GH_OK ||
	    browser_csrf_token(app, &res->browser, res->csrf) != GH_OK))
		res->step = STEP_UNAVAILABLE;
}

void
authz_result_free(struct authz_result *res)
{
	buf_wipe_free(&res->location);	/* it may hold a code */
}
