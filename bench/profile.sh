#!/usr/bin/env bash
# bench/profile.sh - where the server's work goes in one scenario (default:
# flow), on a fresh bench server (bench/run.sh does the setup).
#
#   bench/profile.sh [-t callgrind|perf] [-s SCENARIO] [-c THREADS]
#                    [-d SECONDS] [-o OUTDIR]
#
# callgrind (default; needs no hardware counters, which this VM lacks): the
# release server runs under valgrind with instrumentation off until the
# login is done (its one Argon2 hash stays out), then a short run (default
# c=4 for 20 s; valgrind runs one thread at a time, so expect ~1/50 of the
# normal rate). Output: the top functions by inclusive and by self cost,
# and self cost grouped by shared object, in OUTDIR/report.txt.
# perf: perf record (software cpu-clock event, call graphs) of the release
# server over the measured window, kernel included; top symbols by self
# time and grouped by object.
# All counts are per run; divide by the operations in OUTDIR/results.jsonl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tool=callgrind scen=flow conc=4 dur=20 out=""
while getopts "t:s:c:d:o:" opt; do
	case "$opt" in
	t) tool="$OPTARG" ;; s) scen="$OPTARG" ;; c) conc="$OPTARG" ;;
	d) dur="$OPTARG" ;; o) out="$OPTARG" ;;
	*) sed -n 2,18p "$0"; exit 2 ;;
	esac
done
[[ "$dur" =~ ^[0-9]+$ ]] && (( dur >= 1 && dur <= 300 )) || { echo "profile.sh: -d 1..300" >&2; exit 2; }
[ -n "$out" ] || out="$(mktemp -d /tmp/ghbench-profile.XXXXXX)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
case "$scen" in flow) var=FLOW_C ;; refresh) var=REFRESH_C ;; introspect) var=INTROSPECT_C ;;
	*) echo "profile.sh: scenario flow, refresh or introspect" >&2; exit 2 ;; esac
export "$var=$conc"

case "$tool" in
callgrind)
	command -v valgrind >/dev/null || { echo "profile.sh: needs valgrind" >&2; exit 1; }
	export BENCH_SERVER_WRAP="valgrind --tool=callgrind --instr-atstart=no --separate-threads=no --callgrind-out-file=$out/callgrind.out"
	export BENCH_AFTER_LOGIN="callgrind_control --instr=on"
	# warm-up 3 s: the instrumentation switch needs a moment to reach all threads
	"$here/run.sh" -s "$scen" -d "$dur" -w 3 -o "$out/results.jsonl" | tee "$out/table.txt"
	callgrind_annotate --auto=no --inclusive=yes "$out/callgrind.out" >"$out/inclusive.txt" 2>/dev/null
	callgrind_annotate --auto=no --threshold=100 --inclusive=no "$out/callgrind.out" 2>/dev/null >"$out/self-all.txt"
	self="$out/self-all.txt"
	;;
perf)
	command -v perf >/dev/null || { echo "profile.sh: needs perf" >&2; exit 1; }
	# the recording covers the warm-up's last second and the window
	export BENCH_AFTER_LOGIN="$here/profile.sh.perf $out/perf.data $((dur + 1))"
	"$here/run.sh" -s "$scen" -d "$dur" -w 2 -o "$out/results.jsonl" | tee "$out/table.txt"
	# perf writes its file when its sleep ends: wait for it (bounded)
	for _ in $(seq 1 150); do kill -0 "$(cat "$out/perf.data.pid")" 2>/dev/null || break; sleep 0.2; done
	# whole outputs to files first: a pipe into head would SIGPIPE perf
	perf report -i "$out/perf.data" --no-children -g none --sort dso,sym \
		--stdio >"$out/perf-sym.txt" 2>/dev/null
	perf report -i "$out/perf.data" --no-children -g none --sort dso \
		--stdio >"$out/perf-dso.txt" 2>/dev/null
	grep -E '^ +[0-9.]+%' "$out/perf-sym.txt" >"$out/self-all.txt" || true
	grep -E '^ +[0-9.]+%' "$out/perf-dso.txt" >"$out/by-object.txt" || true
	self=""
	;;
*) echo "profile.sh: -t callgrind or perf" >&2; exit 2 ;;
esac

{
	echo "== scenario $scen c=$conc ${dur}s under $tool"
	cat "$out/table.txt"
	if [ -n "$self" ]; then
		echo; echo "== self cost grouped by object (instructions)"
		/usr/bin/python3 - "$self" <<'PY'
import re, sys
tot, by = 0, {}
for line in open(sys.argv[1]):
    m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
    if not m or "PROGRAM TOTALS" in line:
        continue
    n = int(m.group(1).replace(",", ""))
    o = re.search(r"\[([^\]]+)\]\s*$", m.group(2))
    obj = o.group(1).rsplit("/", 1)[-1] if o else "?"
    by[obj] = by.get(obj, 0) + n
    tot += n
for obj, n in sorted(by.items(), key=lambda x: -x[1])[:15]:
    print("%6.1f%%  %s" % (100.0 * n / tot, obj))
PY
		echo; echo "== top functions, self cost"
		grep -E '^ *[0-9,]+ \(' "$self" | sed -n 1,40p
		echo; echo "== top functions, inclusive cost"
		grep -E '^ *[0-9,]+ \(' "$out/inclusive.txt" | sed -n 1,60p
	else
		echo; echo "== self time by object"; sed -n 1,25p "$out/by-object.txt"
		echo; echo "== top symbols, self time"; sed -n 1,50p "$out/self-all.txt"
	fi
} >"$out/report.txt"
echo "report: $out/report.txt"
