/*
 * throttle.h - what the abuse limits remember: a bounded in-memory table
 * of small counters per key (an address, a username, a user id), each
 * kind of key a space of its own:
 *
 *  - a token bucket (GCRA: one "full again at" time per key): `burst`
 *    attempts at once, then one more every `interval_ms`;
 *  - work in flight per key (the Argon2id runs one address may hold);
 *  - folding: many events of one key reported once per window, with the
 *    count of those folded since the previous report;
 *  - a fixed-window count that says once when it reaches a threshold.
 *
 * Users: the login limits (oauth/login.c), the admin credential limits
 * (admin/admin_auth.c), the login_failure_burst and auth_failure_burst
 * rules (rules.c) and the audit budgets (audit_budget.c).
 *
 * Memory is fixed (GH_THROTTLE_ENTRIES slots for each kind of key, made
 * once) and no call allocates. Each kind has slots of its own, so keys
 * of one kind never push out another's: a flood of junk admin tokens
 * from many addresses cannot make the table forget a username's lockout
 * or a user's run of failures. A key's slot is one of THROTTLE_WAYS in a
 * set of its kind chosen by a keyed hash under a random key of this
 * process, so nobody can aim keys at one set. A new key takes a free
 * slot of its set, or one whose state has run out (a full bucket, no
 * fold or count window open, nothing in flight); only when there is none
 * does it take the least recently used slot with nothing in flight, and
 * that key's state is forgotten. So a key is forgotten early only after
 * about GH_THROTTLE_ENTRIES other keys of its kind with live state came
 * since it was last used; a flood of new addresses or names can do that,
 * which costs the flood that many attempts. Every call is
 * O(THROTTLE_WAYS) under one mutex.
 *
 * Times are passed in, in milliseconds on a monotonic clock
 * (throttle_now_ms()), so that tests drive the clock. State is per
 * process: on several nodes each counts its own share.
 */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/err.h"

#define THROTTLE_WAYS		8	/* slots a key may take */
#define THROTTLE_COUNTS		2	/* counters a fold keeps */
#define THROTTLE_ADDR_KEY_LEN	64	/* throttle_addr_key() output */

enum throttle_kind {
	THROTTLE_LOGIN_ADDR = 1,	/* failed sign-ins from an address */
	THROTTLE_LOGIN_USER,		/* failed sign-ins as a username */
	THROTTLE_ADMIN_ADDR,		/* wrong admin credentials, API */
	THROTTLE_CONSOLE_ADDR,		/* wrong admin credentials, console */
	THROTTLE_USER_FAILS,		/* the login_failure_burst rule */
	THROTTLE_CLIENT_FAILS,		/* the auth_failure_burst rule */
	THROTTLE_ROWS,			/* audit rows per event key */
	THROTTLE_AUDIT,			/* reports per event type */
};
#define THROTTLE_KINDS		THROTTLE_AUDIT

struct throttle_rate {
	int64_t	burst;		/* at once; 0: no limit */
	int64_t	interval_ms;	/* then one more every interval (> 0) */
};

struct throttle;

/*
 * A table of `entries` slots for each kind (rounded down to whole sets,
 * at least one).
 */
enum gh_err	throttle_new(size_t entries, struct throttle **out);
void		throttle_free(struct throttle *t);
/*
 * The process's table of GH_THROTTLE_ENTRIES slots, made at the first
 * call and kept to the end; NULL if it could not be made (out of memory,
 * no random key), tried again at the next call. Callers answer NULL as
 * a failure of ours (503), never as "no limit".
 */
struct throttle	*throttle_shared(void);
int64_t		 throttle_now_ms(void);
/* A wait in ms as whole seconds for Retry-After: rounded up, at least 1. */
int64_t		 throttle_seconds(int64_t ms);

/*
 * Take one attempt from the key's bucket: true if there was one; false
 * if the key is over its limit, and *retry_ms says when one comes back.
 * A rate with burst 0 always allows and remembers nothing.
 */
bool	throttle_take(struct throttle *t, enum throttle_kind k,
	    const char *key, const struct throttle_rate *r, int64_t now,
	    int64_t *retry_ms);
/* Give back one attempt taken: it turned out not to count. */
void	throttle_give(struct throttle *t, enum throttle_kind k,
	    const char *key, const struct throttle_rate *r, int64_t now);
/* The key's bucket is full again (a success ends a run of failures). */
void	throttle_reset(struct throttle *t, enum throttle_kind k,
	    const char *key);

/*
 * At most `max` at once for the key: true if this one may go (then
 * throttle_leave() once it is done). A key with work in flight keeps its
 * slot. If every slot of the key's set is held so, the work goes
 * untracked (true, and throttle_leave() finds nothing to end).
 */
bool	throttle_enter(struct throttle *t, enum throttle_kind k,
	    const char *key, unsigned max, int64_t now);
void	throttle_leave(struct throttle *t, enum throttle_kind k,
	    const char *key);

/*
 * One more event of the key, counted in out[which] (< THROTTLE_COUNTS).
 * True when it is to be reported: the key's first, or its first once
 * `window_ms` have passed since its last report. Then out[] holds the
 * events since that report, this one included, and counting starts
 * again; otherwise it is folded and out[] is zero.
 */
bool	throttle_fold(struct throttle *t, enum throttle_kind k,
	    const char *key, unsigned which, int64_t window_ms, int64_t now,
	    uint32_t out[THROTTLE_COUNTS]);

/*
 * A budget of audit rows for the key: at most `burst` per `window_ms`
 * (then one more every window_ms / burst). Under THROTTLE_AUDIT the key
 * is an event type, whatever the address: a fold says once per window
 * per address, which a flood from many addresses multiplies, so its
 * reports are also held to a budget in all. True if this row, which
 * stands for `events` events, may be written: then out[0] and out[1]
 * hold the rows and events withheld since the last one written, and
 * counting starts again. False: it is withheld, and counted.
 */
bool	throttle_budget(struct throttle *t, enum throttle_kind k,
	    const char *key, uint32_t burst, int64_t window_ms,
	    uint32_t events, int64_t now, uint32_t out[THROTTLE_COUNTS]);

/*
 * One more event in the key's window (it starts at the first event and
 * lasts `window_ms`; the next event after it starts a new one). True
 * exactly when the window's count reaches `threshold` (> 0); *count
 * receives it.
 */
bool	throttle_count(struct throttle *t, enum throttle_kind k,
	    const char *key, int64_t window_ms, uint32_t threshold,
	    int64_t now, uint32_t *count);

/*
 * The key an address is limited under, in out[THROTTLE_ADDR_KEY_LEN]:
 * an IPv4 address whole (an IPv4-mapped IPv6 address, or one of the
 * NAT64 well-known prefix 64:ff9b::/96, counts as the IPv4 address it
 * holds: all the IPv4 internet reached through a NAT64 gateway is in
 * one /64), an IPv6 address by its /64 (one host is usually given a
 * whole /64), e.g. "2001:db8:1:2::/64". Anything else is used as it is.
 */
void	throttle_addr_key(const char *addr, char *out, size_t outsz);

/* Slots for each kind, and slots holding a key, all kinds (for tests). */
size_t	throttle_capacity(const struct throttle *t);
size_t	throttle_used(struct throttle *t);

#endif
