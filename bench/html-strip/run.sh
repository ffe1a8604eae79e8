#!/bin/sh
# run.sh: html-strip throughput on the 415 corpus pages. Usage: bench/html-strip/run.sh [BUILD_DIR] [REPS]
# (build with `make bench/html-strip/bench-html-strip` or `make bench` first; an -O2 build without sanitizers).
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-.}
reps=${2:-20}
shared=${QUARRY_SHARED_DIR:-$srcdir/../shared}
export QUARRY_PLUGIN_PATH="$build/plugins"
"$build/bench/html-strip/bench-html-strip" -n "$reps" "$shared/corpus/cables"
