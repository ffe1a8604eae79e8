#!/bin/sh
# run.sh: runs the tag-decode benchmark on the seed (tag-dense) and on the corpus (no tags), with and without detokenization.
# usage: bench/tag-decode/run.sh BUILD_DIR [SHARED_DIR]   (use an optimized build without sanitizers)
set -e
build=${1:?give the build directory}
shared=${2:-$(dirname "$0")/../../../shared}
bench=$build/bench/tag-decode/bench-tag-decode
make -C "$build" bench/tag-decode/bench-tag-decode >/dev/null
seed=$shared/seed/09MOSCOW2734-tagged.html
"$bench" --mb 200 "$seed"
"$bench" --mb 200 --detokenize "$seed"
"$bench" --mb 200 --concat --detokenize "$seed"
find "$shared/corpus/cables" -name '*.html' | sort > /tmp/tag-decode-corpus.$$
"$bench" --mb 200 --detokenize $(cat /tmp/tag-decode-corpus.$$)
rm -f /tmp/tag-decode-corpus.$$
