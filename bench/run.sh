#!/usr/bin/env bash
# bench/run.sh - `make bench`: a fresh Gatehouse (release build) in a
# temporary folder with a bench public client, a confidential client and a
# user, on a random free 127.0.0.1 port; one login + consent (curl), then
# the load driver build/bench/ghbench runs each scenario and a table is
# printed. The server is stopped by its PID and the folder removed.
#
#   bench/run.sh [-r ROUNDS] [-d SECONDS] [-w WARMUP] [-a ES256|RS256]
#                [-n TOKEN_ROWS] [-s "flow refresh introspect"]
#                [-o RESULTS.jsonl] [-k] [-D DIR] [-P]
#
#   -r  rounds (default 1); with more, every cell is the median over rounds
#   -d  measured seconds per scenario (default 10), -w warm-up (default 2)
#   -a  ID token algorithm of both bench clients (default ES256)
#   -n  token rows stored before the server starts (bench/seed.sh), 0 = none
#   -s  scenarios, in order (default: flow refresh introspect)
#   -o  also append the driver's JSON lines to this file
#   -k  keep the temporary folder (database, server log, bench.env)
#   -D  reuse a folder kept with -k (its clients, user and seeded rows) on
#       a new port, instead of a fresh one; it is kept afterwards
#   -P  prepare only: make and seed a folder, print its path, run nothing
# Concurrency: FLOW_C (8), REFRESH_C (8), INTROSPECT_C (32).
# BENCH_CONF: extra server config keys, e.g. BENCH_CONF='"threads": 16'.
# GATEHOUSE_BIN and GHBENCH point at other binaries (no build then).
# For profiling (bench/profile.sh): BENCH_SERVER_WRAP is a command put in
# front of the server (word-split, e.g. "valgrind --tool=callgrind ..."), and
# BENCH_AFTER_LOGIN a command run with the server PID appended once the
# login is done, just before the scenarios.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
rounds=1 dur=10 warm=2 alg=ES256 rows=0 keep=0 out="" reuse="" prepare=0
scenarios="flow refresh introspect"
while getopts "r:d:w:a:n:s:o:kD:P" opt; do
	case "$opt" in
	r) rounds="$OPTARG" ;;
	d) dur="$OPTARG" ;;
	w) warm="$OPTARG" ;;
	a) alg="$OPTARG" ;;
	n) rows="$OPTARG" ;;
	s) scenarios="$OPTARG" ;;
	o) out="$OPTARG" ;;
	k) keep=1 ;;
	D) reuse="$OPTARG"; keep=1 ;;
	P) prepare=1; keep=1 ;;
	*) sed -n 2,24p "$0"; exit 2 ;;
	esac
done
case "$alg" in ES256|RS256) ;; *) echo "run.sh: -a ES256 or RS256" >&2; exit 2 ;; esac
for v in "$rounds" "$dur" "$warm" "$rows"; do
	[[ "$v" =~ ^[0-9]+$ ]] || { echo "run.sh: numbers only" >&2; exit 2; }
done
(( rounds >= 1 && rounds <= 20 )) || { echo "run.sh: -r 1..20" >&2; exit 2; }

if [ -z "${GATEHOUSE_BIN:-}" ] || [ -z "${GHBENCH:-}" ]; then
	make -C "$root" --no-print-directory build/gatehouse build/bench/ghbench >&2
fi
if [ -n "$reuse" ]; then
	[ -f "$reuse/bench.env" ] || { echo "run.sh: $reuse was not kept by run.sh -k" >&2; exit 1; }
	tmp="$(cd "$reuse" && pwd)"
else
	tmp="$(mktemp -d "${TMPDIR:-/tmp}/ghbench.XXXXXX")"
fi
# the binaries are copied: a rebuild in the tree during the run changes
# nothing that is measured
cp "${GATEHOUSE_BIN:-$root/build/gatehouse}" "$tmp/gatehouse"
cp "${GHBENCH:-$root/build/bench/ghbench}" "$tmp/ghbench"
pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		# a profiler writes its data on exit: give it time
		for _ in $(seq 1 "${wait_stop:-150}"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	if (( keep )); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
redirect="http://127.0.0.1:9199/cb"
scope="openid profile offline_access"
gh() { "$tmp/gatehouse" --config "$tmp/gatehouse.json" "$@"; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

if [ -n "$reuse" ]; then
	# shellcheck disable=SC1091
	. "$tmp/bench.env"
	sed -i -e "s|\"issuer\": \"[^\"]*\"|\"issuer\": \"$base\"|" \
		-e "s|\"listen\": \"[^\"]*\"|\"listen\": \"127.0.0.1:$port\"|" "$tmp/gatehouse.json"
else
	gh init --issuer "$base" --listen "127.0.0.1:$port" >/dev/null
	pub="$(gh client add --name bench-public --owner bench --redirect-uri "$redirect" \
		--scope "$scope" --public --id-token-alg "$alg" --json)"
	conf="$(gh client add --name bench-confidential --owner bench --redirect-uri "$redirect" \
		--scope "$scope" --id-token-alg "$alg" --json)"
	pub_id="$(printf %s "$pub" | field client_id)"
	conf_id="$(printf %s "$conf" | field client_id)"
	conf_secret="$(printf %s "$conf" | field client_secret)"
	[ -n "$pub_id" ] && [ -n "$conf_id" ] && [ -n "$conf_secret" ] ||
		{ echo "run.sh: client add: unexpected output" >&2; exit 1; }
	password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
	printf '%s\n' "$password" | gh user add --username bench --password-stdin >/dev/null
	if (( rows > 0 )); then
		"$here/seed.sh" "$tmp/gatehouse.db" "$pub_id" "$rows" >&2
	fi
	printf 'pub_id=%s\nconf_id=%s\nconf_secret=%s\npassword=%s\nalg=%s\nrows=%s\n' \
		"$pub_id" "$conf_id" "$conf_secret" "$password" "$alg" "$rows" >"$tmp/bench.env"
	chmod 600 "$tmp/bench.env"
fi
# BENCH_CONF: extra config keys for this run, e.g. '"threads": 16'
if [ -n "${BENCH_CONF:-}" ]; then
	sed -i "0,/{/s//{ ${BENCH_CONF},/" "$tmp/gatehouse.json"
fi
rm -f "$tmp/jar"
if (( prepare )); then
	trap - EXIT
	echo "$tmp"
	exit 0
fi

wrap=()
wait_stop=150 wait_up=100
if [ -n "${BENCH_SERVER_WRAP:-}" ]; then
	read -r -a wrap <<<"$BENCH_SERVER_WRAP"
	wait_stop=1200 wait_up=600
fi
(cd "$tmp" && exec "${wrap[@]}" "$tmp/gatehouse" --config "$tmp/gatehouse.json" serve \
	>"$tmp/server.log" 2>&1) &
pid=$!
up=0
for _ in $(seq 1 "$wait_up"); do
	if curl -fsS -o /dev/null --max-time 1 "$base/healthz" 2>/dev/null; then up=1; break; fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
(( up )) || { echo "run.sh: server did not come up:" >&2; tail -5 "$tmp/server.log" >&2; exit 1; }

# One login, then consent for both clients, through the HTML forms as a
# browser would (cookie jar, the CSRF token of each form).
jar="$tmp/jar"
login() {
	local cid="$1" v ch authz action i res page="$tmp/page.html"
	v="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
	ch="$(printf '%s' "$v" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')"
	authz="response_type=code&client_id=$cid&redirect_uri=http%3A%2F%2F127.0.0.1%3A9199%2Fcb"
	authz="$authz&scope=openid%20profile%20offline_access&state=login&nonce=login"
	authz="$authz&code_challenge=$ch&code_challenge_method=S256"
	res="$(curl -s --max-time 10 -o "$page" -w '%{redirect_url}' -c "$jar" -b "$jar" \
		"$base/authorize?$authz")"
	for i in 1 2 3; do
		case "$res" in "$redirect"*code=*) return 0 ;; esac
		action="$(sed -n 's/.*name="gh_action" value="\([a-z]*\)".*/\1/p' "$page" | sed -n 1p)"
		csrf="$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$page" | sed -n 1p)"
		case "$action" in
		login)
			res="$(curl -s --max-time 30 -o "$page" -w '%{redirect_url}' -c "$jar" -b "$jar" \
				"$base/authorize" -d "$authz&csrf=$csrf&gh_action=login&username=bench" \
				--data-urlencode "password=$password")" ;;
		consent)
			res="$(curl -s --max-time 10 -o "$page" -w '%{redirect_url}' -c "$jar" -b "$jar" \
				"$base/authorize" -d "$authz&csrf=$csrf&gh_action=consent&gh_user=bench&decision=allow")" ;;
		*) echo "run.sh: unexpected page at login step $i: $res" >&2; return 1 ;;
		esac
	done
	echo "run.sh: no code after login and consent: $res" >&2
	return 1
}
login "$pub_id"
login "$conf_id"
if [ -n "${BENCH_AFTER_LOGIN:-}" ]; then
	read -r -a after <<<"$BENCH_AFTER_LOGIN"
	"${after[@]}" "$pid" >&2
fi
cookie="$(awk '$6 == "gh_session" { print "gh_session=" $7 }' "$jar")"
[ -n "$cookie" ] || { echo "run.sh: no session cookie" >&2; exit 1; }

conc_of() {
	case "$1" in
	flow) echo "${FLOW_C:-8}" ;; refresh) echo "${REFRESH_C:-8}" ;;
	*) echo "${INTROSPECT_C:-32}" ;;
	esac
}
echo "gatehouse $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), ID tokens $alg," \
	"$rows seeded token rows, $rounds round(s) of ${dur}s after ${warm}s warm-up," \
	"$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
results="$tmp/results.jsonl"
: >"$results"
fail=0
for r in $(seq 1 "$rounds"); do
	for s in $scenarios; do
		"$tmp/ghbench" --url "$base" --scenario "$s" -c "$(conc_of "$s")" \
			-d "$dur" -w "$warm" --pid "$pid" --public-client "$pub_id" \
			--client-id "$conf_id" --client-secret "$conf_secret" \
			--cookie "$cookie" --redirect-uri "$redirect" --scope "$scope" \
			--label "$alg/rows=$rows/r$r" --json >>"$results" || fail=1
		kill -0 "$pid" 2>/dev/null || { echo "run.sh: the server died" >&2; exit 1; }
	done
done
[ -z "$out" ] || cat "$results" >>"$out"

# the table: medians over rounds (one round: the run itself)
/usr/bin/python3 - "$results" "$alg" "$rows" <<'TABLE'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("\nGatehouse make bench: ID tokens %s, %s seeded token rows, %d run(s) per scenario"
      % (sys.argv[2], sys.argv[3], len(rows) // max(1, len({r["scenario"] for r in rows}))))
print("%-10s %-12s %3s %9s  %-46s %9s %7s %7s %7s" % ("scenario", "client", "c", "ops/s",
      "latency p50/p99 ms", "CPU ms/op", "RSS MiB", "others%", "errors"))
for s in dict.fromkeys(r["scenario"] for r in rows):
    rs = [r for r in rows if r["scenario"] == s]
    lat = " ".join("%s %.2f/%.2f" % (k, med([r["steps"][k]["p50_ms"] for r in rs]),
                                     med([r["steps"][k]["p99_ms"] for r in rs])) for k in rs[0]["steps"])
    rate = med([r["rate"] for r in rs])
    spread = "" if len(rs) == 1 else " (%.0f-%.0f)" % (min(r["rate"] for r in rs), max(r["rate"] for r in rs))
    print("%-10s %-12s %3d %9.0f  %-46s %9.3f %7.1f %7.0f %7d%s" % (s, rs[0]["client"], rs[0]["concurrency"],
          rate, lat, med([r["server_cpu_ms_per_op"] for r in rs]),
          max(r["server_rss_peak_mib"] for r in rs), med([r["others_cpu_pct"] for r in rs]),
          sum(r["error_total"] for r in rs), spread))
errs = [r for r in rows if r["error_total"]]
for r in errs:
    print("ERRORS in %s %s: %d, first: %s" % (r["label"], r["scenario"], r["error_total"], r["first_error"]))
print("CPU ms/op: server utime+stime over the window / operations; RSS: server VmHWM over the window")
print("(reset at its start); peak since the server started, login included: %.1f MiB;"
      % max(r.get("server_rss_life_peak_mib", 0) for r in rows))
print("others%: CPU of every other process on the machine during the window, % of one core (noise)")
TABLE
if (( fail )); then echo "run.sh: some runs had ERRORS (see above)" >&2; exit 1; fi
