#!/usr/bin/env bash
# checksrc.sh - house rules that a compiler does not check (STYLE.md):
# banned functions (and jansson's text calls outside util/json_text.c),
# file length, unfinished markers in src/.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0

banned=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok)\s*\(' \
	src fuzz tests/unit --include='*.c' --include='*.h' || true)
if [[ -n "$banned" ]]; then
	echo "checksrc: banned functions (use str_copy, buf_*, snprintf, parse_u64):"
	echo "$banned"
	fail=1
fi

# jansson's text calls are unsafe out of memory (util/json_text.h): only
# json_text.c may use them
unsafe_json=$(grep -rnE '\bjson_(dumps|loads|loadb|load_file)\s*\(' src \
	--include='*.c' --include='*.h' | grep -v '^src/util/json_text\.[ch]:' || true)
if [[ -n "$unsafe_json" ]]; then
	echo "checksrc: use json_text/json_parse (util/json_text.h):"
	echo "$unsafe_json"
	fail=1
fi

while read -r n f; do
	[[ "$f" == total ]] && continue
	if (( n > 800 )); then
		echo "checksrc: $f has $n lines (limit 800): split it by job"
		fail=1
	fi
done < <(find src -name '*.c' -o -name '*.h' | xargs wc -l)

todo=$(grep -rnE 'TODO|FIXME|XXX' src || true)
if [[ -n "$todo" ]]; then
	echo "checksrc: unfinished markers in src/:"
	echo "$todo"
	fail=1
fi

if (( fail )); then
	exit 1
fi
echo "checksrc: ok"
