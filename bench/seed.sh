#!/usr/bin/env bash
# bench/seed.sh - fill a Gatehouse SQLite database with N live token rows of
# one client, straight through the sqlite3 CLI (recursive CTEs), so that a
# run can show how the hot paths behave with a large store. The server must
# not be running.
#
#   bench/seed.sh DATABASE CLIENT_ID N
#
# Shape (schema of src/store/sqlite_schema.c): one seed user and one live
# grant per 1,000 tokens, one family per 2 tokens (an access and a refresh
# token, as one code redemption mints), token hashes random, ids random-
# looking (SHA3 of a counter, so rows land all over the B-trees as real
# random ids do), everything live for 30 days so the background purge
# leaves it alone. The seed users have no usable password.
set -euo pipefail
[ $# -eq 3 ] || { sed -n 2,14p "$0"; exit 2; }
db="$1" client="$2" n="$3"
[[ "$n" =~ ^[0-9]+$ ]] && (( n >= 1 && n <= 100000000 )) || { echo "seed.sh: N in 1..1e8" >&2; exit 2; }
[[ "$client" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "seed.sh: bad client id" >&2; exit 2; }
[ -f "$db" ] || { echo "seed.sh: no database $db" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "seed.sh: needs the sqlite3 CLI (apt-get install sqlite3)" >&2; exit 1; }

# about 450 bytes a token row with its share of families and indexes
# refuse to start without twice that free (journal, slack)
need_kb=$(( n * 900 / 1024 + 65536 ))
free_kb="$(df -Pk "$(dirname "$db")" | awk 'NR == 2 { print $4 }')"
if (( free_kb < need_kb )); then
	echo "seed.sh: $(( free_kb / 1024 )) MiB free, $(( need_kb / 1024 )) MiB needed" >&2
	exit 1
fi
users=$(( (n + 999) / 1000 ))
families=$(( (n + 1) / 2 ))
now="$(date +%s)"
exp=$(( now + 30 * 86400 ))
t0="$(date +%s.%N)"
# The bulk load uses a rollback journal and no fsync (nothing to protect
# yet); the server switches the file back to WAL when it opens it.
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=DELETE;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-1000000;
PRAGMA temp_store=MEMORY;
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $users)
INSERT INTO users (id, username, password_hash, status, created_at, updated_at)
SELECT printf('usr_seed%014d', i), printf('seed%d', i), 'seed-no-login', 'active', $now, $now FROM k;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $users)
INSERT INTO grants (id, user_id, client_id, scope, created_at)
SELECT printf('gr_seed%015d', i), printf('usr_seed%014d', i), '$client',
       'openid profile offline_access', $now FROM k;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $families)
INSERT INTO families (id, grant_id, client_id, user_id, code_hash, created_at)
SELECT 'fam_' || substr(hex(sha3(i, 256)), 1, 22), printf('gr_seed%015d', i / 500), '$client',
       printf('usr_seed%014d', i / 500), randomblob(32), $now FROM k;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $n)
INSERT INTO tokens (hash, kind, family_id, grant_id, client_id, user_id, scope,
                    issued_at, expires_at)
SELECT randomblob(32), CASE i % 2 WHEN 0 THEN 'access' ELSE 'refresh' END,
       'fam_' || substr(hex(sha3(i / 2, 256)), 1, 22), printf('gr_seed%015d', i / 1000), '$client',
       printf('usr_seed%014d', i / 1000), 'openid profile offline_access', $now, $exp FROM k;
COMMIT;
PRAGMA journal_mode=WAL;
SQL
# write the gigabytes out now: a server started while the kernel still
# flushes them waits seconds for each fsync, and measures the disk's backlog
sync
t1="$(date +%s.%N)"
printf 'seed.sh: %d tokens, %d families, %d grants in %.0f s; database %s MiB\n' \
	"$n" "$families" "$users" "$(echo "$t1 - $t0" | bc)" \
	"$(( $(stat -c %s "$db") / 1048576 ))"
