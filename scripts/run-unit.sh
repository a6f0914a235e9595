#!/bin/sh
# run-unit.sh - run the cmocka unit test programs given as arguments and
# add up their results.
#
# Each program prints cmocka's summary ("[  PASSED  ] N test(s)." and, when
# something failed, "[  FAILED  ] N test(s), listed below:"). A program
# that dies before its summary (sanitizer report, signal) counts every test
# it did not finish as failed; one that reports no failure but exits
# non-zero (a leak found at exit) counts one failure. The output of a
# failing program is shown in full; passing programs get one line each.
# The last line is always
#   unit: N passed, M failed
# ("unit" being $UNIT_LABEL when set, e.g. unit-pg) and the exit status is non-zero if any program failed or crashed.

passed=0
failed=0
broken=0
log=$(mktemp "${TMPDIR:-/tmp}/gh-unit-log.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT

if [ $# -eq 0 ]; then
	echo "run-unit: no test programs given" >&2
	broken=1
fi

for bin in "$@"; do
	CMOCKA_MESSAGE_OUTPUT=stdout "$bin" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' \
	    "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' \
	    "$log" | tail -n 1)
	if [ -z "$p" ]; then
		# no summary: the program died; credit what finished
		ran=$(sed -n 's/^\[=*\] Running \([0-9][0-9]*\) test.*/\1/p' \
		    "$log" | head -n 1)
		p=$(grep -c '^\[       OK \]' "$log")
		f=$(( ${ran:-0} - p ))
		[ "$f" -lt 1 ] && f=1
	fi
	f=${f:-0}
	# all tests passed yet the program failed (e.g. a leak report at
	# exit): count one failure so the summary never reads "0 failed"
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		broken=1
		echo "---- $bin (exit $rc) ----"
		cat "$log"
		echo "FAIL $bin: $p passed, $f failed"
	else
		echo "  ok $bin: $p passed"
	fi
done

echo "${UNIT_LABEL:-unit}: $passed passed, $failed failed"
exit "$broken"
