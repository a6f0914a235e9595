#!/usr/bin/env bash
#
# run-fuzz-replay.sh - replay every fuzz target over its seed corpus under
# ASan+UBSan, as part of `make test` (Makefile target fuzz-replay).
#
# Usage: scripts/run-fuzz-replay.sh build/fuzz-replay/fuzz_X...
# Each binary fuzz_X (built from fuzz/fuzz_X.c + fuzz/replay.c) is run over
# fuzz/corpus/X/. A target passes when its whole corpus replays with exit
# status 0: no crash, no sanitizer report, no leak, no abort() from a
# broken invariant, and at least one input. The last line is always
#   fuzz-replay: N passed, M failed
# and the exit status is non-zero if any target failed.

set -u

root=$(cd "$(dirname "$0")/.." && pwd)
# Sanitizer reports are fatal; leaks count (LeakSanitizer is on by default
# with ASan on Linux, said here so nobody turns it off by accident).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# A replay is milliseconds per input; a hang is a failure too.
limit=${FUZZ_REPLAY_TIMEOUT:-300}

passed=0
failed=0

if [ "$#" -eq 0 ]; then
	echo "run-fuzz-replay: no fuzz targets given" >&2
	echo "fuzz-replay: 0 passed, 0 failed"
	exit 1
fi

for bin in "$@"; do
	name=$(basename "$bin")
	corpus="$root/fuzz/corpus/${name#fuzz_}"
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: no such binary: $bin"
		failed=$((failed + 1))
		continue
	fi
	if [ ! -d "$corpus" ]; then
		echo "FAIL $name: no corpus directory: $corpus"
		failed=$((failed + 1))
		continue
	fi
	if out=$(timeout "$limit" "$bin" "$corpus" 2>&1); then
		echo "ok   $name: ${out##*: }"
		passed=$((passed + 1))
	else
		rc=$?
		echo "$out"
		echo "FAIL $name: exit status $rc over $corpus"
		failed=$((failed + 1))
	fi
done

echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
