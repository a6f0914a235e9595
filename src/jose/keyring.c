/*
 * keyring.c - signing keys in memory, loaded from the store (keyring.h).
 *
 * A key past publication is not kept in the ring: a load leaves it out,
 * private half and all, and notes only its kid and alg for keyring_past().
 * Deleting it from the store is not ours to do: a deletion must be
 * audited in its own transaction, and audit events are governance's
 * (hygiene.c deletes them, a layer above this one).
 *
 * The ring is an array behind a read-write lock: signing and JWKS take the
 * read lock. A reload (every RELOAD_SECONDS, so `gatehouse keys rotate`
 * reaches a running server) reads the store with no lock of the ring
 * held, and takes the write lock only to swap the new keys in: a signer
 * may hold a store connection (a code is signed for inside its
 * redemption's transaction, store_code_take), so a reloader waiting for
 * a connection must never make signers wait for it. One thread reloads
 * at a time (reload_mu); the others sign with the ring as it is.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "keyring.h"
#include "../util/aead.h"
#include "../util/crypto.h"
#include "../util/json_text.h"
#include "../util/log.h"
#include "../util/str.h"

#define MAX_KEYS	GH_MAX_SIGNING_KEYS
#define RELOAD_SECONDS	5

struct ring_key {
	struct key_row	 row;
	cjose_jwk_t	*jwk;		/* private; NULL if not loadable */
	int64_t		 end;		/* stops signing at; 0: never */
};

struct keyring {
	pthread_rwlock_t lock;
	pthread_mutex_t	 reload_mu;	/* one reloader at a time */
	struct store	*store;
	uint8_t		 seal[AEAD_KEY_BYTES];
	int64_t		 publish_after;
	int64_t		 loaded_at;
	struct ring_key	 keys[MAX_KEYS];
	size_t		 n;
	struct key_id	 past[MAX_KEYS];	/* stored, past publication */
	size_t		 npast;
};

bool
jose_alg_supported(const char *alg)
{
	return strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0;
}

const char *
key_state_name(enum key_state st)
{
	switch (st) {
	case KEY_PUBLISHED:	return "published";
	case KEY_ACTIVE:	return "active";
	case KEY_RETIRED:	return "retired";
	case KEY_EXPIRED:	return "expired";
	}
	return "expired";
}

static int64_t
end_of(const struct key_row *k, int64_t next_activation)
{
	int64_t end = k->retire_at;

	if (next_activation && (end == 0 || next_activation < end))
		end = next_activation;
	return end;
}

enum key_state
keyring_state(const struct key_row *k, int64_t next_activation, int64_t now,
    int64_t publish_after)
{
	int64_t end = end_of(k, next_activation);

	if (now < k->activate_at)
		return KEY_PUBLISHED;
	if (end == 0 || now < end)
		return KEY_ACTIVE;
	return now < end + publish_after ? KEY_RETIRED : KEY_EXPIRED;
}

/*
 * The key that seals private keys. An error must stop its user: a key
 * sealed under whatever `out` held would be lost, published but never
 * again readable to sign with.
 */
static enum gh_err
seal_key(const uint8_t *server_key, size_t keylen,
    uint8_t out[AEAD_KEY_BYTES])
{
	static const char label[] = "gatehouse signing key seal v1";

	return crypto_hmac_sha256(server_key, keylen, label,
	    sizeof(label) - 1, out);
}

static void
ring_clear(struct keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++) {
		cjose_jwk_release(kr->keys[i].jwk);
		crypto_wipe(&kr->keys[i], sizeof(kr->keys[i]));
	}
	kr->n = 0;
}

static bool
collect(void *ctx, const struct key_row *k)
{
	struct keyring	*kr = ctx;
	struct ring_key	*rk;
	cjose_err	 err;
	char		*json;
	size_t		 n;

	/*
	 * Rows come oldest first. Past the cap the oldest key leaves the
	 * ring, not the newest: the key an operator just rotated to must
	 * sign. (Keys past publication count until the upkeep pass has
	 * deleted them with their events; the one dropped stays stored and
	 * is loaded again once they are gone.)
	 */
	if (kr->n >= MAX_KEYS) {
		log_kv(LOG_ERROR, "signing_keys_too_many", "dropped",
		    kr->keys[0].row.kid, "loaded", k->kid, NULL);
		cjose_jwk_release(kr->keys[0].jwk);
		crypto_wipe(&kr->keys[0], sizeof(kr->keys[0]));
		memmove(&kr->keys[0], &kr->keys[1],
		    (MAX_KEYS - 1) * sizeof(kr->keys[0]));
		kr->n--;
	}
	rk = &kr->keys[kr->n];
	memset(rk, 0, sizeof(*rk));
	rk->row = *k;
	memset(rk->row.private_sealed, 0, sizeof(rk->row.private_sealed));
	json = aead_open(kr->seal, k->kid, k->private_sealed, &n);
	if (json == NULL) {
		log_kv(LOG_ERROR, "signing_key_unreadable", "kid", k->kid,
		    NULL);
		return true;
	}
	rk->jwk = cjose_jwk_import(json, n, &err);
	crypto_wipe(json, n);
	free(json);
	kr->n++;
	return true;
}

/*
 * When a key takes over from the one before it: at its activation, but
 * never before every node has reloaded its ring once since the key was
 * made (each does so every RELOAD_SECONDS, on its own clock), so that no
 * node signs with a key another node does not publish yet or would not
 * accept in an id_token_hint. A rotation with a shorter lead waits.
 */
int64_t
keyring_signs_from(int64_t created_at, int64_t activate_at)
{
	int64_t seen = created_at + RELOAD_SECONDS + 1;

	return activate_at > seen ? activate_at : seen;
}

static int64_t
takes_over_at(const struct key_row *k)
{
	return keyring_signs_from(k->created_at, k->activate_at);
}

/* Each key stops signing when the next key of its alg takes over. */
static void
compute_ends(struct keyring *kr, int64_t now)
{
	size_t i, j;

	for (i = 0; i < kr->n; i++) {
		int64_t next = 0;

		for (j = i + 1; j < kr->n; j++)
			if (strcmp(kr->keys[j].row.alg,
			    kr->keys[i].row.alg) == 0 &&
			    takes_over_at(&kr->keys[j].row) <= now &&
			    kr->keys[j].row.retire_at == 0 &&
			    kr->keys[j].jwk != NULL) {
				next = takes_over_at(&kr->keys[j].row);
				break;
			}
		kr->keys[i].end = end_of(&kr->keys[i].row, next);
	}
}

static bool
past_publication(const struct keyring *kr, const struct ring_key *k,
    int64_t now)
{
	return k->end && k->end + kr->publish_after <= now;
}

/*
 * Keys past publication leave the ring (their ends computed with every
 * key, so the others' are as the store says): only their kid and alg
 * stay, in kr->past. Write lock held.
 */
static void
drop_past(struct keyring *kr, int64_t now)
{
	size_t i, kept = 0;

	kr->npast = 0;
	for (i = 0; i < kr->n; i++) {
		struct ring_key *k = &kr->keys[i];

		if (!past_publication(kr, k, now)) {
			if (kept != i) {
				kr->keys[kept] = *k;
				crypto_wipe(k, sizeof(*k));
			}
			kept++;
			continue;
		}
		str_copy(kr->past[kr->npast].kid, GH_ID_LEN, k->row.kid);
		str_copy(kr->past[kr->npast].alg, sizeof(kr->past[0].alg),
		    k->row.alg);
		kr->npast++;
		cjose_jwk_release(k->jwk);
		crypto_wipe(k, sizeof(*k));
	}
	kr->n = kept;
}

/*
 * Read the keys into a scratch ring, no lock held; only a complete read
 * replaces ours, under the write lock.
 */
static enum gh_err
load(struct keyring *kr, int64_t now)
{
	struct keyring	*tmp;
	enum gh_err	 rc;

	if ((tmp = calloc(1, sizeof(*tmp))) == NULL)
		return GH_ERR_NOMEM;
	memcpy(tmp->seal, kr->seal, sizeof(tmp->seal));
	rc = store_key_each(kr->store, collect, tmp);
	if (rc == GH_OK) {
		pthread_rwlock_wrlock(&kr->lock);
		ring_clear(kr);
		memcpy(kr->keys, tmp->keys, tmp->n * sizeof(tmp->keys[0]));
		kr->n = tmp->n;
		tmp->n = 0;	/* the jwks moved to kr */
		compute_ends(kr, now);
		drop_past(kr, now);
		pthread_rwlock_unlock(&kr->lock);
	} else {
		log_kv(LOG_ERROR, "signing_keys_reload_failed", "keeping",
		    "previous keys", NULL);
	}
	ring_clear(tmp);
	crypto_wipe(tmp, sizeof(*tmp));
	free(tmp);
	return rc;
}

/* reload_mu held. */
static enum gh_err
reload(struct keyring *kr, int64_t now)
{
	enum gh_err rc = load(kr, now);

	pthread_rwlock_wrlock(&kr->lock);
	kr->loaded_at = now;
	pthread_rwlock_unlock(&kr->lock);
	return rc;
}

enum gh_err
keyring_reload(struct keyring *kr, int64_t now)
{
	enum gh_err rc;

	pthread_mutex_lock(&kr->reload_mu);
	rc = reload(kr, now);
	pthread_mutex_unlock(&kr->reload_mu);
	return rc;
}

/* keyring_pin() is in force on this thread: no store reads. */
static __thread bool pinned;

/*
 * Take the read lock, reloading first when the ring is stale: unless
 * another thread is at it already, and there is a ring to sign with, or
 * this thread is pinned.
 */
static void
read_lock(struct keyring *kr, int64_t now)
{
	bool	stale, none;
	int	locked;

	pthread_rwlock_rdlock(&kr->lock);
	if (now - kr->loaded_at < RELOAD_SECONDS || pinned)
		return;
	none = kr->loaded_at == 0;
	pthread_rwlock_unlock(&kr->lock);
	locked = none ? pthread_mutex_lock(&kr->reload_mu) :
	    pthread_mutex_trylock(&kr->reload_mu);
	if (locked == 0) {
		pthread_rwlock_rdlock(&kr->lock);
		stale = now - kr->loaded_at >= RELOAD_SECONDS;
		pthread_rwlock_unlock(&kr->lock);
		if (stale)
			(void)reload(kr, now);
		pthread_mutex_unlock(&kr->reload_mu);
	}
	pthread_rwlock_rdlock(&kr->lock);
}

void
keyring_pin(struct keyring *kr, int64_t now)
{
	read_lock(kr, now);
	pthread_rwlock_unlock(&kr->lock);
	pinned = true;
}

void
keyring_unpin(void)
{
	pinned = false;
}

enum gh_err
keyring_open(struct store *s, const uint8_t *server_key, size_t keylen,
    int64_t publish_after, struct keyring **out)
{
	struct keyring	*kr;
	enum gh_err	 rc;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return GH_ERR_NOMEM;
	pthread_rwlock_init(&kr->lock, NULL);
	pthread_mutex_init(&kr->reload_mu, NULL);
	kr->store = s;
	kr->publish_after = publish_after;
	if ((rc = seal_key(server_key, keylen, kr->seal)) != GH_OK) {
		keyring_close(kr);
		return rc;
	}
	*out = kr;
	return GH_OK;
}

struct check {
	uint8_t	seal[AEAD_KEY_BYTES];
	size_t	stored;
	bool	opened;
};

/* One stored key: stop at the first that opens. */
static bool
check_one(void *ctx, const struct key_row *k)
{
	struct check	*c = ctx;
	char		*json;
	size_t		 n;

	c->stored++;
	if ((json = aead_open(c->seal, k->kid, k->private_sealed, &n)) ==
	    NULL)
		return true;
	crypto_wipe(json, n);
	free(json);
	c->opened = true;
	return false;
}

enum gh_err
keyring_check(struct store *s, const uint8_t *server_key, size_t keylen,
    size_t *stored)
{
	struct check	c;
	enum gh_err	rc;

	memset(&c, 0, sizeof(c));
	*stored = 0;
	if ((rc = seal_key(server_key, keylen, c.seal)) == GH_OK &&
	    (rc = store_key_each(s, check_one, &c)) == GH_OK)
		rc = c.stored == 0 || c.opened ? GH_OK : GH_ERR_INVALID;
	*stored = c.stored;
	crypto_wipe(&c, sizeof(c));
	return rc;
}

void
keyring_close(struct keyring *kr)
{
	if (kr == NULL)
		return;
	ring_clear(kr);
	crypto_wipe(kr->seal, sizeof(kr->seal));
	pthread_rwlock_destroy(&kr->lock);
	pthread_mutex_destroy(&kr->reload_mu);
	free(kr);
}

enum gh_err
keyring_make(const uint8_t *server_key, size_t keylen, const char *alg,
    int64_t now, int64_t activate_at, struct key_row *out)
{
	static const uint8_t	 e[] = { 0x01, 0x00, 0x01 };
	uint8_t			 raw[12], seal[AEAD_KEY_BYTES];
	cjose_jwk_t		*jwk = NULL;
	cjose_err		 err;
	char			 kid[GH_ID_LEN];
	char			*priv = NULL, *pub = NULL, *sealed = NULL;
	enum gh_err		 rc = GH_ERR_CRYPTO;
	unsigned long		 failed = json_mem_failures();

	memset(out, 0, sizeof(*out));
	if (!jose_alg_supported(alg))
		return GH_ERR_INVALID;
	if (crypto_random(raw, sizeof(raw)) != GH_OK)
		return GH_ERR_CRYPTO;
	/* the kid says the algorithm, for people reading a JWKS */
	memcpy(kid, alg, 5);
	kid[5] = '-';
	b64url_encode(raw, sizeof(raw), kid + 6);
	if (strcmp(alg, "RS256") == 0)
		jwk = cjose_jwk_create_RSA_random(2048, e, sizeof(e), &err);
	else
		jwk = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
	/* cjose writes JWKs with json_dumps: see keyring_sign */
	if (jwk == NULL || !cjose_jwk_set_kid(jwk, kid, strlen(kid), &err) ||
	    (priv = cjose_jwk_to_json(jwk, true, &err)) == NULL ||
	    (pub = cjose_jwk_to_json(jwk, false, &err)) == NULL ||
	    json_mem_failures() != failed)
		goto out;
	if (seal_key(server_key, keylen, seal) == GH_OK)
		sealed = aead_seal(seal, kid, priv, strlen(priv));
	crypto_wipe(seal, sizeof(seal));
	if (sealed == NULL)
		goto out;
	rc = GH_ERR_LIMIT;
	if (!str_copy(out->kid, sizeof(out->kid), kid) ||
	    !str_copy(out->alg, sizeof(out->alg), alg) ||
	    !str_copy(out->private_sealed, sizeof(out->private_sealed),
	    sealed) ||
	    !str_copy(out->public_jwk, sizeof(out->public_jwk), pub))
		goto out;
	out->created_at = now;
	out->activate_at = activate_at;
	rc = GH_OK;
out:
	if (rc != GH_OK)
		crypto_wipe(out, sizeof(*out));
	if (priv) {
		crypto_wipe(priv, strlen(priv));
		free(priv);
	}
	free(pub);
	free(sealed);
	cjose_jwk_release(jwk);
	return rc;
}

enum gh_err
keyring_generate(struct store *s, const uint8_t *server_key, size_t keylen,
    const char *alg, int64_t now, int64_t activate_at, char kid[GH_ID_LEN])
{
	struct key_row	*k;
	enum gh_err	 rc;

	if ((k = malloc(sizeof(*k))) == NULL)
		return GH_ERR_NOMEM;
	if ((rc = keyring_make(server_key, keylen, alg, now, activate_at,
	    k)) == GH_OK) {
		memcpy(kid, k->kid, GH_ID_LEN);
		rc = store_key_insert(s, k, NULL);
	}
	crypto_wipe(k, sizeof(*k));
	free(k);
	return rc;
}

/* The key that signs for `alg` now: the newest activated, unretired one. */
static const struct ring_key *
signing_key(const struct keyring *kr, const char *alg, int64_t now)
{
	const struct ring_key	*best = NULL, *settled = NULL;
	size_t			 i;

	for (i = 0; i < kr->n; i++) {
		const struct ring_key *k = &kr->keys[i];

		if (k->jwk == NULL || strcmp(k->row.alg, alg) != 0 ||
		    k->row.activate_at > now || (k->end && now >= k->end))
			continue;
		best = k;
		if (takes_over_at(&k->row) <= now)
			settled = k;
	}
	/* a key not yet taken over from signs on; a first key at once */
	return settled ? settled : best;
}

char *
keyring_sign(struct keyring *kr, const char *alg, const char *typ,
    const char *payload, int64_t now)
{
	const struct ring_key	*k;
	cjose_header_t		*hdr = NULL;
	cjose_jws_t		*jws = NULL;
	cjose_err		 err;
	const char		*compact = NULL;
	char			*out = NULL;
	unsigned long		 failed = json_mem_failures();

	if (!jose_alg_supported(alg))
		return NULL;
	read_lock(kr, now);
	if ((k = signing_key(kr, alg, now)) == NULL)
		goto out;
	if ((hdr = cjose_header_new(&err)) == NULL ||
	    !cjose_header_set(hdr, CJOSE_HDR_ALG, alg, &err) ||
	    !cjose_header_set(hdr, CJOSE_HDR_KID, k->row.kid, &err) ||
	    !cjose_header_set(hdr, "typ", typ, &err))
		goto out;
	jws = cjose_jws_sign(k->jwk, hdr, (const uint8_t *)payload,
	    strlen(payload), &err);
	/*
	 * cjose writes the header with json_dumps, which out of memory can
	 * leave a key out and still succeed: a failed jansson allocation
	 * while signing, and the JWS is not used (json_text.h).
	 */
	if (jws && cjose_jws_export(jws, &compact, &err) &&
	    json_mem_failures() == failed)
		out = str_dup(compact);
	/* cjose's copy, freed with the JWS: it may be an access token */
	if (jws && compact != NULL)
		crypto_wipe((void *)(uintptr_t)compact, strlen(compact));
out:
	pthread_rwlock_unlock(&kr->lock);
	cjose_jws_release(jws);
	cjose_header_release(hdr);
	if (out == NULL)
		log_kv(LOG_ERROR, "signing_failed", "alg", alg, NULL);
	return out;
}

char *
keyring_jwks(struct keyring *kr, int64_t now)
{
	json_t	*keys = json_array(), *doc, *k;
	char	*out = NULL;
	size_t	 i;

	if (keys == NULL)
		return NULL;
	read_lock(kr, now);
	/*
	 * Every published key or no document: a JWKS short of a key is
	 * cached by relying parties, which then refuse what it signs.
	 */
	for (i = 0; keys && i < kr->n; i++) {
		const struct ring_key *rk = &kr->keys[i];

		if (past_publication(kr, rk, now))
			continue;	/* since the last load */
		k = json_parse(rk->row.public_jwk, 0, NULL);
		k = json_with(k, "use", json_string("sig"));
		k = json_with(k, "alg", json_string(rk->row.alg));
		if (json_array_append_new(keys, k) != 0) {
			json_decref(keys);
			keys = NULL;
		}
	}
	pthread_rwlock_unlock(&kr->lock);
	if ((doc = json_pack("{s:o}", "keys", keys)) != NULL) {
		out = json_text(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(doc);
	}
	return out;
}

size_t
keyring_past(struct keyring *kr, int64_t now, struct key_id *out,
    size_t max)
{
	size_t i, n = 0;

	read_lock(kr, now);
	for (i = 0; i < kr->npast && n < max; i++)
		out[n++] = kr->past[i];
	/* and those that passed publication since the last load */
	for (i = 0; i < kr->n && n < max; i++)
		if (past_publication(kr, &kr->keys[i], now)) {
			str_copy(out[n].kid, GH_ID_LEN, kr->keys[i].row.kid);
			str_copy(out[n].alg, sizeof(out[n].alg),
			    kr->keys[i].row.alg);
			n++;
		}
	pthread_rwlock_unlock(&kr->lock);
	return n;
}
