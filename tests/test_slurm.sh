#!/usr/bin/env bash
# test_slurm.sh: a sweep on a REAL single-node Slurm, started by this script.
#
#   TYNDAU=build/tyndau bash tests/test_slurm.sh
#
# Starts munged (unless one answers already), slurmctld and slurmd on this host from a
# minimal configuration in a temporary directory (cons_tres, proctrack/linuxproc,
# task/none, free ports, 16 CPUs declared), takes the recipes submit.sh and
# sweep-array.sbatch from docs/hpc.md as written, runs `bash submit.sh` in an empty
# directory (a 16-task array, one shard each from SLURM_ARRAY_TASK_ID/COUNT, and a merge +
# sensitivity job that depends on it), waits, and checks the merged file against the same
# sweep run without Slurm.  Needs Debian's
# slurm-wlm and munge (tools/deps.sh, group "test") and root (the daemons run as root
# here).  Without them the check is reported as skipped.  Last line:
# "slurm: N passed, M failed, K skipped".
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init slurm
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null ||
    [ "$(id -u)" -ne 0 ]; then
    skip "Slurm: needs slurm-wlm, munge and root"
    finish
    exit
fi

chmod 755 "$tmp"
started_munge=
lib_cleanup_extra() {
    [ -f "$tmp/ctl.pid" ] && kill "$(cat "$tmp/ctl.pid")" 2>/dev/null
    [ -f "$tmp/d.pid" ] && kill "$(cat "$tmp/d.pid")" 2>/dev/null
    [ -n "$started_munge" ] && [ -f "$tmp/munged.pid" ] && kill "$(cat "$tmp/munged.pid")" 2>/dev/null
    local f
    for f in ctl d munged; do # wait (up to 10 s) until the daemons have gone
        for _ in $(seq 1 100); do
            [ -f "$tmp/$f.pid" ] && kill -0 "$(cat "$tmp/$f.pid")" 2>/dev/null || break
            sleep 0.1
        done
    done
}

# munge: use a running daemon, else start one on a socket of our own
export MUNGE_SOCKET=
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    mkdir -p "$tmp/munge"
    chown munge: "$tmp/munge" 2>/dev/null
    [ -s /etc/munge/munge.key ] || { mungekey --create 2>/dev/null || create-munge-key -f 2>/dev/null; }
    munged --force --socket="$tmp/munge/socket" --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" \
        --seed-file="$tmp/munge/seed" >"$tmp/munged.out" 2>&1
    started_munge=1
    export MUNGE_SOCKET=$tmp/munge/socket
fi
if ! munge -n ${MUNGE_SOCKET:+--socket="$MUNGE_SOCKET"} 2>/dev/null | unmunge ${MUNGE_SOCKET:+--socket="$MUNGE_SOCKET"} >/dev/null 2>&1; then
    fail "munge: no working daemon" "$tmp/munged.out" "$tmp/munged.log"
    finish
    exit
fi

port() { # a free TCP port
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}
host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/work"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=tyndau-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(port)
SlurmdPort=$(port)
AuthType=auth/munge
$( [ -n "$MUNGE_SOCKET" ] && echo "AuthInfo=socket=$MUNGE_SOCKET" )
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/ctl.pid
SlurmdPidFile=$tmp/d.pid
SlurmctldLogFile=$tmp/ctl.log
SlurmdLogFile=$tmp/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=16 RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -f "$SLURM_CONF" >"$tmp/ctl.out" 2>&1
slurmd -f "$SLURM_CONF" -N "$host" >"$tmp/d.out" 2>&1
# addresses are given in the configuration: the host name need not resolve (a bare chroot's
# /etc/hosts may not know it); every client call is bounded in time
up=
deadline=$((SECONDS + 30))
while [ "$SECONDS" -lt "$deadline" ]; do
    if timeout 5 sinfo -h -o '%T' 2>/dev/null | grep idle >/dev/null; then up=1; break; fi
    sleep 0.5
done
if [ -z "$up" ]; then
    fail "Slurm: slurmctld and slurmd did not come up (30 s)" "$tmp/ctl.out" "$tmp/ctl.log" "$tmp/d.out" "$tmp/d.log"
    finish
    exit
fi
ok "Slurm up on $host (16 CPUs declared, $cpus real): slurmctld, slurmd, munge"

# the recipes of docs/hpc.md, as written there: each ```sh block with a "# file: NAME" line
"$PYTHON" - "$ROOT/docs/hpc.md" "$tmp/work" >"$tmp/extract.out" 2>&1 <<'PY'
import re, sys
doc, out = sys.argv[1:]
names = []
for block in re.findall(r"^```sh\n(.*?)^```", open(doc).read(), re.M | re.S):
    m = re.search(r"^# file: (\S+)$", block, re.M)
    if m:
        open("%s/%s" % (out, m.group(1)), "w").write(block)
        names.append(m.group(1))
print(" ".join(sorted(names)))
sys.exit(0 if sorted(names) == ["submit.sh", "sweep-array.sbatch"] else 1)
PY
check "docs/hpc.md: submit.sh and sweep-array.sbatch extracted ($(cat "$tmp/extract.out"))" $? "$tmp/extract.out"
cat >"$tmp/work/sweep.ini" <<EOF
[sweep]
scenario = $ROOT/scenarios/baseline.ini
agents = 2000
seed = 5
replicates = 1
design = saltelli
points = 4
outputs = voice_rate trust_central survey:aware_concept:total:all:fully_aware
[parameters]
prior_disengaged = uniform 0.05 0.4
media_platform = loguniform 0.0002 0.005
EOF
cd "$tmp/work" || { finish; exit; }
# a fresh directory (no shards/, no logs/), the in-tree program through TYNDAU
TYNDAU=$TYNDAU timeout 60 bash submit.sh >"$tmp/submit.out" 2>"$tmp/submit.err"
rc=$?
jids=$(timeout 5 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
[ "$rc" -eq 0 ] && [ -d shards ] && [ -d logs ]
check "bash submit.sh (from docs/hpc.md) in a fresh directory: exit 0, shards/ and logs/ made" $? \
    "$tmp/submit.out" "$tmp/submit.err" "$tmp/ctl.log"
deadline=$((SECONDS + 240))
while [ "$SECONDS" -lt "$deadline" ]; do
    [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break
    sleep 0.5
done
state=$(timeout 5 squeue -h 2>/dev/null | head -3)
n_shards=$(find shards -name 'sweep.*.h5' | wc -l)
n_logs=$(find logs -name 'sweep-*_*.out' | wc -l)
[ -s sweep.h5 ] && [ -s sweep_sensitivity.h5 ] && [ "$n_shards" -eq 16 ] && [ "$n_logs" -eq 16 ] &&
    [ -n "$(find logs -name 'merge-*.out')" ]
if [ $? -eq 0 ]; then ok "the docs' array (16 shards, 16 logs) and merge + sensitivity job ran (jobs $jids)"; else
    fail "the docs' recipes: shards $n_shards/16, logs $n_logs/16, sweep.h5 $([ -s sweep.h5 ] && echo yes || echo no) ($state)" \
        "$(find logs -name 'sweep-*_0.out' | head -1)" "$(find logs -name 'merge-*.out' | head -1)" "$tmp/ctl.log" "$tmp/d.log"
    finish
    exit
fi
"$TYNDAU" sweep sweep.ini -o "$tmp/work/single.h5" -q 2>"$tmp/single.err"
h5diff -q "$tmp/work/single.h5" sweep.h5 /runs /runs >"$tmp/h5diff.out" 2>&1 &&
    h5diff -q "$tmp/work/single.h5" sweep.h5 /design /design >>"$tmp/h5diff.out" 2>&1
if [ $? -eq 0 ]; then ok "the merged Slurm shards equal the sweep run without Slurm"; else
    fail "merged Slurm shards differ from the unsharded sweep" "$tmp/h5diff.out" "$tmp/single.err"
fi
finish
