#!/bin/sh
# run.sh: header-parse throughput (the scanner alone, CPU time of one core) and the stage in a
# `quarry run` (html-strip + header-parse, per-stage MB/s from --report), plus the corpus check.
# usage: bench/header-parse/run.sh BUILD_DIR [SHARED_DIR]   (an optimized build without sanitizers)
set -e
build=$(cd "${1:?give the build directory}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
shared=$(cd "${2:-$here/../../../shared}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export QUARRY_HEADER_PARSE_DATA="${QUARRY_HEADER_PARSE_DATA:-$here/../../plugins/header-parse/data}"

make -C "$build" bench/header-parse/hp-dump plugins/header-parse/header-parse.la >/dev/null
find "$shared/corpus/cables" -name '*.html' | sort > "$tmp/pages"
while read -r page; do
  python3 "$here/cable2text.py" "$page" > "$tmp/$(basename "$page" .html).txt"
done < "$tmp/pages"

echo "== scanner alone on the text of the two <pre> blocks (best of 3)"
for i in 1 2 3; do "$build/bench/header-parse/hp-dump" --bench 40 "$tmp"/*.txt; done

echo "== quarry run -j 1: html-strip;header-parse over the corpus pages (per-stage, wall time)"
printf '[pipeline]\nstages = html-strip;header-parse\n[html-strip]\nmeta-table = table.cable\n' > "$tmp/hp.ini"
for i in 1 2 3; do
  QUARRY_PLUGIN_PATH="$build/plugins" "$build/quarry" run -q -j 1 -c "$tmp/hp.ini" -o /dev/null \
    --report "$tmp/report.json" $(cat "$tmp/pages")
  python3 -c "import json,sys; s=[s for s in json.load(open(sys.argv[1]))['stages'] if s['name']=='header-parse'][0]; print('header-parse: %.1f MB/s, %.3f ms per document' % (s['mb_per_second'], s['mean_ms']))" "$tmp/report.json"
done

echo "== corpus check"
"$here/corpus-check" --quarry "$build" --with-meta
