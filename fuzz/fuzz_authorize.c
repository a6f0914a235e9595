/*
 * fuzz_authorize.c - libFuzzer target for authz_parse()
 * (oauth/authz_request.h): the authorization request, the first thing an
 * attacker's link makes a user's browser send.
 *
 * The input is a query string, read by form_parse() as the endpoint reads
 * it, then validated against a SQLite store made once in a temporary
 * folder (removed at exit) with three clients:
 *   cl_two  active, two redirect URIs, require_nonce
 *   cl_one  active, one redirect URI (redirect_uri may then be left out)
 *   cl_off  disabled
 * Checked for every input, whatever the outcome:
 *  - an error page or a redirect says why (a description and an error);
 *  - a redirect (success or error) only ever goes to a redirect URI
 *    registered for the active client named by client_id, equal to the
 *    redirect_uri sent, or the client's only URI if none was sent and the
 *    scope (sent once) has no openid (OIDC Core 3.1.2.1); never
 *    for a disabled or unknown client, a repeated client_id/redirect_uri;
 *  - a redirect echoes the state as sent, or none if it was longer than
 *    GH_MAX_STATE_LEN bytes;
 *  - success needs response_type=code exactly, PKCE with S256 and a
 *    43-character base64url challenge, a scope within the client's, no
 *    request or request_uri, no repeated parameter, response_mode absent
 *    or query, prompt words among none, login, consent and select_account
 *    with none alone (the flags as sent), max_age absent (-1) or the
 *    number of seconds sent, at most 315360000, a login_hint of at most
 *    4 * GH_MAX_USERNAME_LEN bytes, and a nonce for cl_two with openid;
 *    and what the login and consent forms carry must come back from a
 *    browser unchanged: state absent or printable ASCII (RFC 6749 A.5),
 *    nonce and login_hint absent or UTF-8 without control characters;
 *  - an id_token_hint passes only when it is an ID token signed by this
 *    server's key for the client named (its sub is then the one
 *    signed). Nobody else can sign, so the input's placeholders @HINT1@
 *    and @HINT2@ are replaced, before parsing, by ID tokens made at start
 *    with the key of a ring on the same store (sub usr_fuzz; aud cl_one
 *    and cl_two), and @HINTAT@ by an access token (typ at+jwt) with the
 *    same claims, which must never pass.
 * Any violated invariant calls abort().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "http/form.h"
#include "jose/id_token.h"
#include "oauth/authz_request.h"
#include "oauth/scope.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/str.h"
#include "fuzz_check.h"

static struct app	 app;
static char		 dir[512];
static bool		 ready;
/* signed at setup: an ID token per client, and an access token */
static char		*hint_one, *hint_two, *hint_at;

#define ISSUER	"https://gh.example"

static void
cleanup(void)
{
	char path[600];

	free(hint_one);
	free(hint_two);
	free(hint_at);
	keyring_close(app.keys);
	app.keys = NULL;
	store_close(app.store);
	app.store = NULL;
	for (const char *const *s = (const char *const[]){ "", "-wal", "-shm",
	    NULL }; *s != NULL; s++) {
		snprintf(path, sizeof(path), "%s/gh.db%s", dir, *s);
		unlink(path);
	}
	rmdir(dir);
}

static void
add_client(const char *id, enum client_status st, const char *const *uris,
    bool nonce)
{
	struct client_row *c = calloc(1, sizeof(*c));

	check(c != NULL);
	str_copy(c->id, sizeof(c->id), id);
	str_copy(c->name, sizeof(c->name), id);
	str_copy(c->owner, sizeof(c->owner), "fuzz");
	c->is_public = true;
	c->auth_method = AUTH_NONE;
	for (; *uris != NULL; uris++)
		str_copy(c->redirect_uris[c->nredirect++], GH_MAX_REDIRECT_LEN,
		    *uris);
	str_copy(c->scopes, sizeof(c->scopes), "openid profile offline_access");
	c->require_nonce = nonce;
	c->status = st;
	c->created_at = 1800000000;
	check(store_client_insert(app.store, c, NULL) == GH_OK);
	free(c);
}

static char *
sign_hint(const char *aud)
{
	struct id_token_claims c = {
		.iss = ISSUER, .sub = "usr_fuzz", .aud = aud,
		.auth_time = clock_now() - 7200, .iat = clock_now() - 7200,
		.ttl = 600,	/* long expired: a hint may be */
	};
	char *jwt = id_token_sign(app.keys, "ES256", &c);

	check(jwt != NULL);
	return jwt;
}

/* A ring with one ES256 key, and the tokens it signs for the inputs. */
static void
setup_keys(void)
{
	char	kid[GH_ID_LEN], payload[256];
	int64_t	now = clock_now();

	memset(app.key, 0x5a, sizeof(app.key));
	check(keyring_generate(app.store, app.key, sizeof(app.key), "ES256",
	    now - 86400, now - 86400, kid) == GH_OK);
	check(keyring_open(app.store, app.key, sizeof(app.key), 86400 * 30,
	    &app.keys) == GH_OK);
	check(keyring_reload(app.keys, now) == GH_OK);
	hint_one = sign_hint("cl_one");
	hint_two = sign_hint("cl_two");
	snprintf(payload, sizeof(payload), "{\"iss\":\"%s\",\"sub\":"
	    "\"usr_fuzz\",\"aud\":\"cl_one\",\"client_id\":\"cl_one\","
	    "\"exp\":%lld}", ISSUER, (long long)now + 600);
	check((hint_at = keyring_sign(app.keys, "ES256", "at+jwt", payload,
	    now)) != NULL);
}

/*
 * The input with each placeholder replaced by its token (malloc'd, *n
 * its length); NULL if it would grow past GH_MAX_BODY_LEN.
 */
static char *
expand(const uint8_t *data, size_t size, size_t *n)
{
	const struct {
		const char	*mark;
		const char	*value;
	} subst[] = {
		{ "@HINT1@", hint_one }, { "@HINT2@", hint_two },
		{ "@HINTAT@", hint_at },
	};
	char	*out;
	size_t	 i, j, k, m, len = 0;

	check((out = malloc(GH_MAX_BODY_LEN + 1)) != NULL);
	for (i = 0; i < size; i++) {
		for (j = 0; j < sizeof(subst) / sizeof(subst[0]); j++) {
			m = strlen(subst[j].mark);
			if (size - i >= m && memcmp(data + i, subst[j].mark,
			    m) == 0)
				break;
		}
		if (j < sizeof(subst) / sizeof(subst[0])) {
			k = strlen(subst[j].value);
			if (len + k > GH_MAX_BODY_LEN)
				goto toolong;
			memcpy(out + len, subst[j].value, k);
			len += k;
			i += strlen(subst[j].mark) - 1;
			continue;
		}
		if (len + 1 > GH_MAX_BODY_LEN)
			goto toolong;
		out[len++] = (char)data[i];
	}
	*n = len;
	return out;
toolong:
	free(out);
	return NULL;
}

static void
setup(void)
{
	const char	*tmp = getenv("TMPDIR");
	char		 path[600];

	log_set_level(LOG_WARN);	/* no migration lines per process */
	check(snprintf(dir, sizeof(dir), "%s/gh-fuzz-authz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp") < (int)sizeof(dir));
	check(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/gh.db", dir);
	check(store_open_admin(path, &app.store) == GH_OK);
	atexit(cleanup);
	str_copy(app.conf.issuer, sizeof(app.conf.issuer), ISSUER);
	setup_keys();
	add_client("cl_two", CLIENT_ACTIVE, (const char *const[]){
	    "https://app.example/cb", "http://127.0.0.1:9000/cb", NULL }, true);
	add_client("cl_one", CLIENT_ACTIVE, (const char *const[]){
	    "https://one.example/cb", NULL }, false);
	add_client("cl_off", CLIENT_DISABLED, (const char *const[]){
	    "https://off.example/cb", NULL }, false);
	ready = true;
}

/* The redirect URIs of an active client, from this file's own list. */
static bool
registered(const char *cid, const char *uri)
{
	if (strcmp(cid, "cl_two") == 0)
		return strcmp(uri, "https://app.example/cb") == 0 ||
		    strcmp(uri, "http://127.0.0.1:9000/cb") == 0;
	return strcmp(cid, "cl_one") == 0 &&
	    strcmp(uri, "https://one.example/cb") == 0;
}

static bool
b64url_43(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_", s[i]) == NULL)
			return false;
	return i == 43;
}

/* Every word of `scope` is one the clients may have. */
static bool
allowed_scope(const char *scope)
{
	struct slice w;

	while (words_next(&scope, &w))
		if (!slice_eq_cstr(w, "openid") && !slice_eq_cstr(w, "profile") &&
		    !slice_eq_cstr(w, "offline_access"))
			return false;
	return true;
}

static void
check_redirect(const struct params *p, const struct authz_request *r)
{
	const char *cid = params_get(p, "client_id");
	const char *ru = params_get(p, "redirect_uri");

	check(cid != NULL && !params_is_dup(p, "client_id") &&
	    !params_is_dup(p, "redirect_uri"));
	check(registered(cid, r->redirect_uri));
	check(strcmp(r->client.id, cid) == 0 &&
	    r->client.status == CLIENT_ACTIVE);
	if (ru != NULL)
		check(strcmp(ru, r->redirect_uri) == 0 && r->redirect_given);
	else	/* OIDC Core 3.1.2.1: never left out with openid */
		check(strcmp(cid, "cl_one") == 0 && !r->redirect_given &&
		    !words_has(params_get(p, "scope"), "openid") &&
		    !params_is_dup(p, "scope"));
}

/* The prompt flags are the words sent, known words only, none alone. */
static void
check_prompt(const char *prompt, const struct authz_request *r)
{
	const char	*cur = prompt != NULL ? prompt : "";
	struct slice	 w;
	unsigned	 words = 0;

	while (words_next(&cur, &w)) {
		words++;
		check(slice_eq_cstr(w, "none") || slice_eq_cstr(w, "login") ||
		    slice_eq_cstr(w, "consent") ||
		    slice_eq_cstr(w, "select_account"));
	}
	check(r->prompt_none == (prompt != NULL && words_has(prompt, "none")));
	check(r->prompt_login == (prompt != NULL &&
	    words_has(prompt, "login")));
	check(r->prompt_consent == (prompt != NULL &&
	    words_has(prompt, "consent")));
	check(r->prompt_select == (prompt != NULL &&
	    words_has(prompt, "select_account")));
	if (r->prompt_none) {	/* "none", maybe repeated: nothing else */
		cur = prompt;
		while (words_next(&cur, &w))
			check(slice_eq_cstr(w, "none"));
	}
}

/* RFC 6749 A.5 VSCHAR, %x20-7E, read here. */
static bool
vschar_only(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/*
 * UTF-8 (RFC 3629: no overlong form, no surrogate, at most U+10FFFF)
 * without a C0, DEL or C1 control character, read here byte by byte.
 */
static bool
text_only(const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	uint32_t		 cp;
	size_t			 n, i;

	while (*s != '\0') {
		if (*s < 0x80) {
			cp = *s;
			n = 1;
		} else if ((*s & 0xe0) == 0xc0) {
			cp = *s & 0x1f;
			n = 2;
		} else if ((*s & 0xf0) == 0xe0) {
			cp = *s & 0x0f;
			n = 3;
		} else if ((*s & 0xf8) == 0xf0) {
			cp = *s & 0x07;
			n = 4;
		} else {
			return false;
		}
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp < 0x20 ||
		    (cp >= 0x7f && cp <= 0x9f))
			return false;
		s += n;
	}
	return true;
}

/* max_age as sent: 1-20 digits, at most ten years, read here. */
static int64_t
max_age_of(const char *ma)
{
	uint64_t	v = 0;
	size_t		i;

	check(ma[0] != '\0' && strlen(ma) <= 20);
	for (i = 0; ma[i] != '\0'; i++) {
		check(ma[i] >= '0' && ma[i] <= '9');
		v = v * 10 + (uint64_t)(ma[i] - '0');
		check(v <= 315360000);
	}
	return (int64_t)v;
}

static void
check_ok(const struct params *p, const struct authz_request *r)
{
	const char *ma = params_get(p, "max_age");
	const char *rm = params_get(p, "response_mode");
	const char *hint = params_get(p, "login_hint");
	const char *idt = params_get(p, "id_token_hint");

	check(params_first_dup(p) == NULL);
	check(params_get(p, "request") == NULL &&
	    params_get(p, "request_uri") == NULL);
	check(strcmp(params_get(p, "response_type"), "code") == 0);
	check(strcmp(params_get(p, "code_challenge_method"), "S256") == 0);
	check(b64url_43(r->challenge) &&
	    strcmp(r->challenge, params_get(p, "code_challenge")) == 0);
	check(r->scope[0] != '\0' && allowed_scope(r->scope));
	check(rm == NULL || strcmp(rm, "query") == 0);
	check_prompt(params_get(p, "prompt"), r);
	check(r->max_age == (ma != NULL ? max_age_of(ma) : -1));
	check(hint == NULL || strlen(hint) <= 4 * GH_MAX_USERNAME_LEN);
	check(r->state == NULL || vschar_only(r->state));
	check(hint == NULL || text_only(hint));
	check(params_get(p, "nonce") == NULL ||
	    text_only(params_get(p, "nonce")));
	/* a hint passes only as the ID token signed for this client */
	if (idt == NULL)
		check(r->hint_sub[0] == '\0');
	else
		check(strcmp(r->hint_sub, "usr_fuzz") == 0 &&
		    strcmp(idt, strcmp(r->client.id, "cl_one") == 0 ?
		    hint_one : hint_two) == 0);
	if (strcmp(r->client.id, "cl_two") == 0 && words_has(r->scope, "openid"))
		check(params_get(p, "nonce") != NULL &&
		    strcmp(r->nonce, params_get(p, "nonce")) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct authz_request	*r;
	struct authz_error	 err = { OE_SERVER_ERROR, NULL };
	struct params		 p;
	char			*buf;
	enum authz_outcome	 o;

	if (size > GH_MAX_BODY_LEN)
		return 0;
	if (!ready)
		setup();
	if ((buf = expand(data, size, &size)) == NULL)
		return 0;
	check((r = malloc(sizeof(*r))) != NULL);
	params_init(&p);
	if (form_parse(buf, size, &p) == GH_OK) {
		o = authz_parse(&app, &p, r, &err);
		check(o == AUTHZ_OK || o == AUTHZ_PAGE || o == AUTHZ_REDIRECT);
		if (o != AUTHZ_OK)
			check(err.description != NULL &&
			    err.error != OE_SERVER_ERROR);
		if (o != AUTHZ_PAGE) {
			check_redirect(&p, r);
			check(r->state == NULL ||
			    strlen(r->state) <= GH_MAX_STATE_LEN);
			/* exactly as sent, or not at all when too long */
			if (params_get(&p, "state") == NULL)
				check(r->state == NULL);
			else if (strlen(params_get(&p, "state")) <=
			    GH_MAX_STATE_LEN)
				check(r->state != NULL && strcmp(r->state,
				    params_get(&p, "state")) == 0);
		}
		if (o == AUTHZ_OK)
			check_ok(&p, r);
	}
	params_free(&p);
	free(r);
	free(buf);
	return 0;
}
