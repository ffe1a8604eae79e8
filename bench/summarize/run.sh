#!/bin/sh
# run.sh: the summarize benchmark: quality (ROUGE against the cables' own summaries, next to
# lead-N and Debian's ots) and speed. Usage: bench/summarize/run.sh BUILD_DIR [CORPUS]
# BUILD_DIR is a configured build tree (`make bench` there builds bench-summarize); ots must be installed.
set -e
build=$(cd "${1:?usage: run.sh BUILD_DIR [CORPUS]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
corpus=${2:-$here/../../../shared/corpus/cables}
bench=$build/bench/summarize/bench-summarize
[ -x "$bench" ] || make -C "$build" bench/summarize/bench-summarize >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "## Quality: cables with an explicit summary, summary set aside, same number of sentences"
echo
echo "### Input: the cables pipeline before this stage (html-strip, header-parse, tag-decode)"
"$bench" quality "$corpus" --pipeline='html-strip;header-parse;tag-decode' --plugins="$build/plugins"
echo
echo "### Input: plain text of each page's <pre> (no earlier stage: the plugin finds the layout itself, but no page breaks: header-parse alone finds those)"
python3 "$here/extract.py" "$corpus" "$tmp/txt"
"$bench" quality "$tmp/txt"
echo
echo "### Tuning check: weights were tuned on half 0; half 1 was not looked at while tuning"
"$bench" quality "$tmp/txt" --no-ots --half=0 | grep -E 'documents|this stage|lead'
"$bench" quality "$tmp/txt" --no-ots --half=1 | grep -E 'documents|this stage|lead'
echo
echo "## Speed"
echo
"$bench" speed "$tmp/txt" 10
kb=$build/plugins/entity-link/kb.sqlite
report () {
  python3 - "$1" "$2" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception as e:
    print("quarry run --report: not available (%s)" % e)
    sys.exit(0)
for s in r["stages"]:
    print("quarry run --report (%s), stage %-12s %8.1f MB/s (%d documents, %.1f MB in)" %
          (sys.argv[2], s["name"], s["mb_per_second"], s["documents"], s["bytes_in"] / 1e6))
PY
}
# the default cables config, one thread; once over the corpus (cold: every word stemmed for
# the first time), then over it three times in one run (as in any long run: stems cached)
"$build/quarry" run -j 1 --plugin-path "$build/plugins" -c "$here/../../configs/cables.ini" \
  --set entity-link.kb="$kb" --report "$tmp/report1.json" -o /dev/null "$corpus" 2>/dev/null || true
report "$tmp/report1.json" "1 pass"
"$build/quarry" run -j 1 --plugin-path "$build/plugins" -c "$here/../../configs/cables.ini" \
  --set entity-link.kb="$kb" --report "$tmp/report3.json" -o /dev/null "$corpus" "$corpus" "$corpus" 2>/dev/null || true
report "$tmp/report3.json" "3 passes" | grep summarize
