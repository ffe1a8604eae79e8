#!/bin/sh
# run.sh: the exec stage's cost on the cable corpus: with a C co-process that replies {} (the machinery's own
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
export QUARRY_PLUGIN_PATH="$build/plugins"

# the corpus COPIES times, as hard links (a folder is read once, so each copy is a folder of its own)
corpus="$work/corpus-x$copies"
if [ ! -f "$corpus/.complete" ]; then
  rm -rf "$corpus"; mkdir -p "$corpus"
  i=0
  while [ $i -lt "$copies" ]; do cp -al "$shared/corpus/cables" "$corpus/c$i" 2>/dev/null || cp -a "$shared/corpus/cables" "$corpus/c$i"; i=$((i + 1)); done
  touch "$corpus/.complete"
fi

python3 - "$build" "$here" "$work" "$corpus" "$shared/corpus/cables" "$copies" <<'PY'
# CPU time, not wall time: on a shared machine the round trip's wall time is mostly the
# wait for the co-process to be scheduled. The stage's cost is the CPU time (quarry and
# its co-processes, which it reaps) of html-strip + exec minus that of html-strip alone,
# runs interleaved, the median of three.
import json, os, resource, subprocess, sys
build, here, work, corpus, cables, copies = sys.argv[1:7]
quarry = f"{build}/quarry"

def cpu_run(args, report):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([quarry, "run", "-q", "-j", "1", "-o", "/dev/null", "--report", report] + args, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

null = ["-c", f"{here}/null.ini", "--set", f"exec.command={build}/bench/exec/exec-null", corpus]
strip = ["-c", f"{here}/strip.ini", corpus]
deltas, walls = [], []
for k in range(3):
    a = cpu_run(strip, f"{work}/strip-{k}.json")
    b = cpu_run(null, f"{work}/null-{k}.json")
    deltas.append(b - a)
    r = json.load(open(f"{work}/null-{k}.json"))
    walls.append(next(s for s in r["stages"] if s["name"] == "exec"))
text_mb = walls[0]["bytes_in"] / 1e6
docs = walls[0]["documents"]
d = sorted(deltas)
mbs = text_mb / d[1]
py_strip = cpu_run(["-c", f"{here}/strip.ini", cables], f"{work}/py-strip.json")
py_cpu = cpu_run(["-c", f"{here}/python.ini", cables], f"{work}/python.json")
py = next(s for s in json.load(open(f"{work}/python.json"))["stages"] if s["name"] == "dates")
print(f"exec stage on the cable corpus x{copies} after html-strip, -j 1 ({docs} documents, {text_mb:.1f} MB of text):\n")
print("| co-process | CPU s the stage adds (quarry + co-process) | MB/s of text per CPU second | wall MB/s inside the stage (run report) |")
print("|---|---:|---:|---:|")
print(f"| exec-null (C, replies {{}}), median of 3 ({d[0]:.2f}-{d[2]:.2f} s) | {d[1]:.2f} | {mbs:.0f} | "
      f"{sorted(w['mb_per_second'] for w in walls)[1]:.1f} |")
print(f"| examples/exec-python/date_layer.py (corpus x1, one run) | {py_cpu - py_strip:.2f} | "
      f"{py['bytes_in'] / 1e6 / max(py_cpu - py_strip, 1e-9):.1f} | {py['mb_per_second']:.1f} |")
print(f"\nexec target (issue 16: 100 MB/s of corpus text on one core, measured in CPU time): {mbs:.0f} MB/s, "
      f"{'met' if mbs >= 100 else 'NOT MET'}. The wall figure includes waiting for the co-process to be scheduled; "
      f"load average at the end: {os.getloadavg()[0]:.1f}.")
PY
