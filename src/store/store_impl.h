/*
 * store_impl.h - the backend interface behind store.h (private to store/).
 *
 * A backend embeds struct store as its first member and fills one
 * struct store_ops; store.c forwards every public call through it.
 */
#ifndef GH_STORE_IMPL_H
#define GH_STORE_IMPL_H

#include "store.h"

/* a request's wait handed over by defer_detach; the backend's embeds it */
struct store_wait {
	void		(*watch)(struct store_wait *, void (*)(void *),
			    void *);
	enum gh_err	(*end)(struct store_wait *);
};

struct store_ops {
	void		(*close)(struct store *);
	/* optional (NULL: commits are durable when they return) */
	void		(*defer_begin)(struct store *);
	enum gh_err	(*defer_end)(struct store *);
	/* optional (NULL: defer_end, and nothing is handed over) */
	enum gh_err	(*defer_detach)(struct store *, struct store_wait **);
	void		(*lazy)(struct store *, bool);
	bool		(*durable)(struct store *);
	enum gh_err	(*client_insert)(struct store *,
			    const struct client_row *,
			    const struct change_audit *);
	enum gh_err	(*client_get)(struct store *, const char *,
			    struct client_row *);
	enum gh_err	(*client_each)(struct store *,
			    bool (*)(void *, const struct client_row *),
			    void *);
	enum gh_err	(*client_set_status)(struct store *, const char *,
			    enum client_status, enum client_status, int64_t,
			    const struct change_audit *);
	enum gh_err	(*client_set_secret)(struct store *, const char *,
			    const uint8_t *, int64_t);
	enum gh_err	(*grant_each)(struct store *, const char *,
			    const char *,
			    bool (*)(void *, const struct grant_row *), void *);
	enum gh_err	(*grant_revoke)(struct store *, enum grant_scope,
			    const char *, const char *, int64_t, unsigned *);
	enum gh_err	(*client_quarantine)(struct store *, const char *,
			    const uint8_t *, const char *, int64_t,
			    unsigned *, struct alert_row *);
	enum gh_err	(*user_insert)(struct store *,
			    const struct user_row *,
			    const struct change_audit *);
	enum gh_err	(*user_by_name)(struct store *, const char *,
			    struct user_row *);
	enum gh_err	(*user_get)(struct store *, const char *,
			    struct user_row *);
	enum gh_err	(*user_each)(struct store *,
			    bool (*)(void *, const struct user_row *),
			    void *);
	enum gh_err	(*user_set_status)(struct store *, const char *,
			    enum user_status, int64_t,
			    const struct change_audit *);
	enum gh_err	(*user_set_password)(struct store *, const char *,
			    const char *, int64_t,
			    const struct change_audit *);
	enum gh_err	(*user_set_profile)(struct store *, const char *,
			    const char *, const char *, bool, int64_t,
			    const struct change_audit *);
	/* n keys (1 to GH_MAX_NEW_KEYS), ev NULL or n events; first: see
	 * store_keys_insert_first() */
	enum gh_err	(*keys_insert)(struct store *, const struct key_row *,
			    const struct change_audit *, size_t, bool);
	enum gh_err	(*key_each)(struct store *,
			    bool (*)(void *, const struct key_row *), void *);
	enum gh_err	(*key_retire)(struct store *, const char *, int64_t,
			    const struct change_audit *);
	enum gh_err	(*key_delete)(struct store *, const char *,
			    const struct change_audit *);
	enum gh_err	(*session_insert)(struct store *,
			    const struct session_row *, const char *,
			    const uint8_t *);
	enum gh_err	(*session_get)(struct store *, const uint8_t *,
			    int64_t, struct session_row *);
	enum gh_err	(*session_delete)(struct store *, const uint8_t *);
	/* NULL: store_session_grant reads the session, then the grant */
	enum gh_err	(*session_grant)(struct store *, const uint8_t *,
			    int64_t, const char *, struct session_row *,
			    struct grant_row *, bool *);
	enum gh_err	(*grant_upsert)(struct store *, const char *,
			    const char *, const char *, int64_t,
			    struct grant_row *);
	enum gh_err	(*grant_get)(struct store *, const char *,
			    struct grant_row *);
	enum gh_err	(*grant_find)(struct store *, const char *,
			    const char *, struct grant_row *);
	enum gh_err	(*code_insert)(struct store *,
			    const struct code_row *);
	enum gh_err	(*code_get)(struct store *, const uint8_t *,
			    struct code_row *);
	enum gh_err	(*code_redeem)(struct store *, const uint8_t *,
			    int64_t, const struct family_row *,
			    const struct token_row *, size_t);
	/* NULL: store_refresh_take reads, calls take, then exchanges */
	enum gh_err	(*refresh_take)(struct store *, const uint8_t *,
			    const char *, int64_t,
			    enum gh_err (*)(void *, const struct token_row *,
			    struct refresh_take *), void *, struct token_row *);
	/* NULL: store_code_take reads, calls take, then redeems */
	enum gh_err	(*code_take)(struct store *, const uint8_t *, int64_t,
			    enum gh_err (*)(void *, const struct code_row *,
			    struct code_take *), void *, struct code_row *);
	enum gh_err	(*family_revoke_by_code)(struct store *,
			    const uint8_t *, int64_t, const char *);
	enum gh_err	(*token_live)(struct store *, const uint8_t *,
			    int64_t, struct token_row *);
	enum gh_err	(*token_get)(struct store *, const uint8_t *,
			    struct token_row *, bool *);
	enum gh_err	(*refresh_exchange)(struct store *, const uint8_t *,
			    const char *, int64_t, struct token_row *,
			    size_t);
	enum gh_err	(*token_revoke)(struct store *, const uint8_t *,
			    int64_t);
	enum gh_err	(*family_revoke)(struct store *, const char *,
			    int64_t, const char *);
	enum gh_err	(*purge)(struct store *, int64_t, int64_t, int64_t,
			    unsigned, unsigned *);
	enum gh_err	(*jti_use)(struct store *, const char *,
			    const uint8_t *, int64_t, int64_t);
	void		(*set_audit_key)(struct store *, const uint8_t *);
	enum gh_err	(*audit_each)(struct store *, int64_t, unsigned,
			    bool (*)(void *, const struct audit_row *),
			    void *);
	enum gh_err	(*audit_append)(struct store *,
			    const struct audit_row *);
	enum gh_err	(*alert_raise)(struct store *, struct alert_row *,
			    int64_t, bool *);
	enum gh_err	(*alert_each)(struct store *, bool, const char *,
			    unsigned, bool (*)(void *, const struct alert_row *),
			    void *);
	enum gh_err	(*alert_count)(struct store *, bool, const char *,
			    int64_t *);
	enum gh_err	(*alert_ack)(struct store *, int64_t, const char *,
			    int64_t);
	enum gh_err	(*alert_claim)(struct store *, int64_t, int64_t,
			    int64_t, unsigned,
			    bool (*)(void *, const struct alert_row *), void *);
	enum gh_err	(*alert_delivery)(struct store *, int64_t, bool,
			    int64_t, int64_t);
	enum gh_err	(*grant_sighting)(struct store *, const char *,
			    const char *, const char *, int64_t,
			    enum sighting *);
	enum gh_err	(*client_ids)(struct store *, const char *, unsigned,
			    char (*)[GH_MAX_CLIENT_ID_LEN], unsigned *);
	enum gh_err	(*client_usage)(struct store *, const char *, int64_t,
			    bool, struct client_usage *);
	enum gh_err	(*client_usage_batch)(struct store *, const char *,
			    unsigned, int64_t, bool, struct client_row *,
			    struct client_usage *, unsigned *);
	enum gh_err	(*audit_of_client)(struct store *, const char *,
			    int64_t, unsigned,
			    bool (*)(void *, const struct audit_row *), void *);
	enum gh_err	(*audit_head)(struct store *, int64_t *, uint8_t *);
	enum gh_err	(*grant_expire_unused)(struct store *, int64_t,
			    int64_t, unsigned *, const struct change_audit *);
	enum gh_err	(*admin_insert)(struct store *,
			    const struct admin_row *,
			    const struct change_audit *);
	enum gh_err	(*admin_by_hash)(struct store *, const uint8_t *,
			    int64_t, struct admin_row *);
	enum gh_err	(*admin_each)(struct store *,
			    bool (*)(void *, const struct admin_row *), void *);
	enum gh_err	(*admin_disable)(struct store *, const char *,
			    int64_t, const struct change_audit *);
	enum gh_err	(*grant_revoke_with_event)(struct store *,
			    enum grant_scope, const char *, const char *,
			    int64_t, unsigned *, const struct change_audit *);
	enum gh_err	(*admin_session_insert)(struct store *,
			    const uint8_t *, const char *, int64_t, int64_t);
	enum gh_err	(*admin_session_get)(struct store *, const uint8_t *,
			    int64_t, char *);
	enum gh_err	(*admin_session_delete)(struct store *,
			    const uint8_t *);
	enum gh_err	(*grant_revoke_own)(struct store *, const char *,
			    const char *, const char *, int64_t);
	enum gh_err	(*client_activity)(struct store *, const char *,
			    int64_t, unsigned, unsigned *, unsigned *);
	enum gh_err	(*audit_base)(struct store *, struct audit_base *);
	enum gh_err	(*audit_prune)(struct store *, struct audit_prune *,
			    const struct change_audit *);
	/* store_token_windows, its arguments checked (store.c) */
	enum gh_err	(*token_windows)(struct store *, const char *, int64_t,
			    int64_t, int64_t, unsigned, uint32_t *);
};

struct store {
	const struct store_ops *ops;
};

/* serve: with the reader pool and the background checkpointer */
enum gh_err	sqlite_store_open(const char *path, bool serve,
		    struct store **out);

/*
 * Folding query rows into a struct client_usage, the same for every
 * backend: the scopes of one live grant into the union, and one sighting
 * (newest first) into the latest three networks and user agents.
 */
void		usage_add_scopes(struct client_usage *u, const char *scope);
void		usage_add_sighting(struct client_usage *u, const char *kind,
		    const char *value);
/*
 * The usage of client `id` in a batch of n rows (usage[i] is rows[i]'s),
 * or NULL if it is not one of them. *at (0 to start) is where the last
 * one was found, looked at first: a batch's list rows come in the order
 * of its client rows, so a whole list costs about one pass.
 */
struct client_usage *usage_in_batch(const struct client_row *rows,
		    struct client_usage *usage, unsigned n, const char *id,
		    unsigned *at);
enum gh_err	pg_store_open(const char *url, bool serve,
		    struct store **out);

/*
 * The event of a change of `changed` rows (struct change_audit): a copy
 * of ev->row, described. The backends chain and insert it.
 */
void		store_change_event(const struct change_audit *ev,
		    unsigned changed, struct audit_row *out);

/*
 * How far a prune may go (store_audit_prune), the same for every
 * backend: started at the chain's base, fed the oldest events in seq
 * order by store_prune_step (a row callback: false stops), it takes each
 * one older than the cutoff that verifies where it stands. seq and hash
 * end as the last one taken (the new base), n how many; stopped names the
 * event that did not verify, rc a hash that could not be made.
 */
struct prune_walk {
	const uint8_t	*key;
	int64_t		 before;
	int64_t		 seq;
	uint8_t		 hash[GH_HASH_BYTES];
	unsigned	 n;
	int64_t		 stopped;
	bool		 untrusted;	/* the base's MAC does not hold */
	enum gh_err	 rc;
};
enum gh_err	store_prune_begin(struct prune_walk *w, const uint8_t *key,
		    int64_t before, const struct audit_base *b);
bool		store_prune_step(void *ctx, const struct audit_row *r);
/*
 * What walk w took, into *p; true when it took events, with the
 * audit.pruned event to append (ev described) in *r.
 */
bool		store_prune_took(const struct prune_walk *w,
		    struct audit_prune *p, const struct change_audit *ev,
		    struct audit_row *r);

/* row text forms shared by the backends (store.c) */
enum client_status store_client_status_parse(const char *s);
/* redirect URIs are stored newline-separated */
void		store_join_redirects(const struct client_row *c, char *out,
		    size_t outsz);
void		store_split_redirects(const char *s, struct client_row *c);

#endif
