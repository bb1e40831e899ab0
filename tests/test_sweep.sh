#!/usr/bin/env bash
# test_sweep.sh: end-to-end tests of `tyndau sweep`, `tyndau merge` and `tyndau sensitivity`.
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_sweep.sh
#
# Run from the repository root.  Needs h5diff, python3 with h5py/numpy, and mpirun for the
# MPI check (reported as skipped without it).  Models are tiny (2,000-5,000 agents) so the
# script takes about a minute on two cores.  Last line: "sweep: N passed, M failed, K skipped".
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init sweep
# runs_same A B: identical /runs (outputs, status, errors) and /design
runs_same() { h5diff -q "$1" "$2" /runs /runs >"$tmp/h5diff.out" 2>&1 && h5diff -q "$1" "$2" /design /design >>"$tmp/h5diff.out" 2>&1; }

sweepfile() { # FILE DESIGN POINTS [AGENTS] [extra [sweep] line]
    cat >"$1" <<EOF
[sweep]
scenario = $ROOT/scenarios/baseline.ini
agents = ${4:-2000}
seed = 11
replicates = 2
design = $2
points = $3
batch = 3
outputs = voice_rate resolution_rate:income:low gap_income trust_central survey:aware_concept:age:61+:fully_aware
${5:-}

[parameters]
prior_disengaged = uniform 0.05 0.4
media_platform = loguniform 0.0002 0.005
prior_trust_local = uniform 0.3 0.9
EOF
}

# ---------------------------------------------------------------------------
# 1. Bad sweep files: exit 2, file:line and key named, nothing written.
# ---------------------------------------------------------------------------
expect_bad() { # DESCRIPTION PATTERN -- ARGS...
    local desc=$1 pat=$2
    shift 3
    rm -f "$tmp/bad.h5"*
    "$TYNDAU" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pat" "$tmp/err" && ! ls "$tmp"/bad.h5* >/dev/null 2>&1
    check "bad input: $desc (exit $rc)" $? "$tmp/err"
}
printf '[sweep]\ndesign = lhs\npoints = 4\noutputs = voice_rate\n[parameters]\nprior_disengagd = uniform 0 0.5\n' >"$tmp/u.ini"
expect_bad "unknown parameter" "u.ini:6: unknown parameter 'prior_disengagd' (did you mean 'prior_disengaged'?)" -- sweep "$tmp/u.ini" -o "$tmp/bad.h5"
printf '[sweep]\ndesign = lhs\npoints = 4\noutputs = voice_rate\n[parameters]\nprior_disengaged = uniform 0.3 0.3\n' >"$tmp/e.ini"
expect_bad "empty range" "e.ini:6: key 'prior_disengaged': expected LO < HI" -- sweep "$tmp/e.ini" -o "$tmp/bad.h5"
printf '[sweep]\ndesign = factorial\nlevels = 10\nmax_runs = 500\noutputs = voice_rate\n[parameters]\nprior_disengaged = uniform 0 0.5\nmedia_platform = uniform 0.0001 0.01\ntv_relay = uniform 0 2\n' >"$tmp/big.ini"
expect_bad "a design with more runs than allowed" "big.ini: the factorial design needs 1000 runs (1000 points x 1 replicates), more than max_runs = 500" -- sweep "$tmp/big.ini" -o "$tmp/bad.h5"
printf 'prior_disengaged,media_platform\n0.1,0.001\n0.2\n' >"$tmp/wrong.csv"
printf '[sweep]\ndesign = csv\ncsv = wrong.csv\noutputs = voice_rate\n' >"$tmp/csv.ini"
expect_bad "CSV design with a missing value" "wrong.csv:3: 1 values, expected 2" -- sweep "$tmp/csv.ini" -o "$tmp/bad.h5"
printf 'prior_disengaged,no_such_param\n0.1,0.001\n' >"$tmp/wrong2.csv"
sed 's/wrong.csv/wrong2.csv/' "$tmp/csv.ini" >"$tmp/csv2.ini"
expect_bad "CSV design with a column that is not a parameter" "wrong2.csv:1: column 'no_such_param' is not a real-valued parameter" -- sweep "$tmp/csv2.ini" -o "$tmp/bad.h5"
printf '[sweep]\ndesign = lhs\npoints = 4\noutputs = voice_rate happiness\n[parameters]\nprior_disengaged = uniform 0 0.5\n' >"$tmp/o.ini"
expect_bad "unknown output" "o.ini:4: key 'outputs': unknown output 'happiness'" -- sweep "$tmp/o.ini" -o "$tmp/bad.h5"
printf '[sweep]\ndesign = lhs\noutputs = voice_rate\n[parameters]\nprior_disengaged = uniform 0 0.5\n' >"$tmp/np.ini"
expect_bad "design without points" "design = lhs needs 'points = N'" -- sweep "$tmp/np.ini" -o "$tmp/bad.h5"
printf '[sweep]\ndesign = lhs\npoints = 4\noutputs = voice_rate\nthis is not ini\n' >"$tmp/m.ini"
expect_bad "malformed line" "m.ini:5: malformed line" -- sweep "$tmp/m.ini" -o "$tmp/bad.h5"
sweepfile "$tmp/s.ini" saltelli 4
expect_bad "bad --shard" "--shard '3/3': expected I/N" -- sweep "$tmp/s.ini" -o "$tmp/bad.h5" --shard 3/3

# ---------------------------------------------------------------------------
# 2. A sweep: layout, failed runs recorded, threads, sensitivity.
# ---------------------------------------------------------------------------
"$TYNDAU" sweep "$tmp/s.ini" -o "$tmp/t2.h5" --threads 2 -q 2>"$tmp/t2.err"
rc=$?
[ "$rc" -eq 0 ] && [ -s "$tmp/t2.h5" ] && ! ls "$tmp"/t2.h5.* >/dev/null 2>&1
check "saltelli sweep (4 base rows x 5 blocks x 2 replicates): exit $rc, no part files left" $? "$tmp/t2.err"
"$PYTHON" - "$tmp/t2.h5" >"$tmp/py.out" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["schema"] == "tyndau-sweep" and f.attrs["status"] == "complete"
assert f.attrs["points"] == 20 and f.attrs["replicates"] == 2
y, st = f["runs/y"][:], f["runs/status"][:]
assert y.shape == (40, 5) and np.all(st == 0) and np.all(np.isfinite(y[:, :4]))
x, u = f["design/x"][:], f["design/unit"][:]
assert x.shape == (20, 3) and np.all((u >= 0) & (u < 1))
# Saltelli blocks: AB_i equals A except column i, which equals B's
A, B = u[0:4], u[4:8]
for i in range(3):
    AB = u[(2 + i) * 4:(3 + i) * 4]
    assert np.all(AB[:, i] == B[:, i]) and np.all(np.delete(AB, i, 1) == np.delete(A, i, 1))
assert np.all(x[:, 0] >= 0.05) and np.all(x[:, 0] <= 0.4)
print("ok")
EOF
check "sweep file: layout, every run done, the Saltelli blocks, values inside the ranges" $? "$tmp/py.out"
"$TYNDAU" sweep "$tmp/s.ini" -o "$tmp/t1.h5" --threads 1 --resume 2>"$tmp/t1.err"
runs_same "$tmp/t1.h5" "$tmp/t2.h5" && grep -q "no .*partial.*; starting" "$tmp/t1.err"
check "identical runs with 1 and 2 threads (the second with --resume and nothing to resume: it starts)" $? "$tmp/h5diff.out" "$tmp/t1.err"
cp "$tmp/t1.h5" "$tmp/t1.copy"
"$TYNDAU" sweep "$tmp/s.ini" -o "$tmp/t1.h5" --resume 2>"$tmp/t1.err"
[ $? -eq 0 ] && grep -q "complete already" "$tmp/t1.err" && cmp -s "$tmp/t1.h5" "$tmp/t1.copy"
check "--resume of a complete sweep does nothing and leaves the file as it was" $? "$tmp/t1.err"

# a failed run is recorded and the sweep goes on: age shares that sum to more than 1 fail the checks
cat >"$tmp/f.ini" <<EOF
[sweep]
agents = 2000
design = lhs
points = 6
outputs = voice_rate
[parameters]
age_share_18_29 = uniform 0.2 0.7
EOF
"$TYNDAU" sweep "$tmp/f.ini" -o "$tmp/f.h5" -q 2>"$tmp/f.err"
rc=$?
"$PYTHON" - "$tmp/f.h5" >"$tmp/py.out" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
x, st, y = f["design/x"][:, 0], f["runs/status"][:], f["runs/y"][:, 0]
err = [e.decode() for e in f["runs/error"][:]]
bad = st == 2
assert bad.any() and (~bad).any(), st
assert np.all(np.isnan(y[bad])) and np.all(np.isfinite(y[~bad]))
assert all("age_share" in e for e, b in zip(err, bad) if b), err
print("failed runs: %d of %d" % (bad.sum(), len(st)))
EOF
check "failed runs recorded (status 2, error, NaN) and the sweep finished (exit $rc)" $? "$tmp/py.out" "$tmp/f.err"

"$TYNDAU" sensitivity "$tmp/t2.h5" -o "$tmp/sens.h5" --boot 50 >"$tmp/sens.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q "voice_rate" "$tmp/sens.out" && h5dump -H "$tmp/sens.h5" 2>/dev/null | grep -q '"total_hi"'
check "sensitivity on the sweep: exit $rc, table and file" $? "$tmp/sens.out"
"$PYTHON" analysis/sweep.py "$tmp/t2.h5" --csv "$tmp/t2.csv" >"$tmp/py.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/t2.csv")" -eq 41 ] && head -1 "$tmp/t2.csv" | grep -q "^point,replicate,prior_disengaged,media_platform,prior_trust_local,status,voice_rate" &&
    grep -q "40 runs: 40 done, 0 failed, 0 not run" "$tmp/py.out"
check "analysis/sweep.py: summary and a CSV of 40 runs" $? "$tmp/py.out"
"$PYTHON" analysis/sweep.py "$tmp/sens.h5" --plot "$tmp/sens.png" >"$tmp/py.out" 2>&1
[ $? -eq 0 ] && [ "$(head -c 8 "$tmp/sens.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
check "analysis/sweep.py: plot of the sensitivity indices" $? "$tmp/py.out"
"$PYTHON" analysis/sweep.py "$tmp/s.ini" >"$tmp/py.out" 2>&1
[ $? -eq 2 ]
check "analysis/sweep.py on a file that is neither: exit 2" $? "$tmp/py.out"
sweepfile "$tmp/l.ini" lhs 4
"$TYNDAU" sweep "$tmp/l.ini" -o "$tmp/l.h5" -q 2>/dev/null
"$TYNDAU" sensitivity "$tmp/l.h5" >"$tmp/sens.out" 2>&1
[ $? -eq 2 ] && grep -q "sensitivity indices need 'design = saltelli'" "$tmp/sens.out"
check "sensitivity refuses a Latin hypercube sweep with exit 2" $? "$tmp/sens.out"

# ---------------------------------------------------------------------------
# 3. MPI: 2 ranks give the same runs.
# ---------------------------------------------------------------------------
if command -v mpirun >/dev/null 2>&1 && "$TYNDAU" --version | grep -q "with MPI"; then
    mpirun -np 2 --allow-run-as-root --oversubscribe "$TYNDAU" sweep "$tmp/s.ini" -o "$tmp/m2.h5" --threads 1 -q \
        >"$tmp/m2.out" 2>"$tmp/m2.err"
    rc=$?
    [ "$rc" -eq 0 ] && runs_same "$tmp/t1.h5" "$tmp/m2.h5"
    check "mpirun -np 2 (exit $rc): identical runs to one process" $? "$tmp/m2.err" "$tmp/h5diff.out"
else
    skip "MPI check: no mpirun, or a build without MPI (install openmpi-bin libopenmpi-dev, rebuild)"
fi

# ---------------------------------------------------------------------------
# 4. Kill (SIGKILL) and resume.
# ---------------------------------------------------------------------------
sweepfile "$tmp/k.ini" lhs 30 10000
"$TYNDAU" sweep "$tmp/k.ini" -o "$tmp/full.h5" -q 2>/dev/null
"$TYNDAU" sweep "$tmp/k.ini" -o "$tmp/k.h5" -q 2>"$tmp/k.err" &
bg_pid=$!
doneruns=0
for _ in $(seq 1 400); do
    if [ -e "$tmp/k.h5.partial.0" ]; then
        doneruns=$(HDF5_USE_FILE_LOCKING=FALSE "$PYTHON" -c 'import h5py,sys; print(int((h5py.File(sys.argv[1],"r")["runs/status"][:] >= 0).sum()))' "$tmp/k.h5.partial.0" 2>/dev/null || echo 0)
        [ "${doneruns:-0}" -ge 12 ] && break
    fi
    kill -0 "$bg_pid" 2>/dev/null || break
    sleep 0.05
done
if kill -0 "$bg_pid" 2>/dev/null; then
    kill -9 "$bg_pid"
    wait "$bg_pid" 2>/dev/null
    bg_pid=
    [ ! -e "$tmp/k.h5" ]
    check "killed sweep (after at least $doneruns of 60 runs): nothing under the output name" $? "$tmp/k.err"
    "$TYNDAU" sweep "$tmp/k.ini" -o "$tmp/k.h5" --resume 2>"$tmp/r.err"
    rc=$?
    [ "$rc" -eq 0 ] && grep -q "from earlier parts" "$tmp/r.err" && runs_same "$tmp/full.h5" "$tmp/k.h5"
    check "resumed sweep (exit $rc): identical runs to an uninterrupted one" $? "$tmp/r.err" "$tmp/h5diff.out"
else
    wait "$bg_pid" 2>/dev/null
    bg_pid=
    fail "kill and resume: the sweep ended before it could be killed" "$tmp/k.err"
fi

# ---------------------------------------------------------------------------
# 5. Shards and merge.
# ---------------------------------------------------------------------------
for i in 0 1 2; do "$TYNDAU" sweep "$tmp/s.ini" -o "$tmp/shard$i.h5" --shard "$i/3" -q 2>>"$tmp/sh.err"; done
"$TYNDAU" merge -o "$tmp/merged.h5" "$tmp/shard2.h5" "$tmp/shard0.h5" "$tmp/shard1.h5" 2>"$tmp/merge.err"
rc=$?
[ "$rc" -eq 0 ] && runs_same "$tmp/t1.h5" "$tmp/merged.h5"
check "3 shards merged (exit $rc): identical runs to a single sweep" $? "$tmp/merge.err" "$tmp/sh.err" "$tmp/h5diff.out"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 "$TYNDAU" sweep "$tmp/s.ini" -o "$tmp/slurm1.h5" -q 2>"$tmp/sl.err"
h5diff -q "$tmp/shard1.h5" "$tmp/slurm1.h5" /runs /runs >"$tmp/h5diff.out" 2>&1
check "SLURM_ARRAY_TASK_ID/COUNT select the same shard as --shard 1/3" $? "$tmp/sl.err" "$tmp/h5diff.out"
expect_bad "merge with a missing shard" "missing shard(s) 1 of 3" -- merge -o "$tmp/bad.h5" "$tmp/shard0.h5" "$tmp/shard2.h5"
expect_bad "merge with a shard given twice" "shard 1/3 given twice" -- merge -o "$tmp/bad.h5" "$tmp/shard0.h5" "$tmp/shard1.h5" "$tmp/slurm1.h5" "$tmp/shard2.h5"
sweepfile "$tmp/s2.ini" saltelli 4 2000 "; a different sweep"
"$TYNDAU" sweep "$tmp/s2.ini" -o "$tmp/other1.h5" --shard 1/3 -q 2>/dev/null
expect_bad "merge with a shard of another sweep" "is a shard of a different sweep" -- merge -o "$tmp/bad.h5" "$tmp/shard0.h5" "$tmp/other1.h5" "$tmp/shard2.h5"
expect_bad "merge of a file that is not a shard" "not a shard" -- merge -o "$tmp/bad.h5" "$tmp/t1.h5"
# overlapping: shard 0 of 3 with a forged copy of shard 1 that also holds one of shard 0's runs
cp "$tmp/shard1.h5" "$tmp/forged1.h5"
"$PYTHON" -c '
import h5py, sys
f = h5py.File(sys.argv[1], "r+")
st = f["runs/status"]; st[0] = 0
' "$tmp/forged1.h5"
expect_bad "merge with overlapping shards" "overlapping files: job 0 is in both" -- merge -o "$tmp/bad.h5" "$tmp/shard0.h5" "$tmp/forged1.h5" "$tmp/shard2.h5"

# ---------------------------------------------------------------------------
# A scenario that inherits: the sweep records the inherited text, and a changed base file makes
# --resume rerun a complete sweep instead of taking it as done.
# ---------------------------------------------------------------------------
mkdir -p "$tmp/inh"
cp "$ROOT/scenarios/baseline.ini" "$tmp/inh/base.ini"
printf '[scenario]\nbase = base.ini\n' >"$tmp/inh/child.ini"
sweepfile "$tmp/inh/sw.ini" lhs 2
sed -i "s|^scenario = .*|scenario = $tmp/inh/child.ini|" "$tmp/inh/sw.ini"
"$TYNDAU" sweep "$tmp/inh/sw.ini" -o "$tmp/inh/a.h5" -q 2>"$tmp/inh/err1"
"$TYNDAU" sweep "$tmp/inh/sw.ini" -o "$tmp/inh/a.h5" --resume 2>"$tmp/inh/err2"
grep -q "complete already" "$tmp/inh/err2"
check "an inheriting scenario: --resume takes the complete sweep as done" $? "$tmp/inh/err1" "$tmp/inh/err2"
printf '\n[state]\ndetection = 0.1\n' >>"$tmp/inh/base.ini"
"$TYNDAU" sweep "$tmp/inh/sw.ini" -o "$tmp/inh/a.h5" --resume 2>"$tmp/inh/err3"
! grep -q "complete already" "$tmp/inh/err3" && grep -q "wrote" "$tmp/inh/err3" &&
    "$PYTHON" -c 'import h5py,sys; t=h5py.File(sys.argv[1],"r").attrs["scenario_text"]; t=t.decode() if isinstance(t,bytes) else t; assert "; ---- inherited: " in t and "detection = 0.1" in t' "$tmp/inh/a.h5"
check "a changed base file: --resume reruns, the file records the inherited text" $? "$tmp/inh/err3"

finish
