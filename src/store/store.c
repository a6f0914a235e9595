/*
 * store.c - picks a backend from the database URL and forwards the calls
 * of store.h to it. Nothing here knows SQL.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "store_impl.h"
#include "../util/buf.h"
#include "../util/crypto.h"
#include "../util/str.h"

static bool
is_postgres(const char *url)
{
	return strncmp(url, "postgres://", 11) == 0 ||
	    strncmp(url, "postgresql://", 13) == 0;
}

static enum gh_err
open_url(const char *url, bool serve, struct store **out)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return sqlite_store_open(url + 7, serve, out);
	if (is_postgres(url))
		return pg_store_open(url, serve, out);
	/* another scheme is a mistake, not a file name */
	if (strstr(url, "://") != NULL)
		return GH_ERR_INVALID;
	return sqlite_store_open(url, serve, out);
}

enum gh_err
store_open(const char *url, struct store **out)
{
	return open_url(url, true, out);
}

enum gh_err
store_open_admin(const char *url, struct store **out)
{
	return open_url(url, false, out);
}

bool
store_is_url(const char *database)
{
	return strncmp(database, "sqlite:", 7) == 0 ||
	    strstr(database, "://") != NULL;
}

void
store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

void
store_defer_begin(struct store *s)
{
	if (s->ops->defer_begin)
		s->ops->defer_begin(s);
}

enum gh_err
store_defer_end(struct store *s)
{
	return s->ops->defer_end ? s->ops->defer_end(s) : GH_OK;
}

enum gh_err
store_defer_detach(struct store *s, struct store_wait **w)
{
	*w = NULL;
	if (s->ops->defer_detach == NULL)
		return store_defer_end(s);
	return s->ops->defer_detach(s, w);
}

void
store_wait_watch(struct store_wait *w, void (*wake)(void *), void *arg)
{
	w->watch(w, wake, arg);
}

enum gh_err
store_wait_end(struct store_wait *w)
{
	return w->end(w);
}

bool
store_durable(struct store *s)
{
	return s->ops->durable ? s->ops->durable(s) : true;
}

void
store_lazy(struct store *s, bool on)
{
	if (s->ops->lazy)
		s->ops->lazy(s, on);
}

#define FWD(name, params, args) \
	enum gh_err store_##name params { return s->ops->name args; }

FWD(client_insert, (struct store *s, const struct client_row *c,
    const struct change_audit *ev), (s, c, ev))
FWD(client_get, (struct store *s, const char *id, struct client_row *o),
    (s, id, o))
FWD(client_each, (struct store *s,
    bool (*fn)(void *, const struct client_row *), void *ctx), (s, fn, ctx))
FWD(client_set_status, (struct store *s, const char *id,
    enum client_status from, enum client_status to, int64_t now,
    const struct change_audit *ev), (s, id, from, to, now, ev))
FWD(client_set_secret, (struct store *s, const char *id,
    const uint8_t hash[GH_HASH_BYTES], int64_t now), (s, id, hash, now))
FWD(grant_each, (struct store *s, const char *cid, const char *uid,
    bool (*fn)(void *, const struct grant_row *), void *ctx),
    (s, cid, uid, fn, ctx))
FWD(grant_revoke, (struct store *s, enum grant_scope what, const char *id,
    const char *reason, int64_t now, unsigned *count),
    (s, what, id, reason, now, count))
FWD(client_quarantine, (struct store *s, const char *id,
    const uint8_t hash[GH_HASH_BYTES], const char *reason, int64_t now,
    unsigned *grants, struct alert_row *alert),
    (s, id, hash, reason, now, grants, alert))
FWD(user_insert, (struct store *s, const struct user_row *u,
    const struct change_audit *ev), (s, u, ev))
FWD(user_by_name, (struct store *s, const char *n, struct user_row *o),
    (s, n, o))
FWD(user_get, (struct store *s, const char *id, struct user_row *o),
    (s, id, o))
FWD(user_each, (struct store *s,
    bool (*fn)(void *, const struct user_row *), void *ctx), (s, fn, ctx))
FWD(user_set_status, (struct store *s, const char *id, enum user_status st,
    int64_t now, const struct change_audit *ev), (s, id, st, now, ev))
FWD(user_set_password, (struct store *s, const char *id, const char *h,
    int64_t now, const struct change_audit *ev), (s, id, h, now, ev))
FWD(user_set_profile, (struct store *s, const char *id, const char *name,
    const char *email, bool verified, int64_t now,
    const struct change_audit *ev), (s, id, name, email, verified, now, ev))
FWD(key_each, (struct store *s, bool (*fn)(void *, const struct key_row *),
    void *ctx), (s, fn, ctx))
FWD(key_retire, (struct store *s, const char *kid, int64_t now),
    (s, kid, now, NULL))
FWD(key_delete, (struct store *s, const char *kid,
    const struct change_audit *ev), (s, kid, ev))
FWD(session_insert, (struct store *s, const struct session_row *r,
    const char *password_hash, const uint8_t *replaces),
    (s, r, password_hash, replaces))
FWD(session_get, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, struct session_row *o), (s, hash, now, o))
FWD(session_delete, (struct store *s, const uint8_t hash[GH_HASH_BYTES]),
    (s, hash))

/* the bounds of every keys insert: 1 to GH_MAX_NEW_KEYS */
static enum gh_err
keys_insert(struct store *s, const struct key_row *k,
    const struct change_audit *ev, size_t n, bool first)
{
	if (n == 0 || n > GH_MAX_NEW_KEYS)
		return GH_ERR_INVALID;
	return s->ops->keys_insert(s, k, ev, n, first);
}

enum gh_err
store_keys_insert(struct store *s, const struct key_row *k,
    const struct change_audit *ev, size_t n)
{
	return keys_insert(s, k, ev, n, false);
}

enum gh_err
store_key_insert(struct store *s, const struct key_row *k,
    const struct change_audit *ev)
{
	return keys_insert(s, k, ev, 1, false);
}

enum gh_err
store_keys_insert_first(struct store *s, const struct key_row *k,
    const struct change_audit *ev, size_t n)
{
	return keys_insert(s, k, ev, n, true);
}

enum gh_err
store_session_grant(struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, const char *client_id, struct session_row *out,
    struct grant_row *g, bool *have_grant)
{
	enum gh_err rc;

	*have_grant = false;
	if (s->ops->session_grant != NULL)
		return s->ops->session_grant(s, hash, now, client_id, out, g,
		    have_grant);
	if ((rc = store_session_get(s, hash, now, out)) != GH_OK)
		return rc;
	rc = store_grant_find(s, out->user_id, client_id, g);
	*have_grant = rc == GH_OK;
	return rc == GH_ERR_NOT_FOUND ? GH_OK : rc;
}

FWD(grant_upsert, (struct store *s, const char *u, const char *c,
    const char *scope, int64_t now, struct grant_row *o),
    (s, u, c, scope, now, o))
FWD(grant_find, (struct store *s, const char *u, const char *c,
    struct grant_row *o), (s, u, c, o))
FWD(grant_get, (struct store *s, const char *id, struct grant_row *o),
    (s, id, o))
FWD(code_insert, (struct store *s, const struct code_row *r), (s, r))
FWD(code_get, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    struct code_row *o), (s, hash, o))
FWD(code_redeem, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, const struct family_row *f, const struct token_row *t,
    size_t n), (s, hash, now, f, t, n))

enum gh_err
store_code_take(struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, enum gh_err (*take)(void *, const struct code_row *,
    struct code_take *), void *ctx, struct code_row *out)
{
	struct code_take	rec;
	enum gh_err		rc;

	if (s->ops->code_take != NULL)
		return s->ops->code_take(s, hash, now, take, ctx, out);
	if ((rc = store_code_get(s, hash, out)) != GH_OK)
		return rc;
	if (out->consumed || out->expires_at <= now)
		return GH_ERR_CONFLICT;
	memset(&rec, 0, sizeof(rec));
	if ((rc = take(ctx, out, &rec)) != GH_OK)
		return rc;
	rc = store_code_redeem(s, hash, now, rec.fam, rec.tokens,
	    rec.ntokens);
	/* lost a race, or it expired meanwhile: report the row as it is */
	if (rc == GH_ERR_CONFLICT || rc == GH_ERR_NOT_FOUND)
		rc = store_code_get(s, hash, out) == GH_OK ?
		    GH_ERR_CONFLICT : GH_ERR_STORE;
	return rc;
}

enum gh_err
store_refresh_take(struct store *s, const uint8_t hash[GH_HASH_BYTES],
    const char *client_id, int64_t now, enum gh_err (*take)(void *,
    const struct token_row *, struct refresh_take *), void *ctx,
    struct token_row *out)
{
	struct refresh_take	rec;
	enum gh_err		rc;

	if (s->ops->refresh_take != NULL)
		return s->ops->refresh_take(s, hash, client_id, now, take, ctx,
		    out);
	if ((rc = store_token_live(s, hash, now, out)) != GH_OK)
		return rc;
	if (out->kind != TOKEN_REFRESH || strcmp(out->client_id,
	    client_id) != 0)
		return GH_ERR_NOT_FOUND;
	memset(&rec, 0, sizeof(rec));
	if ((rc = take(ctx, out, &rec)) != GH_OK)
		return rc;
	rc = store_refresh_exchange(s, hash, client_id, now, rec.next,
	    rec.nnext);
	/* a racing use won, or it expired meanwhile */
	return rc == GH_ERR_CONFLICT ? GH_ERR_NOT_FOUND : rc;
}

FWD(family_revoke_by_code, (struct store *s,
    const uint8_t hash[GH_HASH_BYTES], int64_t now, const char *why),
    (s, hash, now, why))
FWD(token_live, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, struct token_row *o), (s, hash, now, o))
FWD(token_get, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    struct token_row *o, bool *rotated), (s, hash, o, rotated))
FWD(refresh_exchange, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    const char *cid, int64_t now, struct token_row *next, size_t n),
    (s, hash, cid, now, next, n))
FWD(token_revoke, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now), (s, hash, now))
FWD(family_revoke, (struct store *s, const char *id, int64_t now,
    const char *why), (s, id, now, why))
FWD(purge, (struct store *s, int64_t now, int64_t keep, int64_t alert_keep,
    unsigned batch, unsigned *deleted), (s, now, keep, alert_keep, batch,
    deleted))
FWD(jti_use, (struct store *s, const char *cid,
    const uint8_t jti_hash[GH_HASH_BYTES], int64_t exp, int64_t now),
    (s, cid, jti_hash, exp, now))
FWD(audit_append, (struct store *s, const struct audit_row *r), (s, r))
FWD(audit_each, (struct store *s, int64_t after, unsigned limit,
    bool (*fn)(void *, const struct audit_row *), void *ctx),
    (s, after, limit, fn, ctx))
FWD(alert_raise, (struct store *s, struct alert_row *a, int64_t quiet,
    bool *raised), (s, a, quiet, raised))
FWD(alert_each, (struct store *s, bool open_only, const char *cid,
    unsigned limit, bool (*fn)(void *, const struct alert_row *),
    void *ctx), (s, open_only, cid, limit, fn, ctx))
FWD(alert_count, (struct store *s, bool open_only, const char *cid,
    int64_t *n), (s, open_only, cid, n))
FWD(alert_ack, (struct store *s, int64_t id, const char *by, int64_t now),
    (s, id, by, now))
FWD(alert_claim, (struct store *s, int64_t now, int64_t since,
    int64_t lease, unsigned limit,
    bool (*fn)(void *, const struct alert_row *), void *ctx),
    (s, now, since, lease, limit, fn, ctx))
FWD(alert_delivery, (struct store *s, int64_t id, bool ok, int64_t now,
    int64_t next), (s, id, ok, now, next))
FWD(grant_sighting, (struct store *s, const char *gid, const char *kind,
    const char *value, int64_t now, enum sighting *out),
    (s, gid, kind, value, now, out))
FWD(client_ids, (struct store *s, const char *after, unsigned max,
    char (*ids)[GH_MAX_CLIENT_ID_LEN], unsigned *n), (s, after, max, ids, n))
FWD(client_usage, (struct store *s, const char *cid, int64_t now,
    bool count_tokens, struct client_usage *out),
    (s, cid, now, count_tokens, out))
FWD(client_usage_batch, (struct store *s, const char *after, unsigned max,
    int64_t now, bool count_tokens, struct client_row *rows,
    struct client_usage *usage, unsigned *n),
    (s, after, max, now, count_tokens, rows, usage, n))
FWD(audit_of_client, (struct store *s, const char *cid, int64_t since,
    unsigned limit, bool (*fn)(void *, const struct audit_row *),
    void *ctx), (s, cid, since, limit, fn, ctx))
FWD(audit_head, (struct store *s, int64_t *seq,
    uint8_t hash[GH_HASH_BYTES]), (s, seq, hash))
FWD(audit_base, (struct store *s, struct audit_base *o), (s, o))

enum gh_err
store_audit_prune(struct store *s, struct audit_prune *p,
    const struct change_audit *ev)
{
	p->through_seq = 0;
	p->events = 0;
	p->stopped_seq = 0;
	/* a prune no event records would read as a deletion */
	if (ev == NULL || p->batch == 0)
		return GH_ERR_INVALID;
	return s->ops->audit_prune(s, p, ev);
}

FWD(grant_expire_unused, (struct store *s, int64_t before, int64_t now,
    unsigned *count, const struct change_audit *ev),
    (s, before, now, count, ev))
FWD(admin_insert, (struct store *s, const struct admin_row *a,
    const struct change_audit *ev), (s, a, ev))
FWD(admin_by_hash, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, struct admin_row *o), (s, hash, now, o))
FWD(admin_each, (struct store *s,
    bool (*fn)(void *, const struct admin_row *), void *ctx), (s, fn, ctx))
FWD(admin_disable, (struct store *s, const char *name, int64_t now),
    (s, name, now, NULL))
FWD(admin_session_insert, (struct store *s,
    const uint8_t hash[GH_HASH_BYTES], const char *admin, int64_t now,
    int64_t expires), (s, hash, admin, now, expires))
FWD(admin_session_get, (struct store *s, const uint8_t hash[GH_HASH_BYTES],
    int64_t now, char admin[GH_MAX_ADMIN_NAME + 1]), (s, hash, now, admin))
FWD(admin_session_delete, (struct store *s,
    const uint8_t hash[GH_HASH_BYTES]), (s, hash))
FWD(grant_revoke_own, (struct store *s, const char *gid, const char *uid,
    const char *reason, int64_t now), (s, gid, uid, reason, now))
FWD(client_activity, (struct store *s, const char *cid, int64_t since,
    unsigned hours, unsigned *issued, unsigned *refreshed),
    (s, cid, since, hours, issued, refreshed))

/* removals of access with their event (store_admin.h) */
FWD(grant_revoke_with_event, (struct store *s, enum grant_scope what,
    const char *id, const char *reason, int64_t now, unsigned *count,
    const struct change_audit *ev), (s, what, id, reason, now, count, ev))

enum gh_err
store_key_retire_with_event(struct store *s, const char *kid, int64_t now,
    const struct change_audit *ev)
{
	return s->ops->key_retire(s, kid, now, ev);
}

enum gh_err
store_admin_disable_with_event(struct store *s, const char *name,
    int64_t now, const struct change_audit *ev)
{
	return s->ops->admin_disable(s, name, now, ev);
}

enum gh_err
store_token_windows(struct store *s, const char *client_id, int64_t since,
    int64_t before, int64_t width, unsigned n, uint32_t *counts)
{
	if (n > 0)
		memset(counts, 0, n * sizeof(*counts));
	if (width <= 0 || n == 0)
		return GH_ERR_INVALID;
	if (before <= since)
		return GH_OK;
	/* nothing after the last window: the backends count only i < n */
	if ((before - since) / width >= (int64_t)n)
		before = since + (int64_t)n * width;
	return s->ops->token_windows(s, client_id, since, before, width, n,
	    counts);
}

void
store_set_audit_key(struct store *s, const uint8_t key[GH_HASH_BYTES])
{
	s->ops->set_audit_key(s, key);
}

/*
 * Length-prefixed fields ("LEN:VALUE;", "-1:;" for none), so no two
 * different events serialise alike. Fed to the HMAC piece by piece: the
 * serialisation is never built in memory.
 */
static enum gh_err
put_field(struct crypto_hmac *h, const char *v)
{
	char	digits[24];
	size_t	n, len, at = sizeof(digits);

	if (v == NULL)
		return crypto_hmac_update(h, "-1:;", 4);
	/* the length in decimal, written backwards (a printf per field cost
	 * as much as the HMAC) */
	digits[--at] = ':';
	len = n = strlen(v);
	do {
		digits[--at] = (char)('0' + len % 10);
		len /= 10;
	} while (len > 0);
	if (crypto_hmac_update(h, digits + at, sizeof(digits) - at) != GH_OK ||
	    crypto_hmac_update(h, v, n) != GH_OK)
		return GH_ERR_CRYPTO;
	return crypto_hmac_update(h, ";", 1);
}

enum gh_err
audit_chain_hash(const uint8_t key[GH_HASH_BYTES],
    const uint8_t prev[GH_HASH_BYTES], const struct audit_row *r,
    uint8_t out[GH_HASH_BYTES])
{
	const char		*f[8] = { r->type, r->actor, r->client_id,
				    r->user_id, r->grant_id, r->remote_addr,
				    r->user_agent, r->detail };
	struct crypto_hmac	 h;
	char			 head[48];
	enum gh_err		 rc;
	size_t			 i;
	int			 n;

	/* a failed HMAC would be a wrong hash: none is given */
	memset(out, 0, GH_HASH_BYTES);
	n = snprintf(head, sizeof(head), "%lld;%lld;", (long long)r->seq,
	    (long long)r->time);
	if (n <= 0 || (size_t)n >= sizeof(head))
		return GH_ERR_INVALID;
	if ((rc = crypto_hmac_begin(&h, key, GH_HASH_BYTES)) != GH_OK)
		return rc;
	if ((rc = crypto_hmac_update(&h, prev, GH_HASH_BYTES)) == GH_OK)
		rc = crypto_hmac_update(&h, head, (size_t)n);
	for (i = 0; i < 8 && rc == GH_OK; i++)
		rc = put_field(&h, f[i]);
	if (rc != GH_OK) {
		crypto_hmac_abort(&h);
		return rc;
	}
	if ((rc = crypto_hmac_end(&h, out)) != GH_OK)
		memset(out, 0, GH_HASH_BYTES);
	return rc;
}

void
store_change_event(const struct change_audit *ev, unsigned changed,
    struct audit_row *out)
{
	*out = *ev->row;
	if (ev->describe != NULL)
		ev->describe(ev->ctx, changed, out);
}

enum gh_err
audit_base_mac(const uint8_t key[GH_HASH_BYTES], int64_t seq,
    const uint8_t hash[GH_HASH_BYTES], uint8_t out[GH_HASH_BYTES])
{
	static const char	label[] = "gatehouse audit base v1;";
	uint8_t			msg[sizeof(label) + 24 + GH_HASH_BYTES];
	int			n;

	n = snprintf((char *)msg, sizeof(msg), "%s%lld;", label,
	    (long long)seq);
	if (n < 0 || (size_t)n + GH_HASH_BYTES > sizeof(msg))
		return GH_ERR_LIMIT;
	memcpy(msg + n, hash, GH_HASH_BYTES);
	return crypto_hmac_sha256(key, GH_HASH_BYTES, msg,
	    (size_t)n + GH_HASH_BYTES, out);
}

/*
 * A base past seq 0 is taken only with its MAC: someone with the database
 * but not the key who deleted the oldest events and moved the base to fit
 * would otherwise have the next prune delete the rest of the evidence
 * after it and record a prune that vouches for the whole gap. An
 * untrusted base stops the walk at once, before the first event after it
 * (store_prune_step), for `audit verify` to report.
 */
enum gh_err
store_prune_begin(struct prune_walk *w, const uint8_t *key, int64_t before,
    const struct audit_base *b)
{
	uint8_t		mac[GH_HASH_BYTES];
	enum gh_err	rc;

	memset(w, 0, sizeof(*w));
	w->key = key;
	w->before = before;
	w->seq = b->seq;
	memcpy(w->hash, b->hash, GH_HASH_BYTES);
	if (b->seq == 0)
		return GH_OK;
	if ((rc = audit_base_mac(key, b->seq, b->hash, mac)) != GH_OK)
		return rc;
	w->untrusted = !b->has_mac || !crypto_ct_eq(mac, GH_HASH_BYTES,
	    b->mac, GH_HASH_BYTES);
	return GH_OK;
}

/*
 * Checked as `audit verify` checks the chain: an event that does not
 * follow the last one taken (a gap, or one put back) or whose hash is
 * not its own (an edit: a time moved back, say) stops the prune.
 */
bool
store_prune_step(void *ctx, const struct audit_row *r)
{
	struct prune_walk	*w = ctx;
	uint8_t			 h[GH_HASH_BYTES];

	if (r->time >= w->before)
		return false;
	if (w->untrusted || r->seq != w->seq + 1 ||
	    !crypto_ct_eq(r->prev_hash, GH_HASH_BYTES, w->hash,
	    GH_HASH_BYTES)) {
		w->stopped = r->seq;
		return false;
	}
	if ((w->rc = audit_chain_hash(w->key, r->prev_hash, r, h)) != GH_OK)
		return false;
	if (!crypto_ct_eq(h, GH_HASH_BYTES, r->hash, GH_HASH_BYTES)) {
		w->stopped = r->seq;
		return false;
	}
	w->seq = r->seq;
	memcpy(w->hash, r->hash, GH_HASH_BYTES);
	w->n++;
	return true;
}

bool
store_prune_took(const struct prune_walk *w, struct audit_prune *p,
    const struct change_audit *ev, struct audit_row *r)
{
	p->stopped_seq = w->stopped;
	p->through_seq = w->n > 0 ? w->seq : 0;
	p->events = w->n;
	if (w->n == 0)
		return false;
	store_change_event(ev, w->n, r);
	return true;
}

enum client_status
store_client_status_parse(const char *s)
{
	if (strcmp(s, "active") == 0)
		return CLIENT_ACTIVE;
	if (strcmp(s, "quarantined") == 0)
		return CLIENT_QUARANTINED;
	return CLIENT_DISABLED;
}

void
store_join_redirects(const struct client_row *c, char *out, size_t outsz)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < c->nredirect; i++) {
		size_t l = strlen(c->redirect_uris[i]);

		if (n + l + 2 > outsz)
			break;
		if (i)
			out[n++] = '\n';
		memcpy(out + n, c->redirect_uris[i], l + 1);
		n += l;
	}
}

void
client_row_clear(struct client_row *c)
{
	memset(c, 0, offsetof(struct client_row, networks));
	c->networks[0] = '\0';
	c->jwks[0] = '\0';
	c->redirect_uris[0][0] = '\0';
}

void
store_split_redirects(const char *s, struct client_row *c)
{
	c->nredirect = 0;
	while (*s && c->nredirect < GH_MAX_REDIRECTS) {
		size_t l = strcspn(s, "\n");

		if (l > 0 && l < GH_MAX_REDIRECT_LEN) {
			memcpy(c->redirect_uris[c->nredirect], s, l);
			c->redirect_uris[c->nredirect][l] = '\0';
			c->nredirect++;
		}
		s += l;
		if (*s == '\n')
			s++;
	}
}

const char *
client_status_name(enum client_status st)
{
	switch (st) {
	case CLIENT_ACTIVE:		return "active";
	case CLIENT_DISABLED:		return "disabled";
	case CLIENT_QUARANTINED:	return "quarantined";
	}
	return "disabled";
}

const char *
client_auth_name(enum client_auth a)
{
	switch (a) {
	case AUTH_SECRET_BASIC:	return "client_secret_basic";
	case AUTH_SECRET_POST:	return "client_secret_post";
	case AUTH_NONE:		return "none";
	case AUTH_PRIVATE_KEY_JWT:	return "private_key_jwt";
	}
	return "none";
}

bool
client_auth_parse(const char *s, enum client_auth *out)
{
	if (strcmp(s, "client_secret_basic") == 0)
		*out = AUTH_SECRET_BASIC;
	else if (strcmp(s, "client_secret_post") == 0)
		*out = AUTH_SECRET_POST;
	else if (strcmp(s, "none") == 0)
		*out = AUTH_NONE;
	else if (strcmp(s, "private_key_jwt") == 0)
		*out = AUTH_PRIVATE_KEY_JWT;
	else
		return false;
	return true;
}

static void
append_word(char *list, size_t size, const char *sep, const char *w)
{
	size_t n = strlen(list);

	if (n + strlen(sep) + strlen(w) + 1 > size)
		return;		/* bounded: the rest is left out */
	if (n) {
		str_copy(list + n, size - n, sep);
		n += strlen(sep);
	}
	str_copy(list + n, size - n, w);
}

static unsigned
count_lines(const char *s, char sep)
{
	unsigned n = s[0] ? 1 : 0;

	for (; *s; s++)
		n += *s == sep;
	return n;
}

void
usage_add_scopes(struct client_usage *u, const char *scope)
{
	char		 w[GH_MAX_SCOPE_NAME + 1];
	struct slice	 word;

	while (scope && words_next(&scope, &word)) {
		if (word.len >= sizeof(w))
			continue;
		memcpy(w, word.p, word.len);
		w[word.len] = '\0';
		if (!words_has(u->granted_scopes, w))
			append_word(u->granted_scopes,
			    sizeof(u->granted_scopes), " ", w);
	}
}

void
usage_add_sighting(struct client_usage *u, const char *kind,
    const char *value)
{
	if (kind == NULL || value == NULL)
		return;
	if (strcmp(kind, "net") == 0 && count_lines(u->networks, ' ') < 3 &&
	    !words_has(u->networks, value))
		append_word(u->networks, sizeof(u->networks), " ", value);
	else if (strcmp(kind, "ua") == 0 && count_lines(u->agents, '\n') < 3 &&
	    strstr(u->agents, value) == NULL)
		append_word(u->agents, sizeof(u->agents), "\n", value);
}

struct client_usage *
usage_in_batch(const struct client_row *rows, struct client_usage *usage,
    unsigned n, const char *id, unsigned *at)
{
	unsigned i, k;

	for (i = 0; i < n; i++) {
		k = (*at + i) % n;
		if (strcmp(rows[k].id, id) == 0) {
			*at = k;
			return &usage[k];
		}
	}
	return NULL;
}
