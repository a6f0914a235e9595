/*
 * store_admin.h - the part of the store interface (store.h, which
 * includes this) that holds the administrators of the admin API and
 * console and their sessions (sqlite_admin.c, pg_admin.c).
 */
#ifndef GH_STORE_ADMIN_H
#define GH_STORE_ADMIN_H

#include <stdbool.h>
#include <stdint.h>
#include "../util/err.h"
#include "../util/limits.h"

struct store;
struct change_audit;

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

#endif
