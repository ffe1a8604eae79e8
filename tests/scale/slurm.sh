#!/bin/sh
# tests/scale/slurm.sh: a one-node Slurm cluster on this machine runs a job array of 4 quarry shards over the corpus; one task is cancelled mid-run and requeued; the merge is what quarry run -j 1 writes.
# Run by `make check-scale` as root. Every daemon it starts is stopped by the pid it recorded, also on failure.
set -eu
: "${QUARRY_BUILD:?run from make check-scale}"
corpus=${QUARRY_SHARED_DIR:-}/corpus/cables
[ -d "$corpus" ] || { echo "slurm.sh: SKIP: no corpus at $corpus (set QUARRY_SHARED_DIR)"; exit 77; }
for c in munged slurmctld slurmd sbatch squeue scontrol scancel; do
  command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || { echo "slurm.sh: FAIL: $c is not installed (apt-get install slurm-wlm munge)"; exit 1; }
done
PATH=$PATH:/usr/sbin

work=$(mktemp -d /tmp/quarry-slurm-XXXXXX)
chmod 755 "$work"
pids=
job=
slurmd_pid=
cleanup () {
  # jobs first (their slurmstepd outlive slurmd), then the daemons, by the pids recorded
  if [ -n "$job" ]; then
    timeout 10 scancel "$job" 2>/dev/null || true
    for i in $(seq 50); do [ -z "$(timeout 5 squeue -h -j "$job" -o %i 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  [ -n "$slurmd_pid" ] && pids="$pids $(ps -o pid= --ppid "$slurmd_pid" 2>/dev/null | tr '\n' ' ')"
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  for p in $pids; do
    for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  [ -n "${QUARRY_SCALE_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail () { echo "slurm.sh: FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
skip () { echo "slurm.sh: SKIP: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 77; }

q=$work/quarry
cat > "$q" <<EOQ
#!/bin/sh
QUARRY_PLUGIN_PATH='$QUARRY_PLUGIN_PATH' QUARRY_CONFIG_DIR='$QUARRY_CONFIG_DIR' \
QUARRY_ENTITY_LINK_KB='$QUARRY_ENTITY_LINK_KB' QUARRY_ENTITY_SPOT_DATA='$QUARRY_ENTITY_SPOT_DATA' \
exec '$QUARRY_BUILD/quarry' "\$@"
EOQ
chmod +x "$q"

# munge, on a socket and key of its own
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$work/munge.key"
munged -F -f --key-file="$work/munge.key" --socket="$work/munge.sock" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munged.seed" &
pids="$pids $!"
for i in $(seq 50); do [ -S "$work/munge.sock" ] && break; sleep 0.1; done
[ -S "$work/munge.sock" ] || skip "munged did not start"

# the cluster: this machine, its real CPU count, state in the temporary folder
node=quarrynode
ncpu=$(nproc)
base=$(( 30000 + $$ % 20000 ))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<EOC
ClusterName=quarrytest
SlurmctldHost=$(hostname -s)(127.0.0.1)
MailProg=/bin/true
SlurmctldPort=$base
SlurmdPort=$(( base + 1 ))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.sock
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobRequeue=1
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
KillWait=2
MessageTimeout=5
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$ncpu State=UNKNOWN
PartitionName=quarry Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOC
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" > "$work/slurmctld.out.log" 2>&1 &
pids="$pids $!"
slurmd -D -N "$node" -f "$SLURM_CONF" > "$work/slurmd.out.log" 2>&1 &
slurmd_pid=$!
pids="$pids $!"
up=
for i in $(seq 100); do
  if timeout 10 sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then up=1; break; fi
  sleep 0.2
done
[ -n "$up" ] || skip "the one-node cluster did not come up (sinfo: $(timeout 10 sinfo -h -N -o '%N %T %E' 2>&1 | head -3))"
echo "slurm.sh: cluster up: node $node, $ncpu CPUs, slurmctld on port $base"

"$q" run -q -j 1 -o "$work/ref.jsonl" "$corpus" || fail "the reference run failed"

# The job array. The first attempt of task 2 stops its quarry part way (SIGSTOP) and says
# so, so that the test can cancel it mid-run for certain; the requeued attempt runs through.
mkdir -p "$work/out"
cat > "$work/shard.sbatch" <<EOB
#!/bin/sh
#SBATCH --job-name=quarry-shards
#SBATCH --array=1-4
#SBATCH --cpus-per-task=1
#SBATCH --output=$work/out/task-%a.log
#SBATCH --requeue
set -u
out=$work/out/shard-\$SLURM_ARRAY_TASK_ID.jsonl
if [ "\$SLURM_ARRAY_TASK_ID" = 2 ] && [ ! -e $work/out/cancelled ]; then
  "$q" run -q -j 1 --shard \$SLURM_ARRAY_TASK_ID/4 -o "\$out" "$corpus" &
  kill -STOP \$!
  echo \$! > $work/out/paused
  wait
  exit 1
fi
exec "$q" run -q -j 1 --shard \$SLURM_ARRAY_TASK_ID/4 -o "\$out" "$corpus"
EOB
job=$(sbatch --parsable "$work/shard.sbatch") || fail "sbatch refused the job array"
job=${job%%;*}
echo "slurm.sh: job array $job submitted"

poll () {  # poll CONDITION-COMMAND SECONDS WHAT
  for i in $(seq $(( $2 * 5 ))); do if eval "$1"; then return 0; fi; sleep 0.2; done
  fail "timed out after $2 s waiting for $3 (squeue: $(squeue -h -o '%i %T %r' 2>&1 | tr '\n' ';'))"
}
poll '[ -s "$work/out/paused" ]' 120 "task 2 to start"
[ -e "$work/out/shard-2.jsonl.shard.json" ] && fail "task 2 finished before it could be cancelled"
touch "$work/out/cancelled"
scancel "${job}_2"
poll '! squeue -h -j "${job}_2" -o "%T" 2>/dev/null | grep -qE "RUNNING|COMPLETING"' 60 "task 2 to be cancelled"
# the stopped quarry is killed with its job (SIGKILL after KillWait)
poll '! kill -0 "$(cat "$work/out/paused")" 2>/dev/null' 60 "the cancelled task's quarry to be killed"
[ -e "$work/out/shard-2.jsonl.shard.json" ] && fail "the cancelled task wrote a manifest"
echo "slurm.sh: task ${job}_2 cancelled mid-run (its quarry killed, no manifest)"
# a merge now names the missing shard
shards="$work/out/shard-1.jsonl $work/out/shard-2.jsonl $work/out/shard-3.jsonl $work/out/shard-4.jsonl"
if "$q" merge -q "$work/m.jsonl" $shards 2>"$work/merge-early.log"; then
  fail "merge accepted a cancelled shard"
fi
grep -q "shard-2.jsonl" "$work/merge-early.log" || fail "merge did not name the cancelled shard: $(cat "$work/merge-early.log")"
scontrol requeue "${job}_2" || fail "scontrol requeue ${job}_2 failed"
# a requeued job is held back about two minutes before it may start again: now is fine here
scontrol update JobId="${job}_2" StartTime=now 2>/dev/null || true
echo "slurm.sh: task ${job}_2 requeued"
poll '[ -z "$(squeue -h -j "$job" -o %i 2>/dev/null)" ]' 240 "the job array to finish"
if sacct -n -j "$job" -o JobID,State 2>/dev/null | grep -q .; then
  sacct -n -j "$job" -o JobID,State,ExitCode
else
  echo "slurm.sh: (sacct: no accounting storage in this throw-away cluster; squeue polled instead)"
fi
for k in 1 2 3 4; do
  [ -s "$work/out/shard-$k.jsonl.shard.json" ] || fail "task $k left no manifest: $(cat "$work/out/task-$k.log" 2>/dev/null)"
done
"$q" merge -q "$work/merged.jsonl" $shards || fail "quarry merge refused the shards"
cmp "$work/merged.jsonl" "$work/ref.jsonl" || fail "the merged shards differ from quarry run -j 1"
echo "slurm.sh: 4 array tasks (one cancelled and requeued) merged: $(wc -l < "$work/merged.jsonl") records, byte-identical to quarry run -j 1"
echo "slurm.sh: PASS"
