#!/usr/bin/env bash
# test_calibrate.sh: end-to-end tests of `tyndau calibrate`.
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_calibrate.sh
#
# Run from the repository root (`make integration` does).  Needs h5diff and python3 with
# h5py/numpy; the MPI check needs mpirun (Debian's openmpi-bin; .ci/run installs it) and
# is reported as skipped, not passed, without it.  Each check prints "ok - ..." or
# "FAIL - ...", the last line is "calibrate: N passed, M failed, K skipped".
# Calibrations are tiny (10,000-20,000 agents, 16-32 particles) so that the whole
# script takes about two minutes on two cores.
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)

# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init calibrate

# A small calibration: three parameters the survey speaks to directly.
small() { # small FILE [AGENTS PARTICLES MAX_GENERATIONS [extra line for [calibration]]]
    cat >"$1" <<EOF
; a small calibration for the tests
[calibration]
scenario = $ROOT/scenarios/baseline.ini
agents = ${2:-10000}
seed = 7
particles = ${3:-16}
max_generations = ${4:-4}
predictive_draws = 20
${5:-}

[likelihood]
model = multinomial

[priors]
prior_disengaged = uniform 0.05 0.4
media_platform = loguniform 0.0002 0.005
prior_trust_local = uniform 0.3 0.9
EOF
}

# same OBJECT... A B: the listed objects are identical in the two files
same() {
    local a=$1 b=$2 obj
    shift 2
    for obj in "$@"; do
        h5diff -q "$a" "$b" "$obj" "$obj" >>"$tmp/h5diff.out" 2>&1 || return 1
    done
}
RESULT_OBJECTS=(/posterior /predictive /generations/beta /generations/ess /generations/acceptance
    /generations/simulations /generations/scale)
gen_objects() { # every /generations/gNNN of a file
    "$PYTHON" -c 'import h5py,re,sys; f=h5py.File(sys.argv[1],"r"); print(" ".join("/generations/"+k for k in f["generations"] if re.fullmatch(r"g[0-9]{3}", k)))' "$1"
}

# ---------------------------------------------------------------------------
# 1. Bad calibration files and arguments: exit 2, the file:line and key named,
#    nothing under the output name.
# ---------------------------------------------------------------------------
expect_bad() { # expect_bad DESCRIPTION PATTERN -- ARGS...
    local desc=$1 pat=$2
    shift 3
    rm -f "$tmp/bad.h5"
    (cd "$tmp" && "$TYNDAU" calibrate "$@" -o "$tmp/bad.h5" -q) >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pat" "$tmp/err" && [ ! -e "$tmp/bad.h5" ] && [ ! -e "$tmp/bad.h5.partial" ] &&
        [ ! -e "$tmp/bad_calibrated.ini" ]
    check "bad input: $desc (exit $rc, '$pat')" $? "$tmp/err"
}

small "$tmp/c.ini"
"$TYNDAU" run --agents 2000 -o "$tmp/run0.h5" -q 2>/dev/null
printf '[priors]\nprior_disengagd = uniform 0 0.5\n' >"$tmp/unknown.ini"
expect_bad "unknown parameter" "unknown.ini:2: unknown parameter 'prior_disengagd' (did you mean 'prior_disengaged'?)" -- "$tmp/unknown.ini"
printf '[priors]\n; comment\nprior_disengaged = uniform 0.1 1.5\n' >"$tmp/range.ini"
expect_bad "prior outside the parameter's range" "range.ini:3: key 'prior_disengaged': prior support \[0.1, 1.5\] lies outside the parameter's allowed range \[0, 1\]" -- "$tmp/range.ini"
printf '[priors]\nprior_disengaged = normal 0.2\n' >"$tmp/shape.ini"
expect_bad "prior with a missing number" "shape.ini:2: key 'prior_disengaged': expected 'normal MEAN SD \[LO HI\]'" -- "$tmp/shape.ini"
printf '[priors]\nprior_disengaged = gamma 1 2\n' >"$tmp/shape2.ini"
expect_bad "unknown prior shape" "shape2.ini:2: key 'prior_disengaged': unknown prior shape 'gamma'" -- "$tmp/shape2.ini"
printf '[priors]\nweight_own = uniform 0 5\n' >"$tmp/int.ini"
expect_bad "integer parameter" "int.ini:2: key 'weight_own': only real-valued parameters" -- "$tmp/int.ini"
printf '[calibration]\nagents = 10000\nthis line is not ini\n[priors]\nprior_disengaged = uniform 0 0.5\n' >"$tmp/malformed.ini"
expect_bad "malformed line" "malformed.ini:3: malformed line" -- "$tmp/malformed.ini"
printf '[calibration]\nagents = ten\n[priors]\nprior_disengaged = uniform 0 0.5\n' >"$tmp/agents.ini"
expect_bad "bad number" "agents.ini:2: key 'agents': expected a whole number" -- "$tmp/agents.ini"
printf '[calibration]\nparticles = 20\nparticles = 30\n' >"$tmp/dup.ini"
expect_bad "duplicate key" "dup.ini:3: key 'particles' appears twice" -- "$tmp/dup.ini"
printf '[calibratoin]\nparticles = 20\n' >"$tmp/sec.ini"
expect_bad "unknown section (on its header's line)" "sec.ini:1: unknown section \[calibratoin\]" -- "$tmp/sec.ini"
printf '[calibration]\nagents = 10000\n' >"$tmp/nopriors.ini"
expect_bad "no priors" "no parameters to calibrate" -- "$tmp/nopriors.ini"
printf 'question,base,group_type,group,response,percent\n' >"$tmp/empty.csv"
small "$tmp/emptytargets.ini" 10000 16 4 "targets = $tmp/empty.csv"
expect_bad "empty target file" "empty.csv" -- "$tmp/emptytargets.ini"
all_q=()
for q in aware_concept concept_meaning principle_officials_hear_problems principle_bodies_respond_quickly \
    principle_officials_accessible principle_policy_reflects_needs principle_civil_society_involved \
    principle_my_needs_heard principle_quality_appeal_handling aware_platform attention_central \
    attention_local authorities_contacted; do all_q+=(--holdout "$q"); done
expect_bad "empty target set (every question held out)" "empty target set" -- "$tmp/c.ini" "${all_q[@]}"
expect_bad "holdout of an unknown question" "--holdout 'trust_police': no published question 'trust_police'" -- "$tmp/c.ini" --holdout trust_police
expect_bad "holdout of an unknown group type" "--holdout 'aware_concept:region': question 'aware_concept' has no group type 'region'" -- "$tmp/c.ini" --holdout aware_concept:region
expect_bad "missing calibration file" "nothere.ini: cannot read" -- "$tmp/nothere.ini"

# ---------------------------------------------------------------------------
# 2. A small calibration: outputs, the calibrated scenario, threads.
# ---------------------------------------------------------------------------
"$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/t2.h5" --threads 2 >"$tmp/t2.out" 2>"$tmp/t2.err"
rc=$?
[ "$rc" -eq 0 ] && [ -s "$tmp/t2.h5" ] && [ -s "$tmp/t2_calibrated.ini" ] && [ ! -e "$tmp/t2.h5.partial" ] &&
    grep -q "fitted cells inside their 90% predictive interval: [0-9]* of 62" "$tmp/t2.out" &&
    grep -q "^calibrate: generation 4/" "$tmp/t2.err"
check "small calibration: exit $rc, HDF5 + calibrated scenario written, progress per generation" $? "$tmp/t2.err"

"$PYTHON" - "$tmp/t2.h5" >"$tmp/py.out" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
a = f.attrs
assert a["schema"] == "tyndau-calibration", a["schema"]
assert a["status"] == "budget_exhausted", a["status"]  # max_generations = 4 stops it early
for k in ("git_commit", "calibration_text", "scenario_text", "command_line", "citation"):
    assert len(a[k]) > 0, k
g = f["generations"]
n = g.attrs["n_generations"]
assert n == 5, n
beta = g["beta"][:]
assert beta[0] == 0 and np.all(np.diff(beta) > 0), beta
assert np.all(g["simulations"][:] == 16 + 32 * np.arange(5)), g["simulations"][:]
x = g["g004/x"][:]
assert x.shape == (16, 3)
lo, hi = f["priors/lo"][:], f["priors/hi"][:]
assert np.all(x >= lo) and np.all(x <= hi)
p = f["posterior"]
assert np.all(p["q05"][:] <= p["median"][:]) and np.all(p["median"][:] <= p["q95"][:])
c = p["correlation"][:]
assert c.shape == (3, 3) and np.allclose(np.diag(c), 1) and np.allclose(c, c.T)
q = f["predictive"]
assert len(q["observed"]) == 62 and q.attrs["n_fitted_cells"] == 62
assert q.attrs["n_inside_fitted"] == int(np.sum(q["inside"][:]))
assert np.all(q["lo90"][:] <= q["median"][:] + 1e-9) and np.all(q["median"][:] <= q["hi90"][:] + 1e-9)
o = f["observation"]
assert abs(o["n"][0] - 1200) < 1e-9
print("ok")
EOF
check "small calibration: file layout, generations, posterior and predictive consistent" $? "$tmp/py.out"

"$PYTHON" analysis/calib_plots.py "$tmp/t2.h5" -o "$tmp/plots" >"$tmp/plots.out" 2>&1
rc=$?
pngs=0
for s in marginals pairs predictive generations; do
    [ "$(head -c 8 "$tmp/plots_$s.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] && pngs=$((pngs + 1))
done
[ "$rc" -eq 0 ] && [ "$pngs" -eq 4 ]
check "analysis/calib_plots.py: exit $rc, $pngs of 4 PNG figures" $? "$tmp/plots.out"
printf 'x' >"$tmp/notcalib.h5"
"$PYTHON" analysis/calib_plots.py "$tmp/notcalib.h5" >"$tmp/plots.out" 2>&1
[ $? -eq 2 ] && grep -q "cannot open as HDF5" "$tmp/plots.out"
check "analysis/calib_plots.py on a file that is not HDF5: exit 2" $? "$tmp/plots.out"
"$PYTHON" analysis/calib_plots.py "$tmp/run0.h5" >"$tmp/plots.out" 2>&1
[ $? -eq 2 ] && grep -q "not a tyndau calibration file" "$tmp/plots.out"
check "analysis/calib_plots.py on a run file: exit 2" $? "$tmp/plots.out"

# the scenario holds six significant digits: within 5e-6 relative of the median
"$TYNDAU" run "$tmp/t2_calibrated.ini" --agents 5000 -o "$tmp/run.h5" -q >"$tmp/run.out" 2>&1
rc=$?
med=$("$PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r"); print("%.17g" % f["posterior/median"][0])' "$tmp/t2.h5")
got=$("$PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r"); t=f["parameters/table"][:]; print([r for r in t if r["name"]==b"prior_disengaged"][0]["value"].decode())' "$tmp/run.h5" 2>>"$tmp/run.out")
"$PYTHON" -c "import sys; sys.exit(0 if abs(float('$got') - $med) <= 5e-6 * abs($med) else 1)" 2>>"$tmp/run.out"
check "calibrated scenario is accepted by 'tyndau run' and carries the posterior median ($got vs $med)" $? "$tmp/run.out"

"$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/t1.h5" --threads 1 -q >/dev/null 2>"$tmp/t1.err"
: >"$tmp/h5diff.out"
# shellcheck disable=SC2046
same "$tmp/t1.h5" "$tmp/t2.h5" "${RESULT_OBJECTS[@]}" $(gen_objects "$tmp/t1.h5")
check "identical posterior, predictive check and generations with 1 and 2 threads" $? "$tmp/h5diff.out" "$tmp/t1.err"

# ---------------------------------------------------------------------------
# 3. MPI: 2 ranks give the same results as 1 process.
# ---------------------------------------------------------------------------
if command -v mpirun >/dev/null 2>&1 && "$TYNDAU" --version | grep "with MPI" >/dev/null; then
    mpirun -np 2 --allow-run-as-root --oversubscribe "$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/m2.h5" --threads 1 -q \
        >"$tmp/m2.out" 2>"$tmp/m2.err"
    rc=$?
    ranks=$("$PYTHON" -c 'import h5py,sys; print(h5py.File(sys.argv[1],"r").attrs["ranks"])' "$tmp/m2.h5" 2>>"$tmp/m2.err")
    : >"$tmp/h5diff.out"
    # shellcheck disable=SC2046
    [ "$rc" -eq 0 ] && [ "$ranks" = 2 ] && same "$tmp/t1.h5" "$tmp/m2.h5" "${RESULT_OBJECTS[@]}" $(gen_objects "$tmp/t1.h5")
    check "mpirun -np 2 (ranks=$ranks): identical to one process" $? "$tmp/m2.err" "$tmp/h5diff.out"
else
    skip "MPI check: no mpirun, or a build without MPI (install openmpi-bin libopenmpi-dev, rebuild)"
fi

# ---------------------------------------------------------------------------
# 3b. A scenario that inherits: --resume covers the inherited file too.  A finished calibration's
#     file stands in for its partial file (same fingerprint, every generation); after a change of
#     the base file the resume is refused, with a message that says why.
# ---------------------------------------------------------------------------
mkdir -p "$tmp/inh"
cp "$ROOT/scenarios/baseline.ini" "$tmp/inh/base.ini"
printf '[scenario]\nbase = base.ini\n' >"$tmp/inh/child.ini"
small "$tmp/inh/c.ini" 2000 8 1
sed -i "s|^scenario = .*|scenario = $tmp/inh/child.ini|" "$tmp/inh/c.ini"
"$TYNDAU" calibrate "$tmp/inh/c.ini" -o "$tmp/inh/c.h5" -q >/dev/null 2>"$tmp/inh/err1"
cp "$tmp/inh/c.h5" "$tmp/inh/c.h5.partial"
"$TYNDAU" calibrate "$tmp/inh/c.ini" -o "$tmp/inh/c.h5" --resume -q >/dev/null 2>"$tmp/inh/err2"
rc2=$?
cp "$tmp/inh/c.h5" "$tmp/inh/c.h5.partial"
printf '\n[state]\ndetection = 0.1\n' >>"$tmp/inh/base.ini"
"$TYNDAU" calibrate "$tmp/inh/c.ini" -o "$tmp/inh/c.h5" --resume -q >/dev/null 2>"$tmp/inh/err3"
rc3=$?
[ "$rc2" -eq 0 ] && [ "$rc3" -eq 2 ] && grep -q "made by a different calibration (.*the files it inherits from" "$tmp/inh/err3"
check "an inheriting scenario: --resume accepts its own partial file, refuses it after the base file changed" $? \
    "$tmp/inh/err1" "$tmp/inh/err2" "$tmp/inh/err3"

# ---------------------------------------------------------------------------
# 4. Kill (SIGKILL) and resume: the same posterior as an uninterrupted run.
# ---------------------------------------------------------------------------
# kill_after N INI OUT: calibrate INI into OUT, SIGKILL once OUT.partial holds N generations; 0
# when it was killed (gens: the generations it had), 1 when it ended first
kill_after() {
    "$TYNDAU" calibrate "$2" -o "$3" -q >/dev/null 2>"$3.err" &
    bg_pid=$!
    gens=0
    for _ in $(seq 1 600); do
        if [ -e "$3.partial" ]; then
            gens=$(h5dump -a /generations/n_generations "$3.partial" 2>/dev/null | grep -o '(0): [0-9]*' | grep -o '[0-9]*$')
            [ "${gens:-0}" -ge "$1" ] && break
        fi
        kill -0 "$bg_pid" 2>/dev/null || break
        sleep 0.05
    done
    local alive=1
    kill -0 "$bg_pid" 2>/dev/null && alive=0 && kill -9 "$bg_pid"
    wait "$bg_pid" 2>/dev/null
    bg_pid=
    return $alive
}
small "$tmp/k.ini" 20000 16 8
"$TYNDAU" calibrate "$tmp/k.ini" -o "$tmp/full.h5" -q >/dev/null 2>"$tmp/full.err"
if kill_after 3 "$tmp/k.ini" "$tmp/killed.h5"; then
    [ ! -e "$tmp/killed.h5" ] && [ -e "$tmp/killed.h5.partial" ]
    check "killed calibration (after $gens generations): nothing under the output name, the partial file kept" $? "$tmp/killed.h5.err"
    "$TYNDAU" calibrate "$tmp/k.ini" -o "$tmp/killed.h5" --resume >"$tmp/resume.out" 2>"$tmp/resume.err"
    rc=$?
    : >"$tmp/h5diff.out"
    # shellcheck disable=SC2046
    [ "$rc" -eq 0 ] && grep -q "resuming after generation" "$tmp/resume.err" &&
        same "$tmp/full.h5" "$tmp/killed.h5" "${RESULT_OBJECTS[@]}" $(gen_objects "$tmp/full.h5")
    check "resumed calibration: identical posterior, predictive check and generations" $? "$tmp/resume.err" "$tmp/h5diff.out"
    echo "; changed" >>"$tmp/k.ini"
    cp "$tmp/full.h5" "$tmp/other.h5.partial"
    "$TYNDAU" calibrate "$tmp/k.ini" -o "$tmp/other.h5" --resume -q >/dev/null 2>"$tmp/other.err"
    [ $? -eq 2 ] && grep -q "made by a different calibration" "$tmp/other.err"
    check "resume refuses a partial file of a different calibration" $? "$tmp/other.err"
else
    fail "kill and resume: the calibration ended before it could be killed" "$tmp/killed.h5.err"
fi

# ---------------------------------------------------------------------------
# 5. Parameter recovery: targets made by the model itself at known values.
# ---------------------------------------------------------------------------
"$TYNDAU" run --agents 20000 --seed 99 --set prior_disengaged=0.3 --set media_platform=0.0025 \
    --set prior_trust_local=0.45 -o "$tmp/truth.h5" -q >"$tmp/truth.err" 2>&1
"$TYNDAU" survey "$tmp/truth.h5" --csv 2>>"$tmp/truth.err" |
    awk -F, 'NR == 1 { print "question,base,group_type,group,response,percent"; next }
             $6 == "population" && $8 != "" { printf "%s,%s,%s,%s,%s,%.1f\n", $1, $2, $3, $4, $5, $7 }' >"$tmp/truth.csv"
small "$tmp/rec.ini" 20000 32 30 "targets = $tmp/truth.csv"
"$TYNDAU" calibrate "$tmp/rec.ini" -o "$tmp/rec.h5" -q >"$tmp/rec.out" 2>"$tmp/rec.err"
rc=$?
"$PYTHON" - "$tmp/rec.h5" >"$tmp/rec.py" 2>&1 <<'EOF'
# Each true value within 3 posterior standard deviations of the final particles' mean, on the
# prior's scale (log for loguniform).  A 90% interval per parameter would miss one of the three
# truths about a quarter of the time for a perfect posterior (1 - 0.9^3), so any change of the
# baseline or the draws could turn it red; 3 SD misses about 1% of the time for a Gaussian
# posterior, and a likelihood or sampler error moves the particles much further than that.
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["status"] == "complete", f.attrs["status"]
truth = {"prior_disengaged": 0.3, "media_platform": 0.0025, "prior_trust_local": 0.45}
g = f["generations"]
x = g["g%03d" % (int(g.attrs["n_generations"]) - 1)]["x"][:]
pr = f["priors"]
p = f["posterior"]
bad = 0
for i, n in enumerate(pr["name"][:]):
    n = n.decode()
    t = np.log if pr["shape"][i].decode() == "loguniform" else (lambda v: v)
    v = t(x[:, i])
    z = (t(truth[n]) - v.mean()) / v.std(ddof=1)
    lo, med, hi = p["q05"][i], p["median"][i], p["q95"][i]
    ok = abs(z) <= 3
    print("%-20s truth %.4g  posterior %.4g [%.4g, %.4g]  z %+.2f %s" % (n, truth[n], med, lo, hi, z, "ok" if ok else "FAR"))
    bad += not ok
sys.exit(bad)
EOF
check "parameter recovery: each true value within 3 posterior SD of the final particles (exit $rc)" $? "$tmp/rec.py" "$tmp/rec.err"
sed 's/^/# /' "$tmp/rec.py"

# ---------------------------------------------------------------------------
# 6. Holdout: held-out cells predicted, with the null model beside them.
# ---------------------------------------------------------------------------
"$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/ho.h5" --holdout aware_concept:income -q >/dev/null 2>"$tmp/ho.err"
rc=$?
"$PYTHON" - "$tmp/ho.h5" >"$tmp/ho.py" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
q = f["predictive"]
fitted = q["fitted"][:]
gt = np.array([s.decode() for s in q["group_type"][:]])
assert np.all((fitted == 0) == (gt == "income")), "held out = the income rows"
assert q.attrs["n_holdout_cells"] == 9 and q.attrs["n_holdout_with_null"] == 9
assert np.isfinite(q.attrs["mae_holdout_vs_null_model"]) and np.isfinite(q.attrs["mae_holdout_null"])
w = f["observation/weight"][:]
rows_gt = np.array([s.decode() for s in f["observation/group_type"][:]])
rows_q = np.array([s.decode() for s in f["observation/question"][:]])
assert np.all(w[rows_gt == "income"] == 0) and np.allclose(w[(rows_q == "aware_concept") & (rows_gt != "income")], 0.5)
print("model MAE %.2f pp, null MAE %.2f pp" % (q.attrs["mae_holdout_vs_null_model"], q.attrs["mae_holdout_null"]))
EOF
check "holdout aware_concept:income (exit $rc): 9 held-out cells, weights 1/2, both MAEs reported" $? "$tmp/ho.py" "$tmp/ho.err"

# ---------------------------------------------------------------------------
# 7. The observation model's error terms: a design effect, and the logit-normal model with a
#    discrepancy per question family (default priors for the families fitted).
# ---------------------------------------------------------------------------
printf '[likelihood]\nmodel = multinomial\ndiscrepancy_awareness = 0.1\n[priors]\nprior_disengaged = uniform 0.05 0.4\n' \
    >"$tmp/disc.ini"
expect_bad "a discrepancy without the logit-normal model" \
    "disc.ini:3: a discrepancy_\* key needs 'model = logit-normal'" -- "$tmp/disc.ini"
printf '[likelihood]\ndesign_effect = 0.5\n[priors]\nprior_disengaged = uniform 0.05 0.4\n' >"$tmp/deff.ini"
expect_bad "a design effect below 1" "deff.ini:2: key 'design_effect': expected a number from 1 to 10" -- "$tmp/deff.ini"
printf '[likelihood]\nmodel = logit-normal\ndiscrepancy_villages = 0.1\n[priors]\nprior_disengaged = uniform 0 0.5\n' \
    >"$tmp/fam.ini"
expect_bad "an unknown question family" "fam.ini:3: unknown key 'discrepancy_villages' in \[likelihood\], expected discrepancy_awareness" \
    -- "$tmp/fam.ini"
sed 's/^model = multinomial$/model = multinomial\ndesign_effect = 1/' "$tmp/c.ini" >"$tmp/deff1.ini"
"$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/d0.h5" -q >/dev/null 2>"$tmp/d0.err" &&
    "$TYNDAU" calibrate "$tmp/deff1.ini" -o "$tmp/d1.h5" -q >/dev/null 2>"$tmp/d1.err" &&
    same "$tmp/d0.h5" "$tmp/d1.h5" "${RESULT_OBJECTS[@]}"
check "design_effect = 1: the same posterior, predictive check and generations as without the key" $? \
    "$tmp/d0.err" "$tmp/d1.err" "$tmp/h5diff.out"
# the design effect's bracket (1 and 2) in the predictive check: at a stated 1, its end at 1 is the
# stated one's own draws, so the counts are equal exactly
"$PYTHON" -c '
import sys, h5py
q = h5py.File(sys.argv[1], "r")["predictive"].attrs
print(q["n_inside95_fitted_sampling_only"], q["n_inside95_fitted_sampling_deff1"], q["n_inside95_fitted_sampling_deff2"])
assert q["n_inside95_fitted_sampling_deff1"] == q["n_inside95_fitted_sampling_only"]
assert 0 <= q["n_inside95_fitted_sampling_deff2"] <= q["n_fitted_cells"]
' "$tmp/d1.h5" >"$tmp/d1.py" 2>&1
check "design_effect = 1: the bracket's end at 1 is the stated design effect's count" $? "$tmp/d1.py"
sed 's/^model = multinomial$/model = logit-normal\ndesign_effect = 1.5\ndiscrepancy_contact = 0.05/' "$tmp/c.ini" >"$tmp/ln.ini"
principles=()
for q in principle_officials_hear_problems principle_bodies_respond_quickly principle_officials_accessible \
    principle_policy_reflects_needs principle_civil_society_involved principle_my_needs_heard \
    principle_quality_appeal_handling; do principles+=(--holdout "$q"); done
"$TYNDAU" calibrate "$tmp/ln.ini" -o "$tmp/ln.h5" "${principles[@]}" >"$tmp/ln.out" 2>"$tmp/ln.err"
rc=$?
"$PYTHON" - "$tmp/ln.h5" "$tmp/ln.out" >"$tmp/ln.py" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
out = open(sys.argv[2]).read()
assert f.attrs["likelihood"] == "logit-normal", f.attrs["likelihood"]
o = f["observation"]
assert o.attrs["design_effect"] == 1.5 and "key design_effect" in o.attrs["design_effect_source"]
fam = [s.decode() for s in o["family"][()]]
assert {"awareness", "attention", "contact", "meaning", "principles"} <= set(fam), set(fam)
names = [s.decode() for s in f["priors/name"][()]]
disc = [n for n in names if n.startswith("discrepancy_")]
# the defaults for the fitted families; contact is fixed by the file; principles are held out
assert disc == ["discrepancy_awareness", "discrepancy_attention", "discrepancy_meaning"], disc
q95 = dict(zip(names, f["priors/q95"][()]))
assert abs(q95["discrepancy_awareness"] - 0.15 * 1.959964) < 1e-3 and abs(q95["discrepancy_meaning"] - 0.09 * 1.959964) < 1e-3
p = f["posterior"]
pn = [s.decode() for s in p["name"][()]]
for n in disc:
    i = pn.index(n)
    assert 0 <= p["q05"][i] <= p["median"][i] <= p["q95"][i] <= 1
assert "model discrepancy by question family" in out and "contact      0.050 (fixed)" in out, out[-800:]
assert "survey sampling only, design effect 1.5" in out
q = f["predictive"].attrs   # 95% intervals hold the 90% ones
assert q["n_inside95_fitted"] >= q["n_inside_fitted"] and q["n_inside95_fitted_sampling_only"] >= q["n_inside_fitted_sampling_only"]
assert ("inside their 95%% intervals: %d of %d with the model-error term, %d with survey sampling alone (design "
        "effect 1.5; %d at 1 and %d at 2" % (q["n_inside95_fitted"], q["n_fitted_cells"],
        q["n_inside95_fitted_sampling_only"], q["n_inside95_fitted_sampling_deff1"],
        q["n_inside95_fitted_sampling_deff2"])) in out
# the sensitivity matrix's spectrum: the model parameters only, eigenvalues largest first,
# orthonormal eigenvectors, local variance ratios in (0, 1]
ide = f["identifiability"]
assert [s.decode() for s in ide["parameter"][()]] == ["prior_disengaged", "media_platform", "prior_trust_local"]
ev, V, vr = ide["eigenvalue"][()], ide["eigenvector"][()], ide["local_variance_ratio"][()]
assert np.all(np.diff(ev) <= 0) and np.all(ev >= 0) and np.allclose(V @ V.T, np.eye(3), atol=1e-10)
assert np.all((vr > 0) & (vr <= 1)) and "sensitivity matrix at the posterior median" in out
print("ok")
EOF
check "logit-normal with a design effect (exit $rc): default discrepancy priors per fitted family, reported with their posterior" \
    $? "$tmp/ln.py" "$tmp/ln.err"

# ---------------------------------------------------------------------------
# 8. Simulation-based calibration (--sbc), a toy: 8 synthetic surveys, one quantity, 2,000
#    agents, 16 particles.  Its coverage is not asserted (a toy this small is not expected to be
#    calibrated: the benchmark is the full one); what is: ranks, intervals and coverages agree
#    with each other, the refits follow their truths, and the file is the same on 1 and 2 threads.
# ---------------------------------------------------------------------------
cat >"$tmp/sbc.ini" <<EOF
[calibration]
scenario = $ROOT/scenarios/baseline.ini
agents = 2000
seed = 3
particles = 16
max_generations = 30
[likelihood]
model = multinomial
[priors]
prior_disengaged = uniform 0.05 0.4
EOF
"$TYNDAU" calibrate "$tmp/sbc.ini" --sbc 8 -t 2 -o "$tmp/sbc2.h5" >"$tmp/sbc.out" 2>"$tmp/sbc.err"
rc=$?
"$PYTHON" - "$tmp/sbc2.h5" "$tmp/sbc.out" >"$tmp/sbc.py" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["schema_name"] == "tyndau-sbc" and f.attrs["surveys"] == 8 and f.attrs["particles"] == 16
g = f["sbc"]
t, lo, hi, q25, q75 = (g[k][:, 0] for k in ("truth", "q05", "q95", "q25", "q75"))
rank, st = g["rank"][:, 0], g["status"][()]
ok = st == 0
assert ok.sum() == f.attrs["surveys_complete"] >= 6, st
assert np.all((t >= 0.05) & (t <= 0.4)), t                       # truths from the prior
assert np.all((rank >= 0) & (rank <= 16))
assert np.array_equal(g["inside90"][:, 0] == 1, (t >= lo) & (t <= hi))
assert np.array_equal(g["inside50"][:, 0] == 1, (t >= q25) & (t <= q75))
assert np.all(rank[ok & (t < lo)] <= 1) and np.all(rank[ok & (t > hi)] >= 15)   # ranks agree with intervals
assert abs(g["coverage90"][0] - g["inside90"][ok, 0].mean()) < 1e-12
assert abs(g["coverage50"][0] - g["inside50"][ok, 0].mean()) < 1e-12
assert g["rank_histogram"][0].sum() == ok.sum()
llt, llr, llm = g["loglik_truth"][()], g["loglik_rank"][()], g["loglik_median"][()]
assert np.all(np.isfinite(llt[st >= 0])) and np.all((llr >= 0) & (llr <= 16))   # the joint test quantity
assert np.all(llr[ok & (llt < llm)] <= 8) and np.all(llr[ok & (llt > llm)] >= 8), (llr, llt, llm)
assert g["loglik_rank_histogram"][()].sum() == ok.sum()
assert np.array_equal(g["loglik_rank_histogram"][()], np.bincount(np.minimum(llr[ok] * 10 // 17, 9), minlength=10))
r = np.corrcoef(t[ok], g["median"][ok, 0])[0, 1]
assert r > 0.9, r                                                # the refits follow their truths
assert "simulation-based calibration: 8 synthetic surveys" in open(sys.argv[2]).read()
print("coverage 50%% %.2f, 90%% %.2f, corr(truth, median) %.3f" % (g["coverage50"][0], g["coverage90"][0], r))
EOF
check "--sbc (exit $rc): ranks, intervals, coverages and histogram agree; the refits follow their truths" $? \
    "$tmp/sbc.py" "$tmp/sbc.err"
sed 's/^/# /' "$tmp/sbc.py"
"$TYNDAU" calibrate "$tmp/sbc.ini" --sbc 8 -t 1 -q -o "$tmp/sbc1.h5" 2>"$tmp/sbc1.err" &&
    h5diff -q "$tmp/sbc1.h5" "$tmp/sbc2.h5" /sbc/truth /sbc/truth && h5diff -q "$tmp/sbc1.h5" "$tmp/sbc2.h5" /sbc/rank /sbc/rank &&
    h5diff -q "$tmp/sbc1.h5" "$tmp/sbc2.h5" /sbc/median /sbc/median && h5diff -q "$tmp/sbc1.h5" "$tmp/sbc2.h5" /sbc/q95 /sbc/q95 &&
    h5diff -q "$tmp/sbc1.h5" "$tmp/sbc2.h5" /sbc/loglik_rank /sbc/loglik_rank
check "--sbc: identical with 1 and 2 threads" $? "$tmp/sbc1.err"
"$PYTHON" "$ROOT/analysis/report.py" "$tmp/sbc2.h5" -o "$tmp/sbc.html" >"$tmp/sbcr.out" 2>&1 &&
    grep -q "<li><a href=\"#s[0-9]*\">Simulation-based calibration sbc2.h5</a></li>" "$tmp/sbc.html" &&
    grep -q "report: .* 1 figures" "$tmp/sbcr.out"
check "report.py on an SBC file: rank histograms and coverages" $? "$tmp/sbcr.out"
# SIGTERM during the SBC: exit 1, OUT.partial kept with the surveys done; --resume then gives the
# uninterrupted file's surveys (the same truths, ranks, quantiles and statuses)
"$TYNDAU" calibrate "$tmp/sbc.ini" --sbc 8 -t 2 -o "$tmp/sbc3.h5" >/dev/null 2>"$tmp/sbc3.err" &
bg_pid=$!
for _ in $(seq 600); do grep -q "sbc: survey 2 of 8" "$tmp/sbc3.err" && break; sleep 0.1; done
kill -TERM "$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=
[ "$rc" -eq 1 ] && grep -q "stopped by SIGTERM during survey [0-9] of 8; .*sbc3.h5.partial kept" "$tmp/sbc3.err" &&
    [ -e "$tmp/sbc3.h5.partial" ] && [ ! -e "$tmp/sbc3.h5" ]
check "--sbc and SIGTERM: exit $rc, OUT.partial kept with the surveys done" $? "$tmp/sbc3.err"
"$TYNDAU" calibrate "$tmp/sbc.ini" --sbc 9 -t 2 -o "$tmp/sbc3.h5" --resume -q >/dev/null 2>"$tmp/sbc3b.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "an SBC of 8 surveys of 16 particles, not 9 of 16" "$tmp/sbc3b.err" && [ -e "$tmp/sbc3.h5.partial" ]
check "--sbc --resume with another number of surveys: refused (exit $rc), the partial kept" $? "$tmp/sbc3b.err"
"$TYNDAU" calibrate "$tmp/sbc.ini" --sbc 8 -t 1 -o "$tmp/sbc3.h5" --resume >/dev/null 2>>"$tmp/sbc3.err"
rc=$?
same_sbc() { # same_sbc A B: the surveys' results identical
    local d
    for d in truth rank median q05 q95 status inside90 coverage90 rank_histogram loglik_truth loglik_rank; do
        h5diff -q "$1" "$2" /sbc/$d /sbc/$d || return 1
    done
}
[ "$rc" -eq 0 ] && grep -q "resuming after survey [1-9] of 8" "$tmp/sbc3.err" && [ ! -e "$tmp/sbc3.h5.partial" ] &&
    same_sbc "$tmp/sbc1.h5" "$tmp/sbc3.h5"
check "--sbc --resume (exit $rc): the uninterrupted file's surveys, the partial removed" $? "$tmp/sbc3.err"


# ---------------------------------------------------------------------------
# 9. Observation steps (obs_steps): the quantities no simulation depends on (here the five
#    discrepancies and two slopes of the logit-normal model, default priors) move by Metropolis
#    steps at each particle's own simulated probabilities, at no simulation's cost.  Known answers:
#    their scale is one of the pilot's grid 2.38/sqrt(7) x 2^-6 .. 2^1 and NaN without them; the
#    target does not change: the posterior's mean and sd of every quantity agree with the plain
#    random walk's within 3.5 standard errors (200 particles, each run's counted as 1/4 independent
#    draws); the same bits on 1 and 2 threads; killed and resumed, the uninterrupted run's file
#    (the resumed run simulates its particles' probabilities again).  The prior ratio left out
#    of the steps' acceptance (a flat prior on the normal scores) moved every discrepancy and
#    slope (the slopes' sd 3.7 and 4.0 times the plain walk's, z 9.2 and 9.8; FAIL).
# ---------------------------------------------------------------------------
obs_ini() { # obs_ini FILE PARTICLES MAX_GENERATIONS [extra line for [calibration]]
    cat >"$1" <<EOF
[calibration]
scenario = $ROOT/scenarios/baseline.ini
agents = 1000
seed = 5
particles = $2
moves = 4
max_generations = $3
predictive_draws = 10
${4:-}

[likelihood]
model = logit-normal
design_effect = 1.5

[priors]
prior_disengaged = uniform 0.2 0.21
EOF
}
obs_ini "$tmp/o0.ini" 200 40
obs_ini "$tmp/o1.ini" 200 40 "obs_steps = 10"
"$TYNDAU" calibrate "$tmp/o0.ini" -o "$tmp/o0.h5" -q -t 2 >/dev/null 2>"$tmp/o.err" &&
    "$TYNDAU" calibrate "$tmp/o1.ini" -o "$tmp/o1.h5" -q -t 2 >/dev/null 2>>"$tmp/o.err"
rc=$?
"$PYTHON" "$ROOT/tests/posterior_agree.py" "$tmp/o0.h5" "$tmp/o1.h5" obs 7 >"$tmp/o.py" 2>&1
[ $? -eq 0 ] && [ "$rc" -eq 0 ]
check "observation steps (exit $rc): the pilot's scale, the plain walk's posterior" $? "$tmp/o.py" "$tmp/o.err"
sed 's/^/# /' "$tmp/o.py"
obs_ini "$tmp/o16.ini" 16 3 "obs_steps = 10"
"$TYNDAU" calibrate "$tmp/o16.ini" -o "$tmp/o16a.h5" -q -t 1 >/dev/null 2>"$tmp/o16.err" &&
    "$TYNDAU" calibrate "$tmp/o16.ini" -o "$tmp/o16b.h5" -q -t 2 >/dev/null 2>>"$tmp/o16.err"
rc=$?
: >"$tmp/h5diff.out"
# shellcheck disable=SC2046
[ "$rc" -eq 0 ] && same "$tmp/o16a.h5" "$tmp/o16b.h5" /posterior /generations/obs_scale /generations/obs_acceptance \
    $(gen_objects "$tmp/o16a.h5")
check "observation steps: 1 and 2 threads the same bits (exit $rc)" $? "$tmp/o16.err" "$tmp/h5diff.out"
obs_ini "$tmp/ok.ini" 16 8 "obs_steps = 10"
sed -i 's/^agents = 1000/agents = 20000/' "$tmp/ok.ini"
"$TYNDAU" calibrate "$tmp/ok.ini" -o "$tmp/okfull.h5" -q >/dev/null 2>"$tmp/okfull.err"
if kill_after 2 "$tmp/ok.ini" "$tmp/okk.h5"; then
    # a partial file whose simulations do not reproduce (as from another build, of a version that
    # wrote no content digest): refused, kept
    cp "$tmp/okk.h5.partial" "$tmp/okm.h5.partial"
    "$PYTHON" -c '
import sys, h5py
f = h5py.File(sys.argv[1], "r+")
g = f["generations"]
ll = g["g%03d/loglik" % (int(g.attrs["n_generations"][()]) - 1)]
ll[0] = ll[0] + 1e-9
del f.attrs["content_digest"]' "$tmp/okm.h5.partial" &&
        "$TYNDAU" calibrate "$tmp/ok.ini" -o "$tmp/okm.h5" --resume -q >/dev/null 2>"$tmp/okm.err"
    rc=$?
    [ "$rc" -eq 2 ] && grep -q "simulates to log-likelihood .*, not the partial file's" "$tmp/okm.err" &&
        [ -e "$tmp/okm.h5.partial" ] && [ ! -e "$tmp/okm.h5" ]
    check "observation steps: a partial file its simulations do not reproduce is refused (exit $rc), the partial kept" $? \
        "$tmp/okm.err"
    "$TYNDAU" calibrate "$tmp/ok.ini" -o "$tmp/okk.h5" --resume >/dev/null 2>"$tmp/okr.err"
    rc=$?
    : >"$tmp/h5diff.out"
    # shellcheck disable=SC2046
    [ "$rc" -eq 0 ] && grep -q "resuming after generation" "$tmp/okr.err" &&
        same "$tmp/okfull.h5" "$tmp/okk.h5" "${RESULT_OBJECTS[@]}" /generations/obs_scale /generations/obs_acceptance \
            $(gen_objects "$tmp/okfull.h5")
    check "observation steps: killed after $gens generations and resumed (exit $rc), the uninterrupted run's file" $? \
        "$tmp/okr.err" "$tmp/h5diff.out"
else
    fail "observation steps, kill and resume: the calibration ended before it could be killed" "$tmp/okk.h5.err"
fi

finish
