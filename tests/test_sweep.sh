#!/usr/bin/env bash
# test_sweep.sh: end-to-end tests of `tyndau sweep`, `tyndau merge` and `tyndau sensitivity`.
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_sweep.sh
#
# Run from the repository root.  Needs h5diff, python3 with h5py/numpy/matplotlib, and mpirun for the
# MPI check (reported as skipped without it).  Models are tiny (2,000-5,000 agents) so the
# script takes about a minute on two cores.  Section 6 checks the SALib paths with numpy (SALib
# itself is not packaged for Debian).  Last line: "sweep: N passed, M failed, K skipped".
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
[ "$rc" -eq 0 ] && grep -q "voice_rate" "$tmp/sens.out" && h5dump -H "$tmp/sens.h5" 2>/dev/null | grep '"total_hi"' >/dev/null
check "sensitivity on the sweep: exit $rc, table and file" $? "$tmp/sens.out"
"$PYTHON" analysis/sweep.py "$tmp/t2.h5" --csv "$tmp/t2.csv" >"$tmp/py.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/t2.csv")" -eq 41 ] && head -1 "$tmp/t2.csv" | grep "^point,replicate,prior_disengaged,media_platform,prior_trust_local,status,voice_rate" >/dev/null &&
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
if command -v mpirun >/dev/null 2>&1 && "$TYNDAU" --version | grep "with MPI" >/dev/null; then
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
del f.attrs["content_digest"]  # forged whole: else the probe finds the change
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

# ---------------------------------------------------------------------------
# 6. SALib's run order, CSV layouts, numpy/pandas headers, the estimators against a numpy
#    transcription of SALib's formulas, noise runs, survey:published.
# ---------------------------------------------------------------------------
# salfile FILE DESIGN [extra [sweep] line]: sweepfile's sweep of 4 base rows
salfile() { sweepfile "$1" "$2" 4 2000 "${3:-}"; }
salfile "$tmp/sa.ini" saltelli "second_order = yes"
salfile "$tmp/sb.ini" saltelli_salib "second_order = yes"
"$TYNDAU" sweep "$tmp/sa.ini" -o "$tmp/sa.h5" -q 2>"$tmp/sa.err" && "$TYNDAU" sweep "$tmp/sb.ini" -o "$tmp/sb.h5" -q 2>>"$tmp/sa.err"
check "saltelli and saltelli_salib sweeps with second_order = yes" $? "$tmp/sa.err"
"$PYTHON" - "$tmp/sa.h5" "$tmp/sb.h5" "$tmp" >"$tmp/py.out" 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
ua, ub = a["design/unit"][:], b["design/unit"][:]
n, d = 4, 3
nb = 2 * d + 2
assert ua.shape == ub.shape == (n * nb, d)
# blocks A, B, AB_1..AB_d, BA_1..BA_d  ->  SALib: per base row A, AB_1..AB_d, BA_1..BA_d, B
order = [k * n + j for j in range(n) for k in [0] + list(range(2, nb)) + [1]]
assert np.array_equal(ua[order], ub), "saltelli_salib is not the saltelli design reordered"
A, B = ua[:n], ua[n:2 * n]
assert not np.any(A == B), "a coordinate of A equals B's: a wasted run"
for i in range(d):   # BA_i = B with column i from A
    BA = ua[(2 + d + i) * n:(3 + d + i) * n]
    assert np.all(BA[:, i] == A[:, i]) and np.all(np.delete(BA, i, 1) == np.delete(B, i, 1))
# CSV files of the saltelli_salib points as numpy and pandas write them
names = [p.decode() if isinstance(p, bytes) else p for p in b["design/parameter"][:]]
x = b["design/x"][:]
np.savetxt(sys.argv[3] + "/np.csv", x, delimiter=",", header=",".join(names))
with open(sys.argv[3] + "/pd.csv", "w") as fh:   # DataFrame(x, columns=names).to_csv(path)
    fh.write("," + ",".join(names) + "\n")
    for k, row in enumerate(x):
        fh.write("%d," % k + ",".join(repr(float(v)) for v in row) + "\n")
with open(sys.argv[3] + "/pdbad.csv", "w") as fh:  # an index column under a header without its empty name
    fh.write(",".join(names) + "\n")
    for k, row in enumerate(x):
        fh.write("%d," % k + ",".join(repr(float(v)) for v in row) + "\n")
np.savetxt(sys.argv[3] + "/blocks.csv", a["design/x"][:], delimiter=",", header=",".join(names))
print("ok")
PY
check "saltelli_salib = the saltelli design's Sobol points in SALib's order (numpy reordering); BA blocks; no A_i = B_i" $? "$tmp/py.out"

csvfile() { # FILE CSV LAYOUT [extra]
    printf '[sweep]\nscenario = %s\nagents = 2000\nseed = 11\nreplicates = 2\ndesign = csv\ncsv = %s\nlayout = %s\noutputs = %s\n%s\n' \
        "$ROOT/scenarios/baseline.ini" "$2" "$3" "$(sed -n 's/^outputs = //p' "$tmp/s.ini")" "${4:-}" >"$1"
}
csvfile "$tmp/cn.ini" np.csv saltelli_salib "second_order = yes"
csvfile "$tmp/cp.ini" pd.csv saltelli_salib "second_order = yes"
"$TYNDAU" sweep "$tmp/cn.ini" -o "$tmp/cn.h5" -q 2>"$tmp/cn.err" && "$TYNDAU" sweep "$tmp/cp.ini" -o "$tmp/cp.h5" -q 2>>"$tmp/cn.err" &&
    h5diff -q "$tmp/sb.h5" "$tmp/cn.h5" /runs /runs >"$tmp/h5diff.out" 2>&1 && h5diff -q "$tmp/sb.h5" "$tmp/cp.h5" /runs /runs >>"$tmp/h5diff.out" 2>&1
check "CSV designs from np.savetxt ('# ' header) and pandas' to_csv (index column): the same runs as saltelli_salib" $? "$tmp/cn.err" "$tmp/h5diff.out"
ok_sens=0
for f in sa sb cn cp; do "$TYNDAU" sensitivity "$tmp/$f.h5" -o "$tmp/${f}_s.h5" --boot 40 >"$tmp/$f.sout" 2>&1 || ok_sens=1; done
for k in first total second first_adj; do
    h5diff -q "$tmp/sb_s.h5" "$tmp/cn_s.h5" "/$k" "/$k" >>"$tmp/h5diff.out" 2>&1 || ok_sens=1
    h5diff -q "$tmp/sb_s.h5" "$tmp/cp_s.h5" "/$k" "/$k" >>"$tmp/h5diff.out" 2>&1 || ok_sens=1
done
check "sensitivity of a CSV sweep with layout = saltelli_salib: the same indices as the native design" $ok_sens "$tmp/cn.sout" "$tmp/h5diff.out"
"$PYTHON" - "$tmp" >"$tmp/py.out" 2>&1 <<'PY'
import sys, os, h5py, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "analysis"))
import sweep

def salib_reference(Y, D, second_order):
    """SALib.analyze.sobol's point estimates (1.4-1.5), transcribed in numpy: Y in SALib's order."""
    Y = (Y - Y.mean()) / Y.std()
    step = 2 * D + 2 if second_order else D + 2
    A, B = Y[0::step], Y[step - 1::step]
    AB = np.stack([Y[j + 1::step] for j in range(D)], 1)
    BA = np.stack([Y[j + 1 + D::step] for j in range(D)], 1) if second_order else None
    V = np.var(np.r_[A, B])
    S1 = np.array([np.mean(B * (AB[:, j] - A)) / V for j in range(D)])
    ST = np.array([0.5 * np.mean((A - AB[:, j]) ** 2) / V for j in range(D)])
    S2 = np.full((D, D), np.nan)
    if second_order:
        for j in range(D):
            for k in range(j + 1, D):
                S2[j, k] = np.mean(BA[:, j] * AB[:, k] - A * B) / V - S1[j] - S1[k]
    return S1, ST, S2

worst = 0.0
for name in ("sa", "sb", "cn"):
    s = sweep.read_sweep("%s/%s.h5" % (sys.argv[1], name))
    t = sweep.read_sensitivity("%s/%s_s.h5" % (sys.argv[1], name))
    for o, out in enumerate(s["output"]):
        sal = sweep.to_salib(s, out)
        S1, ST, S2 = salib_reference(sal["Y"], sal["problem"]["num_vars"], sal["calc_second_order"])
        for ref, got in ((S1, t["first"][o]), (ST, t["total"][o])):
            worst = max(worst, np.max(np.abs(ref - got)))
        m = np.isfinite(S2)
        assert np.array_equal(m, np.isfinite(t["second"][o])), "S2: NaN in other places"
        worst = max(worst, np.max(np.abs(S2[m] - t["second"][o][m])))
        # the table's sum and SALib's conf beside the percentile interval
        assert abs(t["first_sum"][o] - t["first"][o].sum()) < 1e-12
        assert np.all(t["first_conf"][o] > 0)
print("largest difference from the numpy transcription of SALib: %.2e" % worst)
assert worst < 1e-12, worst
PY
check "S1, ST, S2 equal a numpy transcription of SALib.analyze.sobol on the same Y (to 1e-12; both run orders)" $? "$tmp/py.out"
grep -q "from the replicates" "$tmp/sa.sout" && grep -q "S1 adj" "$tmp/sa.sout" && grep -q "S2 prior_disengaged x media_platform" "$tmp/sa.sout" &&
    grep -q "warning: only 4 base rows" "$tmp/sa.sout" && ! grep -q "nan" "$tmp/sa.sout"
check "the table: replicate noise, noise-corrected columns, second order, the small-design warning, no 'nan'" $? "$tmp/sa.sout"

# bad layouts and headers: exit 2, the file, line and key named, nothing written
csvfile "$tmp/cx.ini" blocks.csv saltelli_salib "second_order = yes"
expect_bad "CSV rows in block order declared as saltelli_salib" "blocks.csv:3: this row should be AB_1 of base row 1" -- sweep "$tmp/cx.ini" -o "$tmp/bad.h5"
csvfile "$tmp/cy.ini" np.csv saltelli_salib "second_order = no"
expect_bad "a layout whose rows are not a multiple of the blocks" "cy.ini:8: key 'layout': .*np.csv has 32 rows, not a multiple of 5" -- sweep "$tmp/cy.ini" -o "$tmp/bad.h5"
csvfile "$tmp/cz.ini" np.csv saltelli_salib "second_order = yes
points = 5"
expect_bad "declared base rows that the CSV does not have" "cz.ini:11: key 'points': 5 base rows declared, but .*np.csv has 32 rows, 4 for a" -- sweep "$tmp/cz.ini" -o "$tmp/bad.h5"
csvfile "$tmp/cq.ini" pdbad.csv saltelli_salib "second_order = yes"
expect_bad "pandas' index column under a header without its empty name" "pdbad.csv:2: 4 values, expected 3 (the header's columns); one more value than names on every row is pandas' index column" -- sweep "$tmp/cq.ini" -o "$tmp/bad.h5"
csvfile "$tmp/cl.ini" np.csv sobol
expect_bad "an unknown layout" "cl.ini:8: key 'layout': expected saltelli, saltelli_salib or morris" -- sweep "$tmp/cl.ini" -o "$tmp/bad.h5"
salfile "$tmp/lx.ini" lhs "layout = morris"
expect_bad "a layout on a design that is not csv" "lx.ini:10: key 'layout': only for design = csv" -- sweep "$tmp/lx.ini" -o "$tmp/bad.h5"
salfile "$tmp/so.ini" lhs "second_order = yes"
expect_bad "second_order on a Latin hypercube" "so.ini:10: key 'second_order': only for design = saltelli or saltelli_salib" -- sweep "$tmp/so.ini" -o "$tmp/bad.h5"
salfile "$tmp/nr.ini" saltelli "noise_runs = 4"
expect_bad "noise_runs with replicates" "nr.ini:10: key 'noise_runs': with replicates = 2 the replicates measure the noise already" -- sweep "$tmp/nr.ini" -o "$tmp/bad.h5"
printf '[sweep]\ndesign = csv\ncsv = plain.csv\nlayout = saltelli\noutputs = voice_rate\n' >"$tmp/np.ini"
printf '0.1,0.2\n0.3,0.4\n' >"$tmp/plain.csv"
expect_bad "a CSV without a header" "plain.csv:1: column '0.1' is not a real-valued parameter, expected parameter names (the first line is a number: the file has no header" -- sweep "$tmp/np.ini" -o "$tmp/bad.h5"
printf '#income_low_odds_rural, skill_mean_internet\n\n2.5,0.3\n# numpy comments are skipped\n99.5,0.9\n' >"$tmp/nl.csv"
printf '[sweep]\nagents = 2000\ndesign = csv\ncsv = nl.csv\noutputs = voice_rate\n' >"$tmp/nolayout.ini"
"$TYNDAU" sweep "$tmp/nolayout.ini" -o "$tmp/nolayout.h5" -q 2>/dev/null
rm -f "$tmp/nolayout_sensitivity.h5"
"$TYNDAU" sensitivity "$tmp/nolayout.h5" >"$tmp/sens.out" 2>&1
[ $? -eq 2 ] && grep -q "a csv design without a layout; sensitivity indices need the run order of its rows: 'layout = saltelli'" "$tmp/sens.out" &&
    [ ! -e "$tmp/nolayout_sensitivity.h5" ] && "$PYTHON" -c '
import h5py, sys, numpy as np
f = h5py.File(sys.argv[1], "r")
x, u = f["design/x"][:], f["design/unit"][:]
# (x - min) / (max - min) over each parameter allowed range: 0.01 .. 100 and 0.001 .. 0.999
want = (x - np.array([0.01, 0.001])) / np.array([100 - 0.01, 0.999 - 0.001])
assert x.shape == (2, 2) and np.allclose(u, want, rtol=1e-12), (x, u)' "$tmp/nolayout.h5" 2>>"$tmp/sens.out"
check "a CSV sweep without a layout: sensitivity refuses it (exit 2, nothing written); /design/unit = x over the allowed range" $? "$tmp/sens.out"

# Morris: a CSV of a morris design's points with layout = morris gives the native indices
printf '[sweep]\nscenario = %s\nagents = 2000\nseed = 5\ndesign = morris\npoints = 6\nlevels = 4\noutputs = voice_rate trust_central\n[parameters]\nprior_disengaged = uniform 0.05 0.4\nmedia_platform = loguniform 0.0002 0.005\nprior_trust_local = uniform 0.3 0.9\n' \
    "$ROOT/scenarios/baseline.ini" >"$tmp/mo.ini"
"$TYNDAU" sweep "$tmp/mo.ini" -o "$tmp/mo.h5" -q 2>"$tmp/mo.err"
"$PYTHON" -c '
import h5py, sys, numpy as np
f = h5py.File(sys.argv[1], "r")
np.savetxt(sys.argv[2], f["design/x"][:], delimiter=",", header=",".join(p.decode() if isinstance(p, bytes) else p for p in f["design/parameter"][:]))' \
    "$tmp/mo.h5" "$tmp/mo.csv" 2>>"$tmp/mo.err"
printf '[sweep]\nscenario = %s\nagents = 2000\nseed = 5\ndesign = csv\ncsv = mo.csv\nlayout = morris\nlevels = 4\noutputs = voice_rate trust_central\n' "$ROOT/scenarios/baseline.ini" >"$tmp/mc.ini"
"$TYNDAU" sweep "$tmp/mc.ini" -o "$tmp/mc.h5" -q 2>>"$tmp/mo.err" &&
    "$TYNDAU" sensitivity "$tmp/mo.h5" -o "$tmp/mo_s.h5" --boot 20 >"$tmp/mo.out" 2>&1 &&
    "$TYNDAU" sensitivity "$tmp/mc.h5" -o "$tmp/mc_s.h5" --boot 20 >>"$tmp/mo.out" 2>&1 &&
    "$PYTHON" -c '
import h5py, sys, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in ("mu_star", "sigma", "mu"):
    assert np.allclose(a[k][:], b[k][:], rtol=1e-12, atol=1e-14), (k, a[k][:], b[k][:])' "$tmp/mo_s.h5" "$tmp/mc_s.h5" 2>>"$tmp/mo.out" &&
    grep -q "one replicate per point and no noise runs: replicate noise cannot be separated" "$tmp/mo.out" &&
    grep -q "cannot be separated with one replicate per point" "$tmp/mo.out" && ! grep -q "nan" "$tmp/mo.out"
check "morris: a CSV with layout = morris gives the native mu*, sigma, mu; one replicate: a warning, no 'nan%'" $? "$tmp/mo.err" "$tmp/mo.out"

# noise runs: one replicate per point plus K runs with seeds of their own, kept in /noise
salfile "$tmp/nz.ini" saltelli "noise_runs = 6"
sed -i 's/^replicates = 2$/replicates = 1/' "$tmp/nz.ini"
"$TYNDAU" sweep "$tmp/nz.ini" -o "$tmp/nz.h5" -q 2>"$tmp/nz.err"
for i in 0 1; do "$TYNDAU" sweep "$tmp/nz.ini" -o "$tmp/nzs$i.h5" --shard "$i/2" -q 2>>"$tmp/nz.err"; done
"$TYNDAU" merge -o "$tmp/nzm.h5" "$tmp/nzs1.h5" "$tmp/nzs0.h5" 2>>"$tmp/nz.err" &&
    h5diff -q "$tmp/nz.h5" "$tmp/nzm.h5" /noise /noise >"$tmp/h5diff.out" 2>&1 && runs_same "$tmp/nz.h5" "$tmp/nzm.h5" &&
    "$TYNDAU" sensitivity "$tmp/nz.h5" -o "$tmp/nz_s.h5" --boot 20 >"$tmp/nz.out" 2>&1 &&
    grep -q "from the noise runs" "$tmp/nz.out" && ! grep -q "cannot be separated" "$tmp/nz.out" && "$PYTHON" -c '
import h5py, sys, numpy as np
f, t = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
assert f["runs/y"].shape == (20, 5) and f["noise/y"].shape == (6, 5), (f["runs/y"].shape, f["noise/y"].shape)
assert np.all(f["noise/status"][:] == 0) and list(f["design/noise_point"][:]) == [0, 3, 6, 10, 13, 16]
y, ny, p = f["runs/y"][:], f["noise/y"][:], f["design/noise_point"][:]
assert not np.any(np.all(ny == y[p], axis=1)), "a noise run repeats its point run: not a seed of its own"  # one output may match by chance (a ratio of small counts)
s2 = np.mean(0.5 * (y[p] - ny) ** 2, axis=0)
assert np.allclose(t["noise_variance"][:], s2, rtol=1e-12), (t["noise_variance"][:], s2)
src = t.attrs["noise_source"]
assert (src.decode() if isinstance(src, bytes) else src) == "noise_runs" and "first_adj" in t' "$tmp/nz.h5" "$tmp/nz_s.h5" 2>>"$tmp/nz.out"
check "noise_runs = 6: /runs/y keeps its shape, /noise holds them (sharded and merged too), the noise estimate" $? "$tmp/nz.err" "$tmp/nz.out" "$tmp/h5diff.out"

# survey:published: every published population cell of the survey as an output
printf '[sweep]\nagents = 2000\ndesign = lhs\npoints = 2\noutputs = voice_rate survey:published\n[parameters]\nprior_disengaged = uniform 0.05 0.4\n' >"$tmp/pub.ini"
"$TYNDAU" sweep "$tmp/pub.ini" -o "$tmp/pub.h5" -q 2>"$tmp/pub.err" && "$PYTHON" -c '
import h5py, sys, csv
f = h5py.File(sys.argv[1], "r")
names = [o.decode() if isinstance(o, bytes) else o for o in f["runs/output"][:]]
rows = list(csv.DictReader(open(sys.argv[2])))
want = ["survey:%s:%s:%s:%s" % (r["question"], r["group_type"], r["group"], r["response"]) for r in rows]
assert names == ["voice_rate"] + want, names[:4]
assert (f["runs/status"][:] == 0).all()' "$tmp/pub.h5" "$ROOT/data/survey_2021/marginals.csv" 2>>"$tmp/pub.err"
check "outputs = survey:published: every published cell of marginals.csv (62), each run done" $? "$tmp/pub.err"

# parts written by a tyndau whose saltelli points differ (before tyndau-sweep 1.1 the fingerprint
# hashed only the input texts) are refused: the fingerprint now covers the points themselves
cp "$tmp/t1.h5" "$tmp/old.h5.partial.0"
"$PYTHON" - "$tmp/old.h5.partial.0" >"$tmp/py.out" 2>&1 <<'PY'
import sys, h5py
def fnv(h, s):
    for b in (s or "").encode():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return ((h ^ 0xff) * 0x100000001b3) & 0xffffffffffffffff
f = h5py.File(sys.argv[1], "r+")
t = lambda k: f.attrs[k].decode() if isinstance(f.attrs[k], bytes) else f.attrs[k]
old = "%016x" % fnv(fnv(fnv(0xcbf29ce484222325, t("sweep_text")), t("scenario_text")), None)
assert old != t("fingerprint"), "the fingerprint does not cover the points"
del f.attrs["fingerprint"]
f.attrs["fingerprint"] = old
print("ok")
PY
check "the fingerprint is not the texts-only one of tyndau-sweep 1.0" $? "$tmp/py.out"
expect_bad "--resume with a part file of an older tyndau (texts-only fingerprint)" "old.h5.partial.0 is not a part of this sweep" -- sweep "$tmp/s.ini" -o "$tmp/old.h5" --resume

# the report draws sensitivity files: a heatmap of parameters x outputs with its numbers
"$PYTHON" analysis/report.py "$tmp/sa_s.h5" "$tmp/mo_s.h5" -o "$tmp/sens.html" >"$tmp/rep.out" 2>&1 &&
    grep -q "report: .* 2 figures" "$tmp/rep.out" &&
    [ "$(grep -c '<h3 id="s[0-9]*">Which parameters drive each output (' "$tmp/sens.html")" -eq 2 ] &&
    grep -q '<h2 id="s[0-9]*">Sensitivity</h2>' "$tmp/sens.html" &&
    grep -q "The numbers plotted (15 rows)" "$tmp/sens.html" && grep -q "<th>ST noise-corrected</th>" "$tmp/sens.html" &&
    grep -q "<th>mu\*</th>" "$tmp/sens.html" && grep -q "Warnings of this file" "$tmp/sens.html"
check "report.py on sensitivity files (Sobol and Morris): heatmaps, tables of the numbers, warnings" $? "$tmp/rep.out"

finish
