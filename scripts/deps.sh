#!/usr/bin/env bash
# deps.sh - install the Debian packages Gatehouse needs, if missing.
#
#   scripts/deps.sh          build + test packages (what `make test` needs)
#   scripts/deps.sh build    build packages only (what `make run` needs)
#   scripts/deps.sh fuzz     clang and libFuzzer, for `make fuzz`
#
# As root, missing packages are installed with apt-get. Otherwise the
# script names exactly what is missing and how to install it, and fails.
set -euo pipefail

build_pkgs=(gcc make pkg-config libmicrohttpd-dev libssl-dev libjansson-dev
	libsqlite3-dev libpq-dev libargon2-dev libcjose-dev)
# postgresql: the throwaway server of the PostgreSQL test runs;
# chromium: the browser tests (driven by npm playwright-core)
test_pkgs=(libcmocka-dev python3-pytest python3-pytest-xdist python3-requests
	python3-authlib postgresql python3-psycopg2 chromium)
fuzz_pkgs=(clang libclang-rt-14-dev)

case "${1:-test}" in
build)	want=("${build_pkgs[@]}") ;;
test)	want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
fuzz)	want=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
*)	echo "usage: $0 [build|test|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ "${1:-test}" != build ]] && ! command -v node >/dev/null 2>&1; then
	echo "deps: Node.js 20 is needed for the interop and browser tests (node not found)" >&2
	exit 1
fi

if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed"
