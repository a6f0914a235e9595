/*
 * sqlite_schema.c - the numbered migrations of the SQLite backend and the
 * SQL of every prepared statement, in one place.
 *
 * Migrations are applied in order at start; PRAGMA user_version records the
 * last one applied. Never edit a released migration: add the next one.
 */
#include "sqlite_int.h"
#include "sqlite_schema.h"

#define STR(x)	#x
#define XSTR(x)	STR(x)

const char *const sqlite_migrations[] = {
	/* 1: core flow */
	"CREATE TABLE clients ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  owner TEXT NOT NULL,"
	"  public INTEGER NOT NULL,"
	"  auth_method TEXT NOT NULL,"
	"  secret_hash BLOB,"
	"  redirect_uris TEXT NOT NULL,"	/* newline-separated */
	"  scopes TEXT NOT NULL,"		/* space-separated */
	"  status TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  secret_rotated_at INTEGER,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  password_hash TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE sessions ("
	"  hash BLOB PRIMARY KEY,"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  auth_time INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE grants ("
	"  id TEXT PRIMARY KEY,"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  client_id TEXT NOT NULL REFERENCES clients(id),"
	"  scope TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_used_at INTEGER,"
	"  revoked_at INTEGER,"
	"  revoked_reason TEXT);"
	"CREATE UNIQUE INDEX grants_live ON grants(user_id, client_id)"
	"  WHERE revoked_at IS NULL;"
	"CREATE INDEX grants_client ON grants(client_id);"
	"CREATE TABLE codes ("
	"  hash BLOB PRIMARY KEY,"
	"  grant_id TEXT NOT NULL REFERENCES grants(id),"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  redirect_uri TEXT NOT NULL,"
	"  challenge TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  nonce TEXT,"
	"  auth_time INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  consumed_at INTEGER) WITHOUT ROWID;"
	"CREATE TABLE families ("
	"  id TEXT PRIMARY KEY,"
	"  grant_id TEXT NOT NULL REFERENCES grants(id),"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  code_hash BLOB,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER,"
	"  revoked_reason TEXT);"
	"CREATE INDEX families_code ON families(code_hash);"
	"CREATE TABLE tokens ("
	"  hash BLOB PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  family_id TEXT NOT NULL REFERENCES families(id),"
	"  grant_id TEXT NOT NULL,"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  issued_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  rotated_at INTEGER,"
	"  revoked_at INTEGER) WITHOUT ROWID;"
	"CREATE INDEX tokens_family ON tokens(family_id);"
	"CREATE TABLE audit_events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  actor TEXT,"
	"  client_id TEXT,"
	"  user_id TEXT,"
	"  grant_id TEXT,"
	"  remote_addr TEXT,"
	"  user_agent TEXT,"
	"  detail TEXT);"
	"CREATE INDEX audit_client ON audit_events(client_id, seq);",
	/* 2: OpenID Connect: signing keys, user claims, ID token alg */
	"CREATE TABLE signing_keys ("
	"  kid TEXT PRIMARY KEY,"
	"  alg TEXT NOT NULL,"
	"  private_sealed TEXT NOT NULL,"	/* AES-256-GCM, see jose/ */
	"  public_jwk TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  activate_at INTEGER NOT NULL,"
	"  retire_at INTEGER);"
	"ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL "
	"  DEFAULT 0;"
	"ALTER TABLE clients ADD COLUMN id_token_alg TEXT NOT NULL "
	"  DEFAULT 'RS256';",
	/* 3: private_key_jwt: client keys and the assertion replay cache */
	"ALTER TABLE clients ADD COLUMN jwks TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE assertion_jtis ("
	"  client_id TEXT NOT NULL,"
	"  jti_hash BLOB NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  PRIMARY KEY (client_id, jti_hash)) WITHOUT ROWID;"
	"CREATE INDEX assertion_jtis_expiry ON assertion_jtis(expires_at);",
	/* 4: RFC 9068 JWT access tokens and the nonce policy, per client */
	"ALTER TABLE clients ADD COLUMN jwt_access_tokens INTEGER NOT NULL "
	"  DEFAULT 0;"
	"ALTER TABLE clients ADD COLUMN require_nonce INTEGER NOT NULL "
	"  DEFAULT 0;"
	"CREATE INDEX tokens_expiry ON tokens(expires_at);"
	"CREATE INDEX codes_expiry ON codes(expires_at);"
	"CREATE INDEX sessions_expiry ON sessions(expires_at);",
	/* 5: tamper-evident audit: each event carries its chain hash */
	"ALTER TABLE audit_events ADD COLUMN prev_hash BLOB;"
	"ALTER TABLE audit_events ADD COLUMN hash BLOB;",
	/* 6: per-client network allowlist (CIDR blocks, space-separated) */
	"ALTER TABLE clients ADD COLUMN networks TEXT NOT NULL DEFAULT '';",
	/* 7: governance: alerts (and their webhook outbox), grant sightings */
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  client_id TEXT,"
	"  user_id TEXT,"
	"  grant_id TEXT,"
	"  summary TEXT NOT NULL,"
	"  evidence TEXT NOT NULL,"
	"  dedupe_key TEXT NOT NULL,"
	"  acked_at INTEGER,"
	"  acked_by TEXT,"
	"  delivered_at INTEGER,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL);"
	"CREATE INDEX alerts_key ON alerts(dedupe_key, time);"
	"CREATE INDEX alerts_client ON alerts(client_id, id);"
	"CREATE INDEX alerts_outbox ON alerts(next_attempt_at) "
	"  WHERE delivered_at IS NULL;"
	"CREATE TABLE grant_sightings ("
	"  grant_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"			/* net or ua */
	"  value TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  hits INTEGER NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (grant_id, kind, value)) WITHOUT ROWID;"
	"CREATE INDEX families_grant ON families(grant_id);",
	/* 8: administrators of the admin API and console, their sessions */
	"CREATE TABLE admins ("
	"  name TEXT PRIMARY KEY,"
	"  secret_hash BLOB NOT NULL UNIQUE,"	/* keyed hash, see secret.h */
	"  created_at INTEGER NOT NULL,"
	"  disabled_at INTEGER,"
	"  last_used_at INTEGER);"
	"CREATE TABLE admin_sessions ("
	"  hash BLOB PRIMARY KEY,"
	"  admin TEXT NOT NULL REFERENCES admins(name),"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX admin_sessions_expiry ON admin_sessions(expires_at);"
	"CREATE INDEX audit_client_time ON audit_events(client_id, time);",
	/*
	 * 9: a redeemed code names the family it minted, so a replay finds
	 * the family through the code row it already reads, and families
	 * need no index on code_hash (one random B-tree page less to write
	 * per redemption).
	 */
	"ALTER TABLE codes ADD COLUMN family_id TEXT;"
	"UPDATE codes SET family_id = (SELECT f.id FROM families f "
	"  WHERE f.code_hash = codes.hash) WHERE consumed_at IS NOT NULL;"
	"DROP INDEX families_code;",
	/*
	 * 10: tokens and codes kept in insertion order (an integer rowid)
	 * with a unique index on the hash. Keyed by the random hash, each
	 * insert landed on a random leaf of the table and, among equal
	 * expiry seconds, of the expiry index: the two largest parts of a
	 * commit. Now the rows and their expiry entries go to the right
	 * edge, a page concurrent requests share; only the hash index takes
	 * one random leaf per row.
	 */
	"CREATE TABLE tokens_v10 ("
	"  id INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"
	"  family_id TEXT NOT NULL REFERENCES families(id),"
	"  grant_id TEXT NOT NULL,"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  issued_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  rotated_at INTEGER,"
	"  revoked_at INTEGER);"
	"INSERT INTO tokens_v10 (hash, kind, family_id, grant_id, client_id,"
	"  user_id, scope, issued_at, expires_at, rotated_at, revoked_at)"
	"  SELECT hash, kind, family_id, grant_id, client_id, user_id, scope,"
	"  issued_at, expires_at, rotated_at, revoked_at FROM tokens"
	"  ORDER BY issued_at;"
	"DROP TABLE tokens;"
	"ALTER TABLE tokens_v10 RENAME TO tokens;"
	"CREATE INDEX tokens_family ON tokens(family_id);"
	"CREATE INDEX tokens_expiry ON tokens(expires_at);"
	"CREATE TABLE codes_v10 ("
	"  id INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  grant_id TEXT NOT NULL REFERENCES grants(id),"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  redirect_uri TEXT NOT NULL,"
	"  challenge TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  nonce TEXT,"
	"  auth_time INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  consumed_at INTEGER,"
	"  family_id TEXT);"
	"INSERT INTO codes_v10 (hash, grant_id, client_id, user_id,"
	"  redirect_uri, challenge, scope, nonce, auth_time, created_at,"
	"  expires_at, consumed_at, family_id)"
	"  SELECT hash, grant_id, client_id, user_id, redirect_uri, challenge,"
	"  scope, nonce, auth_time, created_at, expires_at, consumed_at,"
	"  family_id FROM codes ORDER BY created_at;"
	"DROP TABLE codes;"
	"ALTER TABLE codes_v10 RENAME TO codes;"
	"CREATE INDEX codes_expiry ON codes(expires_at);",
	/*
	 * 11: a password change or a disable ends every browser session of
	 * the user (S_SESSIONS_END_USER, indexed by user); sessions of users
	 * disabled before that rule would come back on enable, so they end
	 * now.
	 */
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"DELETE FROM sessions WHERE user_id IN "
	"  (SELECT id FROM users WHERE status <> 'active');",
	/*
	 * 12: audit retention: where the kept chain starts once its oldest
	 * events were deleted (store_audit_prune), one row
	 */
	"CREATE TABLE audit_base ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL,"		/* the last event deleted */
	"  hash BLOB NOT NULL);",		/* its hash */
	/* 13: the base's MAC under the audit key (audit_base_mac) */
	"ALTER TABLE audit_base ADD COLUMN mac BLOB;",
	/*
	 * 14: the purge finds revoked grants by this (S_PURGE_GRANTS): it
	 * scanned every grant under the writer at each upkeep pass, 52 ms
	 * with 1,000,000 grants, 0.05 ms with the index
	 */
	"CREATE INDEX grants_revoked ON grants(revoked_at) "
	"  WHERE revoked_at IS NOT NULL;",
};

const int sqlite_migration_count =
    (int)(sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]));

#define TOKEN_COLS "t.kind, t.family_id, t.grant_id, t.client_id, " \
	"t.user_id, t.scope, t.issued_at, t.expires_at"
/* the creation of token t's family (struct token_row family_created_at) */
#define FAMILY_CREATED "(SELECT f.created_at FROM families f " \
	"WHERE f.id = t.family_id)"
#define CLIENT_COLS "id, name, owner, public, auth_method, secret_hash, " \
	"redirect_uris, scopes, status, created_at, secret_rotated_at, " \
	"updated_at, id_token_alg, jwks, jwt_access_tokens, require_nonce, " \
	"networks"
#define USER_COLS "id, username, password_hash, status, created_at, " \
	"name, email, email_verified"
#define ALERT_COLS "id, time, rule, severity, coalesce(client_id, ''), " \
	"coalesce(user_id, ''), coalesce(grant_id, ''), summary, evidence, " \
	"dedupe_key, coalesce(acked_at, 0), coalesce(acked_by, ''), " \
	"coalesce(delivered_at, 0), attempts, next_attempt_at"
#define ALERT_ORDER "ORDER BY acked_at IS NOT NULL, CASE severity " \
	"WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 " \
	"END, id DESC"
#define AUDIT_COLS "seq, time, type, actor, client_id, user_id, " \
	"grant_id, remote_addr, user_agent, detail, prev_hash, hash"
#define ADMIN_COLS "name, secret_hash, created_at, " \
	"coalesce(disabled_at, 0), coalesce(last_used_at, 0)"
#define KEY_COLS "kid, alg, private_sealed, public_jwk, created_at, " \
	"activate_at, coalesce(retire_at, 0)"

/*
 * Client rows (CLIENT_COLS) with their usage figures (struct
 * client_usage): live grants, their users, live tokens (only when ?2 is
 * not 0; live by ancestry, walked from the client's grants), open
 * alerts, the first and last token.issued and the last token.refreshed
 * in the audit trail. ?1 is the time. Each figure is a subquery of one
 * client row, read through an index on the client: the audit times walk
 * audit_client (client_id, seq) from the end they want, never the whole
 * trail, whose size grows with every flow.
 */
#define USAGE_OF_CLIENTS "SELECT " CLIENT_COLS ", " \
	"(SELECT count(*) FROM grants g WHERE g.client_id = c.id " \
	"AND g.revoked_at IS NULL), " \
	"(SELECT count(DISTINCT g.user_id) FROM grants g " \
	"WHERE g.client_id = c.id AND g.revoked_at IS NULL), " \
	"CASE WHEN ?2 <> 0 AND c.status = 'active' THEN " \
	"(SELECT count(*) FROM grants g " \
	"JOIN families f ON f.grant_id = g.id " \
	"JOIN tokens t ON t.family_id = f.id " \
	"JOIN users u ON u.id = g.user_id " \
	"WHERE g.client_id = c.id AND g.revoked_at IS NULL " \
	"AND f.revoked_at IS NULL AND t.revoked_at IS NULL " \
	"AND t.rotated_at IS NULL AND t.expires_at > ?1 " \
	"AND u.status = 'active') ELSE 0 END, " \
	"(SELECT count(*) FROM alerts a WHERE a.client_id = c.id " \
	"AND a.acked_at IS NULL), " \
	"(SELECT e.time FROM audit_events e WHERE e.client_id = c.id " \
	"AND e.type = 'token.issued' ORDER BY e.seq LIMIT 1), " \
	"(SELECT e.time FROM audit_events e WHERE e.client_id = c.id " \
	"AND e.type = 'token.issued' ORDER BY e.seq DESC LIMIT 1), " \
	"(SELECT e.time FROM audit_events e WHERE e.client_id = c.id " \
	"AND e.type = 'token.refreshed' ORDER BY e.seq DESC LIMIT 1) " \
	"FROM clients c "

const char *const sqlite_sql[S_COUNT] = {
	[S_TX_BEGIN] = "BEGIN IMMEDIATE",
	[S_TX_COMMIT] = "COMMIT",
	[S_TX_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT op",
	[S_RELEASE] = "RELEASE op",
	[S_ROLLBACK_TO] = "ROLLBACK TO op",

	[S_CLIENT_INSERT] = "INSERT INTO clients (" CLIENT_COLS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17)",
	[S_CLIENT_GET] = "SELECT " CLIENT_COLS " FROM clients WHERE id = ?1",
	[S_CLIENT_ALL] = "SELECT " CLIENT_COLS " FROM clients "
	    "ORDER BY created_at, id",
	/* conditional: only from the status the caller read (?4) */
	[S_CLIENT_STATUS] = "UPDATE clients SET status = ?2, updated_at = ?3 "
	    "WHERE id = ?1 AND status = ?4",
	[S_CLIENT_SECRET] = "UPDATE clients SET secret_hash = ?2, "
	    "secret_rotated_at = ?3, updated_at = ?3 WHERE id = ?1 "
	    "AND auth_method IN ('client_secret_basic', "
	    "'client_secret_post')",

	[S_USER_INSERT] = "INSERT INTO users (id, username, password_hash, "
	    "status, created_at, updated_at, name, email, email_verified) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
	[S_USER_BY_NAME] = "SELECT " USER_COLS " FROM users "
	    "WHERE username = ?1",
	[S_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = ?1",
	[S_USER_ALL] = "SELECT " USER_COLS " FROM users "
	    "ORDER BY created_at, username",
	[S_USER_STATUS] = "UPDATE users SET status = ?2, updated_at = ?3 "
	    "WHERE id = ?1",
	[S_USER_PROFILE] = "UPDATE users SET name = ?2, email = ?3, "
	    "email_verified = ?4, updated_at = ?5 WHERE id = ?1",
	[S_KEY_INSERT] = "INSERT INTO signing_keys (kid, alg, private_sealed, "
	    "public_jwk, created_at, activate_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/*
	 * A first key: none if a key of its alg is stored. One statement:
	 * a write takes the writer's lock before it reads (if its
	 * transaction does not hold it already: a batch begins IMMEDIATE),
	 * so no other process inserts between the check and the insert.
	 */
	[S_KEY_INSERT_FIRST] = "INSERT INTO signing_keys (kid, alg, "
	    "private_sealed, public_jwk, created_at, activate_at) "
	    "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE NOT EXISTS "
	    "(SELECT 1 FROM signing_keys WHERE alg = ?2)",
	[S_KEY_ALL] = "SELECT " KEY_COLS " FROM signing_keys "
	    "ORDER BY activate_at, created_at, rowid",
	[S_KEY_RETIRE] = "UPDATE signing_keys SET retire_at = ?2 "
	    "WHERE kid = ?1 AND retire_at IS NULL",
	[S_KEY_DELETE] = "DELETE FROM signing_keys WHERE kid = ?1",
	/* replay cache: the primary key makes a second use fail */
	[S_JTI_INSERT] = "INSERT INTO assertion_jtis (client_id, jti_hash, "
	    "expires_at) VALUES (?1, ?2, ?3)",
	/* kept GH_JTI_KEEP_SECONDS past exp, for nodes whose clock is behind */
	[S_JTI_PURGE] = "DELETE FROM assertion_jtis WHERE expires_at < ?1 - "
	    XSTR(GH_JTI_KEEP_SECONDS),
	/* purge: bounded batches of rows past any use (see store_purge) */
	[S_PURGE_TOKENS] = "DELETE FROM tokens WHERE id IN (SELECT id "
	    "FROM tokens WHERE expires_at < ?1 LIMIT ?2) RETURNING family_id",
	[S_PURGE_CODES] = "DELETE FROM codes WHERE id IN (SELECT id "
	    "FROM codes WHERE expires_at < ?1 LIMIT ?2)",
	[S_PURGE_SESSIONS] = "DELETE FROM sessions WHERE hash IN (SELECT hash "
	    "FROM sessions WHERE expires_at < ?1 LIMIT ?2)",
	/* a family goes with its last token (families start with tokens) */
	[S_PURGE_FAMILY] = "DELETE FROM families WHERE id = ?1 AND NOT EXISTS "
	    "(SELECT 1 FROM tokens t WHERE t.family_id = ?1)",
	/*
	 * A grant revoked before ?1 once nothing refers to it (its families
	 * and codes go first: the foreign keys do not cascade). The codes
	 * are read once (NOT IN): codes have no index on grant_id.
	 */
	[S_PURGE_GRANTS] = "DELETE FROM grants WHERE id IN (SELECT g.id "
	    "FROM grants g WHERE g.revoked_at < ?1 AND NOT EXISTS "
	    "(SELECT 1 FROM families f WHERE f.grant_id = g.id) "
	    "AND g.id NOT IN (SELECT grant_id FROM codes) LIMIT ?2) "
	    "RETURNING id",
	[S_PURGE_SIGHTINGS] = "DELETE FROM grant_sightings WHERE grant_id = ?1",
	/*
	 * An alert acknowledged before ?1 that the webhook is done with:
	 * delivered, or raised before ?3, past the outbox's window
	 * (GH_ALERT_SEND_SECONDS). Open alerts stay.
	 */
	[S_PURGE_ALERTS] = "DELETE FROM alerts WHERE id IN (SELECT id "
	    "FROM alerts WHERE acked_at < ?1 AND (delivered_at IS NOT NULL "
	    "OR time < ?3) LIMIT ?2)",
	[S_CLIENT_QUARANTINE] = "UPDATE clients SET status = 'quarantined', "
	    "secret_hash = CASE WHEN secret_hash IS NULL THEN NULL ELSE ?2 END, "
	    "secret_rotated_at = ?3, updated_at = ?3 WHERE id = ?1",
	[S_GRANTS_REVOKE_CLIENT] = "UPDATE grants SET revoked_at = ?2, "
	    "revoked_reason = ?3 WHERE client_id = ?1 AND revoked_at IS NULL",
	[S_GRANT_LIST] = "SELECT g.id, g.user_id, g.client_id, g.scope, "
	    "g.created_at, coalesce(g.last_used_at, 0), u.username "
	    "FROM grants g JOIN users u ON u.id = g.user_id "
	    "WHERE g.revoked_at IS NULL AND (?1 IS NULL OR g.client_id = ?1) "
	    "AND (?2 IS NULL OR g.user_id = ?2) ORDER BY g.created_at, g.id",
	[S_GRANT_REVOKE_ID] = "UPDATE grants SET revoked_at = ?2, "
	    "revoked_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL",
	[S_GRANTS_REVOKE_USER] = "UPDATE grants SET revoked_at = ?2, "
	    "revoked_reason = ?3 WHERE user_id = ?1 AND revoked_at IS NULL",
	[S_USER_PASSWORD] = "UPDATE users SET password_hash = ?2, "
	    "updated_at = ?3 WHERE id = ?1",

	/*
	 * only while the user is active with the password hash the login
	 * checked (?5): a password change or a disable made since then
	 * ended the user's sessions, and must end this one too
	 */
	[S_SESSION_INSERT] = "INSERT INTO sessions (hash, user_id, auth_time, "
	    "expires_at) SELECT ?1, ?2, ?3, ?4 FROM users WHERE id = ?2 "
	    "AND status = 'active' AND password_hash = ?5",
	[S_SESSION_GET] = "SELECT s.user_id, s.auth_time, s.expires_at, "
	    "u.username "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.hash = ?1 AND s.expires_at > ?2 AND u.status = 'active'",
	[S_SESSION_GRANT] = "SELECT s.user_id, s.auth_time, s.expires_at, "
	    "u.username, g.id, g.scope, g.created_at, "
	    "coalesce(g.last_used_at, 0) "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "LEFT JOIN grants g ON g.user_id = s.user_id "
	    "AND g.client_id = ?3 AND g.revoked_at IS NULL "
	    "WHERE s.hash = ?1 AND s.expires_at > ?2 AND u.status = 'active'",
	[S_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = ?1",
	/* with a password change or a disable, in its transaction */
	[S_SESSIONS_END_USER] = "DELETE FROM sessions WHERE user_id = ?1",

	[S_GRANT_FIND] = "SELECT id, user_id, client_id, scope, created_at, "
	    "coalesce(last_used_at, 0) FROM grants WHERE user_id = ?1 "
	    "AND client_id = ?2 AND revoked_at IS NULL",
	/* a grant by id, live or not (store_grant_get) */
	[S_GRANT_GET] = "SELECT id, user_id, client_id, scope, created_at, "
	    "coalesce(last_used_at, 0) FROM grants WHERE id = ?1",
	/*
	 * A consent is stored only while its client and its user are
	 * active, checked by the write itself: the consent read them
	 * earlier, and a quarantine (which revokes the client's grants) or
	 * a disable made since must not be followed by a live grant, which
	 * would outlive it as a remembered consent. The writer's lock orders
	 * this write and the kill: one sees the other whole.
	 */
	[S_GRANT_INSERT] = "INSERT INTO grants (id, user_id, client_id, "
	    "scope, created_at) SELECT ?1, ?2, ?3, ?4, ?5 "
	    "WHERE EXISTS (SELECT 1 FROM clients WHERE id = ?3 "
	    "AND status = 'active') AND EXISTS (SELECT 1 FROM users "
	    "WHERE id = ?2 AND status = 'active')",
	[S_GRANT_UPDATE] = "UPDATE grants SET scope = ?2 WHERE id = ?1 "
	    "AND revoked_at IS NULL AND EXISTS (SELECT 1 FROM clients c "
	    "WHERE c.id = grants.client_id AND c.status = 'active') "
	    "AND EXISTS (SELECT 1 FROM users u WHERE u.id = grants.user_id "
	    "AND u.status = 'active')",
	[S_GRANT_TOUCH] = "UPDATE grants SET last_used_at = ?2 WHERE id = ?1",

	[S_CODE_INSERT] = "INSERT INTO codes (hash, grant_id, client_id, "
	    "user_id, redirect_uri, challenge, scope, nonce, auth_time, "
	    "created_at, expires_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[S_CODE_GET] = "SELECT grant_id, client_id, user_id, redirect_uri, "
	    "challenge, scope, nonce, auth_time, created_at, expires_at, "
	    "consumed_at IS NOT NULL FROM codes WHERE hash = ?1",
	/*
	 * single use: this one conditional update decides every race; and
	 * only while the code's grant, client and user are live (a kill
	 * after the code was issued ends it too)
	 */
	[S_CODE_CONSUME] = "UPDATE codes SET consumed_at = ?2, family_id = ?3 "
	    "WHERE hash = ?1 AND consumed_at IS NULL AND expires_at > ?2 "
	    "AND EXISTS (SELECT 1 FROM grants g "
	    "JOIN clients c ON c.id = codes.client_id "
	    "JOIN users u ON u.id = codes.user_id "
	    "WHERE g.id = codes.grant_id AND g.revoked_at IS NULL "
	    "AND c.status = 'active' AND u.status = 'active')",
	[S_FAMILY_INSERT] = "INSERT INTO families (id, grant_id, client_id, "
	    "user_id, code_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_FAMILY_REVOKE_CODE] = "UPDATE families SET revoked_at = ?2, "
	    "revoked_reason = ?3 WHERE id = (SELECT family_id FROM codes "
	    "WHERE hash = ?1) AND revoked_at IS NULL",
	[S_FAMILY_REVOKE] = "UPDATE families SET revoked_at = ?2, "
	    "revoked_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL",

	[S_TOKEN_INSERT] = "INSERT INTO tokens (hash, kind, family_id, "
	    "grant_id, client_id, user_id, scope, issued_at, expires_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* revocation by ancestry: token, family, grant, client, user */
	[S_TOKEN_LIVE] = "SELECT " TOKEN_COLS ", f.created_at FROM tokens t "
	    "JOIN families f ON f.id = t.family_id "
	    "JOIN grants g ON g.id = t.grant_id "
	    "JOIN clients c ON c.id = t.client_id "
	    "JOIN users u ON u.id = t.user_id "
	    "WHERE t.hash = ?1 AND t.expires_at > ?2 AND t.revoked_at IS NULL "
	    "AND t.rotated_at IS NULL AND f.revoked_at IS NULL "
	    "AND g.revoked_at IS NULL AND c.status = 'active' "
	    "AND u.status = 'active'",
	[S_TOKEN_GET] = "SELECT " TOKEN_COLS ", " FAMILY_CREATED ", "
	    "t.rotated_at IS NOT NULL FROM tokens t WHERE t.hash = ?1",
	/* single use of a refresh token: one conditional update */
	[S_REFRESH_ROTATE] = "UPDATE tokens SET rotated_at = ?3 "
	    "WHERE hash = ?1 AND kind = 'refresh' AND client_id = ?2 "
	    "AND rotated_at IS NULL AND revoked_at IS NULL "
	    "AND expires_at > ?3 AND EXISTS (SELECT 1 FROM families f "
	    "JOIN grants g ON g.id = f.grant_id "
	    "JOIN clients c ON c.id = tokens.client_id "
	    "JOIN users u ON u.id = tokens.user_id "
	    "WHERE f.id = tokens.family_id AND f.revoked_at IS NULL "
	    "AND g.revoked_at IS NULL AND c.status = 'active' "
	    "AND u.status = 'active') "
	    "RETURNING family_id, grant_id, user_id",
	[S_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = ?2 "
	    "WHERE hash = ?1 AND revoked_at IS NULL",

	[S_AUDIT_INSERT] = "INSERT INTO audit_events (seq, time, type, actor, "
	    "client_id, user_id, grant_id, remote_addr, user_agent, detail, "
	    "prev_hash, hash) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[S_AUDIT_LAST] = "SELECT seq, hash FROM audit_events "
	    "ORDER BY seq DESC LIMIT 1",
	[S_AUDIT_SINCE] = "SELECT " AUDIT_COLS " "
	    "FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2",

	/* governance (sqlite_gov.c) */
	/* one statement: no second open alert with the same key while quiet */
	[S_ALERT_RAISE] = "INSERT INTO alerts (time, rule, severity, "
	    "client_id, user_id, grant_id, summary, evidence, dedupe_key, "
	    "next_attempt_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?1 "
	    "WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE dedupe_key = ?9 "
	    "AND time >= ?10 AND acked_at IS NULL)",
	/* open first, then by severity, newest first (store.h) */
	[S_ALERT_LIST] = "SELECT " ALERT_COLS " FROM alerts "
	    "WHERE (?1 = 0 OR acked_at IS NULL) "
	    "AND (?2 IS NULL OR client_id = ?2) " ALERT_ORDER " LIMIT ?3",
	[S_ALERT_COUNT] = "SELECT count(*) FROM alerts "
	    "WHERE (?1 = 0 OR acked_at IS NULL) "
	    "AND (?2 IS NULL OR client_id = ?2)",
	/* the inventory's walk: one batch of ids, a range of the key */
	[S_CLIENT_IDS] = "SELECT id FROM clients WHERE id > ?1 "
	    "ORDER BY id LIMIT ?2",
	[S_ALERT_ACK] = "UPDATE alerts SET acked_at = ?2, acked_by = ?3 "
	    "WHERE id = ?1 AND acked_at IS NULL",
	/* one statement leases a batch: concurrent claimers never share */
	[S_ALERT_CLAIM] = "UPDATE alerts SET next_attempt_at = ?3 "
	    "WHERE id IN (SELECT id FROM alerts WHERE delivered_at IS NULL "
	    "AND next_attempt_at <= ?1 AND time >= ?2 ORDER BY id LIMIT ?4) "
	    "RETURNING " ALERT_COLS,
	[S_ALERT_DELIVERED] = "UPDATE alerts SET delivered_at = ?2, "
	    "attempts = attempts + 1 WHERE id = ?1",
	[S_ALERT_RETRY] = "UPDATE alerts SET attempts = attempts + 1, "
	    "next_attempt_at = ?2 WHERE id = ?1 AND delivered_at IS NULL",
	[S_SIGHT_GET] = "SELECT count(*), coalesce(sum(value = ?3), 0) "
	    "FROM grant_sightings WHERE grant_id = ?1 AND kind = ?2",
	[S_SIGHT_PUT] = "INSERT INTO grant_sightings (grant_id, kind, value, "
	    "first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4) "
	    "ON CONFLICT DO UPDATE SET last_seen = ?4, hits = hits + 1",
	/*
	 * The inventory's figures (sqlite_gov.c usage_read): one client, or a
	 * batch of them (a keyset on the id), each with its usage.
	 */
	[S_USAGE_ONE] = USAGE_OF_CLIENTS "WHERE c.id = ?3",
	[S_USAGE_BATCH] = USAGE_OF_CLIENTS "WHERE c.id > ?3 ORDER BY c.id "
	    "LIMIT ?4",
	/*
	 * The lists of the clients with ids from ?1 to ?2 (those of one
	 * usage read), per client: the distinct scopes of its live grants
	 * (256 at most), the 64 latest sightings of any of its grants. The
	 * ties are ordered too, so that a batch and a single read agree.
	 */
	[S_USAGE_SCOPES] = "SELECT client_id, scope FROM (SELECT client_id, "
	    "scope, row_number() OVER (PARTITION BY client_id ORDER BY scope) "
	    "AS n FROM (SELECT DISTINCT client_id, scope FROM grants "
	    "WHERE client_id BETWEEN ?1 AND ?2 AND revoked_at IS NULL) d) r "
	    "WHERE n <= 256 ORDER BY client_id, n",
	[S_USAGE_SIGHTS] = "SELECT client_id, kind, value FROM (SELECT "
	    "g.client_id, s.kind, s.value, row_number() OVER (PARTITION BY "
	    "g.client_id ORDER BY s.last_seen DESC, s.grant_id, s.kind, "
	    "s.value) AS n FROM grants g JOIN grant_sightings s "
	    "ON s.grant_id = g.id WHERE g.client_id BETWEEN ?1 AND ?2) r "
	    "WHERE n <= 64 ORDER BY client_id, n",
	[S_AUDIT_OF_CLIENT] = "SELECT " AUDIT_COLS " FROM audit_events "
	    "WHERE client_id = ?1 AND time >= ?2 ORDER BY seq DESC LIMIT ?3",
	/* a bounded batch: the writer is held for this many at most */
	[S_GRANTS_EXPIRE] = "UPDATE grants SET revoked_at = ?2, "
	    "revoked_reason = 'unused' WHERE revoked_at IS NULL "
	    "AND id IN (SELECT id FROM grants WHERE revoked_at IS NULL "
	    "AND coalesce(last_used_at, created_at) < ?1 LIMIT "
	    XSTR(GH_GRANT_EXPIRE_BATCH) ")",

	/* administrators (sqlite_admin.c) */
	[S_ADMIN_INSERT] = "INSERT INTO admins (name, secret_hash, "
	    "created_at) VALUES (?1, ?2, ?3)",
	[S_ADMIN_BY_HASH] = "SELECT " ADMIN_COLS " FROM admins "
	    "WHERE secret_hash = ?1",
	[S_ADMIN_TOUCH] = "UPDATE admins SET last_used_at = ?2 "
	    "WHERE name = ?1 AND coalesce(last_used_at, 0) < ?2 - 60",
	[S_ADMIN_ALL] = "SELECT " ADMIN_COLS " FROM admins "
	    "ORDER BY created_at, name",
	[S_ADMIN_DISABLE] = "UPDATE admins SET disabled_at = ?2 "
	    "WHERE name = ?1 AND disabled_at IS NULL",
	[S_ADMIN_SESSION_INSERT] = "INSERT INTO admin_sessions (hash, admin, "
	    "created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
	[S_ADMIN_SESSION_GET] = "SELECT s.admin FROM admin_sessions s "
	    "JOIN admins a ON a.name = s.admin WHERE s.hash = ?1 "
	    "AND s.expires_at > ?2 AND a.disabled_at IS NULL",
	[S_ADMIN_SESSION_DELETE] = "DELETE FROM admin_sessions WHERE hash = ?1",
	[S_ADMIN_SESSION_PURGE] = "DELETE FROM admin_sessions WHERE hash IN "
	    "(SELECT hash FROM admin_sessions WHERE expires_at <= ?1 LIMIT 100)",
	/* ownership is part of the one conditional update */
	[S_GRANT_REVOKE_OWN] = "UPDATE grants SET revoked_at = ?3, "
	    "revoked_reason = ?4 WHERE id = ?1 AND user_id = ?2 "
	    "AND revoked_at IS NULL",
	[S_CLIENT_ACTIVITY] = "SELECT (time - ?2) / 3600, "
	    "type = 'token.refreshed', count(*) FROM audit_events "
	    "WHERE client_id = ?1 AND time >= ?2 AND time < ?3 "
	    "AND type IN ('token.issued', 'token.refreshed') "
	    "GROUP BY 1, 2",

	/* audit retention (sqlite_retention.c); one statement, one snapshot */
	[S_AUDIT_BASE] = "SELECT coalesce((SELECT seq FROM audit_base "
	    "WHERE id = 1), 0), (SELECT hash FROM audit_base WHERE id = 1), "
	    "coalesce((SELECT max(seq) FROM audit_events), 0), "
	    "(SELECT mac FROM audit_base WHERE id = 1)",
	/* the base only moves forward */
	[S_AUDIT_BASE_SET] = "INSERT INTO audit_base (id, seq, hash, mac) "
	    "VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE "
	    "SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac "
	    "WHERE audit_base.seq < excluded.seq",
	/* the events after the base a prune verified (sqlite_retention.c) */
	[S_AUDIT_PRUNE] = "DELETE FROM audit_events WHERE seq > ?1 "
	    "AND seq <= ?2",

	/*
	 * The token rate rule's counts (sqlite_rate.c): one range of the
	 * audit_client_time index (client_id, time), grouped into windows.
	 */
	[S_TOKEN_WINDOWS] = "SELECT (time - ?2) / ?4, count(*) "
	    "FROM audit_events WHERE client_id = ?1 AND time >= ?2 "
	    "AND time < ?3 AND type IN ('token.issued', 'token.refreshed') "
	    "GROUP BY 1",
};
