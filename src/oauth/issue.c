/* issue.c - see issue.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "issue.h"
#include "../jose/keyring.h"
#include "secret.h"
#include "../http/reply.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/str.h"

bool
issue_wants_refresh(const struct client_row *c, const char *scope)
{
	if (words_has(scope, "offline_access"))
		return true;
	return !words_has(scope, "openid") &&
	    words_has(c->scopes, "offline_access");
}

int64_t
issue_family_end(const struct app *app, int64_t family_created_at)
{
	if (app->conf.refresh_family_lifetime_seconds == 0)
		return INT64_MAX;
	return family_created_at + app->conf.refresh_family_lifetime_seconds;
}

enum gh_err
issue_token_live(const struct app *app, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, struct token_row *out)
{
	enum gh_err	rc;
	int64_t		end;

	if ((rc = store_token_live(app->store, hash, now, out)) != GH_OK)
		return rc;
	end = issue_family_end(app, out->family_created_at);
	if (now >= end)
		return GH_ERR_NOT_FOUND;
	if (out->expires_at > end)
		out->expires_at = end;
	return GH_OK;
}

/*
 * A token of tmpl's family, expiring after its ttl or at the family's
 * end, whichever comes first: then every token of a family is dead by
 * its end, through the expiry checks every reader makes already.
 */
static void
fill(const struct app *app, struct token_row *t, const char *client_id,
    const struct token_row *tmpl, enum token_kind kind, const char *scope,
    int64_t now, int64_t ttl)
{
	int64_t end = issue_family_end(app, tmpl->family_created_at);

	str_copy(t->family_id, sizeof(t->family_id), tmpl->family_id);
	str_copy(t->grant_id, sizeof(t->grant_id), tmpl->grant_id);
	str_copy(t->user_id, sizeof(t->user_id), tmpl->user_id);
	str_copy(t->client_id, sizeof(t->client_id), client_id);
	str_copy(t->scope, sizeof(t->scope), scope);
	t->kind = kind;
	t->issued_at = now;
	t->expires_at = now + ttl < end ? now + ttl : end;
}

/*
 * RFC 9068: typ at+jwt, signed like the client's ID tokens. Its hash is
 * stored like an opaque token's, so revocation and introspection work the
 * same; the signature only lets resource servers check it offline.
 */
static enum gh_err
mint_jwt(const struct app *app, const struct client_row *c,
    const struct token_row *row, char *out, size_t outsz)
{
	uint8_t	 raw[16];
	char	 jti[32], *payload, *jwt;
	json_t	*o;
	bool	 ok;

	if (crypto_random(raw, sizeof(raw)) != GH_OK)
		return GH_ERR_CRYPTO;
	b64url_encode(raw, sizeof(raw), jti);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "iss", app->conf.issuer, "sub", row->user_id,
	    "aud", app->conf.issuer, "client_id", c->id, "scope", row->scope,
	    "jti", jti, "iat", (json_int_t)row->issued_at,
	    "exp", (json_int_t)row->expires_at);
	payload = json_text(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (payload == NULL)
		return GH_ERR_NOMEM;
	jwt = keyring_sign(app->keys, c->id_token_alg, "at+jwt", payload,
	    row->issued_at);
	free(payload);
	if (jwt == NULL)
		return GH_ERR_CRYPTO;
	ok = str_copy(out, outsz, jwt);
	crypto_wipe(jwt, strlen(jwt));	/* a bearer token */
	free(jwt);
	return ok ? GH_OK : GH_ERR_LIMIT;
}

enum gh_err
issue_mint(const struct app *app, const struct client_row *c,
    const struct token_row *tmpl, int64_t now, const char *access_scope,
    const char *refresh_scope, struct issued *out)
{
	const char	*client_id = c->id;
	enum gh_err	 rc;

	memset(out, 0, sizeof(*out));
	fill(app, &out->rows[0], client_id, tmpl, TOKEN_ACCESS, access_scope,
	    now, app->conf.access_token_ttl_seconds);
	if (!c->jwt_access_tokens)
		rc = secret_mint(app, PREFIX_ACCESS, out->access,
		    out->rows[0].hash);
	else if ((rc = mint_jwt(app, c, &out->rows[0], out->access,
	    sizeof(out->access))) == GH_OK &&
	    secret_hash(app, out->access, out->rows[0].hash) != GH_OK)
		rc = GH_ERR_CRYPTO;
	if (rc != GH_OK) {
		issue_wipe(out);
		return rc;
	}
	out->n = 1;
	if (refresh_scope == NULL)
		return GH_OK;
	if ((rc = secret_mint(app, PREFIX_REFRESH, out->refresh,
	    out->rows[1].hash)) != GH_OK) {
		issue_wipe(out);
		return rc;
	}
	fill(app, &out->rows[1], client_id, tmpl, TOKEN_REFRESH, refresh_scope,
	    now, app->conf.refresh_token_ttl_seconds);
	out->n = 2;
	return GH_OK;
}

/*
 * o with member name = v, or o as it is when v is NULL. Not json_pack's
 * "s*": it drops a member whose value could not be allocated, and the
 * object looks whole.
 */
static json_t *
with(json_t *o, const char *name, const char *v)
{
	return v == NULL ? o : json_with(o, name, json_string(v));
}

void
issue_reply(struct http_response *r, struct issued *is)
{
	json_t *o;

	/* RFC 6749 5.1: its own lifetime, shorter near the family's end */
	o = json_pack("{s:s, s:s, s:I}", "access_token", is->access,
	    "token_type", "Bearer", "expires_in",
	    (json_int_t)(is->rows[0].expires_at - is->rows[0].issued_at));
	o = with(o, "refresh_token", is->n == 2 ? is->refresh : NULL);
	o = with(o, "scope", is->rows[0].scope);
	o = with(o, "id_token", is->id_token);
	issue_wipe(is);
	if (reply_json(r, 200, o) != GH_OK)
		/* the tokens exist but nobody got them: no retry advice */
		oauth_error_reply(r, OE_SERVER_ERROR,
		    "the token response could not be built", false);
}

void
issue_wipe(struct issued *is)
{
	crypto_wipe(is->access, sizeof(is->access));
	crypto_wipe(is->refresh, sizeof(is->refresh));
	free(is->id_token);
	is->id_token = NULL;
}
