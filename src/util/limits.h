/*
 * limits.h - every size and count limit of Gatehouse, in one place.
 *
 * Anything that grows from untrusted input is bounded by one of these.
 * Raising a limit is a reviewable one-line change here, never a literal
 * sprinkled through a parser.
 */
#ifndef GH_LIMITS_H
#define GH_LIMITS_H

/* HTTP */
#define GH_MAX_URI_LEN		8192	/* request line target, bytes */
#define GH_MAX_BODY_LEN		16384	/* form bodies; larger is 413 */
#define GH_MAX_BODY_DROPPED	(1024 * 1024) /* of a chunked one, then cut */
#define GH_MAX_HEADER_MEM	16384	/* per-connection header memory */
#define GH_MAX_PARAMS		64	/* parameters in one query or form */
#define GH_MAX_PARAM_LEN	4096	/* one decoded parameter value */
#define GH_MAX_NAME_LEN		128	/* one decoded parameter name */
/* Cookie header bytes: all the server takes, others' cookies included */
#define GH_MAX_COOKIE_HDR	GH_MAX_HEADER_MEM
#define GH_MAX_AUTH_HDR		1024	/* Authorization header bytes */
#define GH_MAX_REPLY_LEN	65536	/* one generated reply body */
#define GH_MAX_HEADERS_OUT	8	/* extra reply headers */
#define GH_MAX_UA_LEN		256	/* user agent kept for audit */
/* X-Forwarded-For behind trusted_proxies (http/forwarded.h) */
#define GH_MAX_FORWARDED_HOPS	16	/* entries walked, from the right */
#define GH_MAX_FORWARDED_ENTRY	64	/* one entry, spaces trimmed */

/* OAuth values */
#define GH_MAX_CLIENT_ID_LEN	64
#define GH_MAX_SECRET_LEN	128
#define GH_MAX_REDIRECT_LEN	2048
#define GH_MAX_REDIRECTS	16	/* registered redirect URIs per client */
#define GH_MAX_SCOPE_LEN	1024
#define GH_MAX_SCOPES		32
#define GH_MAX_SCOPE_NAME	64
#define GH_MAX_STATE_LEN	1024
#define GH_MAX_NONCE_LEN	512
#define GH_MAX_TOKEN_LEN	128	/* any code or token we issue fits */
#define GH_PKCE_MIN		43	/* RFC 7636 4.1 */
#define GH_PKCE_MAX		128
#define GH_S256_CHALLENGE_LEN	43	/* base64url(SHA-256), no padding */

/* people and names */
#define GH_MAX_USERNAME_LEN	64
#define GH_MAX_PASSWORD_LEN	256
#define GH_MAX_NAME_FIELD	128	/* client name, owner, user name */
#define GH_MAX_EMAIL_LEN	256

/* signing keys */
#define GH_MAX_SEALED_KEY	8192	/* sealed private JWK (RSA-2048) */
#define GH_MAX_SIGNING_KEYS	32	/* stored keys a ring loads */
#define GH_MAX_NEW_KEYS		2	/* made in one transaction (one per alg) */
#define GH_MAX_PUBLIC_JWK	2048
#define GH_MAX_JWT_LEN		8192	/* a JWT we sign or accept */
#define GH_MAX_CLIENT_JWKS	8192	/* a client's registered JWKS */
#define GH_MAX_NETWORKS		1024	/* a client's CIDR allowlist */

/* secrets */
#define GH_SECRET_BYTES		32	/* 256-bit codes, tokens, secrets */
#define GH_HASH_BYTES		32	/* SHA-256 */
#define GH_HASH_HEX		(GH_HASH_BYTES * 2)

/* admin API and console */
#define GH_MAX_ADMIN_NAME	64	/* an administrator's name */
#define GH_MAX_REASON_LEN	256	/* reason of a revocation, quarantine */
/* an audit event's detail built from admin text: a reason escaped whole */
#define GH_MAX_AUDIT_DETAIL	(2 * GH_MAX_REASON_LEN + 256)
#define GH_MAX_ADMIN_REPLY	(1024 * 1024)	/* console page, API reply */
#define GH_INVENTORY_PAGE	500	/* apps per inventory page or reply */
/*
 * The inventory is ranked whole in memory (about 5 KB an app as JSON; the
 * command measured 100 MB at 20,000 apps): past this many apps a ranking
 * fails, logged, rather than list part of them. Walks that do not rank
 * (hygiene) read every client, in batches, whatever their number.
 */
#define GH_INVENTORY_MAX	20000
#define GH_INVENTORY_BATCH	256	/* client ids read at once by a walk */
#define GH_MAX_ADMIN_LIST	1000	/* rows in one list (grants, alerts) */
#define GH_MAX_AUDIT_PAGE	1000	/* audit events per export page */
#define GH_GRANT_EXPIRE_BATCH	1000	/* unused grants revoked at once */
#define GH_MAX_ACTIVITY_HOURS	(24 * 7)	/* the client activity chart */

/* config */
#define GH_MAX_ALERT_TEXT	256	/* an alert's one-line summary */
#define GH_MAX_ALERT_EVIDENCE	1024	/* an alert's evidence, JSON */
#define GH_MAX_ALERT_KEY	256	/* an alert's de-duplication key */
#define GH_MAX_SIGHTINGS	32	/* networks or agents kept per grant */
#define GH_ALERT_SEND_SECONDS	86400	/* an undelivered alert is sent for */
#define GH_MAX_CONF_FILE	65536
#define GH_MAX_CLI_LINE		65536	/* one line of the admin command */
#define GH_MAX_PATH		1024

/* work at once */
#define GH_PASSWORD_SLOTS	2	/* Argon2id runs at once (19 MiB each) */
#define GH_PASSWORD_QUEUE	2	/* logins waiting for one; more: 503 */
#define GH_PASSWORD_WAIT_MS	2000	/* the longest such a wait may be */
/*
 * keys the abuse limits remember (governance/throttle.h), for each of its
 * eight kinds: ~56 B each, so at most 3.5 MiB, touched only as used
 */
#define GH_THROTTLE_ENTRIES	8192
/* folded reports of one event type written per audit window, all addresses */
#define GH_THROTTLE_REPORTS	64
/*
 * audit rows of an event an outsider causes at will (audit_budget.h) per
 * audit window: for one address, client and reason; for the event type
 */
#define GH_AUDIT_KEY_ROWS	10
#define GH_AUDIT_TYPE_ROWS	600
/* webhook signing key (Standard Webhooks: 24 to 64 bytes) */
#define GH_WEBHOOK_KEY_MIN	24
#define GH_WEBHOOK_KEY_MAX	64

/* storage */
#define GH_PG_POOL		8	/* PostgreSQL connections per process */
#define GH_PG_AUDIT_BATCH	64	/* audit rows in one transaction */
/*
 * Seconds a new PostgreSQL connection may take, unless the database URL
 * says otherwise (connect_timeout): a server that accepts and never
 * answers (hung, or a stuck pooler) must not hold a worker, the store's
 * open or a stop for ever.
 */
#define GH_PG_CONNECT_TIMEOUT	"10"
/*
 * A PostgreSQL connection over TCP whose peer is gone without a reset (a
 * cut network, a failover that drops packets) is given up on, unless the
 * URL says otherwise: data unacknowledged for GH_PG_TCP_USER_TIMEOUT_MS
 * (tcp_user_timeout), an idle one after its keepalive probes (idle 30 s,
 * then 3 probes 10 s apart). Without them the audit leader's connection,
 * and every answer waiting for its batch, or the LISTEN connection the
 * client cache relies on, stayed stuck until the kernel gave up, after
 * about 15 minutes of retransmissions (or 2 hours of idle, for keepalive).
 * No effect on a Unix socket.
 */
#define GH_PG_KEEPALIVES_IDLE		"30"
#define GH_PG_KEEPALIVES_INTERVAL	"10"
#define GH_PG_KEEPALIVES_COUNT		"3"
#define GH_PG_TCP_USER_TIMEOUT_MS	"30000"
/*
 * A client assertion's jti stays in the replay cache this long past its
 * exp: a node whose clock is behind the purging node's (by up to this)
 * still accepts the assertion, so must still find its jti. Five minutes,
 * ten times the clock skew the assertion checks allow (ASSERTION_SKEW).
 */
#define GH_JTI_KEEP_SECONDS	300
/*
 * A stop waits this long at most, after the last parked answer was
 * resumed, for the resumed answers to be sent (http/server.c http_stop):
 * a client that does not read its answer does not hold the stop longer.
 */
#define GH_STOP_SEND_SECONDS	5
/* a broken COMMIT: the longest wait for its transaction to end
 * (store/pg_outcome.c) */
#define GH_PG_OUTCOME_WAIT_MS	2000
/* a session of ours idle inside a transaction this long is ended by the
 * server, and its locks freed: one whose client vanished without closing
 * the socket (a network cut) holds a code or refresh token no longer */
#define GH_PG_IDLE_TX_MS	5000
#define GH_SQLITE_READERS	4	/* read-only SQLite connections */
#define GH_SQLITE_READER_KIB	256	/* cache each; any commit empties it */
#define GH_WAL_CKPT_FRAMES	256	/* new WAL pages before a checkpoint */
#define GH_WAL_RESTART_FRAMES	8192	/* WAL pages (32 MiB) before a restart */

#endif
