#!/usr/bin/env bash
# test-all.sh - every suite of `make test`, in order, with one summary.
# Each stage prints `<stage>: N passed, M failed`; the last line sums them.
# The -pg stages run the store contract tests and the end-to-end suite
# again on PostgreSQL: one throwaway server (scripts/pg-throwaway.sh) for
# the whole run, stopped and removed on exit whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
log=build/test-all.log
: > "$log"

pgdir=$(mktemp -d "${TMPDIR:-/tmp}/gh-pg.XXXXXX")
trap 'scripts/pg-throwaway.sh stop "$pgdir"' EXIT
pgurl=$(scripts/pg-throwaway.sh start "$pgdir") ||
	echo "test-all: PostgreSQL did not start; the -pg stages fail"

stages=(unit unit-pg fuzz-replay e2e e2e-pg browser)
names='(unit|unit-pg|fuzz-replay|e2e|e2e-pg|browser)'
failed_stages=()
for s in "${stages[@]}"; do
	echo "== $s"
	if [[ $s == *-pg ]]; then
		if [[ -z "$pgurl" ]]; then
			failed_stages+=("$s")
		else
			# thrown away at the end: no test drops its databases
			# (each DROP DATABASE forces a checkpoint, which stalled
			# the other workers' tests by 25 s at the end of e2e-pg)
			GH_TEST_PG_URL=$pgurl GH_TEST_PG_THROWAWAY=1 \
				make --no-print-directory "$s" \
				2>&1 | tee -a "$log" || failed_stages+=("$s")
		fi
	elif ! make --no-print-directory "$s" 2>&1 | tee -a "$log"; then
		failed_stages+=("$s")
	fi
	# a stage that printed no summary failed, whatever its exit code
	if ! grep -qE "^$s: [0-9]+ passed, [0-9]+ failed" "$log"; then
		echo "$s: 0 passed, 1 failed (no summary line)" | tee -a "$log"
		[[ " ${failed_stages[*]} " == *" $s "* ]] || failed_stages+=("$s")
	fi
done

read -r passed failed < <(grep -E "^$names: [0-9]+ passed" "$log" |
	awk '{p += $2; f += $4} END {print p + 0, f + 0}')
echo
grep -E "^$names: [0-9]+ passed" "$log"
if (( ${#failed_stages[@]} > 0 )); then
	echo "failed stages: ${failed_stages[*]}"
	(( failed == 0 )) && failed=${#failed_stages[@]}
fi
echo "total: $passed passed, $failed failed"
(( failed == 0 && ${#failed_stages[@]} == 0 ))
