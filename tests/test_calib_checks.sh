#!/usr/bin/env bash
# test_calib_checks.sh: end-to-end tests of the calibration's checks: `tyndau calibrate
# --leave-out FAMILY|all` (src/calibrate/leaveout.c, docs/calibration.md s6), the SMC's
# diagnostics and adaptive moves (smc.c), and analysis/replicates.py.
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_calib_checks.sh
#
# Known answer: on a synthetic survey that is the model's own population output at parameters
# inside the priors, the model predicts a left-out breakdown better than the null "each group
# equals its total row" (the model has the gradient, the null has none).  Then: --leave-out all
# gives every family's scores, family f's the same bits as --leave-out f; stopped by SIGTERM
# between families and resumed it gives the same file; bad input exits 2.  Tiny calibrations
# (10,000 agents, 16 particles, 4 generations): about 40 s on two cores.
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)

# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init calib_checks

small() { # small FILE [TARGETS]
    cat >"$1" <<EOF2
[calibration]
scenario = $ROOT/scenarios/baseline.ini
${2:+targets = $2}
agents = 10000
seed = 7
particles = 16
max_generations = 4
predictive_draws = 20

[likelihood]
model = multinomial

[priors]
prior_disengaged = uniform 0.05 0.4
media_platform = loguniform 0.0002 0.005
prior_trust_local = uniform 0.3 0.9
EOF2
}

# 1. The synthetic survey: the model's own population percentages in place of the published.
"$TYNDAU" run --agents 10000 --seed 7 -o "$tmp/run.h5" -q >/dev/null 2>&1
"$TYNDAU" survey "$tmp/run.h5" --csv | awk -F, 'NR == 1 { print "question,base,group_type,group,response,percent" }
    NR > 1 && $6 == "population" && $8 != "" { print $1 "," $2 "," $3 "," $4 "," $5 "," $7 }' >"$tmp/synthetic.csv"
small "$tmp/syn.ini" "$tmp/synthetic.csv"
"$TYNDAU" calibrate "$tmp/syn.ini" -o "$tmp/syn.h5" --leave-out income >"$tmp/syn.out" 2>"$tmp/syn.err"
rc=$?
"$PYTHON" - "$tmp/syn.h5" "$tmp/syn.out" >"$tmp/syn.py" 2>&1 <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["leave_out"]
assert [s.decode() for s in g["family"][:]] == ["income"]
assert g["n_cells"][0] == 9 and g["n_rows"][0] == 3
d, e = g["lpd_difference"][0], g["interval_score_difference"][0]
assert np.isclose(d, g["lpd"][0] - g["lpd_null"][0]) and d > 0, d          # the model has the gradient
assert np.isclose(e, g["interval_score"][0] - g["interval_score_null"][0]) and e < 0, e
c = g["income"]
obs, lo, hi = c["observed"][:], c["lo90"][:], c["hi90"][:]
alpha = f["leave_out"].attrs["alpha"]
IS = (hi - lo) + 2 / alpha * np.maximum(lo - obs, 0) + 2 / alpha * np.maximum(obs - hi, 0)
assert np.isclose(IS.mean(), g["interval_score"][0]), (IS.mean(), g["interval_score"][0])
# the null of a breakdown: each group's interval is about its total row's published share
gr = [s.decode() for s in c["group"][:]]
assert set(gr) == {"high", "middle", "low"}
w = f["observation/weight"][:]
rows_gt = [s.decode() for s in f["observation/group_type"][:]]
assert all(w[i] == 0 for i, t in enumerate(rows_gt) if t == "income")
out = open(sys.argv[2]).read()
assert "the model predicts the income breakdown of Table 3 (aware_concept by income) better than the null" in out
print("income left out: lpd %+.2f, interval score %+.2f pp against the total-row null" % (d, e))
EOF2
check "synthetic survey, --leave-out income (exit $rc): the model predicts the breakdown better than the null" $? \
    "$tmp/syn.py" "$tmp/syn.err"
sed 's/^/# /' "$tmp/syn.py"

# 2. --leave-out all, stopped by SIGTERM after a family and resumed: the same scores as one run.
small "$tmp/c.ini"
"$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/all.h5" --leave-out all >"$tmp/all.out" 2>"$tmp/all.err"
rc=$?
"$PYTHON" - "$tmp/all.h5" >"$tmp/all.py" 2>&1 <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["schema_name"] == b"tyndau-leave-out" or f.attrs["schema_name"] == "tyndau-leave-out"
g = f["leave_out"]
fam = [s.decode() for s in g["family"][:]]
assert fam == ["table6", "table7", "principles", "meaning", "age", "income"], fam
assert list(g["n_cells"][:]) == [6, 4, 21, 4, 12, 9]
for k in ("lpd", "lpd_null", "lpd_prior", "interval_score", "interval_score_null"):
    assert np.all(np.isfinite(g[k][:])), k
nulls = [s.decode() for s in g["null_model"][:]]
assert all(n.startswith("the prior predictive") for n in nulls[:4]) and all(n.startswith("each group") for n in nulls[4:])
assert np.allclose(g["lpd_null"][:4], g["lpd_prior"][:4])           # the null of a non-breakdown family
print(" ".join("%s %+.2f" % (a, b) for a, b in zip(fam, g["lpd_difference"][:])))
EOF2
check "--leave-out all (exit $rc): six families scored, the nulls as documented" $? "$tmp/all.py" "$tmp/all.err"
sed 's/^/# /' "$tmp/all.py"
"$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/t7.h5" --leave-out table7 -q >/dev/null 2>"$tmp/t7.err"
same=0
for k in lo90 hi90 median observed null_lo90 null_hi90; do
    h5diff -q "$tmp/all.h5" "$tmp/t7.h5" "/leave_out/table7/$k" "/leave_out/table7/$k" >>"$tmp/t7.diff" 2>&1 || same=1
done
"$PYTHON" -c 'import sys, h5py; a = h5py.File(sys.argv[1])["leave_out"]; b = h5py.File(sys.argv[2])["leave_out"]
for k in ("lpd", "lpd_null", "interval_score", "interval_score_null"): assert a[k][1] == b[k][0], k' \
    "$tmp/all.h5" "$tmp/t7.h5" 2>>"$tmp/t7.diff" || same=1
check "--leave-out table7 gives the same bits as --leave-out all's table7" $same "$tmp/t7.diff" "$tmp/t7.err"

"$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/stop.h5" --leave-out all -q >/dev/null 2>"$tmp/stop.err" &
bg_pid=$!
for _ in $(seq 1 600); do
    [ -e "$tmp/stop.h5.partial" ] && break
    kill -0 "$bg_pid" 2>/dev/null || break
    sleep 0.1
done
kill -TERM "$bg_pid" 2>/dev/null
wait "$bg_pid"
rc=$?
bg_pid=
if [ "$rc" -eq 0 ]; then
    skip "--leave-out all stopped by SIGTERM: it finished before the signal"
else
    [ "$rc" -eq 1 ] && [ ! -e "$tmp/stop.h5" ] && [ -e "$tmp/stop.h5.partial" ] && grep -q "with --resume" "$tmp/stop.err"
    check "--leave-out all stopped by SIGTERM (exit $rc): nothing under the output name, the partial kept" $? "$tmp/stop.err"
    "$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/stop.h5" --leave-out all --resume >"$tmp/res.out" 2>"$tmp/res.err"
    rc=$?
    ok=0
    for fam in table6 table7 principles meaning age income; do
        for k in lo90 hi90 null_lo90 null_hi90 prior_lo90 prior_hi90; do
            h5diff -q "$tmp/all.h5" "$tmp/stop.h5" "/leave_out/$fam/$k" "/leave_out/$fam/$k" >>"$tmp/res.diff" 2>&1 || ok=1
        done
    done
    for k in lpd lpd_null lpd_prior interval_score interval_score_null simulations; do
        h5diff -q "$tmp/all.h5" "$tmp/stop.h5" "/leave_out/$k" "/leave_out/$k" >>"$tmp/res.diff" 2>&1 || ok=1
    done
    [ "$rc" -eq 0 ] && [ ! -e "$tmp/stop.h5.partial" ] && grep -q "families done" "$tmp/res.err" && [ "$ok" -eq 0 ]
    check "--leave-out all --resume (exit $rc): the same scores as the uninterrupted run" $? "$tmp/res.diff" "$tmp/res.err"
fi

# 3. SMC diagnostics: distinct particles and moves per generation; moves = adaptive moves until
#    90% of the particles have moved or the cap; independent replicates compared.
"$PYTHON" - "$tmp/t7.h5" 2 >"$tmp/diag.py" 2>&1 <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["generations"]
G, N = int(g.attrs["n_generations"]), int(f.attrs["particles"])
u, ur, mv, st = g["unique"][:], g["unique_resampled"][:], g["moved"][:], g["move_steps"][:]
for t in range(G):   # the count, from the particles themselves
    x, s = g["g%03d" % t]["x"][:], g["g%03d" % t]["seed"][:]
    assert u[t] == len({(r.tobytes(), k) for r, k in zip(x, s.tolist())}), t   # bit for bit
assert ur[0] == N and np.isnan(mv[0]) and st[0] == 0
assert np.all((ur[1:] >= 1) & (ur[1:] <= N)) and np.all((mv[1:] >= 0) & (mv[1:] <= 1))
if sys.argv[2] == "adaptive":
    cap = 8
    assert np.all((st[1:] >= 1) & (st[1:] <= cap)), st
    assert np.all((mv[1:] >= 0.9) | (st[1:] == cap)), (mv, st)   # stopped at 90% moved, or at the cap
    assert np.all(mv[1:][st[1:] < cap] >= 0.9)
else:
    assert np.all(st[1:] == int(sys.argv[2])), st
print("unique after resampling", ur.astype(int).tolist(), "after moves", u.astype(int).tolist(), "steps", st.astype(int).tolist())
EOF2
check "unique particles, moved share and steps per generation, recounted from the particles (fixed moves = 2)" $? \
    "$tmp/diag.py"
sed 's/^/# /' "$tmp/diag.py"
sed 's/^max_generations = 4$/max_generations = 4\nmoves = adaptive 8/' "$tmp/c.ini" >"$tmp/ad.ini"
"$TYNDAU" calibrate "$tmp/ad.ini" -o "$tmp/ad.h5" -q 2>"$tmp/ad.err"
rc=$?
[ "$rc" -eq 0 ] && "$PYTHON" - "$tmp/ad.h5" adaptive >"$tmp/ad.py" 2>&1 <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["generations"]
mv, st = g["moved"][:], g["move_steps"][:]
assert np.all((mv[1:] >= 0.9) | (st[1:] == 8)), (mv, st)
assert np.all((st[1:] >= 1) & (st[1:] <= 8)), st
print("moved", np.round(mv[1:], 3).tolist(), "steps", st[1:].astype(int).tolist())
EOF2
check "moves = adaptive 8 (exit $rc): each generation moved until 90% of the particles had moved, or 8 steps" $? \
    "$tmp/ad.py" "$tmp/ad.err"
sed 's/^/# /' "$tmp/ad.py"
printf '[likelihood]\nslope_income = 0.1\n[priors]\nprior_disengaged = uniform 0.05 0.4\n' >"$tmp/slbad.ini"
"$TYNDAU" calibrate "$tmp/slbad.ini" -o "$tmp/slbad.h5" -q 2>"$tmp/slbad.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "slbad.ini:2: a slope_\* key needs 'model = logit-normal'" "$tmp/slbad.err" && [ ! -e "$tmp/slbad.h5" ]
check "bad input: a slope discrepancy without the logit-normal model (exit $rc)" $? "$tmp/slbad.err"
printf '[calibration]\nmoves = adaptive 0\n[priors]\nprior_disengaged = uniform 0.05 0.4\n' >"$tmp/adbad.ini"
"$TYNDAU" calibrate "$tmp/adbad.ini" -o "$tmp/adbad.h5" -q 2>"$tmp/adbad.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "adbad.ini:2: key 'moves': expected a whole number from 1 to 20, or 'adaptive'" "$tmp/adbad.err"
check "bad input: moves = adaptive 0 (exit $rc)" $? "$tmp/adbad.err"
for bad in "surrogate_steps 5000" "obs_steps -1"; do # the chains' step counts: whole numbers from 0 to 1000
    read -r key value <<<"$bad"
    printf '[calibration]\n%s = %s\n[priors]\nprior_disengaged = uniform 0.05 0.4\n' "$key" "$value" >"$tmp/$key.ini"
    "$TYNDAU" calibrate "$tmp/$key.ini" -o "$tmp/$key.h5" -q 2>"$tmp/$key.err"
    rc=$?
    [ "$rc" -eq 2 ] && grep -q "$key.ini:2: key '$key': expected a whole number from 0 (off) to 1000, got '$value'" \
        "$tmp/$key.err" && [ ! -e "$tmp/$key.h5" ]
    check "bad input: $key = $value (exit $rc)" $? "$tmp/$key.err"
done
sed 's/^seed = 7$/seed = 8/' "$tmp/c.ini" >"$tmp/c8.ini"
"$TYNDAU" calibrate "$tmp/c8.ini" -o "$tmp/t7s8.h5" --leave-out table7 -q >/dev/null 2>"$tmp/s8.err"
"$PYTHON" "$ROOT/analysis/replicates.py" "$tmp/t7.h5" "$tmp/t7.h5" >"$tmp/rep0.out" 2>&1 &&
    grep -q "0 of 3 quantities with medians further apart" "$tmp/rep0.out" &&
    grep -q "largest median difference 0.00 SD" "$tmp/rep0.out" &&
    "$PYTHON" "$ROOT/analysis/replicates.py" "$tmp/t7.h5" "$tmp/t7s8.h5" --csv "$tmp/rep.csv" >"$tmp/rep.out" 2>&1 &&
    "$PYTHON" - "$tmp/rep.csv" "$tmp/t7.h5" "$tmp/t7s8.h5" >>"$tmp/rep.out" 2>&1 <<'EOF2'
import csv, sys, h5py, numpy as np
rows = list(csv.DictReader(open(sys.argv[1])))
names = sorted({r["quantity"] for r in rows})
assert len(rows) == 5 * len(names) and len(names) == 3, len(rows)
# the median difference by hand, for one quantity
x = []
for p in sys.argv[2:]:
    f = h5py.File(p, "r")
    g = f["generations"]
    x.append(g["g%03d" % (g.attrs["n_generations"] - 1)]["x"][:, 0])
sd = np.concatenate(x).std(ddof=1)
want = abs(np.quantile(x[0], 0.5) - np.quantile(x[1], 0.5)) / sd
got = [float(r["max_difference_sd"]) for r in rows if r["quantity"] == "prior_disengaged" and float(r["quantile"]) == 0.5][0]
assert abs(got - want) < 1e-5 * max(1, want), (got, want)
print("seed 7 against 8: median of prior_disengaged %.2f SD apart" % got)
EOF2
check "analysis/replicates.py: one file against itself differs by exactly 0; two seeds, the median by hand" $? \
    "$tmp/rep0.out" "$tmp/rep.out"
"$PYTHON" "$ROOT/analysis/replicates.py" "$tmp/t7.h5" "$tmp/run.h5" >"$tmp/rep2.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "not a tyndau calibration file" "$tmp/rep2.out"
check "analysis/replicates.py on a run file: exit 2 (exit $rc)" $? "$tmp/rep2.out"
"$PYTHON" "$ROOT/analysis/report.py" "$tmp/all.h5" "$tmp/t7.h5" -o "$tmp/report.html" >"$tmp/report.out" 2>&1 &&
    grep -q "Leave-one-family-out predictions" "$tmp/report.html" && grep -q "report: .* [0-9]* figures" "$tmp/report.out"
check "report.py draws the leave-out scores (a --leave-out all file and a calibration with --leave-out)" $? "$tmp/report.out"

# 4. The slope discrepancy in a calibration: default priors for the fitted breakdowns, their
#    posterior and the missed gradients reported and written.
sed 's/^model = multinomial$/model = logit-normal/' "$tmp/c.ini" >"$tmp/ln.ini"
"$TYNDAU" calibrate "$tmp/ln.ini" -o "$tmp/ln.h5" --leave-out age >"$tmp/ln.out" 2>"$tmp/ln.err"
rc=$?
"$PYTHON" - "$tmp/ln.h5" "$tmp/ln.out" >"$tmp/ln.py" 2>&1 <<'EOF2'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
out = open(sys.argv[2]).read()
names = [s.decode() for s in f["priors/name"][()]]
assert "slope_age" in names and "slope_income" in names, names   # age left out keeps its slope, at its prior
q95 = dict(zip(names, f["priors/q95"][()]))
assert abs(q95["slope_income"] - 0.2 * 1.959964) < 1e-3 and abs(q95["slope_age"] - 0.2 * 1.959964) < 1e-3
p = f["posterior"]
pn = [s.decode() for s in p["name"][()]]
i = pn.index("slope_income")
assert 0 <= p["q05"][i] <= p["median"][i] <= p["q95"][i] <= 1
g = f["slope_gradient"]
bd = [s.decode() for s in g["breakdown"][()]]
assert bd == ["income", "income"], bd                  # the fitted breakdown only: age is left out
lr = [s.decode() for s in g["log_ratio"][()]]
assert lr == ["log(fully_aware / first_time)", "log(heard_something / first_time)"], lr
assert np.all(g["q05"][()] <= g["median"][()]) and np.all(g["median"][()] <= g["q95"][()])
assert "slope discrepancy by breakdown" in out and "missed gradients" in out and "income aware_concept" in out
print("slope_income %.3f [%.3f, %.3f]; missed income gradient of log(fully/first) %+.3f" % (
    p["median"][i], p["q05"][i], p["q95"][i], g["median"][0]))
EOF2
check "logit-normal (exit $rc): default slope priors, their posterior, the missed gradients printed and in /slope_gradient" \
    $? "$tmp/ln.py" "$tmp/ln.err"
sed 's/^/# /' "$tmp/ln.py"

# 5. Bad input.
bad() { # bad DESCRIPTION PATTERN ARGS...
    local desc=$1 pat=$2
    shift 2
    "$TYNDAU" calibrate "$tmp/c.ini" -o "$tmp/bad.h5" -q "$@" >/dev/null 2>"$tmp/bad.err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pat" "$tmp/bad.err" && [ ! -e "$tmp/bad.h5" ]
    check "bad input: $desc (exit $rc)" $? "$tmp/bad.err"
}
bad "an unknown family" "--leave-out 'table3': expected a question family, one of table6, table7, principles" \
    --leave-out table3
bad "--leave-out with --sbc" "--leave-out and --sbc: expected one of them" --leave-out all --sbc 2

finish
