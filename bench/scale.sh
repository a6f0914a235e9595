#!/usr/bin/env bash
# bench/scale.sh - does the flow rate hold up with a big store? Prepares two
# folders with run.sh -P, one seeded with SMALL token rows and one with
# LARGE (bench/seed.sh), then measures the flow scenario on each in turn,
# A B A B ..., so that both see the same background load, and prints the
# medians and their ratio. The folders are removed at the end.
#
#   bench/scale.sh [-n SMALL] [-N LARGE] [-r ROUNDS] [-d SECONDS] [-w WARMUP]
#                  [-o RESULTS.jsonl]
#
# Defaults: 10,000 vs 10,000,000 rows (about 4.3 GB of disk, 5 minutes to
# seed), 3 rounds of 10 s after 2 s. Extra environment as for run.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
small=10000 large=10000000 rounds=3 dur=10 warm=2 out=""
while getopts "n:N:r:d:w:o:" opt; do
	case "$opt" in
	n) small="$OPTARG" ;; N) large="$OPTARG" ;; r) rounds="$OPTARG" ;;
	d) dur="$OPTARG" ;; w) warm="$OPTARG" ;; o) out="$OPTARG" ;;
	*) sed -n 2,12p "$0"; exit 2 ;;
	esac
done
[[ "$rounds" =~ ^[0-9]+$ ]] && (( rounds >= 1 && rounds <= 20 )) || { echo "scale.sh: -r 1..20" >&2; exit 2; }
a="" b=""
cleanup() {
	for d in "$a" "$b"; do
		case "$d" in /tmp/ghbench.*) rm -rf "$d" ;; esac
	done
}
trap cleanup EXIT
a="$("$here/run.sh" -P -n "$small")"
b="$("$here/run.sh" -P -n "$large")"
res="$(mktemp /tmp/ghbench-scale.XXXXXX.jsonl)"
for r in $(seq 1 "$rounds"); do
	for d in "$a" "$b"; do
		"$here/run.sh" -D "$d" -s flow -r 1 -d "$dur" -w "$warm" -o "$res" | grep '^flow' || true
	done
done
[ -z "$out" ] || cat "$res" >>"$out"
/usr/bin/python3 - "$res" "$small" "$large" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = statistics.median
print("\nflow, public client, c=%d: median of %d rounds, interleaved" % (rows[0]["concurrency"], len(rows) // 2))
print("%12s %9s %12s %16s %9s %7s %7s" % ("token rows", "flows/s", "(min-max)", "flow p50/p99 ms",
      "CPU ms/op", "RSS MiB", "others%"))
rate = {}
for n in sys.argv[2:]:
    rs = [r for r in rows if "/rows=%s/" % n in r["label"]]
    rate[n] = med([r["rate"] for r in rs])
    print("%12s %9.0f %12s %16s %9.3f %7.1f %7.0f" % (format(int(n), ","), rate[n],
          "(%.0f-%.0f)" % (min(r["rate"] for r in rs), max(r["rate"] for r in rs)),
          "%.2f/%.2f" % (med([r["steps"]["flow"]["p50_ms"] for r in rs]), med([r["steps"]["flow"]["p99_ms"] for r in rs])),
          med([r["server_cpu_ms_per_op"] for r in rs]), max(r["server_rss_peak_mib"] for r in rs),
          med([r["others_cpu_pct"] for r in rs])))
    if sum(r["error_total"] for r in rs):
        print("  ERRORS: %d" % sum(r["error_total"] for r in rs))
print("large / small: %.0f%%" % (100.0 * rate[sys.argv[3]] / rate[sys.argv[2]]))
PY
rm -f "$res"
