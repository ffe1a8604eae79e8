#!/bin/sh
# run.sh: the exec stage's speed on the cable corpus: with a C co-process that replies {} (the machinery's own
# cost) and with the Python date layer of examples/exec-python beside it. Prints a Markdown table.
# usage: bench/exec/run.sh BUILD_DIR [SHARED_DIR] [COPIES]   (an optimized build without sanitizers)
set -eu
build=$(cd "${1:?give the build directory}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
shared=${2:-$here/../../../shared}
copies=${3:-${QUARRY_BENCH_EXEC_COPIES:-10}}
work=${QUARRY_BENCH_DIR:-/tmp/quarry-bench}/exec
make -C "$build" bench/exec/exec-null >/dev/null
[ -d "$shared/corpus/cables" ] || { echo "bench/exec: no corpus at $shared/corpus/cables" >&2; exit 1; }
mkdir -p "$work"
export QUARRY_PLUGIN_PATH="$build/plugins"

# the corpus named COPIES times on the command line (a duplicate id is a warning, not an error)
set --
i=0
while [ $i -lt "$copies" ]; do set -- "$@" "$shared/corpus/cables"; i=$((i + 1)); done

# -j 1: one worker, one co-process; the stage's MB/s is its input text over the time inside
# its process (run report). Three runs of the null co-process, the median kept.
for k in 1 2 3; do
  "$build/quarry" run -q -j 1 -c "$here/null.ini" --set "exec.command=$build/bench/exec/exec-null" \
    -o /dev/null --report "$work/null-$k.json" "$@"
done
# the Python example on one copy (it is some hundred times slower)
"$build/quarry" run -q -j 1 -c "$here/python.ini" -o /dev/null --report "$work/python.json" "$shared/corpus/cables"

python3 - "$work" "$copies" <<'PY'
import json, sys
work, copies = sys.argv[1], sys.argv[2]
def stage(r, name):
    return next(s for s in r["stages"] if s["name"] == name)
null = [json.load(open(f"{work}/null-{k}.json")) for k in (1, 2, 3)]
py = json.load(open(f"{work}/python.json"))
mbs = sorted(stage(r, "exec")["mb_per_second"] for r in null)
med = null[[stage(r, "exec")["mb_per_second"] for r in null].index(mbs[1])]
s = stage(med, "exec"); p = stage(py, "dates")
print("| co-process | documents | MB/s of the stage's input text (one worker) | mean ms/doc | whole run CPU s |")
print("|---|---:|---:|---:|---:|")
print(f"| exec-null (C, replies {{}}), corpus x{copies}, median of 3 ({mbs[0]:.0f}-{mbs[2]:.0f}) | {s['documents']} | {s['mb_per_second']:.1f} | {s['mean_ms']:.4f} | {med['cpu_seconds']:.2f} |")
print(f"| examples/exec-python/date_layer.py, corpus x1 | {p['documents']} | {p['mb_per_second']:.1f} | {p['mean_ms']:.4f} | {py['cpu_seconds']:.2f} |")
print()
print(f"exec target (issue 16: 100 MB/s of corpus text for the stage, one core): {mbs[1]:.1f} MB/s, {'met' if mbs[1] >= 100 else 'NOT MET'}.")
PY
