#!/usr/bin/env bash
# bench/ab.sh - is binary B faster than binary A? On this noisy 2-core
# machine the same binary's rate moves by a fifth or more between runs, so
# A and B are run in alternation (A B, B A, A B, ...: neither always goes
# first), each run on a fresh bench server (bench/run.sh), and the table
# gives per scenario the medians of both, their ratio, and in how many
# pairs B beat A on rate and on server CPU per operation.
#
#   bench/ab.sh [-p PAIRS] [-d SECONDS] [-w WARMUP] [-s "flow refresh"]
#               [-o RESULTS.jsonl] A_BINARY B_BINARY
#
# Defaults: 5 pairs of 6 s after 1 s, scenarios flow and refresh. Extra
# environment (BENCH_CONF, FLOW_C, ...) as for run.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
pairs=5 dur=6 warm=1 scen="flow refresh" out=""
while getopts "p:d:w:s:o:" opt; do
	case "$opt" in
	p) pairs="$OPTARG" ;; d) dur="$OPTARG" ;; w) warm="$OPTARG" ;;
	s) scen="$OPTARG" ;; o) out="$OPTARG" ;;
	*) sed -n 2,13p "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { sed -n 2,13p "$0"; exit 2; }
[[ "$pairs" =~ ^[0-9]+$ ]] && (( pairs >= 1 && pairs <= 50 )) || { echo "ab.sh: -p 1..50" >&2; exit 2; }
for b in "$1" "$2"; do
	[ -x "$b" ] || { echo "ab.sh: $b is not an executable" >&2; exit 2; }
done
make -C "$root" --no-print-directory build/bench/ghbench >&2
jsonl="$(mktemp /tmp/ghbench-ab.XXXXXX)"
trap 'rm -f "$jsonl" "$jsonl.run"' EXIT
one() {	# one(label, binary); a run with errors still counts, and says so
	GATEHOUSE_BIN="$2" GHBENCH="$root/build/bench/ghbench" \
	    "$here/run.sh" -s "$scen" -d "$dur" -w "$warm" -o "$jsonl.run" \
	    >/dev/null || echo "ab.sh: a run of $2 had errors" >&2
	[ -s "$jsonl.run" ] || { echo "ab.sh: a run of $2 gave no result" >&2; exit 1; }
	sed "s/^{/{\"ab\":\"$1\",/" "$jsonl.run" >>"$jsonl"
	rm -f "$jsonl.run"
}
for ((i = 1; i <= pairs; i++)); do
	if (( i % 2 )); then one A "$1"; one B "$2"; else one B "$2"; one A "$1"; fi
	echo "ab.sh: pair $i of $pairs done" >&2
done
[ -z "$out" ] || cat "$jsonl" >>"$out"
echo "A: $1"
echo "B: $2"
python3 - "$jsonl" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print(f"{'scenario':10} {'pairs':>5} {'A ops/s':>9} {'B ops/s':>9} {'B/A':>6} "
      f"{'A CPU ms':>9} {'B CPU ms':>9} {'B/A':>6} {'B faster':>9} {'B less CPU':>11}")
for scen in dict.fromkeys(r["scenario"] for r in runs):
    a = [r for r in runs if r["scenario"] == scen and r["ab"] == "A"]
    b = [r for r in runs if r["scenario"] == scen and r["ab"] == "B"]
    n = min(len(a), len(b))
    if n == 0:
        continue
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    ra, rb = med(a, "rate"), med(b, "rate")
    ca, cb = med(a, "server_cpu_ms_per_op"), med(b, "server_cpu_ms_per_op")
    faster = sum(b[i]["rate"] > a[i]["rate"] for i in range(n))
    leaner = sum(b[i]["server_cpu_ms_per_op"] < a[i]["server_cpu_ms_per_op"]
                 for i in range(n))
    print(f"{scen:10} {n:5} {ra:9.0f} {rb:9.0f} {rb / ra:6.3f} {ca:9.3f} "
          f"{cb:9.3f} {cb / ca:6.3f} {faster:>5} of {n:<2} {leaner:>6} of {n:<2}")
errs = sum(r["error_total"] for r in runs)
print(f"errors in all runs: {errs}")
EOF
