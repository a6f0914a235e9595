/*
 * store_admin.h - the part of the store interface (store.h, which
 * includes this) that holds the administrators of the admin API and
 * console and their sessions (sqlite_admin.c, pg_admin.c), and the
 * batched read of the app inventory that the admin API, the console and
 * the admin command rank (sqlite_gov.c, pg_gov.c).
 */
#ifndef GH_STORE_ADMIN_H
#define GH_STORE_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include "../util/err.h"
#include "../util/limits.h"

struct store;
struct change_audit;
struct client_row;
struct client_usage;

/*
 * Administrators of the admin API and console. Their
 * credential, like every secret, is stored only as its keyed hash; a
 * disabled admin's credential and console sessions stop working at once.
 */
struct admin_row {
	char		 name[GH_MAX_ADMIN_NAME + 1];
	uint8_t		 secret_hash[GH_HASH_BYTES];
	int64_t		 created_at;
	int64_t		 disabled_at;		/* 0: active */
	int64_t		 last_used_at;		/* 0: never */
};
/*
 * With its audit event `ev` (may be NULL) in the same transaction: if the
 * event cannot be stored, the admin is not created either (a credential
 * the trail does not show). GH_ERR_EXISTS, and no event, if the name is
 * taken.
 */
enum gh_err	store_admin_insert(struct store *s, const struct admin_row *a,
		    const struct change_audit *ev);
/* Any admin with this credential hash, active or not; touches last use. */
enum gh_err	store_admin_by_hash(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    struct admin_row *out);
enum gh_err	store_admin_each(struct store *s,
		    bool (*fn)(void *ctx, const struct admin_row *a), void *ctx);
/* GH_ERR_NOT_FOUND if there is no such active admin. */
enum gh_err	store_admin_disable(struct store *s, const char *name,
		    int64_t now);

/*
 * Removals of access made with their audit event `ev` (struct
 * change_audit, store.h; NULL: the change alone) in one transaction:
 * both or neither. A removal whose outcome is unknown (GH_ERR_IO: the
 * database failed after it was sent) is then never stored without its
 * event, and whoever finds it made finds its event in the trail too.
 * No event when nothing changed. Otherwise as the call each is named
 * after: store_grant_revoke (*count: grants revoked, given to ev's
 * describe), store_key_retire (GH_ERR_NOT_FOUND: no such key, or
 * retired already), store_admin_disable. (enum grant_scope: store.h,
 * which includes this file.)
 */
enum gh_err	store_grant_revoke_with_event(struct store *s,
		    enum grant_scope what, const char *id, const char *reason,
		    int64_t now, unsigned *count,
		    const struct change_audit *ev);
enum gh_err	store_key_retire_with_event(struct store *s, const char *kid,
		    int64_t now, const struct change_audit *ev);
enum gh_err	store_admin_disable_with_event(struct store *s,
		    const char *name, int64_t now,
		    const struct change_audit *ev);
/*
 * Console sessions, shared by every node through the store. Inserting one
 * also deletes a bounded batch of expired ones. _get finds only unexpired
 * sessions of an active admin and gives the admin's name.
 */
enum gh_err	store_admin_session_insert(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], const char *admin,
		    int64_t now, int64_t expires_at);
enum gh_err	store_admin_session_get(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES], int64_t now,
		    char admin[GH_MAX_ADMIN_NAME + 1]);
enum gh_err	store_admin_session_delete(struct store *s,
		    const uint8_t hash[GH_HASH_BYTES]);

/*
 * One batch of a walk over every client with its usage: up to `max`
 * clients with ids greater than `after` ("" for the first batch), in id
 * order, into rows[0..*n), and into usage[0..*n) what
 * store_client_usage() gives each (the same statements: the same
 * figures, lists, bounds and order; count_tokens alike). The next batch
 * starts after this one's last id. A batch costs three statements
 * whatever max, each reading the batch's clients by index; on
 * PostgreSQL two round trips in one snapshot, on SQLite one reader
 * (each statement its own snapshot: a grant changed between them may
 * show in the counts and not yet in the lists). rows and usage hold max
 * entries; *n is 0 when the call fails.
 */
enum gh_err	store_client_usage_batch(struct store *s, const char *after,
		    unsigned max, int64_t now, bool count_tokens,
		    struct client_row *rows, struct client_usage *usage,
		    unsigned *n);

/*
 * The token rate rule's counts (governance/gov.c), read from the audit
 * trail so that each node judges the whole cluster's traffic: one client's
 * token.issued and token.refreshed events per window of `width` seconds,
 * counts[i] for times in [since + i * width, since + (i + 1) * width),
 * i < n, of those before `before` (counts[] zeroed first). One grouped
 * read of the client's range of the (client_id, time) index, counted in
 * the database: no row is sent back per event. GH_ERR_INVALID if width
 * or n is 0.
 */
enum gh_err	store_token_windows(struct store *s, const char *client_id,
		    int64_t since, int64_t before, int64_t width, unsigned n,
		    uint32_t *counts);

#endif
