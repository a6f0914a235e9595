/*
 * scenario.c - what one driver thread does, over its own keep-alive
 * connection:
 *
 *   flow        GET /authorize (PKCE S256, fresh state and nonce, the
 *               session cookie of a user who already consented) -> 302
 *               whose Location carries code, our state and iss (RFC 9207)
 *               -> POST /token (authorization_code + code_verifier) -> 200
 *               with access_token (and id_token when openid is asked).
 *   refresh     one untimed flow for a refresh token, then timed
 *               grant_type=refresh_token, following each rotation.
 *   introspect  one untimed flow for an access token, then timed RFC 7662
 *               introspection of it; active:true is checked.
 *
 * A public client sends client_id in the body; a confidential one uses
 * client_secret_basic (RFC 6749 2.3.1: id and secret form-encoded first).
 */
#include <stdio.h>
#include <string.h>

#include "ghbench.h"

static const char *const flow_steps[] = { "authorize", "token", "flow" };
static const char *const refresh_steps[] = { "refresh" };
static const char *const introspect_steps[] = { "introspect" };

const char *
scenario_name(enum gb_scenario s)
{
	return s == GB_FLOW ? "flow" : s == GB_REFRESH ? "refresh" :
	    "introspect";
}

int
scenario_steps(enum gb_scenario s, const char **names)
{
	const char *const	*src = s == GB_FLOW ? flow_steps :
	    s == GB_REFRESH ? refresh_steps : introspect_steps;
	int			 n = s == GB_FLOW ? 3 : 1, i;

	for (i = 0; i < n; i++)
		names[i] = src[i];
	return n;
}

void
worker_error(struct worker *w, enum gb_error e, const struct conn *c,
    const char *what)
{
	size_t	 i;
	int	 n;

	w->errors[e]++;
	if (w->first_error[0] != '\0')
		return;
	n = snprintf(w->first_error, sizeof(w->first_error), "%s: %s",
	    error_name(e), what);
	if (c != NULL && c->body != NULL && n > 0 &&
	    (size_t)n < sizeof(w->first_error))
		snprintf(w->first_error + n, sizeof(w->first_error) - (size_t)n,
		    " (status %d) %.*s", c->status,
		    (int)(c->body_len < 80 ? c->body_len : 80), c->body);
	/* keep the report on one line */
	for (i = 0; w->first_error[i] != '\0'; i++)
		if (w->first_error[i] == '\n' || w->first_error[i] == '\r')
			w->first_error[i] = ' ';
}

/* The Authorization value for the confidential client, or NULL. */
static const char *
basic_auth(const struct worker *w, bool confidential, char *out,
    size_t outsz)
{
	char	 id[GB_ARG_MAX * 3], sec[GB_ARG_MAX * 3];
	char	 pair[GB_ARG_MAX * 6 + 2];

	if (!confidential)
		return NULL;
	if (!form_escape(w->o->conf_id, id, sizeof(id)) ||
	    !form_escape(w->o->conf_secret, sec, sizeof(sec)) ||
	    (size_t)snprintf(pair, sizeof(pair), "%s:%s", id, sec) >=
	    sizeof(pair) || outsz < 7)
		return NULL;
	memcpy(out, "Basic ", 6);
	if (!b64std((const unsigned char *)pair, strlen(pair), out + 6,
	    outsz - 6))
		return NULL;
	return out;
}

/* ",client_id=..." for a public client, "" for a confidential one. */
static bool
client_param(const struct worker *w, bool confidential, char *out,
    size_t outsz)
{
	char id[GB_ARG_MAX * 3];

	if (confidential) {
		out[0] = '\0';
		return true;
	}
	return form_escape(w->o->public_id, id, sizeof(id)) &&
	    (size_t)snprintf(out, outsz, "&client_id=%s", id) < outsz;
}

/* GET /authorize; the code into code. */
static bool
authorize(struct worker *w, bool confidential, const char *challenge,
    char *code, size_t codesz)
{
	char	 path[GB_REQ_MAX], ruri[GB_ARG_MAX * 3], scope[GB_ARG_MAX * 3];
	char	 id[GB_ARG_MAX * 3], state[48], got[GB_LOCATION_MAX];
	struct conn *c = &w->c;

	snprintf(state, sizeof(state), "t%u-%llu", w->id,
	    (unsigned long long)++w->seq);
	if (!form_escape(confidential ? w->o->conf_id : w->o->public_id, id,
	    sizeof(id)) || !form_escape(w->o->redirect_uri, ruri,
	    sizeof(ruri)) || !form_escape(w->o->scope, scope, sizeof(scope)) ||
	    (size_t)snprintf(path, sizeof(path), "/authorize?response_type=code"
	    "&client_id=%s&redirect_uri=%s&scope=%s&state=%s&nonce=%s"
	    "&code_challenge=%s&code_challenge_method=S256", id, ruri, scope,
	    state, state, challenge) >= sizeof(path)) {
		worker_error(w, GB_E_AUTHZ_STATUS, NULL, "request too long");
		return false;
	}
	if (!http_do(c, "GET", path, NULL, w->o->cookie, NULL)) {
		worker_error(w, c->refused ? GB_E_CONNECT : GB_E_IO, NULL,
		    "authorize");
		return false;
	}
	if (c->status != 302 && c->status != 303) {
		worker_error(w, GB_E_AUTHZ_STATUS, c, "authorize");
		return false;
	}
	if (strncmp(c->location, w->o->redirect_uri,
	    strlen(w->o->redirect_uri)) != 0 ||
	    !query_param(c->location, "state", got, sizeof(got)) ||
	    strcmp(got, state) != 0 ||
	    !query_param(c->location, "iss", got, sizeof(got)) ||
	    strcmp(got, w->o->base) != 0 ||
	    !query_param(c->location, "code", code, codesz)) {
		worker_error(w, GB_E_AUTHZ_LOCATION, NULL, c->location);
		return false;
	}
	return true;
}

/* POST /token with body; checks 200 and the tokens asked for: an ID token
 * after a code exchange with openid (OIDC Core 3.1.3.3), not after a
 * refresh, where it is optional (12.2). */
static bool
token(struct worker *w, bool confidential, const char *body,
    bool want_id, bool want_refresh)
{
	char		 auth[GB_ARG_MAX * 9], tmp[GB_TOKEN_MAX];
	struct conn	*c = &w->c;

	if (!http_do(c, "POST", "/token",
	    basic_auth(w, confidential, auth, sizeof(auth)), NULL, body)) {
		worker_error(w, c->refused ? GB_E_CONNECT : GB_E_IO, NULL,
		    "token");
		return false;
	}
	if (c->status != 200) {
		worker_error(w, GB_E_TOKEN_STATUS, c, "token");
		return false;
	}
	if (!json_str(c->body, c->body_len, "access_token", w->access,
	    sizeof(w->access)) ||
	    (want_id && strstr(w->o->scope, "openid") != NULL &&
	    !json_str(c->body, c->body_len, "id_token", tmp, sizeof(tmp))) ||
	    (want_refresh && !json_str(c->body, c->body_len, "refresh_token",
	    w->refresh, sizeof(w->refresh)))) {
		worker_error(w, GB_E_TOKEN_BODY, c, "token response");
		return false;
	}
	return true;
}

static bool
in_window(const struct worker *w, int64_t t0, int64_t t1)
{
	return t0 >= w->start_ns && t1 <= w->end_ns;
}

/* One flow; timed into the step histograms when it lies in the window. */
static bool
flow_once(struct worker *w, bool confidential, bool want_refresh, bool timed)
{
	char	 verifier[64], challenge[64], code[GB_TOKEN_MAX];
	char	 ecode[GB_TOKEN_MAX * 3], ruri[GB_ARG_MAX * 3];
	char	 cid[GB_ARG_MAX * 3 + 16], body[GB_REQ_MAX];
	int64_t	 t0, t1, t2;

	if (!pkce_pair(verifier, sizeof(verifier), challenge,
	    sizeof(challenge))) {
		worker_error(w, GB_E_SETUP, NULL, "random");
		return false;
	}
	t0 = now_ns();
	if (!authorize(w, confidential, challenge, code, sizeof(code)))
		return false;
	t1 = now_ns();
	if (!form_escape(code, ecode, sizeof(ecode)) ||
	    !form_escape(w->o->redirect_uri, ruri, sizeof(ruri)) ||
	    !client_param(w, confidential, cid, sizeof(cid)) ||
	    (size_t)snprintf(body, sizeof(body), "grant_type="
	    "authorization_code&code=%s&redirect_uri=%s&code_verifier=%s%s",
	    ecode, ruri, verifier, cid) >= sizeof(body)) {
		worker_error(w, GB_E_TOKEN_STATUS, NULL, "request too long");
		return false;
	}
	if (!token(w, confidential, body, true, want_refresh))
		return false;
	t2 = now_ns();
	if (timed && in_window(w, t0, t2)) {
		hist_add(&w->step[0], (uint64_t)(t1 - t0) / 1000);
		hist_add(&w->step[1], (uint64_t)(t2 - t1) / 1000);
		hist_add(&w->step[2], (uint64_t)(t2 - t0) / 1000);
		w->ops++;
	}
	return true;
}

static bool
refresh_once(struct worker *w)
{
	char	 ert[GB_TOKEN_MAX * 3], cid[GB_ARG_MAX * 3 + 16];
	char	 body[GB_REQ_MAX];
	int64_t	 t0, t1;

	if (!form_escape(w->refresh, ert, sizeof(ert)) ||
	    !client_param(w, w->o->confidential, cid, sizeof(cid)) ||
	    (size_t)snprintf(body, sizeof(body), "grant_type=refresh_token"
	    "&refresh_token=%s%s", ert, cid) >= sizeof(body)) {
		worker_error(w, GB_E_TOKEN_STATUS, NULL, "request too long");
		return false;
	}
	t0 = now_ns();
	/* the response names the next refresh token (rotation) */
	if (!token(w, w->o->confidential, body, false, true))
		return false;
	t1 = now_ns();
	if (in_window(w, t0, t1)) {
		hist_add(&w->step[0], (uint64_t)(t1 - t0) / 1000);
		w->ops++;
	}
	return true;
}

static bool
introspect_once(struct worker *w)
{
	char		 auth[GB_ARG_MAX * 9], eat[GB_TOKEN_MAX * 3];
	char		 body[GB_REQ_MAX];
	struct conn	*c = &w->c;
	int64_t		 t0, t1;

	if (!form_escape(w->access, eat, sizeof(eat)) ||
	    (size_t)snprintf(body, sizeof(body), "token=%s", eat) >=
	    sizeof(body)) {
		worker_error(w, GB_E_INTROSPECT_STATUS, NULL, "too long");
		return false;
	}
	t0 = now_ns();
	if (!http_do(c, "POST", "/introspect",
	    basic_auth(w, true, auth, sizeof(auth)), NULL, body)) {
		worker_error(w, c->refused ? GB_E_CONNECT : GB_E_IO, NULL,
		    "introspect");
		return false;
	}
	t1 = now_ns();
	if (c->status != 200) {
		worker_error(w, GB_E_INTROSPECT_STATUS, c, "introspect");
		return false;
	}
	if (memmem(c->body, c->body_len, "\"active\":true", 13) == NULL) {
		worker_error(w, GB_E_INACTIVE, c, "introspect");
		return false;
	}
	if (in_window(w, t0, t1)) {
		hist_add(&w->step[0], (uint64_t)(t1 - t0) / 1000);
		w->ops++;
	}
	return true;
}

/* Untimed: the token that refresh and introspect loops start from. */
bool
scenario_setup(struct worker *w)
{
	if (w->o->scenario == GB_FLOW)
		return true;
	if (flow_once(w, w->o->confidential, w->o->scenario == GB_REFRESH,
	    false))
		return true;
	worker_error(w, GB_E_SETUP, NULL, "first flow failed");
	return false;
}

/* Loop until the window ends; bounded by it (and by I/O timeouts). */
void
scenario_run(struct worker *w)
{
	bool ok;

	while (now_ns() < w->end_ns) {
		switch (w->o->scenario) {
		case GB_FLOW:
			ok = flow_once(w, w->o->confidential, false, true);
			break;
		case GB_REFRESH:
			ok = refresh_once(w);
			/* a lost chain (an error above) starts a new one */
			if (!ok && now_ns() < w->end_ns)
				ok = scenario_setup(w);
			break;
		default:
			ok = introspect_once(w);
			break;
		}
		if (!ok && w->c.refused)
			break;		/* the server is gone */
	}
}
