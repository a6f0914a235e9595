/*
 * store.h - the persistence contract. Protocol code talks only to this
 * header; SQL lives in the backend files of this folder.
 *
 * Rows are plain structs owned by the caller. Secrets never cross this
 * interface: codes, tokens, sessions and client secrets are identified by
 * their keyed hash (GH_HASH_BYTES), computed by the caller.
 *
 * Atomicity (every backend must keep these promises; tests/unit/store
 * checks them):
 *  - store_code_redeem() marks a code consumed with one conditional update
 *    and, in the same transaction, records the family and tokens. Of any
 *    number of concurrent calls for one code exactly one returns GH_OK.
 *  - store_refresh_exchange() does the same for a refresh token: one
 *    conditional update retires it and its successors are inserted in the
 *    same transaction; the losers get GH_ERR_CONFLICT.
 *  - A token is live only if the token, its family, its grant, its client
 *    and its user are all live (revocation by ancestry, ARCHITECTURE.md).
 *  - Every write is durable when the call returns.
 */
#ifndef GH_STORE_H
#define GH_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "../util/err.h"
#include "../util/limits.h"

#define GH_ID_LEN	48	/* generated ids: prefix + base64url */

enum client_status { CLIENT_ACTIVE, CLIENT_DISABLED, CLIENT_QUARANTINED };
enum client_auth { AUTH_SECRET_BASIC, AUTH_SECRET_POST, AUTH_NONE,
	AUTH_PRIVATE_KEY_JWT };
enum user_status { USER_ACTIVE, USER_DISABLED };
enum token_kind { TOKEN_ACCESS, TOKEN_REFRESH };

struct client_row {
	char		 id[GH_MAX_CLIENT_ID_LEN];
	char		 name[GH_MAX_NAME_FIELD];
	char		 owner[GH_MAX_NAME_FIELD];
	bool		 is_public;
	enum client_auth auth_method;
	bool		 has_secret;
	uint8_t		 secret_hash[GH_HASH_BYTES];
	size_t		 nredirect;
	char		 scopes[GH_MAX_SCOPE_LEN];	/* space-separated */
	char		 id_token_alg[8];		/* RS256 or ES256 */
	bool		 jwt_access_tokens;	/* RFC 9068 instead of opaque */
	bool		 require_nonce;		/* openid requests need nonce */
	enum client_status status;
	int64_t		 created_at;
	int64_t		 secret_rotated_at;		/* 0: never */
	int64_t		 updated_at;
	/*
	 * The bulky fields (42 KB) come last, so that client_row_clear()
	 * can empty a row without writing all of them: new small fields go
	 * above this comment.
	 */
	char		 networks[GH_MAX_NETWORKS];	/* CIDR allowlist, "" any */
	char		 jwks[GH_MAX_CLIENT_JWKS];	/* private_key_jwt */
	char		 redirect_uris[GH_MAX_REDIRECTS][GH_MAX_REDIRECT_LEN];
};

/*
 * An empty client row, as memset to zero would leave it as far as any
 * reader can tell (every number 0, every string "", no redirect URI),
 * written without touching the bytes past the strings' terminators:
 * per-request structs hold a client row, and zeroing 43 KB twice a
 * request was a tenth of a flow's instructions.
 */
void		client_row_clear(struct client_row *c);

struct user_row {
	char		 id[GH_ID_LEN];		/* the stable `sub` */
	char		 username[GH_MAX_USERNAME_LEN + 1];
	char		 password_hash[256];	/* Argon2id encoded */
	enum user_status status;
	int64_t		 created_at;
	char		 name[GH_MAX_NAME_FIELD];	/* OIDC profile claims */
	char		 email[GH_MAX_EMAIL_LEN];
	bool		 email_verified;
};

/* a signing key; the private JWK is sealed by jose/ before it gets here */
struct key_row {
	char		 kid[GH_ID_LEN];
	char		 alg[8];
	char		 private_sealed[GH_MAX_SEALED_KEY];
	char		 public_jwk[GH_MAX_PUBLIC_JWK];
	int64_t		 created_at;
	int64_t		 activate_at;	/* signs from then on */
	int64_t		 retire_at;	/* 0: not retired */
};

struct session_row {
	uint8_t		 hash[GH_HASH_BYTES];
	char		 user_id[GH_ID_LEN];
	int64_t		 auth_time;
	int64_t		 expires_at;
	/* the user's, read with the session (not stored with it) */
	char		 username[GH_MAX_USERNAME_LEN + 1];
};

struct grant_row {
	char		 id[GH_ID_LEN];
	char		 user_id[GH_ID_LEN];
	char		 client_id[GH_MAX_CLIENT_ID_LEN];
	char		 scope[GH_MAX_SCOPE_LEN];
	int64_t		 created_at;
	int64_t		 last_used_at;
	char		 username[GH_MAX_USERNAME_LEN + 1];	/* lists */
};

/* which grants a revocation or listing covers */
enum grant_scope { GRANT_ONE, GRANTS_OF_CLIENT, GRANTS_OF_USER };

struct code_row {
	uint8_t		 hash[GH_HASH_BYTES];
	char		 grant_id[GH_ID_LEN];
	char		 client_id[GH_MAX_CLIENT_ID_LEN];
	char		 user_id[GH_ID_LEN];
	char		 redirect_uri[GH_MAX_REDIRECT_LEN];
	char		 challenge[GH_S256_CHALLENGE_LEN + 1];
	char		 scope[GH_MAX_SCOPE_LEN];
	char		 nonce[GH_MAX_NONCE_LEN + 1];
	int64_t		 auth_time;
	int64_t		 created_at;
	int64_t		 expires_at;
	bool		 consumed;
};

struct family_row {
	char		 id[GH_ID_LEN];
	char		 grant_id[GH_ID_LEN];
	char		 client_id[GH_MAX_CLIENT_ID_LEN];
	char		 user_id[GH_ID_LEN];
	uint8_t		 code_hash[GH_HASH_BYTES];
	int64_t		 created_at;
};

struct token_row {
	uint8_t		 hash[GH_HASH_BYTES];
	enum token_kind	 kind;
	char		 family_id[GH_ID_LEN];
	char		 grant_id[GH_ID_LEN];
	char		 client_id[GH_MAX_CLIENT_ID_LEN];
	char		 user_id[GH_ID_LEN];
	char		 scope[GH_MAX_SCOPE_LEN];
	int64_t		 issued_at;
	int64_t		 expires_at;
	/*
	 * Its family's creation, read with the token by store_token_live,
	 * store_token_get and store_refresh_take in the same statement; not
	 * a column of the token, so ignored when a token is recorded. The
	 * family's absolute lifetime is counted from it (oauth/issue.h).
	 */
	int64_t		 family_created_at;
};

struct audit_row {
	int64_t		 time;
	const char	*type;		/* e.g. "code.replayed" */
	const char	*actor;		/* who acted: "user", "client", "admin" */
	const char	*client_id;	/* each may be NULL */
	const char	*user_id;
	const char	*grant_id;
	const char	*remote_addr;
	const char	*user_agent;
	const char	*detail;	/* a JSON object, no secrets */
	/* set by the store: the chain (store_audit_append, _each) */
	int64_t		 seq;
	uint8_t		 prev_hash[GH_HASH_BYTES];
	uint8_t		 hash[GH_HASH_BYTES];
};

struct store;

/*
 * "sqlite:PATH" or a plain path (SQLite), or "postgres://..." /
 * "postgresql://..." (a libpq URI: PostgreSQL). Another "scheme://" is
 * GH_ERR_INVALID. Applies pending migrations.
 */
enum gh_err	store_open(const char *url, struct store **out);
/*
 * The same for one short admin command: SQLite opens no reader
 * connections and no background checkpointer. Its writes still take their
 * turn with a running server's and are durable before they return.
 */
enum gh_err	store_open_admin(const char *url, struct store **out);
/* True for a URL rather than a file path (conf.c leaves those alone). */
bool		store_is_url(const char *database);
/* The URL with any password replaced by "***", for messages and logs. */
void		store_url_redact(const char *url, char *out, size_t outsz);
void		store_close(struct store *s);

/*
 * One durability wait per request. Between store_defer_begin() and
 * store_defer_end() on one thread, that thread's writes commit as usual,
 * but the wait for them to be durable is put off to store_defer_end(),
 * which waits once for all of them (an fsync covers every commit made
 * before it). The caller must not answer until store_defer_end() has
 * returned GH_OK; on an error nothing of the request may be acknowledged.
 * A backend whose commits are durable when they return does nothing here.
 */
void		store_defer_begin(struct store *s);
enum gh_err	store_defer_end(struct store *s);
/*
 * store_defer_end() for a caller that must not park its thread on the
 * wait (the HTTP server suspends the connection instead). With *w NULL
 * on return, the result is the outcome. Otherwise the wait is handed
 * over: store_wait_end(*w) waits if need be, gives the outcome and frees
 * it; before that, store_wait_watch(*w, wake, arg) may ask for wake(arg)
 * to be called once when the outcome is known, from another thread, or
 * from this one before it returns. A watched wait is ended only after
 * its wake.
 */
struct store_wait;
enum gh_err	store_defer_detach(struct store *s, struct store_wait **w);
void		store_wait_watch(struct store_wait *w, void (*wake)(void *),
		    void *arg);
enum gh_err	store_wait_end(struct store_wait *w);
/*
 * False once the store cannot make writes durable any more: a failed
 * fsync may have dropped what it covered from the disk cache, and a later
 * one would report success over the gap. Every write since fails; the
 * server must stop, and a restart recovers from what is on disk.
 */
bool		store_durable(struct store *s);
/*
 * While on (this thread only), writes are not waited for at all: they
 * become durable with the next fsync, which any later durable write of
 * any thread forces (commits reach the disk in order). Only for writes
 * whose loss in a power cut is harmless and which a later write they
 * matter to depends on: an authorization code is one (a lost code cannot
 * be redeemed, and its redemption's wait covers its issuance).
 */
void		store_lazy(struct store *s, bool on);

/*
 * The audit event of a change, appended in the change's own transaction
 * by the operations that take one (NULL: none): the change and its event
 * are committed together or not at all. A change whose event cannot be
 * stored is not made either (the call fails), so a background pass that
 * acts and records what it did leaves no gap in the trail when the append
 * fails: what was not recorded was not done, and the next pass finds it
 * again. The event is chained as store_audit_append() does; none is
 * appended when the change affected no row. describe, if not NULL, is
 * called inside the transaction with the number of rows the change
 * affected and a copy of *row, whose fields it may set (pointing them at
 * ctx's storage); it must not call the store.
 */
struct change_audit {
	const struct audit_row	*row;
	void			(*describe)(void *ctx, unsigned changed,
				    struct audit_row *r);
	void			*ctx;
};

/*
 * Clients. An insert writes its audit event `ev` (may be NULL) in the
 * same transaction: if the event cannot be stored, the client is not
 * created either. GH_ERR_EXISTS, and no event, if the id is taken.
 */
enum gh_err	store_client_insert(struct store *s,
		    const struct client_row *c, const struct change_audit *ev);
enum gh_err	store_client_get(struct store *s, const char *id,
		    struct client_row *out);
/* Calls fn for each client in creation order; fn returns false to stop. */
enum gh_err	store_client_each(struct store *s,
		    bool (*fn)(void *ctx, const struct client_row *c),
		    void *ctx);

/*
 * Change a client's status from `from` to `to` in one conditional UPDATE,
 * with its audit event `ev` (may be NULL): GH_ERR_CONFLICT, with nothing
 * written, if its status is no longer `from` (it changed since the caller
 * read it: a quarantine must not be turned into a plain "disabled" that
 * `client enable` would then lift), GH_ERR_NOT_FOUND if there is no such
 * client.
 */
enum gh_err	store_client_set_status(struct store *s, const char *id,
		    enum client_status from, enum client_status to,
		    int64_t now, const struct change_audit *ev);
enum gh_err	store_client_set_secret(struct store *s, const char *id,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now);
/*
 * The kill switch, in one transaction: status quarantined (every token of
 * the client dies by ancestry at once), every grant revoked with `reason`
 * (so re-enabling does not revive them), the secret, if any, replaced by
 * `new_secret_hash`, and `alert` (if not NULL; its id is set) raised.
 * *grants receives the number of grants revoked. Its duration does not
 * depend on the number of tokens.
 */
struct alert_row;
enum gh_err	store_client_quarantine(struct store *s, const char *id,
		    const uint8_t new_secret_hash[GH_HASH_BYTES],
		    const char *reason, int64_t now, unsigned *grants,
		    struct alert_row *alert);

/*
 * Users. An insert writes its audit event `ev` (may be NULL) in the same
 * transaction: if the event cannot be stored, the user is not created
 * either. GH_ERR_EXISTS, and no event, if the id or username is taken.
 */
enum gh_err	store_user_insert(struct store *s, const struct user_row *u,
		    const struct change_audit *ev);
enum gh_err	store_user_by_name(struct store *s, const char *username,
		    struct user_row *out);
enum gh_err	store_user_get(struct store *s, const char *id,
		    struct user_row *out);
enum gh_err	store_user_each(struct store *s,
		    bool (*fn)(void *ctx, const struct user_row *u),
		    void *ctx);
/*
 * A password change and a disable end every browser session of the user
 * in the same transaction (enabling the user again brings none back);
 * every caller that changes either goes through these two. A status,
 * password or profile change writes its audit event `ev` (may be NULL)
 * in that transaction too: if the event cannot be stored, neither the
 * user nor any session is changed. GH_ERR_NOT_FOUND, and no event, when
 * there is no such user.
 */
enum gh_err	store_user_set_status(struct store *s, const char *id,
		    enum user_status st, int64_t now,
		    const struct change_audit *ev);
enum gh_err	store_user_set_password(struct store *s, const char *id,
		    const char *password_hash, int64_t now,
		    const struct change_audit *ev);
enum gh_err	store_user_set_profile(struct store *s, const char *id,
		    const char *name, const char *email, bool email_verified,
		    int64_t now, const struct change_audit *ev);

/*
 * Signing keys, oldest activation first. store_keys_insert() stores the
 * n keys of k[] (1 to GH_MAX_NEW_KEYS), each with its audit event ev[i]
 * (ev may be NULL: none), in one transaction: all the keys and all their
 * events, or nothing (a rotation of both algorithms is never made by
 * half; an event that cannot be stored leaves no key). GH_ERR_EXISTS,
 * and nothing written, when a kid is taken. store_key_insert() is the
 * same for one key.
 */
enum gh_err	store_keys_insert(struct store *s, const struct key_row *k,
		    const struct change_audit *ev, size_t n);
enum gh_err	store_key_insert(struct store *s, const struct key_row *k,
		    const struct change_audit *ev);
/*
 * The same for first keys: none is inserted if a key of the alg of any
 * of them is stored (GH_ERR_EXISTS, nothing written: no key, no event),
 * checked in the transaction that inserts them, under a lock held until
 * it commits (PostgreSQL: an advisory lock; SQLite: the writer's).
 * Nodes starting together on an empty database so make one first key
 * per alg between them; the others use the keys stored.
 */
enum gh_err	store_keys_insert_first(struct store *s,
		    const struct key_row *k, const struct change_audit *ev,
		    size_t n);
enum gh_err	store_key_each(struct store *s,
		    bool (*fn)(void *ctx, const struct key_row *k), void *ctx);
enum gh_err	store_key_retire(struct store *s, const char *kid,
		    int64_t now);
/*
 * Delete a key, private half included, with its audit event `ev` (may be
 * NULL) in the same transaction (struct change_audit): if the event
 * cannot be stored the key is not deleted either. GH_ERR_NOT_FOUND, and
 * no event, when there is no such key (another node deleted it first).
 */
enum gh_err	store_key_delete(struct store *s, const char *kid,
		    const struct change_audit *ev);

/*
 * Browser sessions: only unexpired ones are found. A session is inserted
 * only while its user is active and still has password_hash, the hash
 * the login checked (else GH_ERR_NOT_FOUND): a password change or a
 * disable between the check and the insert is not outlived by a session
 * opened under the old password. `replaces` (NULL: none) is the hash of
 * the session the browser had: it is deleted in the same transaction, so
 * a login on a shared browser ends the previous user's session on the
 * server, and on any failure neither happens (the browser is then still
 * signed in as before, and the caller says the login failed).
 */
enum gh_err	store_session_insert(struct store *s,
		    const struct session_row *r, const char *password_hash,
		    const uint8_t *replaces);
enum gh_err	store_session_get(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    struct session_row *out);
enum gh_err	store_session_delete(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES]);
/*
 * store_session_get, and with it the session user's live grant to
 * client_id (store_grant_find): *have_grant says whether g holds one. One
 * round trip on PostgreSQL.
 */
enum gh_err	store_session_grant(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    const char *client_id, struct session_row *out,
		    struct grant_row *g, bool *have_grant);

/*
 * Grants: at most one live grant per user and client. upsert creates it or
 * replaces its scope; out receives the row as stored. It writes only
 * while the client and the user are both active, checked by the write
 * itself, atomically with a concurrent quarantine or disable (which
 * either comes first, and nothing is written, or sees the grant): else
 * GH_ERR_NOT_FOUND and nothing written, so a consent read before a kill
 * never leaves a live grant, a remembered consent, behind it.
 */
enum gh_err	store_grant_upsert(struct store *s, const char *user_id,
		    const char *client_id, const char *scope, int64_t now,
		    struct grant_row *out);
enum gh_err	store_grant_find(struct store *s, const char *user_id,
		    const char *client_id, struct grant_row *out);
/* A grant by id, live or revoked; GH_ERR_NOT_FOUND if there is none. */
enum gh_err	store_grant_get(struct store *s, const char *id,
		    struct grant_row *out);

/* Live grants, optionally of one client and/or one user (NULL: any). */
enum gh_err	store_grant_each(struct store *s, const char *client_id,
		    const char *user_id,
		    bool (*fn)(void *ctx, const struct grant_row *g), void *ctx);
/*
 * Revoke one grant (id), or every live grant of a client or a user, in
 * one statement whatever the number of tokens: they die by ancestry.
 * *count receives the number of grants revoked.
 */
enum gh_err	store_grant_revoke(struct store *s, enum grant_scope what,
		    const char *id, const char *reason, int64_t now,
		    unsigned *count);

/* codes */
enum gh_err	store_code_insert(struct store *s, const struct code_row *r);
/* Any code with this hash, consumed or not, expired or not. */
enum gh_err	store_code_get(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], struct code_row *out);
/*
 * Consume the code (only if unconsumed and unexpired at `now`, and its
 * grant, client and user live) and record the family and its tokens, in
 * one transaction. GH_ERR_CONFLICT if the code was already consumed (a
 * replay), GH_ERR_NOT_FOUND if unknown, expired or its grant, client or
 * user no longer live; nothing is written then.
 */
enum gh_err	store_code_redeem(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    const struct family_row *fam,
		    const struct token_row *tokens, size_t ntokens);
/*
 * Redeem a code for a caller that must see it before it knows what to
 * record. take(ctx, out, rec) is called with the row of the code, read into
 * *out, when it is unconsumed and unexpired at `now`; it checks the code's
 * bindings and either returns GH_OK with the family and tokens to record
 * in *rec, which are then recorded as store_code_redeem() does, or any
 * other value, which is returned with nothing written and the code left
 * unconsumed. A backend may hold the code, consumed inside an open
 * transaction, while take runs, so that a racing redemption waits: take
 * must not call the store (it would wait for a second connection).
 * Without calling take: GH_ERR_NOT_FOUND for an unknown code, and
 * GH_ERR_CONFLICT for one consumed, expired, or whose grant, client or
 * user is no longer live, with its row in *out (`consumed` and
 * `expires_at` tell which); also when take accepted the code but another
 * redemption got it first, or the code stopped being redeemable, before
 * it could be recorded.
 */
struct code_take {
	const struct family_row	*fam;
	const struct token_row	*tokens;
	size_t			 ntokens;
};
enum gh_err	store_code_take(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    enum gh_err (*take)(void *ctx, const struct code_row *c,
		    struct code_take *rec), void *ctx, struct code_row *out);
/*
 * Revoke every family minted from this code (code replay). This and
 * store_family_revoke return GH_ERR_NOT_FOUND when no family was left to
 * revoke (already revoked, or none), so a caller can tell the revocation
 * from a repeat; store_token_revoke answers GH_OK either way.
 */
enum gh_err	store_family_revoke_by_code(struct store *s,
		    const uint8_t code_hash[GH_HASH_BYTES], int64_t now,
		    const char *reason);

/* tokens */
/* A live token (ancestry checked; refresh tokens not yet rotated). */
enum gh_err	store_token_live(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    struct token_row *out);
/* Any token with this hash, whatever its state; `rotated` tells reuse. */
enum gh_err	store_token_get(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], struct token_row *out,
		    bool *rotated);
/*
 * Retire refresh token `hash` of `client_id` and insert its successors
 * (family, grant, user and client ids are copied from the old token into
 * `next` by the store). GH_ERR_CONFLICT if it was already rotated (reuse),
 * GH_ERR_NOT_FOUND if unknown, expired, revoked or not the client's.
 */
enum gh_err	store_refresh_exchange(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], const char *client_id,
		    int64_t now, struct token_row *next, size_t nnext);
/*
 * Rotate a refresh token for a caller that must see it before it knows
 * what to record, as store_code_take() does for codes. take(ctx, live,
 * rec) gets the token's row, read into *out, when it is a live refresh
 * token of client_id at `now`; it either returns GH_OK with the
 * successors in *rec (their ids are filled by the store, as for
 * store_refresh_exchange()), which then replace the token in one
 * transaction, or any other value, which is returned with nothing written
 * and the token still live. take must not call the store: a backend may
 * hold a connection and the token's row lock while it runs.
 * GH_ERR_NOT_FOUND when the token is not, or no longer, a live refresh
 * token of client_id (take not called, or its tokens not recorded):
 * unknown, another client's, rotated (a reuse), expired or revoked;
 * store_token_get() tells which.
 */
struct refresh_take {
	struct token_row	*next;
	size_t			 nnext;
};
enum gh_err	store_refresh_take(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], const char *client_id,
		    int64_t now, enum gh_err (*take)(void *ctx,
		    const struct token_row *live, struct refresh_take *rec),
		    void *ctx, struct token_row *out);
enum gh_err	store_token_revoke(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now);
enum gh_err	store_family_revoke(struct store *s, const char *family_id,
		    int64_t now, const char *reason);

/*
 * Record a client assertion's jti (hashed) until GH_JTI_KEEP_SECONDS past
 * its expiry (a node whose clock is behind still accepts it until then).
 * GH_ERR_CONFLICT if the same client used it before: a replay. One INSERT
 * decides. `now` is the purging node's clock.
 */
enum gh_err	store_jti_use(struct store *s, const char *client_id,
		    const uint8_t jti_hash[GH_HASH_BYTES], int64_t expires_at,
		    int64_t now);

/*
 * Delete a bounded batch (at most `batch` rows per table) of what can no
 * longer be used: sessions past expiry, and codes and tokens more than
 * `keep_seconds` past expiry (kept that long so a late replay is still
 * recognised and audited), with the families their last token leaves
 * (found from the deleted tokens, never by scanning families); then
 * grants revoked more than `keep_seconds` ago that no family or code
 * refers to, with their sightings, and alerts acknowledged more than
 * `alert_keep_seconds` ago (0: none) that the webhook is done with
 * (delivered, or raised more than GH_ALERT_SEND_SECONDS ago). Returns
 * the most rows deleted from one table in *deleted (sightings not
 * counted); call again while it equals the batch size.
 */
enum gh_err	store_purge(struct store *s, int64_t now, int64_t keep_seconds,
		    int64_t alert_keep_seconds, unsigned batch,
		    unsigned *deleted);

/*
 * Audit: append-only and tamper-evident. Each event stores the hash of the
 * one before it and its own hash, HMAC-SHA-256 under the audit key over
 * the previous hash and every field (audit_chain_hash), computed in the
 * same transaction that reads the previous event, so appends from the
 * server and the admin command chain correctly.
 */
void		store_set_audit_key(struct store *s,
		    const uint8_t key[GH_HASH_BYTES]);
enum gh_err	store_audit_append(struct store *s,
		    const struct audit_row *r);
/* The newest event's seq and hash (0 and zeros when there is none). */
enum gh_err	store_audit_head(struct store *s, int64_t *seq,
		    uint8_t hash[GH_HASH_BYTES]);
/* Events with seq > after, in order, at most `limit` per call. */
enum gh_err	store_audit_each(struct store *s, int64_t after,
		    unsigned limit,
		    bool (*fn)(void *ctx, const struct audit_row *r),
		    void *ctx);
/*
 * Audit retention. The oldest events may be deleted, in order, by
 * store_audit_prune(); the chain's base then says where the kept chain
 * starts: the seq and hash of the last event deleted (0 and zeros while
 * none was), the hash the first kept event names as its prev_hash.
 * head_seq is the newest event's seq read in the same snapshot (0: none),
 * so a check knows which events were there when the base was read.
 */
struct audit_base {
	int64_t		 seq;
	uint8_t		 hash[GH_HASH_BYTES];
	/*
	 * HMAC under the audit key over seq and hash (audit_base_mac),
	 * written by each prune: a base row moved by hand, without the
	 * key, is not taken as one (has_mac false: none stored).
	 */
	uint8_t		 mac[GH_HASH_BYTES];
	bool		 has_mac;
	int64_t		 head_seq;
};
enum gh_err	store_audit_base(struct store *s, struct audit_base *out);
/*
 * In one transaction: delete the oldest events with time < p->before, at
 * most p->batch, oldest first and never one after an event that is kept
 * (only a prefix of the chain goes, whatever order the times are in);
 * record the last one deleted as the chain's base; and append ev at the
 * chain's end, chained as any event. ev is required: a prune without its
 * event is refused (GH_ERR_INVALID), since nothing else would show that
 * the missing events went by retention. p->through_seq (the new base)
 * and p->events (events deleted) are set before ev's describe is called
 * with the number deleted. When no event is old enough nothing is
 * written and both are 0; on failure nothing is deleted.
 *
 * Only events that verify where they stand go (each follows the base or
 * the one before it by seq and hash, and hashes right under the audit
 * key): a deletion or an edit made by hand is never made to look like
 * retention, by taking the gap with it or by a time moved back to age an
 * event. The prune stops before the first that does not verify, which
 * stays for `audit verify` to report; p->stopped_seq names it (0: none).
 */
struct audit_prune {
	int64_t		 before;		/* Unix time: older goes */
	unsigned	 batch;			/* at most this many */
	int64_t		 through_seq;		/* out */
	unsigned	 events;		/* out */
	int64_t		 stopped_seq;		/* out */
};
enum gh_err	store_audit_prune(struct store *s, struct audit_prune *p,
		    const struct change_audit *ev);
/* The MAC of a chain base (struct audit_base). */
enum gh_err	audit_base_mac(const uint8_t key[GH_HASH_BYTES], int64_t seq,
		    const uint8_t hash[GH_HASH_BYTES],
		    uint8_t out[GH_HASH_BYTES]);
/*
 * An error (out of memory, the HMAC failed) is no hash: the event is not
 * appended, and a verification says it could not check, never "edited".
 */
enum gh_err	audit_chain_hash(const uint8_t key[GH_HASH_BYTES],
		    const uint8_t prev[GH_HASH_BYTES],
		    const struct audit_row *r, uint8_t out[GH_HASH_BYTES]);

/*
 * Governance (governance/): alerts, where grants are used from, and the
 * usage figures of the app inventory.
 */
struct alert_row {
	int64_t		 id;
	int64_t		 time;
	char		 rule[32];		/* e.g. "refresh_reuse" */
	char		 severity[8];		/* low, medium, high */
	char		 client_id[GH_MAX_CLIENT_ID_LEN];	/* "" if none */
	char		 user_id[GH_ID_LEN];
	char		 grant_id[GH_ID_LEN];
	char		 summary[GH_MAX_ALERT_TEXT];
	char		 evidence[GH_MAX_ALERT_EVIDENCE];	/* JSON object */
	char		 dedupe_key[GH_MAX_ALERT_KEY];
	int64_t		 acked_at;		/* 0: open */
	char		 acked_by[GH_MAX_NAME_FIELD];
	int64_t		 delivered_at;		/* webhook; 0: not yet */
	int64_t		 attempts;
	int64_t		 next_attempt_at;
};

/*
 * Store alert `a` (time, rule, severity, ids, summary, evidence, key)
 * unless an open alert with the same dedupe key was raised at or after
 * `quiet_since`; one statement decides. *raised tells which, a->id is set.
 */
enum gh_err	store_alert_raise(struct store *s, struct alert_row *a,
		    int64_t quiet_since, bool *raised);
/*
 * Open ones before acknowledged ones, then high, medium, low, then newest
 * first, at most `limit`: a flood of lesser alerts (which an outsider can
 * raise at will, one auth_failure_burst per client id) never pushes a high
 * one out of a bounded list. open_only: unacknowledged; client_id NULL:
 * any client.
 */
enum gh_err	store_alert_each(struct store *s, bool open_only,
		    const char *client_id, unsigned limit,
		    bool (*fn)(void *ctx, const struct alert_row *a), void *ctx);
/* How many alerts store_alert_each() would list without its limit. */
enum gh_err	store_alert_count(struct store *s, bool open_only,
		    const char *client_id, int64_t *n);
/* GH_ERR_NOT_FOUND if there is no such open alert. */
enum gh_err	store_alert_ack(struct store *s, int64_t id, const char *by,
		    int64_t now);
/*
 * Webhook outbox: lease up to `limit` undelivered alerts raised since
 * `since` whose next attempt is due at `now`, until `lease_until` (one
 * statement, so two nodes never deliver the same lease), and pass each to
 * fn. Then report each with store_alert_delivery(): delivered, or the time
 * of the next attempt.
 */
enum gh_err	store_alert_claim(struct store *s, int64_t now, int64_t since,
		    int64_t lease_until, unsigned limit,
		    bool (*fn)(void *ctx, const struct alert_row *a), void *ctx);
enum gh_err	store_alert_delivery(struct store *s, int64_t id,
		    bool delivered, int64_t now, int64_t next_attempt);

/*
 * Record that a grant was used from network or user agent `value` (kind
 * "net" or "ua"). *out: KNOWN (seen before), FIRST (the grant's first of
 * that kind) or NEW (the grant was used from others before, never this).
 * At most GH_MAX_SIGHTINGS values are kept per grant and kind.
 */
enum sighting { SIGHTING_KNOWN, SIGHTING_FIRST, SIGHTING_NEW };
enum gh_err	store_grant_sighting(struct store *s, const char *grant_id,
		    const char *kind, const char *value, int64_t now,
		    enum sighting *out);

/* What the inventory shows of one client, besides its registration. */
struct client_usage {
	unsigned	 grants;		/* live grants */
	unsigned	 users;			/* users with a live grant */
	unsigned	 live_tokens;
	unsigned	 open_alerts;
	int64_t		 first_issued;		/* 0: never */
	int64_t		 last_issued;
	int64_t		 last_refresh;
	char		 granted_scopes[GH_MAX_SCOPE_LEN];	/* union */
	char		 networks[256];		/* latest first, spaces */
	char		 agents[GH_MAX_UA_LEN * 2];	/* latest first, "\n" */
};
/*
 * A walk over every client in bounded batches: up to `max` client ids
 * greater than `after` ("" for the first batch), in id order, into ids;
 * *n says how many. The next batch starts after this one's last id (a
 * keyset on the primary key: each batch is one indexed range, whatever
 * the number of clients).
 */
enum gh_err	store_client_ids(struct store *s, const char *after,
		    unsigned max, char (*ids)[GH_MAX_CLIENT_ID_LEN],
		    unsigned *n);
/*
 * count_tokens: also count the live tokens, which walks every one of them
 * (seconds with millions); without it live_tokens is 0.
 */
enum gh_err	store_client_usage(struct store *s, const char *client_id,
		    int64_t now, bool count_tokens, struct client_usage *out);
/* One client's audit events with time >= since, newest first. */
enum gh_err	store_audit_of_client(struct store *s, const char *client_id,
		    int64_t since, unsigned limit,
		    bool (*fn)(void *ctx, const struct audit_row *r), void *ctx);
/*
 * Hygiene: revoke (reason "unused") up to GH_GRANT_EXPIRE_BATCH live
 * grants neither used nor created since `before` (the caller repeats
 * while a batch is full), in one statement, with its audit event `ev`
 * (may be NULL; described with the number of grants revoked).
 * *count: grants revoked (0 when the call fails).
 */
enum gh_err	store_grant_expire_unused(struct store *s, int64_t before,
		    int64_t now, unsigned *count,
		    const struct change_audit *ev);

/*
 * A user revoking their own grant: one conditional update on the grant id
 * and the user id, so a grant of someone else is never touched.
 * GH_ERR_NOT_FOUND if `user_id` holds no live grant `grant_id`.
 */
enum gh_err	store_grant_revoke_own(struct store *s, const char *grant_id,
		    const char *user_id, const char *reason, int64_t now);
/*
 * Tokens issued and refreshed by a client per hour, from the audit log:
 * hour i covers [since + i*3600, since + (i+1)*3600), i < hours
 * (at most GH_MAX_ACTIVITY_HOURS). One grouped query.
 */
enum gh_err	store_client_activity(struct store *s, const char *client_id,
		    int64_t since, unsigned hours, unsigned *issued,
		    unsigned *refreshed);

/* administrators and their console sessions */
#include "store_admin.h"

/* text forms used by the store and the admin command */
const char     *client_status_name(enum client_status st);
const char     *client_auth_name(enum client_auth a);
bool		client_auth_parse(const char *s, enum client_auth *out);

#endif
