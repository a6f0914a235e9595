/*
 * keyring.h - the signing keys, and the only way to sign (src/jose/ is the
 * only user of cjose).
 *
 * Key life: a key is created with an activation time. Until then it is
 * only published in the JWKS (so relying parties can fetch it before it
 * signs anything); from then on it signs, until a newer key of the same
 * algorithm activates or it is retired. A key that no longer signs stays
 * published for `publish_after_seconds` (the longest lifetime of anything
 * it signed); past that the ring forgets it, private half included, and
 * the server's upkeep pass deletes it from the store with a "key.deleted"
 * audit event (governance/hygiene.c, via keyring_past()).
 *
 * Private keys are stored sealed with AES-256-GCM under a key derived
 * from the server key, bound to their kid; they are never logged.
 */
#ifndef GH_KEYRING_H
#define GH_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../store/store.h"

struct keyring;

enum key_state { KEY_PUBLISHED, KEY_ACTIVE, KEY_RETIRED, KEY_EXPIRED };

/* RS256 and ES256 only: the allowlist for everything we sign. */
bool		jose_alg_supported(const char *alg);

enum gh_err	keyring_open(struct store *s, const uint8_t *server_key,
		    size_t keylen, int64_t publish_after_seconds,
		    struct keyring **out);
void		keyring_close(struct keyring *kr);
/*
 * Whether server_key is the key the stored signing keys were sealed
 * under: GH_OK when no key is stored or at least one of them opens with
 * it; GH_ERR_INVALID when keys are stored and none opens (a key file
 * that belongs to another database, or a new one made after the right
 * one was lost). *stored receives how many keys were read (up to the
 * first that opens). Nothing is written; a key that does not open while
 * another does is left to the ring (it logs signing_key_unreadable).
 */
enum gh_err	keyring_check(struct store *s, const uint8_t *server_key,
		    size_t keylen, size_t *stored);
/*
 * Re-read the keys (the server does this every few seconds by itself). It
 * only reads: keys past publication are left out of the ring, never
 * deleted here (see keyring_past()).
 */
enum gh_err	keyring_reload(struct keyring *kr, int64_t now);
/*
 * Before signing while this thread holds a store connection (inside
 * store_code_take or store_refresh_take, whose callbacks must not call
 * the store): re-read the keys now if they are due, then sign with them
 * as they are, without re-reading, until keyring_unpin().
 */
void		keyring_pin(struct keyring *kr, int64_t now);
void		keyring_unpin(void);

/*
 * A new key of `alg` that starts signing at `activate_at`, its private
 * half sealed, into *out (its kid in out->kid), for the store: nothing
 * is stored here. Commands store keys with their key.created events
 * (cli/common.c cli_keys_create). *out is wiped on failure; the caller
 * wipes it after use.
 */
enum gh_err	keyring_make(const uint8_t *server_key, size_t keylen,
		    const char *alg, int64_t now, int64_t activate_at,
		    struct key_row *out);
/*
 * Make a key and store it with no event: for tests and fuzz targets.
 * kid receives its kid.
 */
enum gh_err	keyring_generate(struct store *s, const uint8_t *server_key,
		    size_t keylen, const char *alg, int64_t now,
		    int64_t activate_at, char kid[GH_ID_LEN]);
/* State of a stored key at `now`, given all keys (for `keys list`). */
enum key_state	keyring_state(const struct key_row *k,
		    int64_t next_activation, int64_t now,
		    int64_t publish_after_seconds);
const char     *key_state_name(enum key_state st);

/*
 * The stored keys past publication at `now`, by the ring's own view (the
 * publication window it was opened with, and the ends it computed: a
 * successor it cannot open ends no key), re-read first if due: the keys
 * to delete from the store. Up to `max` into `out`; returns how many.
 * A key deleted since the last reload may still be listed.
 */
struct key_id {
	char	kid[GH_ID_LEN];
	char	alg[8];
};
size_t		keyring_past(struct keyring *kr, int64_t now,
		    struct key_id *out, size_t max);

/*
 * When a key made at created_at to activate at activate_at starts to sign
 * in place of the key before it: its activation, but not sooner than every
 * server's ring has reloaded once since it was made (each reloads every
 * 5 s on its own), so that no node signs with a key another node does
 * not yet publish. A first key of its alg signs at once.
 */
int64_t		keyring_signs_from(int64_t created_at, int64_t activate_at);
/*
 * Sign `payload` (a JSON object text) as a JWS with the active key of
 * `alg`; `typ` goes in the header ("JWT", "at+jwt"). Returns the compact
 * serialisation (malloc'd) or NULL when no key of `alg` is active.
 */
char	       *keyring_sign(struct keyring *kr, const char *alg,
		    const char *typ, const char *payload, int64_t now);
/*
 * The published public keys as a JWKS document (malloc'd), or NULL:
 * never a document short of a key.
 */
char	       *keyring_jwks(struct keyring *kr, int64_t now);

#endif
