/*
 * pg_schema.c - the numbered migrations of the PostgreSQL backend, the SQL
 * of every prepared statement, and the migration runner.
 *
 * The schema_version table records the last migration applied. Migrations
 * run in one transaction that first takes an advisory lock, so two nodes
 * starting together apply each migration once: the second waits, then
 * finds nothing left to do. Never edit a released migration: add the next.
 *
 * The tables mirror the SQLite backend's (sqlite_schema.c) column for
 * column, so the two backends answer every query of store.h alike: times
 * are bigint Unix seconds, hashes bytea, flags integer 0/1.
 */
#include <stdio.h>

#include "pg_int.h"
#include "../util/log.h"

#define STR(x)	#x
#define XSTR(x)	STR(x)

static const char *const pg_migrations[] = {
	/* 1: everything of SQLite migrations 1-6 */
	"CREATE TABLE clients ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  owner TEXT NOT NULL,"
	"  public INTEGER NOT NULL,"
	"  auth_method TEXT NOT NULL,"
	"  secret_hash BYTEA,"
	"  redirect_uris TEXT NOT NULL,"	/* newline-separated */
	"  scopes TEXT NOT NULL,"		/* space-separated */
	"  status TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  secret_rotated_at BIGINT,"
	"  updated_at BIGINT NOT NULL,"
	"  id_token_alg TEXT NOT NULL DEFAULT 'RS256',"
	"  jwks TEXT NOT NULL DEFAULT '',"
	"  jwt_access_tokens INTEGER NOT NULL DEFAULT 0,"
	"  require_nonce INTEGER NOT NULL DEFAULT 0,"
	"  networks TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE users ("
	"  id TEXT PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  password_hash TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  updated_at BIGINT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  email TEXT NOT NULL DEFAULT '',"
	"  email_verified INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE sessions ("
	"  hash BYTEA PRIMARY KEY,"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  auth_time BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL);"
	"CREATE INDEX sessions_expiry ON sessions(expires_at);"
	"CREATE TABLE grants ("
	"  id TEXT PRIMARY KEY,"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  client_id TEXT NOT NULL REFERENCES clients(id),"
	"  scope TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  last_used_at BIGINT,"
	"  revoked_at BIGINT,"
	"  revoked_reason TEXT);"
	"CREATE UNIQUE INDEX grants_live ON grants(user_id, client_id)"
	"  WHERE revoked_at IS NULL;"
	"CREATE INDEX grants_client ON grants(client_id);"
	"CREATE TABLE codes ("
	"  hash BYTEA PRIMARY KEY,"
	"  grant_id TEXT NOT NULL REFERENCES grants(id),"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  redirect_uri TEXT NOT NULL,"
	"  challenge TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  nonce TEXT,"
	"  auth_time BIGINT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL,"
	"  consumed_at BIGINT);"
	"CREATE INDEX codes_expiry ON codes(expires_at);"
	"CREATE TABLE families ("
	"  id TEXT PRIMARY KEY,"
	"  grant_id TEXT NOT NULL REFERENCES grants(id),"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  code_hash BYTEA,"
	"  created_at BIGINT NOT NULL,"
	"  revoked_at BIGINT,"
	"  revoked_reason TEXT);"
	"CREATE INDEX families_code ON families(code_hash);"
	"CREATE TABLE tokens ("
	"  hash BYTEA PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  family_id TEXT NOT NULL REFERENCES families(id),"
	"  grant_id TEXT NOT NULL,"
	"  client_id TEXT NOT NULL,"
	"  user_id TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"
	"  issued_at BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL,"
	"  rotated_at BIGINT,"
	"  revoked_at BIGINT);"
	"CREATE INDEX tokens_family ON tokens(family_id);"
	"CREATE INDEX tokens_expiry ON tokens(expires_at);"
	"CREATE TABLE audit_events ("
	"  seq BIGINT PRIMARY KEY,"	/* set by the chain, 1, 2, ... */
	"  time BIGINT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  actor TEXT,"
	"  client_id TEXT,"
	"  user_id TEXT,"
	"  grant_id TEXT,"
	"  remote_addr TEXT,"
	"  user_agent TEXT,"
	"  detail TEXT,"
	"  prev_hash BYTEA,"
	"  hash BYTEA);"
	"CREATE INDEX audit_client ON audit_events(client_id, seq);"
	"CREATE TABLE signing_keys ("
	"  n BIGINT GENERATED ALWAYS AS IDENTITY,"	/* insertion order */
	"  kid TEXT PRIMARY KEY,"
	"  alg TEXT NOT NULL,"
	"  private_sealed TEXT NOT NULL,"	/* AES-256-GCM, see jose/ */
	"  public_jwk TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  activate_at BIGINT NOT NULL,"
	"  retire_at BIGINT);"
	"CREATE TABLE assertion_jtis ("
	"  client_id TEXT NOT NULL,"
	"  jti_hash BYTEA NOT NULL,"
	"  expires_at BIGINT NOT NULL,"
	"  PRIMARY KEY (client_id, jti_hash));"
	"CREATE INDEX assertion_jtis_expiry ON assertion_jtis(expires_at);",
	/* 2: SQLite 7: governance: alerts and their outbox, grant sightings */
	"CREATE TABLE alerts ("
	"  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  time BIGINT NOT NULL,"
	"  rule TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  client_id TEXT,"
	"  user_id TEXT,"
	"  grant_id TEXT,"
	"  summary TEXT NOT NULL,"
	"  evidence TEXT NOT NULL,"
	"  dedupe_key TEXT NOT NULL,"
	"  acked_at BIGINT,"
	"  acked_by TEXT,"
	"  delivered_at BIGINT,"
	"  attempts BIGINT NOT NULL DEFAULT 0,"
	"  next_attempt_at BIGINT NOT NULL);"
	"CREATE INDEX alerts_key ON alerts(dedupe_key, time);"
	"CREATE INDEX alerts_client ON alerts(client_id, id);"
	"CREATE INDEX alerts_outbox ON alerts(next_attempt_at) "
	"  WHERE delivered_at IS NULL;"
	"CREATE TABLE grant_sightings ("
	"  grant_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  first_seen BIGINT NOT NULL,"
	"  last_seen BIGINT NOT NULL,"
	"  hits BIGINT NOT NULL DEFAULT 1,"
	"  PRIMARY KEY (grant_id, kind, value));"
	"CREATE INDEX families_grant ON families(grant_id);",
	/* 3: SQLite 8: administrators of the admin API and console */
	"CREATE TABLE admins ("
	"  name TEXT PRIMARY KEY,"
	"  secret_hash BYTEA NOT NULL UNIQUE,"
	"  created_at BIGINT NOT NULL,"
	"  disabled_at BIGINT,"
	"  last_used_at BIGINT);"
	"CREATE TABLE admin_sessions ("
	"  hash BYTEA PRIMARY KEY,"
	"  admin TEXT NOT NULL REFERENCES admins(name),"
	"  created_at BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL);"
	"CREATE INDEX admin_sessions_expiry ON admin_sessions(expires_at);"
	"CREATE INDEX audit_client_time ON audit_events(client_id, time);",
	/* 4: rows that pg_flush rewrites to flush the WAL (pg.c flush_slot) */
	"CREATE TABLE flush_marks ("
	"  slot INTEGER PRIMARY KEY,"
	"  n BIGINT NOT NULL);",
	/*
	 * 5: every change to clients, by any node, tool or hand, tells the
	 * nodes' client caches (pg_cache.c) at its commit
	 */
	"CREATE FUNCTION clients_changed() RETURNS trigger LANGUAGE plpgsql "
	"  AS $$BEGIN PERFORM pg_notify('" PG_CLIENTS_CHANNEL "', ''); "
	"  RETURN NULL; END$$;"
	"CREATE TRIGGER clients_changed AFTER INSERT OR UPDATE OR DELETE "
	"  OR TRUNCATE ON clients FOR EACH STATEMENT "
	"  EXECUTE FUNCTION clients_changed();",
	/*
	 * 6: SQLite 11: a password change or a disable ends every browser
	 * session of the user (indexed by user); sessions of users disabled
	 * before that rule would come back on enable, so they end now
	 */
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"DELETE FROM sessions WHERE user_id IN "
	"  (SELECT id FROM users WHERE status <> 'active');",
	/*
	 * 7: SQLite 12: audit retention: where the kept chain starts once
	 * its oldest events were deleted (store_audit_prune), one row
	 */
	"CREATE TABLE audit_base ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq BIGINT NOT NULL,"		/* the last event deleted */
	"  hash BYTEA NOT NULL);",		/* its hash */
	/* 8: SQLite 13: the base's MAC under the audit key */
	"ALTER TABLE audit_base ADD COLUMN mac BYTEA;",
	/* 9: SQLite 14: the purge finds revoked grants by this */
	"CREATE INDEX grants_revoked ON grants(revoked_at) "
	"  WHERE revoked_at IS NOT NULL;",
};

#define NMIGRATIONS ((int)(sizeof(pg_migrations) / sizeof(pg_migrations[0])))

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
#define KEY_COLS "kid, alg, private_sealed, public_jwk, created_at, " \
	"activate_at, coalesce(retire_at, 0)"
#define PG_ALERT_COLS "id, time, rule, severity, coalesce(client_id, ''), " \
	"coalesce(user_id, ''), coalesce(grant_id, ''), summary, evidence, " \
	"dedupe_key, coalesce(acked_at, 0), coalesce(acked_by, ''), " \
	"coalesce(delivered_at, 0), attempts, next_attempt_at"
#define PG_ALERT_ORDER "ORDER BY acked_at IS NOT NULL, CASE severity " \
	"WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 " \
	"END, id DESC"
#define PG_ADMIN_COLS "name, secret_hash, created_at, " \
	"coalesce(disabled_at, 0), coalesce(last_used_at, 0)"
/* revocation by ancestry: family, grant, client and user all live */
#define ANCESTRY_LIVE "f.revoked_at IS NULL AND g.revoked_at IS NULL " \
	"AND c.status = 'active' AND u.status = 'active'"
/* a code is redeemed only while its grant, client and user are live */
#define CODE_ANCESTRY_LIVE "EXISTS (SELECT 1 FROM grants g " \
	"JOIN clients c ON c.id = codes.client_id " \
	"JOIN users u ON u.id = codes.user_id " \
	"WHERE g.id = codes.grant_id AND g.revoked_at IS NULL " \
	"AND c.status = 'active' AND u.status = 'active')"

/*
 * Client rows with their usage figures, as SQLite's USAGE_OF_CLIENTS
 * (sqlite_schema.c, where each figure is explained): $1 the time, $2
 * whether to count live tokens. Each figure is a subplan run per client
 * row through an index on the client (audit_client for the audit times).
 */
#define USAGE_OF_CLIENTS "SELECT " CLIENT_COLS ", " \
	"(SELECT count(*) FROM grants g WHERE g.client_id = c.id " \
	"AND g.revoked_at IS NULL), " \
	"(SELECT count(DISTINCT g.user_id) FROM grants g " \
	"WHERE g.client_id = c.id AND g.revoked_at IS NULL), " \
	"CASE WHEN $2::int <> 0 AND c.status = 'active' THEN " \
	"(SELECT count(*) FROM grants g " \
	"JOIN families f ON f.grant_id = g.id " \
	"JOIN tokens t ON t.family_id = f.id " \
	"JOIN users u ON u.id = g.user_id " \
	"WHERE g.client_id = c.id AND g.revoked_at IS NULL " \
	"AND f.revoked_at IS NULL AND t.revoked_at IS NULL " \
	"AND t.rotated_at IS NULL AND t.expires_at > $1::bigint " \
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

const char *const pg_sql[P_COUNT] = {
	[P_CLIENT_INSERT] = "INSERT INTO clients (" CLIENT_COLS ") "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	    "$14, $15, $16, $17)",
	[P_CLIENT_GET] = "SELECT " CLIENT_COLS " FROM clients WHERE id = $1",
	[P_CLIENT_ALL] = "SELECT " CLIENT_COLS " FROM clients "
	    "ORDER BY created_at, id",
	/* conditional: only from the status the caller read ($4) */
	[P_CLIENT_STATUS] = "UPDATE clients SET status = $2, updated_at = $3 "
	    "WHERE id = $1 AND status = $4",
	[P_CLIENT_SECRET] = "UPDATE clients SET secret_hash = $2, "
	    "secret_rotated_at = $3, updated_at = $3 WHERE id = $1 "
	    "AND auth_method IN ('client_secret_basic', "
	    "'client_secret_post')",

	[P_USER_INSERT] = "INSERT INTO users (id, username, password_hash, "
	    "status, created_at, updated_at, name, email, email_verified) "
	    "VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
	[P_USER_BY_NAME] = "SELECT " USER_COLS " FROM users "
	    "WHERE username = $1",
	[P_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = $1",
	[P_USER_ALL] = "SELECT " USER_COLS " FROM users "
	    "ORDER BY created_at, username",
	[P_USER_STATUS] = "UPDATE users SET status = $2, updated_at = $3 "
	    "WHERE id = $1",
	[P_USER_PASSWORD] = "UPDATE users SET password_hash = $2, "
	    "updated_at = $3 WHERE id = $1",
	[P_USER_PROFILE] = "UPDATE users SET name = $2, email = $3, "
	    "email_verified = $4, updated_at = $5 WHERE id = $1",

	[P_KEY_INSERT] = "INSERT INTO signing_keys (kid, alg, private_sealed, "
	    "public_jwk, created_at, activate_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6)",
	/*
	 * A first key: none if a key of its alg is stored. Not race-proof
	 * by itself under READ COMMITTED (two transactions each see no
	 * key): run under PG_LOCK_KEYS, taken before it, whose holder
	 * commits before this statement's snapshot is taken.
	 */
	[P_KEY_INSERT_FIRST] = "INSERT INTO signing_keys (kid, alg, "
	    "private_sealed, public_jwk, created_at, activate_at) "
	    "SELECT $1, $2, $3, $4, $5::bigint, $6::bigint WHERE NOT EXISTS "
	    "(SELECT 1 FROM signing_keys WHERE alg = $2)",
	[P_KEY_ALL] = "SELECT " KEY_COLS " FROM signing_keys "
	    "ORDER BY activate_at, created_at, n",
	[P_KEY_RETIRE] = "UPDATE signing_keys SET retire_at = $2 "
	    "WHERE kid = $1 AND retire_at IS NULL",
	[P_KEY_DELETE] = "DELETE FROM signing_keys WHERE kid = $1",
	/* replay cache: the primary key decides; a second use inserts 0 */
	[P_JTI_INSERT] = "INSERT INTO assertion_jtis (client_id, jti_hash, "
	    "expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	/* kept GH_JTI_KEEP_SECONDS past exp, for nodes whose clock is behind */
	[P_JTI_PURGE] = "DELETE FROM assertion_jtis WHERE expires_at < $1 - "
	    XSTR(GH_JTI_KEEP_SECONDS),
	/* purge: bounded batches of rows past any use (see store_purge) */
	/*
	 * Tokens, and the families they leave empty (a family starts with its
	 * tokens, so it is empty only once the purge took the last one). Every
	 * part of a WITH sees the table as it was before the statement: the
	 * tokens deleted here are left out of the emptiness test by hand.
	 */
	[P_PURGE_TOKENS] = "WITH gone AS (DELETE FROM tokens WHERE hash IN "
	    "(SELECT hash FROM tokens WHERE expires_at < $1 LIMIT $2) "
	    "RETURNING hash, family_id), "
	    "fam AS (DELETE FROM families f WHERE f.id IN "
	    "(SELECT family_id FROM gone) AND NOT EXISTS "
	    "(SELECT 1 FROM tokens t WHERE t.family_id = f.id "
	    "AND t.hash NOT IN (SELECT hash FROM gone)) RETURNING 1) "
	    "SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM fam)",
	[P_PURGE_CODES] = "DELETE FROM codes WHERE hash IN (SELECT hash "
	    "FROM codes WHERE expires_at < $1 LIMIT $2)",
	[P_PURGE_SESSIONS] = "DELETE FROM sessions WHERE hash IN (SELECT hash "
	    "FROM sessions WHERE expires_at < $1 LIMIT $2)",
	/*
	 * Revoked grants nothing refers to any more, with their sightings
	 * (as sqlite_schema.c; the families and codes went first).
	 */
	[P_PURGE_GRANTS] = "WITH g AS (DELETE FROM grants WHERE id IN "
	    "(SELECT g.id FROM grants g WHERE g.revoked_at < $1 AND NOT EXISTS "
	    "(SELECT 1 FROM families f WHERE f.grant_id = g.id) AND NOT EXISTS "
	    "(SELECT 1 FROM codes c WHERE c.grant_id = g.id) LIMIT $2) "
	    "RETURNING id), "
	    "s AS (DELETE FROM grant_sightings WHERE grant_id IN "
	    "(SELECT id FROM g) RETURNING 1) "
	    "SELECT (SELECT count(*) FROM g), (SELECT count(*) FROM s)",
	/* as sqlite_schema.c: acknowledged, and done with by the webhook */
	[P_PURGE_ALERTS] = "DELETE FROM alerts WHERE id IN (SELECT id "
	    "FROM alerts WHERE acked_at < $1 AND (delivered_at IS NOT NULL "
	    "OR time < $3) LIMIT $2)",

	[P_CLIENT_QUARANTINE] = "UPDATE clients SET status = 'quarantined', "
	    "secret_hash = CASE WHEN secret_hash IS NULL THEN NULL "
	    "ELSE $2::bytea END, "
	    "secret_rotated_at = $3, updated_at = $3 WHERE id = $1",
	[P_GRANTS_REVOKE_CLIENT] = "UPDATE grants SET revoked_at = $2, "
	    "revoked_reason = $3 WHERE client_id = $1 AND revoked_at IS NULL",
	[P_GRANT_LIST] = "SELECT g.id, g.user_id, g.client_id, g.scope, "
	    "g.created_at, coalesce(g.last_used_at, 0), u.username "
	    "FROM grants g JOIN users u ON u.id = g.user_id "
	    "WHERE g.revoked_at IS NULL "
	    "AND ($1::text IS NULL OR g.client_id = $1::text) "
	    "AND ($2::text IS NULL OR g.user_id = $2::text) "
	    "ORDER BY g.created_at, g.id",
	[P_GRANT_REVOKE_ID] = "UPDATE grants SET revoked_at = $2, "
	    "revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL",
	[P_GRANTS_REVOKE_USER] = "UPDATE grants SET revoked_at = $2, "
	    "revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL",

	/*
	 * only while the user is active with the password hash the login
	 * checked ($5); FOR SHARE holds the user's row until the insert
	 * commits, so a password change or disable (user_update) either
	 * comes first and this inserts nothing, or waits and then deletes
	 * this session with the others
	 */
	[P_SESSION_INSERT] = "INSERT INTO sessions (hash, user_id, auth_time, "
	    "expires_at) SELECT $1::bytea, $2::text, $3::bigint, $4::bigint "
	    "FROM users WHERE id = $2::text AND status = 'active' "
	    "AND password_hash = $5::text FOR SHARE",
	[P_SESSION_GET] = "SELECT s.user_id, s.auth_time, s.expires_at, "
	    "u.username "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.hash = $1 AND s.expires_at > $2 AND u.status = 'active'",
	[P_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = $1",
	/* with a password change or a disable, in its transaction */
	[P_SESSIONS_END_USER] = "DELETE FROM sessions WHERE user_id = $1",
	/* P_SESSION_GET with the user's live grant to client $3, if any */
	[P_SESSION_GRANT] = "SELECT s.user_id, s.auth_time, s.expires_at, "
	    "u.username, g.id, g.scope, g.created_at, "
	    "coalesce(g.last_used_at, 0) "
	    "FROM sessions s JOIN users u ON u.id = s.user_id "
	    "LEFT JOIN grants g ON g.user_id = s.user_id "
	    "AND g.client_id = $3 AND g.revoked_at IS NULL "
	    "WHERE s.hash = $1 AND s.expires_at > $2 AND u.status = 'active'",

	[P_GRANT_FIND] = "SELECT id, user_id, client_id, scope, created_at, "
	    "coalesce(last_used_at, 0) FROM grants WHERE user_id = $1 "
	    "AND client_id = $2 AND revoked_at IS NULL",
	/* a grant by id, live or not (store_grant_get) */
	[P_GRANT_GET] = "SELECT id, user_id, client_id, scope, created_at, "
	    "coalesce(last_used_at, 0) FROM grants WHERE id = $1",
	/*
	 * At most one live grant per pair: the partial unique index
	 * decides. Written only while the client and the user are active
	 * (no row, nothing written, otherwise), and FOR SHARE holds both
	 * rows until this statement commits: a quarantine or a disable
	 * (an UPDATE of the row) either commits first, and this waits for
	 * it and then finds the status changed, or waits for this grant's
	 * commit, and the quarantine's revocation, a later statement of
	 * its transaction, sees the grant. Without the lock, an uncommitted
	 * quarantine's revocation would miss the grant and this insert
	 * would still read the client as active. The quarantine, the one
	 * writer of a client's row that then writes grants, takes the
	 * client's row first, as this does: the two cannot deadlock.
	 */
	[P_GRANT_UPSERT] = "INSERT INTO grants (id, user_id, client_id, "
	    "scope, created_at) SELECT $1::text, u.id, c.id, $4::text, "
	    "$5::bigint FROM clients c, users u WHERE c.id = $3::text "
	    "AND c.status = 'active' AND u.id = $2::text "
	    "AND u.status = 'active' FOR SHARE OF c, u "
	    "ON CONFLICT (user_id, client_id) WHERE revoked_at IS NULL "
	    "DO UPDATE SET scope = EXCLUDED.scope "
	    "RETURNING id, created_at, coalesce(last_used_at, 0)",
	[P_GRANT_TOUCH] = "UPDATE grants SET last_used_at = $2 WHERE id = $1",

	[P_CODE_INSERT] = "INSERT INTO codes (hash, grant_id, client_id, "
	    "user_id, redirect_uri, challenge, scope, nonce, auth_time, "
	    "created_at, expires_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
	[P_CODE_GET] = "SELECT grant_id, client_id, user_id, redirect_uri, "
	    "challenge, scope, nonce, auth_time, created_at, expires_at, "
	    "consumed_at IS NOT NULL FROM codes WHERE hash = $1",
	/* single use: this one conditional update decides every race */
	[P_CODE_CONSUME] = "UPDATE codes SET consumed_at = $2 "
	    "WHERE hash = $1 AND consumed_at IS NULL AND expires_at > $2 "
	    "AND " CODE_ANCESTRY_LIVE,
	[P_FAMILY_INSERT] = "INSERT INTO families (id, grant_id, client_id, "
	    "user_id, code_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
	[P_FAMILY_REVOKE_CODE] = "UPDATE families SET revoked_at = $2, "
	    "revoked_reason = $3 WHERE code_hash = $1 AND revoked_at IS NULL",
	[P_FAMILY_REVOKE] = "UPDATE families SET revoked_at = $2, "
	    "revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL",

	[P_TOKEN_INSERT] = "INSERT INTO tokens (hash, kind, family_id, "
	    "grant_id, client_id, user_id, scope, issued_at, expires_at) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	[P_TOKEN_LIVE] = "SELECT " TOKEN_COLS ", f.created_at FROM tokens t "
	    "JOIN families f ON f.id = t.family_id "
	    "JOIN grants g ON g.id = t.grant_id "
	    "JOIN clients c ON c.id = t.client_id "
	    "JOIN users u ON u.id = t.user_id "
	    "WHERE t.hash = $1 AND t.expires_at > $2 AND t.revoked_at IS NULL "
	    "AND t.rotated_at IS NULL AND " ANCESTRY_LIVE,
	[P_TOKEN_GET] = "SELECT " TOKEN_COLS ", " FAMILY_CREATED ", "
	    "t.rotated_at IS NOT NULL FROM tokens t WHERE t.hash = $1",
	/* single use of a refresh token: one conditional update */
	[P_REFRESH_ROTATE] = "UPDATE tokens SET rotated_at = $3 "
	    "WHERE hash = $1 AND kind = 'refresh' AND client_id = $2 "
	    "AND rotated_at IS NULL AND revoked_at IS NULL "
	    "AND expires_at > $3 AND EXISTS (SELECT 1 FROM families f "
	    "JOIN grants g ON g.id = f.grant_id "
	    "JOIN clients c ON c.id = tokens.client_id "
	    "JOIN users u ON u.id = tokens.user_id "
	    "WHERE f.id = tokens.family_id AND " ANCESTRY_LIVE ") "
	    "RETURNING family_id, grant_id, user_id",
	[P_TOKEN_REVOKE] = "UPDATE tokens SET revoked_at = $2 "
	    "WHERE hash = $1 AND revoked_at IS NULL",

	/* one job at a time across connections and nodes: until commit */
	[P_XACT_LOCK] = "SELECT pg_advisory_xact_lock($1::bigint)",
	[P_AUDIT_INSERT] = "INSERT INTO audit_events (seq, time, type, actor, "
	    "client_id, user_id, grant_id, remote_addr, user_agent, detail, "
	    "prev_hash, hash) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	[P_AUDIT_LAST] = "SELECT seq, hash FROM audit_events "
	    "ORDER BY seq DESC LIMIT 1",
	[P_AUDIT_SINCE] = "SELECT seq, time, type, actor, client_id, user_id, "
	    "grant_id, remote_addr, user_agent, detail, prev_hash, hash "
	    "FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",

	/* governance (pg_gov.c); see sqlite_schema.c for the same queries */
	[P_ALERT_LOCK] = "SELECT pg_advisory_xact_lock($1::int, "
	    "hashtext($2::text))",
	[P_ALERT_RAISE] = "INSERT INTO alerts (time, rule, severity, "
	    "client_id, user_id, grant_id, summary, evidence, dedupe_key, "
	    "next_attempt_at) SELECT $1::bigint, $2::text, $3::text, "
	    "$4::text, $5::text, $6::text, $7::text, $8::text, $9::text, "
	    "$1::bigint WHERE NOT EXISTS (SELECT 1 FROM alerts "
	    "WHERE dedupe_key = $9::text AND time >= $10::bigint "
	    "AND acked_at IS NULL) RETURNING id",
	[P_ALERT_LIST] = "SELECT " PG_ALERT_COLS " FROM alerts "
	    "WHERE ($1::int = 0 OR acked_at IS NULL) "
	    "AND ($2::text IS NULL OR client_id = $2::text) "
	    PG_ALERT_ORDER " LIMIT $3",
	[P_ALERT_COUNT] = "SELECT count(*) FROM alerts "
	    "WHERE ($1::int = 0 OR acked_at IS NULL) "
	    "AND ($2::text IS NULL OR client_id = $2::text)",
	[P_CLIENT_IDS] = "SELECT id FROM clients WHERE id > $1 "
	    "ORDER BY id LIMIT $2",
	[P_ALERT_ACK] = "UPDATE alerts SET acked_at = $2, acked_by = $3 "
	    "WHERE id = $1 AND acked_at IS NULL",
	/* SKIP LOCKED: two nodes never lease the same alert */
	[P_ALERT_CLAIM] = "UPDATE alerts SET next_attempt_at = $3 "
	    "WHERE id IN (SELECT id FROM alerts WHERE delivered_at IS NULL "
	    "AND next_attempt_at <= $1 AND time >= $2 ORDER BY id LIMIT $4 "
	    "FOR UPDATE SKIP LOCKED) RETURNING " PG_ALERT_COLS,
	[P_ALERT_DELIVERED] = "UPDATE alerts SET delivered_at = $2, "
	    "attempts = attempts + 1 WHERE id = $1",
	[P_ALERT_RETRY] = "UPDATE alerts SET attempts = attempts + 1, "
	    "next_attempt_at = $2 WHERE id = $1 AND delivered_at IS NULL",
	[P_SIGHT_LOCK] = "SELECT pg_advisory_xact_lock($1::int, "
	    "hashtext($2::text))",
	[P_SIGHT_GET] = "SELECT count(*), count(*) FILTER (WHERE value = $3) "
	    "FROM grant_sightings WHERE grant_id = $1 AND kind = $2",
	[P_SIGHT_PUT] = "INSERT INTO grant_sightings (grant_id, kind, value, "
	    "first_seen, last_seen) VALUES ($1, $2, $3, $4, $4) "
	    "ON CONFLICT (grant_id, kind, value) DO UPDATE "
	    "SET last_seen = $4, hits = grant_sightings.hits + 1",
	/* the inventory's figures: one client, or a batch (pg_gov.c) */
	[P_USAGE_ONE] = USAGE_OF_CLIENTS "WHERE c.id = $3",
	[P_USAGE_BATCH] = USAGE_OF_CLIENTS "WHERE c.id > $3 ORDER BY c.id "
	    "LIMIT $4",
	/* the lists of the clients with ids from $1 to $2, as on SQLite */
	[P_USAGE_SCOPES] = "SELECT client_id, scope FROM (SELECT client_id, "
	    "scope, row_number() OVER (PARTITION BY client_id ORDER BY scope) "
	    "AS n FROM (SELECT DISTINCT client_id, scope FROM grants "
	    "WHERE client_id BETWEEN $1 AND $2 AND revoked_at IS NULL) d) r "
	    "WHERE n <= 256 ORDER BY client_id, n",
	/*
	 * Each grant's sightings by its key: joined plainly, the planner may
	 * hash the whole sightings table for every batch (it did with 80,000
	 * rows). A LATERAL subquery with OFFSET 0 is not merged into the
	 * join, so it stays a lookup per grant.
	 */
	[P_USAGE_SIGHTS] = "SELECT client_id, kind, value FROM (SELECT "
	    "g.client_id, s.kind, s.value, row_number() OVER (PARTITION BY "
	    "g.client_id ORDER BY s.last_seen DESC, g.id, s.kind, s.value) "
	    "AS n FROM grants g CROSS JOIN LATERAL (SELECT s.kind, s.value, "
	    "s.last_seen FROM grant_sightings s WHERE s.grant_id = g.id "
	    "OFFSET 0) s WHERE g.client_id BETWEEN $1 AND $2) r "
	    "WHERE n <= 64 ORDER BY client_id, n",
	[P_AUDIT_OF_CLIENT] = "SELECT seq, time, type, actor, client_id, "
	    "user_id, grant_id, remote_addr, user_agent, detail, prev_hash, "
	    "hash FROM audit_events WHERE client_id = $1 AND time >= $2 "
	    "ORDER BY seq DESC LIMIT $3",
	/*
	 * A bounded batch, so the chain's lock (the event is in the same
	 * transaction) is not held for a mass expiry; revoked_at is checked
	 * again outside the subquery, where a row another node revoked
	 * meanwhile is seen after its lock (not revoked, nor counted, twice).
	 */
	[P_GRANTS_EXPIRE] = "UPDATE grants SET revoked_at = $2, "
	    "revoked_reason = 'unused' WHERE revoked_at IS NULL "
	    "AND id IN (SELECT id FROM grants WHERE revoked_at IS NULL "
	    "AND coalesce(last_used_at, created_at) < $1 LIMIT "
	    XSTR(GH_GRANT_EXPIRE_BATCH) ")",

	/* administration (pg_admin.c) */
	[P_ADMIN_INSERT] = "INSERT INTO admins (name, secret_hash, "
	    "created_at) VALUES ($1, $2, $3)",
	[P_ADMIN_BY_HASH] = "SELECT " PG_ADMIN_COLS " FROM admins "
	    "WHERE secret_hash = $1",
	[P_ADMIN_TOUCH] = "UPDATE admins SET last_used_at = $2 "
	    "WHERE name = $1 AND coalesce(last_used_at, 0) < $2 - 60",
	[P_ADMIN_ALL] = "SELECT " PG_ADMIN_COLS " FROM admins "
	    "ORDER BY created_at, name",
	[P_ADMIN_DISABLE] = "UPDATE admins SET disabled_at = $2 "
	    "WHERE name = $1 AND disabled_at IS NULL",
	[P_ADMIN_SESSION_INSERT] = "INSERT INTO admin_sessions (hash, admin, "
	    "created_at, expires_at) VALUES ($1, $2, $3, $4)",
	[P_ADMIN_SESSION_GET] = "SELECT s.admin FROM admin_sessions s "
	    "JOIN admins a ON a.name = s.admin WHERE s.hash = $1 "
	    "AND s.expires_at > $2 AND a.disabled_at IS NULL",
	[P_ADMIN_SESSION_DELETE] = "DELETE FROM admin_sessions "
	    "WHERE hash = $1",
	[P_ADMIN_SESSION_PURGE] = "DELETE FROM admin_sessions WHERE hash IN "
	    "(SELECT hash FROM admin_sessions WHERE expires_at <= $1 "
	    "LIMIT 100)",
	[P_GRANT_REVOKE_OWN] = "UPDATE grants SET revoked_at = $3, "
	    "revoked_reason = $4 WHERE id = $1 AND user_id = $2 "
	    "AND revoked_at IS NULL",
	[P_CLIENT_ACTIVITY] = "SELECT (time - $2::bigint) / 3600, "
	    "(type = 'token.refreshed')::int, count(*) FROM audit_events "
	    "WHERE client_id = $1 AND time >= $2::bigint "
	    "AND time < $3::bigint "
	    "AND type IN ('token.issued', 'token.refreshed') "
	    "GROUP BY 1, 2",
	/* a durable commit that flushes the WAL up to itself (pg_flush) */
	[P_FLUSH_MARK] = "INSERT INTO flush_marks (slot, n) VALUES ($1, 1) "
	    "ON CONFLICT (slot) DO UPDATE SET n = flush_marks.n + 1",
	/* P_CODE_CONSUME giving the row as it was, for store_code_take */
	[P_CODE_TAKE] = "UPDATE codes SET consumed_at = $2 "
	    "WHERE hash = $1 AND consumed_at IS NULL AND expires_at > $2 "
	    "AND " CODE_ANCESTRY_LIVE " "
	    "RETURNING grant_id, client_id, user_id, redirect_uri, "
	    "challenge, scope, nonce, auth_time, created_at, expires_at, "
	    "false",
	/* P_AUDIT_INSERT only if the event it follows is there as chained */
	[P_AUDIT_INSERT_AFTER] = "INSERT INTO audit_events (seq, time, type, "
	    "actor, client_id, user_id, grant_id, remote_addr, user_agent, "
	    "detail, prev_hash, hash) "
	    "SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::text, "
	    "$6::text, $7::text, $8::text, $9::text, $10::text, $11::bytea, "
	    "$12::bytea WHERE EXISTS (SELECT 1 FROM audit_events "
	    "WHERE seq = $1::bigint - 1 AND hash = $11::bytea)",
	/* P_REFRESH_ROTATE giving the whole row, for store_refresh_take */
	[P_REFRESH_TAKE] = "UPDATE tokens t SET rotated_at = $3 "
	    "WHERE t.hash = $1 AND t.kind = 'refresh' AND t.client_id = $2 "
	    "AND t.rotated_at IS NULL AND t.revoked_at IS NULL "
	    "AND t.expires_at > $3 AND EXISTS (SELECT 1 FROM families f "
	    "JOIN grants g ON g.id = f.grant_id "
	    "JOIN clients c ON c.id = t.client_id "
	    "JOIN users u ON u.id = t.user_id "
	    "WHERE f.id = t.family_id AND " ANCESTRY_LIVE ") "
	    "RETURNING " TOKEN_COLS ", " FAMILY_CREATED,

	/* audit retention (pg_retention.c); one statement, one snapshot */
	[P_AUDIT_BASE] = "SELECT coalesce((SELECT seq FROM audit_base "
	    "WHERE id = 1), 0), (SELECT hash FROM audit_base WHERE id = 1), "
	    "coalesce((SELECT max(seq) FROM audit_events), 0), "
	    "(SELECT mac FROM audit_base WHERE id = 1)",
	/* the base only moves forward */
	[P_AUDIT_BASE_SET] = "INSERT INTO audit_base (id, seq, hash, mac) "
	    "VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE "
	    "SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac "
	    "WHERE audit_base.seq < excluded.seq",
	/* the events after the base a prune verified (pg_retention.c) */
	[P_AUDIT_PRUNE] = "DELETE FROM audit_events WHERE seq > $1 "
	    "AND seq <= $2",
	/* the rows a redemption and a rotation lock first (pg_outcome.c) */
	[P_CODE_FENCE] = "SELECT 1 FROM codes WHERE hash = $1 FOR UPDATE",
	[P_TOKEN_FENCE] = "SELECT 1 FROM tokens WHERE hash = $1 FOR UPDATE",

	/*
	 * The token rate rule's counts (pg_rate.c): one range of the
	 * audit_client_time index (client_id, time), grouped into windows.
	 */
	[P_TOKEN_WINDOWS] = "SELECT (time - $2) / $4, count(*) "
	    "FROM audit_events WHERE client_id = $1 AND time >= $2 "
	    "AND time < $3 AND type IN ('token.issued', 'token.refreshed') "
	    "GROUP BY 1",
};

/* The version recorded in schema_version (0 if none), or -1. */
static int
schema_version(struct pg_conn *c)
{
	PGresult	*r;
	int		 v = -1;

	r = PQexecParams(c->conn, "SELECT coalesce(max(version), 0)::bigint "
	    "FROM schema_version", 0, NULL, NULL, NULL, NULL, 1);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = (int)pg_col_int(r, 0, 0);
	PQclear(r);
	return v;
}

enum gh_err
pg_migrate(struct pg_conn *c)
{
	char		 sql[96], ver[16];
	enum gh_err	 rc;
	int		 v;

	if ((rc = pg_begin(c)) != GH_OK)
		return rc;
	/* one migrator at a time across every node; released at commit */
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d)",
	    PG_LOCK_MIGRATE);
	if ((rc = pg_simple(c, sql)) != GH_OK ||
	    (rc = pg_simple(c, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL "
	    "DEFAULT now())")) != GH_OK)
		return pg_finish(c, rc);
	if ((v = schema_version(c)) < 0 || v > NMIGRATIONS) {
		log_kv(LOG_ERROR, "store_error", "backend", "postgres", "msg",
		    v < 0 ? "cannot read schema_version" :
		    "database schema is newer than this binary", NULL);
		return pg_finish(c, GH_ERR_STORE);
	}
	for (; rc == GH_OK && v < NMIGRATIONS; v++) {
		snprintf(ver, sizeof(ver), "%d", v + 1);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version "
		    "(version) VALUES (%s)", ver);
		if ((rc = pg_simple(c, pg_migrations[v])) == GH_OK &&
		    (rc = pg_simple(c, sql)) == GH_OK)
			log_kv(LOG_INFO, "store_migrated", "backend",
			    "postgres", "version", ver, NULL);
	}
	return pg_finish(c, rc);
}
