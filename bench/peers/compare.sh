#!/usr/bin/env bash
# Gatehouse side by side with the peers of shared/peers (oidc-provider and the
# no-op ceiling server), in ONE invocation with the servers interleaved round
# by round (gatehouse, oidc-provider, ceiling, gatehouse, ...). Each server is
# started fresh per round, logged in once, measured, then stopped by its PID.
#
#   bench/peers/compare.sh [-r ROUNDS] [-d SECONDS] [-w WARMUP] [-o OUTDIR]
#
# Defaults: 3 rounds, -d 8 -w 2 (about 6 minutes in all). Runs per server and
# round: flow (public client, c=8), refresh (confidential, c=8), introspect
# (confidential, c=32). Output in OUTDIR (default $PEERS/results/gatehouse-<UTC>):
# results.jsonl (one driver JSON line per run), driver.log, env.txt,
# summary.md (medians), load.log + runs.txt (CPU used by other processes
# during each run), gatehouse-rN.log (server logs), gatehouse (the binary).
#
# Gatehouse is the work tree's release build (make build/gatehouse), or with
# GATEHOUSE_REV=<commit> that commit built from `git archive` outside the work
# tree (use this when someone else is editing the work tree).
#
# The shared driver folder is read-only, so it is copied to $PEERS
# (default /tmp/peers) and the driver, the ceiling and oidc-provider's
# node_modules are built there if missing. The driver needs
# libcurl4-openssl-dev and libssl-dev (Debian: apt-get install -y
# libcurl4-openssl-dev libssl-dev).
#   PEERS_SRC  where the shared peers live (default ../../../shared/peers,
#              else /work/shared/peers)
#   PEERS      working copy (default /tmp/peers)
#   GATEHOUSE_ID_TOKEN_ALG  ES256 (default) or RS256 (bench/peers/start.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds=3 dur=8 warm=2 out=""
while getopts "r:d:w:o:" opt; do
  case "$opt" in
    r) rounds="$OPTARG" ;;
    d) dur="$OPTARG" ;;
    w) warm="$OPTARG" ;;
    o) out="$OPTARG" ;;
    *) sed -n 2,27p "$0"; exit 2 ;;
  esac
done
servers=(gatehouse oidc-provider ceiling)
matrix=("flow public 8" "refresh confidential 8" "introspect confidential 32")

peers_src="${PEERS_SRC:-}"
if [ -z "$peers_src" ]; then
  peers_src="$root/../shared/peers"
  [ -d "$peers_src" ] || peers_src=/work/shared/peers
fi
peers="${PEERS:-/tmp/peers}"
if [ ! -d "$peers/driver" ]; then
  cp -a "$peers_src" "$peers"
  chmod -R u+w "$peers"
fi
[ -x "$peers/driver/oidcbench" ] || "$peers/driver/build.sh"
[ -x "$peers/ceiling/noop" ] || gcc -O2 -pthread "$peers/ceiling/noop.c" -o "$peers/ceiling/noop"
[ -d "$peers/oidc-provider/node_modules/oidc-provider" ] || "$peers/oidc-provider/install.sh"

[ -n "$out" ] || out="$peers/results/gatehouse-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# One release binary for the whole invocation, copied so that rebuilds in
# the work tree during the run do not change what is measured. By default it
# is the work tree as it is (make build/gatehouse); GATEHOUSE_REV=<commit>
# builds that commit instead, from `git archive` into $PEERS/gatehouse-<sha>,
# leaving the work tree and the repository untouched.
if [ -n "${GATEHOUSE_REV:-}" ]; then
  sha="$(git -C "$root" rev-parse --verify "$GATEHOUSE_REV^{commit}")"
  src="$peers/gatehouse-${sha:0:12}"
  if [ ! -x "$src/build/gatehouse" ]; then
    rm -rf "$src"; mkdir -p "$src"
    git -C "$root" archive "$sha" | tar -x -C "$src"
    make -C "$src" -j2 build/gatehouse >&2
  fi
  cp "$src/build/gatehouse" "$out/gatehouse"
  built_from="commit $sha (git archive, clean)"
else
  make -C "$root" build/gatehouse >&2
  cp "$root/build/gatehouse" "$out/gatehouse"
  built_from="work tree at $(git -C "$root" rev-parse HEAD 2>/dev/null || echo ?), changes: $(git -C "$root" status --porcelain 2>/dev/null | grep -v ' bench/' | tr '\n' ' ' || true)"
fi
export GATEHOUSE_BIN="$out/gatehouse"
export GATEHOUSE_BENCH_RUN="${GATEHOUSE_BENCH_RUN:-/tmp/gatehouse-bench}"

{
  echo "date_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host=$(uname -srm) cpus=$(nproc) mem=$(free -m | awk '/Mem:/{print $2}')MiB"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "node=$(node --version 2>/dev/null || echo none) sqlite=$(pkg-config --modversion sqlite3 2>/dev/null || echo ?) libmicrohttpd=$(pkg-config --modversion libmicrohttpd 2>/dev/null || echo ?)"
  echo "gatehouse=$built_from"
  echo "rounds=$rounds duration=$dur warmup=$warm servers=${servers[*]}"
} >"$out/env.txt"
cat "$out/env.txt"

ceiling_pidfile="$peers/ceiling/noop.pid"
start_server() {
  case "$1" in
    gatehouse) "$here/start.sh" ;;
    oidc-provider) ADAPTER=map "$peers/oidc-provider/start.sh" ;;
    ceiling)
      "$peers/ceiling/noop" 1 9190 >/dev/null 2>&1 &
      echo $! >"$ceiling_pidfile"
      for _ in $(seq 1 50); do
        curl -fsS -o /dev/null --max-time 1 -X POST -d x "http://127.0.0.1:9190/token" 2>/dev/null && break
        sleep 0.1
      done
      echo "ceiling up on 127.0.0.1:9190, pid $(cat "$ceiling_pidfile")" ;;
  esac
}
stop_server() {
  case "$1" in
    gatehouse) "$here/stop.sh" ;;
    oidc-provider) "$peers/oidc-provider/stop.sh" ;;
    ceiling)
      if [ -f "$ceiling_pidfile" ]; then
        pid="$(cat "$ceiling_pidfile")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$ceiling_pidfile"
        echo "ceiling stopped (pid $pid)"
      fi ;;
  esac
}
pid_of() {
  case "$1" in
    gatehouse) cat "$GATEHOUSE_BENCH_RUN/server.pid" ;;
    oidc-provider) cat "$peers/oidc-provider/run/server.pid" ;;
    ceiling) cat "$ceiling_pidfile" ;;
  esac
}
target_of() {
  case "$1" in
    gatehouse) echo "$GATEHOUSE_BENCH_RUN/gatehouse.conf" ;;
    oidc-provider) echo "$peers/driver/targets/oidc-provider.conf" ;;
    ceiling) echo "$peers/ceiling/noop.conf" ;;
  esac
}
cookie_of() {
  case "$1" in
    gatehouse) "$here/login.sh" ;;
    oidc-provider) "$peers/oidc-provider/login.sh" ;;
    ceiling) echo "x=y" ;;
  esac
}

# Background load monitor, once a second until this script ends (at most 30
# minutes): machine CPU busy split into this invocation's process group
# and descendants (driver, servers) and everything else, plus the disk's
# completed writes/s.
# load.log lines: epoch busy% mine% others% writes/s | busiest other commands.
/usr/bin/python3 - "$(ps -o pgid= $$ | tr -d ' ')" "$$" >"$out/load.log" 2>/dev/null <<'MONITOR' &
import os, sys, time
pgid, parent = int(sys.argv[1]), int(sys.argv[2])
hz = os.sysconf("SC_CLK_TCK")
def cpu():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)
def writes():
    n = 0
    for l in open("/proc/diskstats"):
        f = l.split()
        if len(f) > 7 and f[2].startswith("vd") and not f[2][-1].isdigit():
            n += int(f[7])
    return n
def procs():
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open("/proc/%s/stat" % d).read()
            rest = st[st.rindex(")") + 2:].split()
            cmd = open("/proc/%s/cmdline" % d, "rb").read().replace(b"\0", b" ").decode(errors="replace").strip()
            out[int(d)] = (int(rest[2]), int(rest[1]), int(rest[11]) + int(rest[12]),
                           cmd or st[st.index("(") + 1:st.rindex(")")])
        except (OSError, ValueError, IndexError):
            pass
    return out
b0, t0 = cpu(); p0 = procs(); w0 = writes(); start = time.time()
ncpu = os.cpu_count() or 1
while time.time() - start < 1800:
    time.sleep(1)
    try:
        os.kill(parent, 0)
    except OSError:
        break
    b1, t1 = cpu(); p1 = procs(); w1 = writes()
    busy = 100.0 * ncpu * (b1 - b0) / ((t1 - t0) or 1)
    def ours(pid):
        # our process group (servers outlive their start.sh), or a descendant
        # of this script (timeout(1) puts the driver in a group of its own)
        for _ in range(32):
            if pid == parent or pid not in p1:
                return pid == parent
            if p1[pid][0] == pgid:
                return True
            pid = p1[pid][1]
        return False
    mine, others = 0.0, []
    for pid, (pg, ppid, ticks, cmd) in p1.items():
        d = 100.0 * (ticks - (p0[pid][2] if pid in p0 else 0)) / hz
        if d > 0:
            if ours(pid):
                mine += d
            elif d >= 5:
                others.append((d, cmd[:80]))
    others.sort(reverse=True)
    print("%.0f %.0f %.0f %.0f %d | %s" % (time.time(), busy, mine, max(0.0, busy - mine), w1 - w0,
          "; ".join("%.0f%% %s" % o for o in others[:3])), flush=True)
    b0, t0, p0, w0 = b1, t1, p1, w1
MONITOR
monitor=$!
trap 'for s in "${servers[@]}"; do stop_server "$s" >/dev/null 2>&1 || true; done; kill "$monitor" 2>/dev/null || true' EXIT

for r in $(seq 1 "$rounds"); do
  echo "== round $r: $(uptime)" | tee -a "$out/uptime.log"
  for s in "${servers[@]}"; do
    stop_server "$s" >/dev/null
    start_server "$s"
    pid="$(pid_of "$s")"
    cookie="$(cookie_of "$s")"
    for row in "${matrix[@]}"; do
      read -r mode client conc <<<"$row"
      echo "== round $r $s $mode $client c=$conc (load $(cut -d' ' -f1-3 /proc/loadavg))"
      t0="$(date +%s)"
      timeout $((warm + dur + 200)) "$peers/driver/oidcbench" --target "$(target_of "$s")" --mode "$mode" \
        --client "$client" -c "$conc" -d "$dur" -w "$warm" -n 200000 --cookie "$cookie" \
        --server-pid "$pid" --label "$s/r$r" >>"$out/results.jsonl" 2>>"$out/driver.log" || echo "run failed (rc $?)"
      printf '%s %s %s %s\n' "$s/r$r" "$mode" "$t0" "$(date +%s)" >>"$out/runs.txt"
      tail -n 6 "$out/driver.log" | grep -E '^\S+ (flow|token|refresh|introspect) ' | tail -1 || true
    done
    [ "$s" = gatehouse ] && cp "$GATEHOUSE_BENCH_RUN/server.log" "$out/gatehouse-r$r.log" 2>/dev/null || true
    stop_server "$s"
  done
done

/usr/bin/python3 - "$out" "${servers[@]}" >"$out/summary.md" <<'SUMMARY'
import json, os, statistics, sys
out, servers = sys.argv[1], sys.argv[2:]
rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("Medians over rounds (n = rounds with a result). Rate in operations/s with min-max;")
print("latency ms p50/p99 per step; server CPU % of one core (2 cores = 200%) and ms of")
print("server CPU per operation (CPU% x window / operations); peak RSS = highest VmHWM over rounds.\n")
print("| test | server | n | ops/s (min-max) | latency p50 / p99 ms | server CPU | CPU ms/op | driver CPU | peak RSS MiB | errors |")
print("|---|---|---|---|---|---|---|---|---|---|")
tests = []
for r in rows:
    k = (r["mode"], r["client"], r["concurrency"])
    if k not in tests:
        tests.append(k)
for k in tests:
    for s in servers:
        rs = [r for r in rows if (r["mode"], r["client"], r["concurrency"]) == k and r["label"].split("/")[0] == s]
        if not rs:
            continue
        rates = [r["rate"] for r in rs]
        lat = " ; ".join("%s %.2f/%.1f" % (st, med([r["steps"][st]["p50_ms"] for r in rs]),
                                           med([r["steps"][st]["p99_ms"] for r in rs])) for st in rs[0]["steps"])
        cpu_ms = [r["server_cpu_pct"] * 10.0 / r["rate"] for r in rs if r["rate"] > 0]
        errs = sum(sum(r["errors"].values()) for r in rs)
        print("| %s %s c=%d | %s | %d | %.0f (%.0f-%.0f) | %s | %.0f%% | %.3f | %.0f%% | %.0f | %d |" % (
            k[0], k[1], k[2], s, len(rs), med(rates), min(rates), max(rates), lat,
            med([r["server_cpu_pct"] for r in rs]), med(cpu_ms), med([r["driver_cpu_pct"] for r in rs]),
            max(r["server_rss_peak_kb"] for r in rs) / 1024.0, errs))
loads = [r["loadavg1_start"] for r in rows]
print("\n1-minute load average at the start of the runs: %.2f-%.2f (median %.2f); it counts the" % (
    min(loads), max(loads), med(loads)))
print("driver's and the server's own threads too, hence the table below.")
# Load from elsewhere during each run: machine CPU busy minus this invocation's processes.
samples = []
try:
    for l in open(os.path.join(out, "load.log")):
        f = l.split("|")[0].split()
        if len(f) == 5:
            samples.append([float(x) for x in f])
    runs = [l.split() for l in open(os.path.join(out, "runs.txt")) if l.strip()]
except OSError:
    runs = []
if runs and samples:
    modes = list(dict.fromkeys(x[1] for x in runs))
    print("\nCPU of processes outside this invocation during each run (first and last second left out),")
    print("% of one core, mean / max of 1 s samples;")
    print("disk writes completed per second (whole machine, mean):\n")
    print("| run | " + " | ".join(modes) + " |")
    print("|---|" + "---|" * len(modes))
    for label in dict.fromkeys(x[0] for x in runs):
        cells = []
        for m in modes:
            w = [x for x in runs if x[0] == label and x[1] == m]
            # whole seconds inside the run, less its first and last (a process that
            # ends between two samples is not seen, so its share lands in "others")
            o = [s for s in samples if w and float(w[0][2]) + 2 <= s[0] <= float(w[0][3]) - 1]
            cells.append("%.0f / %.0f, %.0f w/s" % (sum(s[3] for s in o) / len(o), max(s[3] for s in o),
                                                   sum(s[4] for s in o) / len(o)) if o else "-")
        print("| %s | %s |" % (label, " | ".join(cells)))
SUMMARY
cat "$out/summary.md"
echo "results in $out"
