#!/usr/bin/env bash
# pg-throwaway.sh - a private, disposable PostgreSQL for the tests.
#
#   scripts/pg-throwaway.sh start DIR   initdb into DIR/data, start it, print
#                                       its URL (also written to DIR/url)
#   scripts/pg-throwaway.sh stop DIR    stop it and remove DIR
#   scripts/pg-throwaway.sh run CMD...  run CMD with GH_TEST_PG_URL set: the
#                                       one given, else a server started for
#                                       CMD and stopped after it, whatever
#                                       its outcome (GH_TEST_PG_THROWAWAY=1
#                                       then: tests need not drop databases)
#
# The server listens on a Unix socket in DIR only (listen_addresses=''),
# with fsync on, so it is reachable by this machine's root and the owner of
# DIR and nobody else. initdb refuses to run as root: as root, the cluster
# is run by the `postgres` system user (from the postgresql package) and
# DIR is handed to it. The URL is the superuser's, database `postgres`.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR | run CMD..." >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1
dir=$2

if [[ "$cmd" == run ]]; then
	shift
	if [[ -n "${GH_TEST_PG_URL:-}" ]]; then
		exec "$@"
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/gh-pg.XXXXXX")
	trap '"$0" stop "$tmp"' EXIT
	GH_TEST_PG_URL=$("$0" start "$tmp") || exit 1
	# the tests need not drop what they create: all of it goes at exit
	GH_TEST_PG_THROWAWAY=1
	export GH_TEST_PG_URL GH_TEST_PG_THROWAWAY
	"$@"
	exit $?
fi
[[ $# -eq 2 ]] || usage

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
	echo "pg-throwaway: no PostgreSQL server found under /usr/lib/postgresql" \
		"(apt-get install postgresql)" >&2
	exit 1
fi

as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	chmod 700 "$dir"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust \
		-E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	cat >>"$dir/data/postgresql.conf" <<-EOF
		listen_addresses = ''
		unix_socket_directories = '$dir'
		unix_socket_permissions = 0700
		fsync = on
		synchronous_commit = on
		max_connections = 300
		log_min_messages = warning
	EOF
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-t 60 start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	url="postgresql://postgres@/postgres?host=$dir"
	echo "$url" >"$dir/url"
	echo "$url"
	;;
stop)
	[[ -d "$dir" ]] || exit 0
	if [[ -f "$dir/data/postmaster.pid" ]]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 \
			stop >/dev/null || true
	fi
	rm -rf "$dir"
	;;
*)
	usage
	;;
esac
