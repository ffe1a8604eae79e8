#!/bin/sh
# tests/scale/parallel.sh: GNU parallel over one large JSON Lines file (--pipe-part) and over two ssh "hosts" (-S, an sshd on loopback started here) gives what quarry run -j 1 writes.
# Run by `make check-scale` (as root, as CI runs), with the build's environment.
set -eu
: "${QUARRY_BUILD:?run from make check-scale}"
corpus=${QUARRY_SHARED_DIR:-}/corpus/cables
[ -d "$corpus" ] || { echo "parallel.sh: SKIP: no corpus at $corpus (set QUARRY_SHARED_DIR)"; exit 77; }
command -v parallel >/dev/null || { echo "parallel.sh: FAIL: GNU parallel is not installed (apt-get install parallel)"; exit 1; }
size=${QUARRY_SCALE_BYTES:-200000000}

work=$(mktemp -d /tmp/quarry-parallel-XXXXXX)
sshd_pid=
cleanup () {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ssh starts a clean environment: the command carries the build's
q=$work/quarry
cat > "$q" <<EOQ
#!/bin/sh
QUARRY_PLUGIN_PATH='$QUARRY_PLUGIN_PATH' QUARRY_CONFIG_DIR='$QUARRY_CONFIG_DIR' \
QUARRY_ENTITY_LINK_KB='$QUARRY_ENTITY_LINK_KB' QUARRY_ENTITY_SPOT_DATA='$QUARRY_ENTITY_SPOT_DATA' \
exec '$QUARRY_BUILD/quarry' "\$@"
EOQ
chmod +x "$q"

big=$work/big.jsonl
t0=$(date +%s)
"$QUARRY_BUILD/tests/scale/make-jsonl" "$corpus" "$big" "$size"
echo "parallel.sh: $(wc -c < "$big") bytes, $(wc -l < "$big") records in $big ($(( $(date +%s) - t0 )) s)"

# the one-process references: the file named, and the same bytes on stdin
t0=$(date +%s)
"$q" run -q -j 1 -o "$work/ref.jsonl" "$big"
"$q" run -q -j 1 - < "$big" > "$work/ref-stdin.jsonl"
echo "parallel.sh: references written ($(( $(date +%s) - t0 )) s)"

# 1. --pipe-part: parallel cuts the file at line starts itself, each job reads its part on
# stdin (the stream contract), -k keeps the job order. A record's fields.input.line then
# counts lines of its part, not of the file (stdin has no place in the file): that field
# is taken out of both sides; every other byte must be the same.
t0=$(date +%s)
parallel --will-cite --pipe-part -a "$big" --block -2 -k -j 2 "$q" run -q -j 1 - > "$work/pipe-part.jsonl"
strip () { sed 's/,"line":[0-9]*}/}/' "$1"; }
if [ "$(strip "$work/pipe-part.jsonl" | cksum)" != "$(strip "$work/ref-stdin.jsonl" | cksum)" ]; then
  echo "parallel.sh: FAIL: --pipe-part output differs from quarry run -j 1 - (beyond fields.input.line)"; exit 1
fi
echo "parallel.sh: --pipe-part: $(wc -l < "$work/pipe-part.jsonl") records, the same as one process ($(( $(date +%s) - t0 )) s)"

# 2. -S over two "hosts", both the loopback address through an sshd started here
port=$(( 20000 + $$ % 20000 ))
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
cp "$work/id.pub" "$work/authorized_keys"
chmod 700 "$work"
mkdir -p /run/sshd
cat > "$work/sshd_config" <<EOC
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOC
cat > "$work/ssh_config" <<EOC
Host host1 host2
  HostName 127.0.0.1
  Port $port
  User $(id -un)
  IdentityFile $work/id
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
EOC
if ! /usr/sbin/sshd -f "$work/sshd_config" -E "$work/sshd.log"; then
  echo "parallel.sh: SKIP: sshd did not start:"; cat "$work/sshd.log"; exit 77
fi
for i in $(seq 50); do [ -s "$work/sshd.pid" ] && break; sleep 0.1; done
sshd_pid=$(cat "$work/sshd.pid" 2>/dev/null || true)
[ -n "$sshd_pid" ] || { echo "parallel.sh: SKIP: sshd wrote no pid:"; cat "$work/sshd.log"; exit 77; }
ssh -F "$work/ssh_config" host1 true || { echo "parallel.sh: FAIL: cannot log in through the sshd on port $port:"; cat "$work/sshd.log"; exit 1; }

t0=$(date +%s)
parallel --will-cite --ssh "ssh -F $work/ssh_config" -S 1/host1,1/host2 \
  "$q" run -q -j 1 --shard {}/4 -o "$work/s{}.jsonl" "$big" ::: 1 2 3 4
"$q" merge -q "$work/merged.jsonl" "$work"/s[1-4].jsonl
if ! cmp "$work/merged.jsonl" "$work/ref.jsonl"; then
  echo "parallel.sh: FAIL: the merged shards differ from quarry run -j 1"; exit 1
fi
echo "parallel.sh: -S host1,host2 (sshd on 127.0.0.1:$port): 4 shards merged, byte-identical to quarry run -j 1 ($(( $(date +%s) - t0 )) s)"
echo "parallel.sh: PASS"
