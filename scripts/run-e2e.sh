#!/usr/bin/env bash
# run-e2e.sh - end-to-end tests: pytest (Debian's python3 with requests and
# authlib) against the ASan+UBSan server build, including the Node
# openid-client interop test. Prints `e2e: N passed, M failed` ("e2e" being
# $E2E_LABEL when set: e2e-pg for the run on PostgreSQL, GH_TEST_PG_URL).
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ -f tests/interop/package-lock.json && ! -d tests/interop/node_modules ]]; then
	echo "e2e: npm ci (tests/interop)"
	npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error \
		>/dev/null || { echo "e2e: npm ci failed"; exit 1; }
fi

mkdir -p build
label=${E2E_LABEL:-e2e}
export E2E_LABEL=$label
export GATEHOUSE_BIN="${GATEHOUSE_BIN:-$PWD/build/gatehouse-san}"
# Tests spend most of their time waiting (server start, timeouts, sleeps):
# E2E_JOBS workers (python3-pytest-xdist) run them side by side. Every test
# has its own server, folder, port and database, so they do not share.
jobs=()
if [[ ${E2E_JOBS:-3} -gt 1 ]] && /usr/bin/python3 -c 'import xdist' 2>/dev/null; then
	jobs=(-n "${E2E_JOBS:-3}")
fi
/usr/bin/python3 -m pytest -q -p no:cacheprovider "${jobs[@]}" \
	--junitxml="build/$label-junit.xml" tests/e2e "$@"
rc=$?
/usr/bin/python3 - <<'PY'
import os
import xml.etree.ElementTree as ET
label = os.environ["E2E_LABEL"]
try:
    root = ET.parse("build/%s-junit.xml" % label).getroot()
except Exception:
    print("%s: 0 passed, 1 failed" % label)
    raise SystemExit
suites = [root] if root.tag == "testsuite" else list(root)
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print("%s: %d passed, %d failed, %d skipped" % (label, tests - bad - skipped,
                                               bad, skipped))
PY
# pytest exits 5 when it collected nothing: that is a failure here
exit $rc
