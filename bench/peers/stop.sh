#!/usr/bin/env bash
# Stop the Gatehouse started by start.sh (by its PID only: SIGTERM, which
# drains in-flight requests, then SIGKILL after 15 s).
set -euo pipefail
run="${GATEHOUSE_BENCH_RUN:-/tmp/gatehouse-bench}"
pidfile="$run/server.pid"
[ -f "$pidfile" ] || { echo "gatehouse not running (no pid file)"; exit 0; }
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
fi
rm -f "$pidfile"
echo "gatehouse stopped (pid $pid)"
