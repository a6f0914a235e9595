/*
 * issue.h - minting access and refresh tokens and the token response
 * (RFC 6749 5.1). Tokens are opaque 256-bit values; only their keyed
 * hashes reach the store.
 */
#ifndef GH_ISSUE_H
#define GH_ISSUE_H

#include <stdbool.h>
#include "../app.h"
#include "../http/request.h"

struct issued {
	struct token_row rows[2];	/* [0] access, [1] refresh */
	size_t		 n;		/* 1 or 2 */
	char		 access[GH_MAX_JWT_LEN];	/* opaque or RFC 9068 */
	char		 refresh[GH_MAX_TOKEN_LEN];
	char		*id_token;	/* malloc'd, or NULL */
};

/*
 * Whether a grant of `scope` gets a refresh token: when offline_access is
 * granted (OIDC Core 11) and, without openid, whenever the client may use
 * the refresh grant (its allowed scopes include offline_access).
 */
bool		issue_wants_refresh(const struct client_row *c,
		    const char *scope);
/*
 * When the tokens of a family created at `family_created_at` stop, all
 * of them, however often it rotated: its creation plus
 * refresh_family_lifetime_seconds as configured now, or INT64_MAX when
 * that is 0 (no absolute lifetime). A refresh at or past it is refused.
 */
int64_t		issue_family_end(const struct app *app,
		    int64_t family_created_at);
/*
 * store_token_live() under the family's lifetime as configured now: a
 * token minted before the lifetime was set or shortened keeps the expiry
 * stored with it, yet is dead from its family's end (GH_ERR_NOT_FOUND),
 * and until then out->expires_at tells that end if it comes first. Every
 * reader of a bearer token (introspection, UserInfo) checks it here.
 */
enum gh_err	issue_token_live(const struct app *app,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    struct token_row *out);
/*
 * Mint, at `now`, an access token with `access_scope` (opaque, or an RFC
 * 9068 JWT when the client asked for those) and, if `refresh_scope` is
 * not NULL, a refresh token with it. Family, grant and user ids of the
 * rows come from `tmpl`; the store fills them on refresh, where `tmpl` is
 * the old token. Each expires after its ttl or at the family's end
 * (issue_family_end of tmpl->family_created_at), whichever is first.
 */
enum gh_err	issue_mint(const struct app *app, const struct client_row *c,
		    const struct token_row *tmpl, int64_t now,
		    const char *access_scope, const char *refresh_scope,
		    struct issued *out);
/*
 * The 200 token response, expires_in being the access token's own
 * lifetime; wipes the plaintexts in `is`. When it cannot be built (out of
 * memory), a 5xx error (RFC 6749 5.2 shape): never a 200 that lacks a
 * token.
 */
void		issue_reply(struct http_response *r, struct issued *is);
void		issue_wipe(struct issued *is);

#endif
