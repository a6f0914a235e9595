#!/usr/bin/env bash
# run-browser.sh - browser tests of the admin console and the connected-
# apps page: Debian's chromium (headless, no sandbox, fresh profile,
# background networking off) driven by npm playwright-core, which never
# downloads a browser. Screenshots go to build/test-artifacts/.
# Prints `browser: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
	echo "browser: $CHROMIUM not found (scripts/deps.sh installs chromium)"
	echo "browser: 0 passed, 1 failed"
	exit 1
fi
if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
	echo "browser: npm ci (tests/browser)"
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error \
		>/dev/null || { echo "browser: npm ci failed"; \
		echo "browser: 0 passed, 1 failed"; exit 1; }
fi
mkdir -p build/test-artifacts
rm -f build/test-artifacts/*.png
export GATEHOUSE_BIN="${GATEHOUSE_BIN:-$PWD/build/gatehouse-san}"
node tests/browser/console.mjs
