#!/bin/sh
# run-isolation.sh: the cost of worker processes against threads: the same corpus, runs
# interleaved (threads, processes, threads, ...), wall and CPU time from the run report
# (CPU includes the workers). Run from the build folder; needs ../shared/corpus and python3.
#   sh bench/run-isolation.sh [COPIES] [ROUNDS]
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(pwd)
shared=${QUARRY_SHARED_DIR:-$srcdir/../shared}
work=${QUARRY_BENCH_DIR:-/tmp/quarry-bench}
copies=${1:-5}
rounds=${2:-3}

export QUARRY_PLUGIN_PATH="$builddir/plugins"
export QUARRY_CONFIG_DIR="$srcdir/configs"
export QUARRY_ENTITY_LINK_KB="${QUARRY_ENTITY_LINK_KB:-$builddir/plugins/entity-link/kb.sqlite}"
quarry="$builddir/quarry"

# the corpus pages, COPIES times with varied ids; and the same documents as one JSON Lines file
corpus="$work/iso-$copies"
if [ ! -f "$corpus/.complete" ]; then
  rm -rf "$corpus"; mkdir -p "$corpus/files"
  python3 - "$shared/corpus/cables" "$corpus" "$copies" <<'PY'
import json, os, sys
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
pages = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith('.html'))
with open(os.path.join(dst, 'all.jsonl'), 'w', encoding='utf-8') as jl:
    for k in range(copies):
        os.makedirs(os.path.join(dst, 'files', 'r%03d' % k), exist_ok=True)
        for p in pages:
            data = open(p, 'rb').read()
            name = os.path.basename(p)[:-5] + '-r%d' % k
            open(os.path.join(dst, 'files', 'r%03d' % k, name + '.html'), 'wb').write(data)
            jl.write(json.dumps({'id': name, 'content': data.decode('utf-8', 'replace'),
                                 'media_type': 'text/html'}, ensure_ascii=False) + '\n')
PY
  touch "$corpus/.complete"
fi

for input in files all.jsonl; do
  for j in 1 2; do
    r=1
    while [ $r -le "$rounds" ]; do
      for iso in threads processes; do
        rc=0
        "$quarry" run -q -j $j --isolation=$iso -o "$work/iso-out-$iso.jsonl" --report "$work/iso-report.json" \
          "$corpus/$input" || rc=$?
        [ $rc -le 2 ] || { echo "run-isolation: quarry run failed ($rc)" >&2; exit 1; }
        python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], sys.argv[3], sys.argv[4], '%.3f' % r['wall_seconds'], '%.3f' % r['cpu_seconds'], r['bytes_in'], r['documents']['in'])" \
          "$work/iso-report.json" "$input" "j$j" "$iso"
      done
      cmp -s "$work/iso-out-threads.jsonl" "$work/iso-out-processes.jsonl" || { echo "run-isolation: outputs differ" >&2; exit 1; }
      r=$((r + 1))
    done
  done
done
