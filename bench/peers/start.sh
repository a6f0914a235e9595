#!/usr/bin/env bash
# Start a fresh Gatehouse (release build) on 127.0.0.1:9120 for the shared load
# driver: a new run folder with config, key and SQLite database, a public and a
# confidential bench client, user alice; PID in $RUN/server.pid, log in
# $RUN/server.log, driver target in $RUN/gatehouse.conf (from ./gatehouse.conf
# with this start's client ids and secret).
#   GATEHOUSE_BIN        binary (default: build/gatehouse, built if missing)
#   GATEHOUSE_BENCH_RUN  run folder (default /tmp/gatehouse-bench), recreated
#   PORT                 (default 9120; the target file is rewritten to match)
#   GATEHOUSE_DATABASE   database for init instead of the run folder's SQLite
#                        file, e.g. a fresh PostgreSQL database's URL (kept
#                        between rounds: alice is added once, clients each round)
#   GATEHOUSE_ID_TOKEN_ALG  ID token algorithm of both clients: ES256
#                        (default, as the issue's comparison asks) or RS256
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
run="${GATEHOUSE_BENCH_RUN:-/tmp/gatehouse-bench}"
port="${PORT:-9120}"
redirect="http://127.0.0.1:9199/cb"
bin="${GATEHOUSE_BIN:-$root/build/gatehouse}"
if [ -f "$run/server.pid" ] && kill -0 "$(cat "$run/server.pid")" 2>/dev/null; then
  echo "gatehouse already running, pid $(cat "$run/server.pid")"; exit 0
fi
if [ ! -x "$bin" ]; then
  [ -z "${GATEHOUSE_BIN:-}" ] || { echo "no binary $bin" >&2; exit 1; }
  make -C "$root" build/gatehouse >&2
fi
case "$run" in /|"") echo "bad run folder" >&2; exit 1 ;; esac
rm -rf "$run"
mkdir -p "$run"
gh() { "$bin" --config "$run/gatehouse.json" "$@"; }
gh init --issuer "http://127.0.0.1:$port" --listen "127.0.0.1:$port" \
  ${GATEHOUSE_DATABASE:+--database "$GATEHOUSE_DATABASE"} >/dev/null
scope="openid profile offline_access"
alg="${GATEHOUSE_ID_TOKEN_ALG:-ES256}"
pub="$(gh client add --name bench-public --owner bench --redirect-uri "$redirect" --scope "$scope" --public --id-token-alg "$alg" --json)"
conf="$(gh client add --name bench-confidential --owner bench --redirect-uri "$redirect" --scope "$scope" --id-token-alg "$alg" --json)"
# a PostgreSQL database outlives the run folder: a later round finds alice
if ! gh user list --json | grep -q '"username":"alice"'; then
  printf 'alice-password\n' | gh user add --username alice --password-stdin >/dev/null
fi
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
pub_id="$(printf %s "$pub" | field client_id)"
conf_id="$(printf %s "$conf" | field client_id)"
conf_secret="$(printf %s "$conf" | field client_secret)"
[ -n "$pub_id" ] && [ -n "$conf_id" ] && [ -n "$conf_secret" ] || { echo "client add: unexpected output" >&2; exit 1; }
printf '{"public_client_id":"%s","confidential_client_id":"%s","confidential_client_secret":"%s","redirect_uri":"%s","port":%s}\n' \
  "$pub_id" "$conf_id" "$conf_secret" "$redirect" "$port" >"$run/clients.json"
chmod 600 "$run/clients.json"
sed -e "s/@PUBLIC_CLIENT_ID@/$pub_id/" -e "s/@CONFIDENTIAL_CLIENT_ID@/$conf_id/" \
    -e "s/@CONFIDENTIAL_CLIENT_SECRET@/$conf_secret/" -e "s/:9120\//:$port\//" \
    "$here/gatehouse.conf" >"$run/gatehouse.conf"
cd "$run"
nohup "$bin" --config "$run/gatehouse.json" serve >"$run/server.log" 2>&1 &
echo $! >"$run/server.pid"
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
    echo "gatehouse up on 127.0.0.1:$port, pid $(cat "$run/server.pid"), run folder $run"; exit 0
  fi
  kill -0 "$(cat "$run/server.pid")" 2>/dev/null || break
  sleep 0.1
done
echo "gatehouse did not come up; see $run/server.log" >&2
exit 1
