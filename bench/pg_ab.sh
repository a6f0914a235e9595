#!/usr/bin/env bash
# bench/pg_ab.sh - one Gatehouse binary on a fresh throwaway PostgreSQL:
# the shared driver's scenarios for 8 s after 2 s each, then what the
# database did meanwhile (commits, rows, WAL records and flushes), for
# A/B runs of PostgreSQL changes. Alternate binaries: A B A B ...
#
#   GATEHOUSE_BIN=/path/to/gatehouse [CONC=8] [MODES="flow refresh"] \
#       bench/pg_ab.sh
#
# Needs the shared driver built by bench/peers/compare.sh ($PEERS, default
# /tmp/peers) and Debian's postgresql (scripts/pg-throwaway.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
driver="${PEERS:-/tmp/peers}/driver/oidcbench"
[ -x "$driver" ] || { echo "pg_ab.sh: no $driver (run bench/peers/compare.sh once)" >&2; exit 2; }
d="$(mktemp -d /tmp/ghpg.XXXXXX)"
run="$(mktemp -d /tmp/ghpg-run.XXXXXX)"
cleanup() {
	GATEHOUSE_BENCH_RUN="$run" "$here/peers/stop.sh" >/dev/null 2>&1 || true
	"$root/scripts/pg-throwaway.sh" stop "$d" >/dev/null 2>&1 || true
	rm -rf "$run"
}
trap cleanup EXIT
url="$("$root/scripts/pg-throwaway.sh" start "$d")"
psql -q "$url" -c 'CREATE DATABASE gh_bench'
db="$(printf %s "$url" | sed 's#/postgres?#/gh_bench?#')"
export GATEHOUSE_DATABASE="$db" GATEHOUSE_BENCH_RUN="$run"
"$here/peers/start.sh" >/dev/null
pid="$(cat "$run/server.pid")"
cookie="$("$here/peers/login.sh")"
q() { psql -At "$db" -c "$1"; }
for mode in ${MODES:-flow refresh}; do
	client=public
	[ "$mode" = flow ] || client=confidential
	q "SELECT pg_stat_reset()" >/dev/null
	w0="$(q "SELECT wal_records, wal_sync FROM pg_stat_wal")"
	"$driver" --target "$run/gatehouse.conf" --mode "$mode" \
	    --client "$client" -c "${CONC:-8}" -d 8 -w 2 -n 200000 \
	    --cookie "$cookie" --server-pid "$pid" --label pg-ab \
	    2>&1 >/dev/null | grep -E "^\S+ $mode " | tail -1
	sleep 0.5
	echo "  database (whole 10 s): $(q "SELECT 'commits ' || xact_commit
	    || ', inserted ' || tup_inserted || ', updated ' || tup_updated
	    FROM pg_stat_database WHERE datname = 'gh_bench'"); WAL records,flushes before: ${w0/|/,} after: $(q "SELECT wal_records || ',' || wal_sync FROM pg_stat_wal")"
	# extra flushes at the end of a deferred request (pg_flush; none
	# before migration 4)
	echo "  flush marks so far: $(q "SELECT coalesce(sum(n), 0) FROM flush_marks" 2>/dev/null || echo -)"
done
