#!/bin/sh
# run-fuzz.sh SRCDIR BUILDDIR TARGET...: runs each libFuzzer harness for $FUZZ_SECONDS seconds
# ($FUZZ_JOBS at a time). Each keeps its corpus in BUILDDIR/tests/fuzz/corpus/NAME, started
# from the committed seeds and regression inputs plus the project's test data and sample
# cables; a crash, leak or failed check is saved as BUILDDIR/tests/fuzz/findings/NAME-*
# and fails the run. FUZZ_SEED=N fixes libFuzzer's seed. Add a fixed finding to tests/fuzz/regressions/NAME/ so make check
# replays it.
set -u
srcdir=$1; builddir=$2; shift 2
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
seed=${FUZZ_SEED:-0}   # 0: a new random seed each run; CI fixes it so that its minute is repeatable
shared=${QUARRY_SHARED_DIR:-$srcdir/../shared}
work=$builddir/tests/fuzz
mkdir -p "$work/findings" "$work/logs"

fuzz_one () {
  target=$1
  name=$(basename "$target" | sed 's/^fuzz-//')
  corpus=$work/corpus/$name
  extra=$work/extra/$name
  mkdir -p "$corpus" "$extra"
  case $name in
    document) kind=document ;;
    config)   kind=config; cp "$srcdir"/configs/*.ini "$extra"/ ;;
    jsonl)    kind=jsonl ;;
    *)        kind=stage
              cp "$srcdir"/samples/cables/*.html "$srcdir"/tests/data/header-parse/*.txt \
                 "$srcdir"/tests/data/tag-decode/*.txt "$extra"/ 2>/dev/null
              # a few real pages from the shared corpus, when it is there
              if [ -d "$shared/corpus/cables" ]; then
                find "$shared/corpus/cables" -name '*.html' | sort | awk 'NR % 40 == 1' |
                  while read -r f; do cp "$f" "$extra"/; done
              fi ;;
  esac
  dirs="$srcdir/tests/fuzz/seeds/$kind $extra"
  [ -d "$srcdir/tests/fuzz/regressions/$name" ] && dirs="$dirs $srcdir/tests/fuzz/regressions/$name"
  # shellcheck disable=SC2086
  "$target" -seed="$seed" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/findings/$name-" "$corpus" $dirs \
    >"$work/logs/$name.log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/logs/$name.log" | grep -o '[0-9]*$')
  if [ $status -eq 0 ]; then
    echo "fuzz $name: ok (${execs:-?} runs in ${seconds}s, corpus $(ls "$corpus" | wc -l))"
  else
    why=""; [ $status -eq 70 ] && why=": a unit ran longer than 30 s (slow or looping code)"
    echo "fuzz $name: FAILED (exit $status$why); log: $work/logs/$name.log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|.*runtime error)' "$work/logs/$name.log" | head -5
    ls "$work/findings/$name-"* 2>/dev/null | head -3
    return 1
  fi
}

failed=0
pids=""
running=0
for t in "$@"; do
  fuzz_one "$t" &
  pids="$pids $!"
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    for p in $pids; do wait "$p" || failed=1; done
    pids=""; running=0
  fi
done
for p in $pids; do wait "$p" || failed=1; done
[ $failed -eq 0 ] && echo "make fuzz: every harness ran ${seconds}s without a finding"
exit $failed
