#!/usr/bin/env bash
# test_history_match.sh: end-to-end tests of `tyndau calibrate CALIB.ini --history-match`
# (src/calibrate/hm.c; docs/calibration.md s9).
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_history_match.sh
#
# Run from the repository root (`make integration` does).  Needs h5diff and python3 with
# h5py/numpy; the MPI check needs mpirun and is reported as skipped without it.  A history match
# of two parameters, 20,000 agents, two waves of 20 points x 2 replicates against a synthetic
# survey made by the model at known values: about 30 seconds on two cores in all.
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)

# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init history_match

hm_ini() { # hm_ini FILE TARGETS [extra [history_match] lines]
    cat >"$1" <<EOF
[calibration]
scenario = $ROOT/scenarios/baseline.ini
targets = $2
agents = 20000
seed = 7

[likelihood]
model = multinomial

[priors]
prior_disengaged = uniform 0.05 0.4
prior_trust_local = uniform 0.3 0.9

[history_match]
waves = 2
runs_per_wave = 20
replicates = 2
samples = 4000
${3:-}
EOF
}

expect_bad() { # expect_bad DESCRIPTION PATTERN -- ARGS...
    local desc=$1 pat=$2
    shift 3
    rm -f "$tmp/bad.h5"
    (cd "$tmp" && "$TYNDAU" calibrate "$@" -o "$tmp/bad.h5" -q) >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pat" "$tmp/err" && [ ! -e "$tmp/bad.h5" ] && [ ! -e "$tmp/bad.h5.partial" ]
    check "bad input: $desc (exit $rc, '$pat')" $? "$tmp/err"
}

# ---------------------------------------------------------------------------
# 1. Bad [history_match] sections: exit 2, file:line and key named, nothing written.
# ---------------------------------------------------------------------------
hm_ini "$tmp/b1.ini" "$tmp/none.csv" "wave = 3"
expect_bad "unknown key" "b1.ini:19: unknown key 'wave' in \[history_match\], expected waves" -- "$tmp/b1.ini" --history-match
hm_ini "$tmp/b2.ini" "$tmp/none.csv" "measure = third"
expect_bad "bad measure" "b2.ini:19: key 'measure': expected max or second, got 'third'" -- "$tmp/b2.ini" --history-match
hm_ini "$tmp/b3.ini" "$tmp/none.csv" "cutoff = -1"
expect_bad "bad cutoff" "b3.ini:19: key 'cutoff': expected a number in (0, 10\]" -- "$tmp/b3.ini" --history-match
sed -i 's/^replicates = 2/replicates = 1/' "$tmp/b3.ini"
expect_bad "one replicate (no ensemble variance)" "b3.ini:17: key 'replicates': expected a whole number from 2" -- "$tmp/b3.ini" --history-match
expect_bad "--sbc with --history-match" "--sbc, --history-match, --within and --leave-out" -- "$tmp/b1.ini" --sbc 2 --history-match

# ---------------------------------------------------------------------------
# 2. A synthetic survey at known values; two waves.
# ---------------------------------------------------------------------------
"$TYNDAU" run --agents 20000 --seed 99 --set prior_disengaged=0.3 --set prior_trust_local=0.45 \
    -o "$tmp/truth.h5" -q >"$tmp/truth.err" 2>&1
"$TYNDAU" survey "$tmp/truth.h5" --csv 2>>"$tmp/truth.err" |
    awk -F, 'NR == 1 { print "question,base,group_type,group,response,percent"; next }
             $6 == "population" && $8 != "" { printf "%s,%s,%s,%s,%s,%.1f\n", $1, $2, $3, $4, $5, $7 }' >"$tmp/truth.csv"
hm_ini "$tmp/hm.ini" "$tmp/truth.csv"
"$TYNDAU" calibrate "$tmp/hm.ini" --history-match -o "$tmp/t1.h5" --threads 1 >"$tmp/t1.out" 2>"$tmp/t1.err"
rc=$?
# The file's own emulators, re-evaluated in Python from what it stores (training points, replicate
# means, hyperparameters, nuggets): measures(f, u) is a point's cut measure under each wave.
cat >"$tmp/emu.py" <<'EOF'
import numpy as np
def measures(f, u):
    """the second-max (or max) implausibility of the unit-cube point u under each wave's valid emulators"""
    R = int(f.attrs["replicates"])
    c = f["cells"]
    z, vo, vd = c["z"][:], c["v_obs"][:], c["v_disc"][:]
    out = []
    for k in range(int(f["waves"].attrs["n_waves"])):
        w = f["waves/w%02d" % (k + 1)]
        U, y, st = w["unit"][:], w["output"][:], w["status"][:]
        P, nc = U.shape[0], y.shape[1]
        ok = (st == 0).reshape(P, R)
        reps = ok.sum(1)
        keep = reps > 0
        ybar = np.array([y.reshape(P, R, nc)[p][ok[p]].mean(0) for p in range(P) if keep[p]])
        X = U[keep]
        imp = []
        for j in range(nc):
            if not w["valid"][j]:
                continue
            sf2, m, ell = w["sf2"][j], w["mean"][j], w["length_scale"][j]
            K = sf2 * np.exp(-0.5 * (((X[:, None, :] - X[None, :, :]) / ell) ** 2).sum(-1))
            K += np.diag(w["v_ens"][j] / reps[keep] + 1e-10 * sf2)
            kv = sf2 * np.exp(-0.5 * (((u - X) / ell) ** 2).sum(-1))
            e = m + kv @ np.linalg.solve(K, ybar[:, j] - m)
            v = max(sf2 - kv @ np.linalg.solve(K, kv), 0.0)
            imp.append(abs(z[j] - e) / np.sqrt(vo[j] + vd[j] + w["v_ens"][j] + v))
        s = sorted(imp, reverse=True)
        out.append(s[1] if len(s) > 1 and f.attrs["measure"] == "second-max" else s[0])
    return out
EOF
"$PYTHON" - "$tmp/t1.h5" "$tmp" >"$tmp/t1.py" 2>&1 <<'EOF'
# the truth must be non-implausible under every wave's cut, and the first wave must rule out most
# of the prior box
import sys, h5py, numpy as np
sys.path.insert(0, sys.argv[2])
from emu import measures
f = h5py.File(sys.argv[1], "r")
assert f.attrs["schema_name"] == "tyndau-history-match" and f.attrs["schema_version"] == "1.1"
assert f.attrs["status"] == "complete", f.attrs["status"]
share = f["volume/share"][:]
print("non-implausible share per wave:", share)
assert len(share) == 2 and share[0] < 0.5 and share[1] <= share[0], share
truth = np.array([(0.3 - 0.05) / 0.35, (0.45 - 0.3) / 0.6])   # uniform priors: the CDF
m = measures(f, truth)
print("the truth's cut measure per wave:", m, "cut", f.attrs["cutoff"])
assert max(m) <= f.attrs["cutoff"]
for k in range(len(share)):   # the wave's LOO share as recorded
    w = f["waves/w%02d" % (k + 1)]
    lo = w["loo_standardised"][:]
    keep = ~np.isnan(lo[:, 0])
    assert np.allclose(w["loo_beyond3"][:], (np.abs(lo[keep]) > 3).mean(0), equal_nan=True)
EOF
check "two waves (exit $rc): the first rules out most of the prior, the second shrinks it, the truth survives both" $? "$tmp/t1.py" "$tmp/t1.err"
sed 's/^/# /' "$tmp/t1.py"
grep -q "the model cannot reach these cells" "$tmp/t1.out"
check "the report names the unreachable cells (or none)" $? "$tmp/t1.out"

# A region too small to count on the samples (cutoff 1: about 1% of the prior, fewer than 100 of
# the 4000 samples): its share by subset simulation (Au & Beck 2001) against the share of a
# 400 x 400 grid under the file's own emulators (numpy); every point of the region's sample inside.
sed 's/^waves = 2/waves = 1\ncutoff = 1/' "$tmp/hm.ini" >"$tmp/ss.ini"
"$TYNDAU" calibrate "$tmp/ss.ini" --history-match -o "$tmp/ss.h5" --threads 2 >"$tmp/ss.out" 2>"$tmp/ss.err"
rc=$?
"$PYTHON" - "$tmp/ss.h5" >"$tmp/ss.py" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
R, cut, second = int(f.attrs["replicates"]), f.attrs["cutoff"], f.attrs["measure"] == "second-max"
c, w = f["cells"], f["waves/w01"]
z, vo, vd = c["z"][:], c["v_obs"][:], c["v_disc"][:]
U, y, st = w["unit"][:], w["output"][:], w["status"][:]
P, nc = U.shape[0], y.shape[1]
ok = (st == 0).reshape(P, R)
reps = ok.sum(1)
ybar = np.array([y.reshape(P, R, nc)[p][ok[p]].mean(0) for p in range(P)])
def cut_measure(G):
    imp = []
    for j in range(nc):
        if not w["valid"][j]:
            continue
        sf2, m, ell = w["sf2"][j], w["mean"][j], w["length_scale"][j]
        K = sf2 * np.exp(-0.5 * (((U[:, None, :] - U[None, :, :]) / ell) ** 2).sum(-1))
        K += np.diag(w["v_ens"][j] / reps + 1e-10 * sf2)
        kv = sf2 * np.exp(-0.5 * (((G[:, None, :] - U[None, :, :]) / ell) ** 2).sum(-1))
        e = m + kv @ np.linalg.solve(K, ybar[:, j] - m)
        v = np.maximum(sf2 - (kv * np.linalg.solve(K, kv.T).T).sum(1), 0.0)
        imp.append(np.abs(z[j] - e) / np.sqrt(vo[j] + vd[j] + w["v_ens"][j] + v))
    s = -np.sort(-np.array(imp), axis=0)
    return s[1] if second and len(s) > 1 else s[0]
g = (np.arange(400) + 0.5) / 400
G = np.array(np.meshgrid(g, g)).reshape(2, -1).T
truth = (cut_measure(G) <= cut).mean()
est, levels = f["volume/share"][0], w.attrs["subset_levels"]
print("share %.4g by subset simulation (%d levels, %s), %.4g on the grid; region sample %d points"
      % (est, levels, w.attrs["share_method"], truth, f["region"].attrs["points"]))
assert levels >= 1 and 0 < truth < 0.025
assert abs(est / truth - 1) < 0.3   # about 4 coefficients of variation at 1-2 levels of 4000 points
reg = f["region/unit"][:]
assert len(reg) >= 4000 and (cut_measure(reg) <= cut + 1e-9).all()
EOF
check "a region of about 1% (exit $rc): its share by subset simulation within 30% of a grid's, its sample inside" $? "$tmp/ss.py" "$tmp/ss.err"
sed 's/^/# /' "$tmp/ss.py"

"$PYTHON" "$ROOT/analysis/report.py" "$tmp/t1.h5" -o "$tmp/hm.html" >"$tmp/r.out" 2>&1 &&
    grep -q "<li><a href=\"#s[0-9]*\">History match t1.h5</a></li>" "$tmp/hm.html" &&
    grep -q "runs are non-implausible" "$tmp/hm.html" && grep -q "report: .* 2 figures" "$tmp/r.out" &&
    ! grep -q 'data-overlaps="[1-9]' "$tmp/hm.html" && grep -q "The model cannot reach these cells" "$tmp/hm.html"
check "report.py on a history match: the share per wave and every cell's implausibility" $? "$tmp/r.out"

# ---------------------------------------------------------------------------
# 3. Threads, ranks, resume: the same values.
# ---------------------------------------------------------------------------
OBJ=(/volume /cells /region)
for w in w01 w02; do
    for d in unit x seed status output implausibility loo_standardised v_ens sf2 mean lml length_scale valid \
        unreachable min_implausibility_runs min_implausibility_emulator; do OBJ+=("/waves/$w/$d"); done
done
same() { # same A B: the result objects are identical
    : >"$tmp/h5diff.out"
    local o
    for o in "${OBJ[@]}"; do h5diff -q "$1" "$2" "$o" "$o" >>"$tmp/h5diff.out" 2>&1 || return 1; done
}
"$TYNDAU" calibrate "$tmp/hm.ini" --history-match -o "$tmp/t2.h5" --threads 2 -q >/dev/null 2>"$tmp/t2.err"
same "$tmp/t1.h5" "$tmp/t2.h5"
check "1 and 2 threads: identical designs, runs, emulators and cuts" $? "$tmp/h5diff.out" "$tmp/t2.err"

# a partial file holding wave 1 only (the final file with wave 2 cut away): --resume runs wave 2
"$PYTHON" - "$tmp/t1.h5" "$tmp/t3.h5.partial" <<'EOF' 2>"$tmp/t3.err"
import sys, shutil, h5py
shutil.copy(sys.argv[1], sys.argv[2])
f = h5py.File(sys.argv[2], "r+")
del f["waves/w02"]
f["waves"].attrs["n_waves"] = 1
f.attrs["status"] = "running"
f.attrs.pop("content_digest", None)  # changed on purpose: not a damage
EOF
"$TYNDAU" calibrate "$tmp/hm.ini" --history-match -o "$tmp/t3.h5" --resume --threads 2 >/dev/null 2>>"$tmp/t3.err"
rc=$?
[ "$rc" -eq 0 ] && grep -q "resuming after wave 1" "$tmp/t3.err" && grep -q "wave 1: .* resumed" "$tmp/t3.err" &&
    same "$tmp/t1.h5" "$tmp/t3.h5" && [ ! -e "$tmp/t3.h5.partial" ]
check "--resume after wave 1: the same as an uninterrupted run, the partial file removed (exit $rc)" $? "$tmp/h5diff.out" "$tmp/t3.err"

# SIGTERM during wave 1: the wave finishes, OUT.partial is kept, exit 1 with how to continue; the
# resume then equals the uninterrupted run
"$TYNDAU" calibrate "$tmp/hm.ini" --history-match -o "$tmp/t5.h5" --threads 2 >/dev/null 2>"$tmp/t5.err" &
bg_pid=$!
for _ in $(seq 100); do grep -q "history match: 2 model parameters" "$tmp/t5.err" && break; sleep 0.1; done
kill -TERM "$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=
[ "$rc" -eq 1 ] && grep -q "stopped by SIGTERM after wave 1; .*t5.h5.partial kept" "$tmp/t5.err" && [ -e "$tmp/t5.h5.partial" ] &&
    [ ! -e "$tmp/t5.h5" ]
check "SIGTERM during wave 1: exit $rc after the wave, OUT.partial kept" $? "$tmp/t5.err"
"$TYNDAU" calibrate "$tmp/hm.ini" --history-match -o "$tmp/t5.h5" --resume -q >/dev/null 2>>"$tmp/t5.err"
rc=$?
[ "$rc" -eq 0 ] && same "$tmp/t1.h5" "$tmp/t5.h5"
check "--resume after SIGTERM: the same as an uninterrupted run (exit $rc)" $? "$tmp/h5diff.out" "$tmp/t5.err"

# the same for a region from subset simulation (cutoff 1, two waves: wave 2's design drawn from
# wave 1's region sample): a resume after wave 1 on one thread equals the uninterrupted run on two
sed 's/^waves = 1$/waves = 2/' "$tmp/ss.ini" >"$tmp/ss2.ini"
"$TYNDAU" calibrate "$tmp/ss2.ini" --history-match -o "$tmp/ss2.h5" --threads 2 -q >/dev/null 2>"$tmp/ss2.err"
rc=$?
"$PYTHON" - "$tmp/ss2.h5" "$tmp/ss3.h5.partial" <<'EOF' 2>>"$tmp/ss2.err"
import sys, shutil, h5py
shutil.copy(sys.argv[1], sys.argv[2])
f = h5py.File(sys.argv[2], "r+")
assert f["waves/w01"].attrs["subset_levels"] >= 1 and "subset" in f["waves/w02"].attrs["share_method"]
del f["waves/w02"]
f["waves"].attrs["n_waves"] = 1
f.attrs["status"] = "running"
f.attrs.pop("content_digest", None)  # changed on purpose: not a damage
EOF
[ "$rc" -eq 0 ] && "$TYNDAU" calibrate "$tmp/ss2.ini" --history-match -o "$tmp/ss3.h5" --resume --threads 1 -q \
    >/dev/null 2>>"$tmp/ss2.err" && same "$tmp/ss2.h5" "$tmp/ss3.h5"
check "subset simulation's waves: --resume after wave 1 on 1 thread = the uninterrupted run on 2 (exit $rc)" $? \
    "$tmp/h5diff.out" "$tmp/ss2.err"

# a partial of another calibration is refused
"$PYTHON" - "$tmp/t1.h5" "$tmp/t4.h5.partial" <<'EOF'
import sys, shutil, h5py
shutil.copy(sys.argv[1], sys.argv[2])
f = h5py.File(sys.argv[2], "r+")
f.attrs["fingerprint"] = "0000000000000000"
f.attrs.pop("content_digest", None)  # changed on purpose: not a damage
EOF
"$TYNDAU" calibrate "$tmp/hm.ini" --history-match -o "$tmp/t4.h5" --resume -q >/dev/null 2>"$tmp/t4.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "made by a different calibration" "$tmp/t4.err" && [ ! -e "$tmp/t4.h5" ]
check "--resume refuses a partial file of another calibration (exit $rc)" $? "$tmp/t4.err"

# a partial file changed since it was written (its content digest no longer matches) is refused
"$PYTHON" - "$tmp/t1.h5" "$tmp/t6.h5.partial" <<'EOF'
import sys, shutil, h5py
shutil.copy(sys.argv[1], sys.argv[2])
h5py.File(sys.argv[2], "r+")["waves/w01/output"][0, 0] = 0.0
EOF
"$TYNDAU" calibrate "$tmp/hm.ini" --history-match -o "$tmp/t6.h5" --resume -q >/dev/null 2>"$tmp/t6.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "damaged" "$tmp/t6.err" && [ ! -e "$tmp/t6.h5" ]
check "--resume refuses a damaged partial file (exit $rc)" $? "$tmp/t6.err"

if command -v mpirun >/dev/null 2>&1 && "$TYNDAU" --version | grep "with MPI" >/dev/null; then
    mpirun -np 2 --allow-run-as-root --oversubscribe "$TYNDAU" calibrate "$tmp/hm.ini" --history-match \
        -o "$tmp/m2.h5" --threads 1 -q >/dev/null 2>"$tmp/m2.err"
    rc=$?
    [ "$rc" -eq 0 ] && same "$tmp/t1.h5" "$tmp/m2.h5"
    check "mpirun -np 2: identical to one process (exit $rc)" $? "$tmp/m2.err" "$tmp/h5diff.out"
else
    skip "MPI check: no mpirun, or a build without MPI"
fi

# ---------------------------------------------------------------------------
# 4. The SMC within the non-implausible region: every particle of every generation inside it.
# ---------------------------------------------------------------------------
sed -e '/^\[history_match\]/,$d' -e 's/^seed = 7/seed = 7\nparticles = 16\nmax_generations = 3\npredictive_draws = 10/' \
    "$tmp/hm.ini" >"$tmp/smc.ini"
"$TYNDAU" calibrate "$tmp/smc.ini" --within "$tmp/t1.h5" -o "$tmp/w.h5" -q >/dev/null 2>"$tmp/w.err"
rc=$?
"$PYTHON" - "$tmp/w.h5" "$tmp/t1.h5" "$tmp" >"$tmp/w.py" 2>&1 <<'EOF'
import sys, h5py, numpy as np
sys.path.insert(0, sys.argv[3])
from emu import measures
f, hm = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
lo, hi = np.array([0.05, 0.3]), np.array([0.4, 0.9])
g = f["generations"]
worst, n = 0.0, 0
for k in sorted(k for k in g if k.startswith("g0")):
    for x in g[k]["x"][:]:
        worst = max(worst, max(measures(hm, (x - lo) / (hi - lo))))
        n += 1
print("%d particles, the largest cut measure %.3f (cut %g)" % (n, worst, hm.attrs["cutoff"]))
assert n > 16 and worst <= hm.attrs["cutoff"] + 1e-9
# proposals outside the region are rejected without a run: fewer simulations than particles x moves
sims, gens = g["simulations"][:], len(g["simulations"][:]) - 1
print("simulations %d (every proposal run: %d)" % (sims[-1], 16 * (1 + 2 * gens)))
assert sims[-1] < 16 * (1 + 2 * gens) and (g["failed"][:] == 0).all()
EOF
check "--within: every particle of every generation non-implausible, outside proposals not run (exit $rc)" $? "$tmp/w.py" "$tmp/w.err"
sed 's/^/# /' "$tmp/w.py"
# --sbc --within: the SBC of the SMC in the region: every truth drawn from the region (its cut
# measure recomputed from the file's emulators), every refit run in it
"$TYNDAU" calibrate "$tmp/smc.ini" --sbc 3 --within "$tmp/t1.h5" -o "$tmp/ws.h5" -q >/dev/null 2>"$tmp/ws.err"
rc=$?
"$PYTHON" - "$tmp/ws.h5" "$tmp/t1.h5" "$tmp" >"$tmp/ws.py" 2>&1 <<'EOF'
import sys, h5py, numpy as np
sys.path.insert(0, sys.argv[3])
from emu import measures
f, hm = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
assert f.attrs["schema_name"] == "tyndau-sbc" and f.attrs["status"] == "complete" and "--within" in f.attrs["command_line"]
lo, hi = np.array([0.05, 0.3]), np.array([0.4, 0.9])
t = f["sbc/truth"][:]
worst = max(max(measures(hm, (x - lo) / (hi - lo))) for x in t)
print("3 truths, the largest cut measure %.3f (cut %g); statuses %s" % (worst, hm.attrs["cutoff"], f["sbc/status"][:]))
assert worst <= hm.attrs["cutoff"] + 1e-9 and set(f["sbc/status"][:]) <= {0, 1}
EOF
check "--sbc --within (exit $rc): the truths drawn from the region, the refits in it" $? "$tmp/ws.py" "$tmp/ws.err"
sed 's/^/# /' "$tmp/ws.py"
# Surrogate transitions (surrogate_steps): each move proposes the end of a chain on the file's
# emulators, corrected to the exact target.  Known answers: the chains' scale is one of the pilot's
# grid 2.38/sqrt(d) x 2^-6 .. 2^1; the same bits on 1 and 2 threads; and the target does not change:
# the posterior's mean and sd of each parameter agree with the plain random walk's within 3.5 standard
# errors (300 particles, each run's counted as 1/4 independent draws, SMC's correlation).  The
# correction's sign flipped (the surrogate counted twice) narrowed the sd of prior_disengaged to
# 0.54 of the plain walk's at 120 particles: 5 standard errors at 300.
sed -e 's/^particles = 16/particles = 300/' -e 's/^max_generations = 3/max_generations = 30\nmoves = 4/' \
    "$tmp/smc.ini" >"$tmp/rw.ini"
sed 's/^moves = 4/moves = 4\nsurrogate_steps = 10/' "$tmp/rw.ini" >"$tmp/sur.ini"
sed 's/^max_generations = 3/max_generations = 3\nsurrogate_steps = 10/' "$tmp/smc.ini" >"$tmp/sur16.ini"
"$TYNDAU" calibrate "$tmp/rw.ini" --within "$tmp/t1.h5" -o "$tmp/rw.h5" -q -t 2 >/dev/null 2>"$tmp/rw.err" &&
    "$TYNDAU" calibrate "$tmp/sur.ini" --within "$tmp/t1.h5" -o "$tmp/sur.h5" -q -t 2 >/dev/null 2>"$tmp/sur.err" &&
    "$TYNDAU" calibrate "$tmp/sur16.ini" --within "$tmp/t1.h5" -o "$tmp/sur2.h5" -q -t 2 >/dev/null 2>>"$tmp/sur.err" &&
    "$TYNDAU" calibrate "$tmp/sur16.ini" --within "$tmp/t1.h5" -o "$tmp/sur1.h5" -q -t 1 >/dev/null 2>>"$tmp/sur.err"
rc=$?
"$PYTHON" "$ROOT/tests/posterior_agree.py" "$tmp/rw.h5" "$tmp/sur.h5" surrogate 2 >"$tmp/sur.py" 2>&1
[ $? -eq 0 ] && [ "$rc" -eq 0 ] && h5diff -q "$tmp/sur1.h5" "$tmp/sur2.h5" /generations/g001 /generations/g001 &&
    h5diff -q "$tmp/sur1.h5" "$tmp/sur2.h5" /posterior/median /posterior/median
check "surrogate transitions (exit $rc): the pilot's scale, the plain walk's posterior, 1 and 2 threads the same" $? \
    "$tmp/sur.py" "$tmp/sur.err"
sed 's/^/# /' "$tmp/sur.py"
sed 's/^prior_trust_local = .*/prior_trust_local = uniform 0.3 0.8/' "$tmp/smc.ini" >"$tmp/smc2.ini"
"$TYNDAU" calibrate "$tmp/smc2.ini" --within "$tmp/t1.h5" -o "$tmp/w2.h5" -q >/dev/null 2>"$tmp/w2.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "parameter .prior_trust_local. has another prior there" "$tmp/w2.err" && [ ! -e "$tmp/w2.h5" ]
check "--within refuses a history match of other priors (exit $rc)" $? "$tmp/w2.err"

# ---------------------------------------------------------------------------
# 5. Failed runs are recorded and the wave goes on (age shares above 1 fail the model's checks).
# ---------------------------------------------------------------------------
cat >"$tmp/f.ini" <<EOF
[calibration]
scenario = $ROOT/scenarios/baseline.ini
targets = $tmp/truth.csv
agents = 2000
seed = 3
[priors]
prior_disengaged = uniform 0.05 0.4
age_share_18_29 = uniform 0.2 0.7
[history_match]
waves = 1
runs_per_wave = 12
samples = 500
EOF
"$TYNDAU" calibrate "$tmp/f.ini" --history-match -o "$tmp/f.h5" -q >/dev/null 2>"$tmp/f.err"
rc=$?
"$PYTHON" - "$tmp/f.h5" >"$tmp/f.py" 2>&1 <<'EOF'
import sys, h5py, numpy as np
w = h5py.File(sys.argv[1], "r")["waves/w01"]
st, out = w["status"][:], w["output"][:]
bad = st != 0
assert bad.any() and (~bad).any(), st
assert np.isnan(out[bad]).all() and np.isfinite(out[~bad]).all()
assert w.attrs["failed_runs"] == bad.sum()
print("failed runs: %d of %d" % (bad.sum(), len(st)))
EOF
check "failed runs recorded (status, NaN outputs) and the wave finished (exit $rc)" $? "$tmp/f.py" "$tmp/f.err"

finish
