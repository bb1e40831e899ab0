#!/usr/bin/env bash
# test_compare.sh: end-to-end tests of scenario files (inheritance, dated changes), `tyndau
# compare` and analysis/report.py (with a headless-chromium check of the page).
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_compare.sh
#
# Run from the repository root.  Needs h5diff and python3 with h5py/numpy/matplotlib;
# mpirun for the MPI check and chromium for the browser check (each reported as skipped
# without it).  Models have 3,000 agents: about a minute on two cores.
# Last line: "compare: N passed, M failed, K skipped".
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init compare

sc=$tmp/sc
mkdir -p "$sc"
cp "$ROOT/scenarios/baseline.ini" "$sc/"
printf '[scenario]\nname = same\nbase = baseline.ini\n' >"$sc/same.ini"
# a scenario whose dated change is a no-op: the same parameters, so the same numbers
printf '[scenario]\nname = same_dated\nbase = baseline.ini\n[from 2020-05-01]\ndetection = 0\n' >"$sc/same_dated.ini"
cp "$ROOT/scenarios/anti_corruption.ini" "$ROOT/scenarios/help_centres.ini" "$sc/"

# ---------------------------------------------------------------------------
# 1. Bad scenarios: exit 2, file and line named, nothing written.
# ---------------------------------------------------------------------------
expect_bad() { # DESCRIPTION PATTERN FILE...
    local desc=$1 pat=$2
    shift 2
    rm -f "$tmp/bad.h5"*
    "$TYNDAU" compare "$@" -r 2 -n 500 -q -o "$tmp/bad.h5" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q -- "$pat" "$tmp/err" && ! ls "$tmp"/bad.h5* >/dev/null 2>&1
    check "bad input: $desc (exit $rc)" $? "$tmp/err"
}
printf '[scenario]\nbase = no-such.ini\n' >"$sc/orphan.ini"
expect_bad "a missing base file" "orphan.ini:2: key 'base': cannot read '$sc/no-such.ini'" \
    "$sc/baseline.ini" "$sc/orphan.ini"
printf '[scenario]\nbase = loop_b.ini\n' >"$sc/loop_a.ini"
printf '[scenario]\nbase = loop_a.ini\n' >"$sc/loop_b.ini"
expect_bad "circular inheritance" "loop_b.ini:2: key 'base': circular inheritance: .*loop_a.ini -> .*loop_b.ini -> .*loop_a.ini" \
    "$sc/baseline.ini" "$sc/loop_a.ini"
printf '[scenario]\nbase = baseline.ini\n\n[from 2024-01-01]\ndetection = 0.5\n' >"$sc/late.ini"
expect_bad "a dated change outside the simulated period" \
    "late.ini:5: dated change of 'detection' on 2024-01-01: expected a date in the simulated period, 2019-08-01 to 2021-08-15" \
    "$sc/baseline.ini" "$sc/late.ini"
printf '[scenario]\nbase = baseline.ini\n[state]\ncorruption_mean = 0.1\ncorruption_meen = 0.1\n' >"$sc/typo.ini"
expect_bad "an unknown key" "typo.ini:5: unknown parameter 'corruption_meen' (did you mean 'corruption_mean'?)" \
    "$sc/baseline.ini" "$sc/typo.ini"
printf '[scenario]\nbase = baseline.ini\n[from 2020-01-01]\nbogus = 1\n' >"$sc/typo2.ini"
expect_bad "an unknown key in a dated section" "typo2.ini:4: unknown parameter 'bogus'" "$sc/baseline.ini" "$sc/typo2.ini"
printf '[scenario]\nbase = baseline.ini\n[schedule]\nend_date = 2021-12-31\n' >"$sc/longer.ini"
expect_bad "scenarios over different periods" "expected scenarios over the same period" \
    "$sc/baseline.ini" "$sc/longer.ini"

# ---------------------------------------------------------------------------
# 2. A scenario identical to the baseline: exactly zero difference under common random
#    numbers (inherited, and with a dated change to the value it had).
# ---------------------------------------------------------------------------
"$TYNDAU" compare "$sc/baseline.ini" "$sc/same.ini" "$sc/same_dated.ini" "$sc/anti_corruption.ini" \
    -r 4 -n 3000 -s 5 -t 2 -o "$tmp/c2.h5" >"$tmp/c2.out" 2>"$tmp/c2.err"
check "compare runs (4 scenarios x 4 replicates)" $? "$tmp/c2.err"
"$PYTHON" - "$tmp/c2.h5" >"$tmp/zero.out" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
s = f["summary"]
y = f["runs/y"][:]
st = f["runs/status"][:]
assert (st == 0).all(), st
R = int(f.attrs["replicates"])
for k in (1, 2):
    d = y[k * R:(k + 1) * R] - y[:R]
    fin = np.isfinite(y[:R])
    assert (np.isfinite(y[k * R:(k + 1) * R]) == fin).all()
    assert (d[fin] == 0).all(), "scenario %d differs from the baseline" % k
    assert (s["diff_mean"][k][np.isfinite(s["diff_mean"][k])] == 0).all()
    assert (s["diff_halfwidth_paired"][k][np.isfinite(s["diff_halfwidth_paired"][k])] == 0).all()
# the policy does change things, and its measured difference is the paired mean
o = [x.decode() for x in f["runs/output"][:]].index("bribe_incidence:total:all")
d = y[3 * R:4 * R, o] - y[:R, o]
assert d.mean() < 0, d
assert abs(s["diff_mean"][3, o] - d.mean()) < 1e-12
assert s["diff_lo"][3, o] < s["diff_mean"][3, o] < s["diff_hi"][3, o]
print("zero difference for the identical scenarios; anti-corruption bribe difference", d.mean())
EOF
check "an identical scenario gives exactly zero difference under common random numbers" $? "$tmp/zero.out"
grep -q "same_dated.*+0.0000 \[  +0.0000,   +0.0000\]" "$tmp/c2.out"
check "the terminal table shows the zero difference" $? "$tmp/c2.out"

# ---------------------------------------------------------------------------
# 3. Reproducible: 1 thread = 2 threads (= 2 MPI ranks); --resume on a complete file does
#    nothing; --independent gives each run its own seed.
# ---------------------------------------------------------------------------
"$TYNDAU" compare "$sc/baseline.ini" "$sc/same.ini" "$sc/same_dated.ini" "$sc/anti_corruption.ini" \
    -r 4 -n 3000 -s 5 -t 1 -q -o "$tmp/c1.h5" 2>"$tmp/c1.err"
h5diff -q "$tmp/c1.h5" "$tmp/c2.h5" /runs /runs >"$tmp/d12" 2>&1 &&
    h5diff -q "$tmp/c1.h5" "$tmp/c2.h5" /summary /summary >>"$tmp/d12" 2>&1
check "1 and 2 threads give identical runs and summary" $? "$tmp/d12" "$tmp/c1.err"
if command -v mpirun >/dev/null && "$TYNDAU" --version | grep "with MPI" >/dev/null; then
    mpirun --allow-run-as-root --oversubscribe -np 2 "$TYNDAU" compare "$sc/baseline.ini" "$sc/same.ini" \
        "$sc/same_dated.ini" "$sc/anti_corruption.ini" -r 4 -n 3000 -s 5 -t 1 -q -o "$tmp/cm.h5" >"$tmp/cm.err" 2>&1
    h5diff -q "$tmp/c1.h5" "$tmp/cm.h5" /runs /runs >"$tmp/dm" 2>&1 &&
        h5diff -q "$tmp/c1.h5" "$tmp/cm.h5" /summary /summary >>"$tmp/dm" 2>&1
    check "2 MPI ranks give identical runs and summary" $? "$tmp/dm" "$tmp/cm.err"
else
    skip "2 MPI ranks (no mpirun, or a build without MPI)"
fi
cp "$tmp/c1.h5" "$tmp/c1.copy"
"$TYNDAU" compare "$sc/baseline.ini" "$sc/same.ini" "$sc/same_dated.ini" "$sc/anti_corruption.ini" \
    -r 4 -n 3000 -s 5 -t 1 -o "$tmp/c1.h5" --resume >"$tmp/res.out" 2>&1 &&
    grep -q "complete already" "$tmp/res.out" && cmp -s "$tmp/c1.h5" "$tmp/c1.copy"
check "--resume on a complete comparison does nothing" $? "$tmp/res.out"
"$TYNDAU" compare "$sc/baseline.ini" "$sc/same.ini" -r 3 -n 3000 -s 5 -q --independent -o "$tmp/ci.h5" 2>"$tmp/ci.err"
"$PYTHON" - "$tmp/ci.h5" >"$tmp/ind.out" 2>&1 <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["random_numbers"] in (b"independent", "independent")
y = f["runs/y"][:]
assert (y[3:6, 0] != y[0:3, 0]).all(), "independent seeds gave identical runs"
s = f["summary"]
# the difference is the difference of the means, its interval Welch's
assert abs(s["diff_mean"][1, 0] - (y[3:6, 0].mean() - y[0:3, 0].mean())) < 1e-12
assert abs((s["diff_hi"][1, 0] - s["diff_lo"][1, 0]) / 2 - s["diff_halfwidth_unpaired"][1, 0]) < 1e-12
print("ok")
EOF
check "--independent: own seeds, Welch intervals" $? "$tmp/ind.out" "$tmp/ci.err"

# ---------------------------------------------------------------------------
# 4. Provenance: the comparison records each scenario, its inherited files and dated changes.
# ---------------------------------------------------------------------------
"$TYNDAU" compare "$sc/baseline.ini" "$sc/help_centres.ini" -r 2 -n 2000 -q -o "$tmp/ch.h5" 2>"$tmp/ch.err"
"$PYTHON" - "$tmp/ch.h5" >"$tmp/prov.out" 2>&1 <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
t = lambda v: v.decode() if isinstance(v, bytes) else str(v)
sc = f["scenarios"]
assert [t(n) for n in sc["name"][:]] == ["baseline", "help_centres"]
assert "name = baseline" in t(sc["inherited"][1]), t(sc["inherited"][1])
assert t(sc["dated_changes"][1]) == "2020-01-01 help_skill = 0.5\n2020-01-01 help_access = 0.3\n", t(sc["dated_changes"][1])
for k in ("git_commit", "seed", "command_line", "version"):
    assert k in f.attrs, k
print("ok")
EOF
check "the comparison records scenarios, inherited files and dated changes" $? "$tmp/prov.out" "$tmp/ch.err"

# ---------------------------------------------------------------------------
# 5. Dated changes through the program: the run file lists them, and the change of a
#    campaign shows on its day in the time series (nobody aware before it, some on it).
# ---------------------------------------------------------------------------
cat >"$sc/campaign_only.ini" <<'EOF'
[scenario]
base = baseline.ini
[media]
media_president = 0
media_officials = 0
media_akims = 0
media_monitoring = 0
[diffusion]
wom_concept = 0
[from 2020-03-02]
campaign_targeted = 0.05
EOF
"$TYNDAU" run "$sc/campaign_only.ini" -n 20000 -q -o "$tmp/camp.h5" 2>"$tmp/camp.err"
"$PYTHON" - "$tmp/camp.h5" >"$tmp/camp.out" 2>&1 <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
t = lambda v: v.decode() if isinstance(v, bytes) else str(v)
dates = [t(d) for d in f["timeseries/date"][:]]
st = f["timeseries/state"][:, 0, :]
d = dates.index("2020-03-02")
n = int(f.attrs["agents"])
assert st[d - 1, 0] == n, "aware before the campaign"
assert st[d, 0] < n - 100, "nobody aware on the campaign's first day"
assert [t(x) for x in f["parameters/change_parameter"][:]] == ["campaign_targeted"]
assert [t(x) for x in f["parameters/change_date"][:]] == ["2020-03-02"]
print("aware on the first day:", n - st[d, 0])
EOF
check "a dated change takes effect on its day (run file, time series)" $? "$tmp/camp.out" "$tmp/camp.err"

# --series: weekly headline series by group beside the whole-run outputs, which it leaves alone
"$TYNDAU" compare "$sc/baseline.ini" "$sc/same.ini" -r 4 -n 3000 -s 5 -t 2 -q --series \
    -o "$tmp/cs.h5" 2>"$tmp/cs.err"
rc=$?
"$PYTHON" - "$tmp/cs.h5" "$tmp/c2.h5" >"$tmp/py.out" 2>&1 <<'EOF'
import sys, h5py, numpy as np
cs, c2 = sys.argv[1:]
def t(v):
    return v.decode() if isinstance(v, bytes) else str(v)
bad = []
with h5py.File(cs, "r") as f, h5py.File(c2, "r") as g:
    outs = [t(o) for o in f["runs/output"][()]]
    base = [t(o) for o in g["runs/output"][()]]
    n = len(base)
    if outs[:n] != base:
        bad.append("the whole-run outputs changed names or order")
    # the same two scenarios, seeds and agents as c2 (its first two scenarios): identical whole-run values
    y, y2 = f["runs/y"][()], g["runs/y"][()]
    R = int(f.attrs["replicates"])
    if not np.array_equal(y[:, :n], y2[:2 * R, :n], equal_nan=True):
        bad.append("--series changed the whole-run outputs")
    ser = [o for o in outs[n:]]
    weeks = sorted({o.split(":")[4] for o in ser})
    days = f["scenarios/parameter_value"][0, [t(p) for p in f["scenarios/parameter_name"][()]].index("end_date")] - \
        f["scenarios/parameter_value"][0, [t(p) for p in f["scenarios/parameter_name"][()]].index("start_date")] + 1
    if len(weeks) != (int(days) + 6) // 7:
        bad.append("%d weeks for %d days" % (len(weeks), days))
    if len(ser) != 4 * 10 * len(weeks) or not all(o.startswith("series:") for o in ser):
        bad.append("%d series outputs, expected 4 measures x 10 groups x %d weeks" % (len(ser), len(weeks)))
    # a share on the last week's last day is the whole run's end-of-run share
    for m in ("trust_local", "trust_central"):
        for grp in ("total:all", "income:low", "age:61+"):
            a = y[:, outs.index("%s:%s" % (m, grp))]
            b = y[:, outs.index("series:%s:%s:%s" % (m, grp, weeks[-1]))]
            if not np.array_equal(a, b):
                bad.append("series %s %s last week %r, whole run %r" % (m, grp, b, a))
    v = y[:, [i for i, o in enumerate(outs) if o.startswith("series:resolution_rate:")]]
    if not (np.nanmin(v) >= 0 and np.nanmax(v) <= 1):
        bad.append("a weekly resolution rate outside [0, 1]")
    if f["summary/mean"].shape[1] != len(outs):
        bad.append("summary does not cover the series")
print("\n".join(bad) or "%d series outputs, %d weeks" % (len(ser), len(weeks)))
sys.exit(1 if bad else 0)
EOF
[ "$rc" -eq 0 ]
check "compare --series: weekly series by group (4 measures x 10 groups x weeks), whole-run outputs bit-identical, last week's shares = the run's" $? "$tmp/py.out" "$tmp/cs.err"

# ---------------------------------------------------------------------------
# 6. The report: a small run and a comparison, rendered by headless chromium.
# ---------------------------------------------------------------------------
"$TYNDAU" run "$sc/baseline.ini" -n 5000 -q -o "$tmp/run.h5" 2>/dev/null
"$PYTHON" "$ROOT/analysis/report.py" "$tmp/run.h5" "$tmp/c2.h5" -o "$tmp/report.html" >"$tmp/rep.out" 2>&1
check "report.py writes a report from a run and a comparison" $? "$tmp/rep.out"
nfig=$(grep -o '[0-9]* figures' "$tmp/rep.out" | cut -d' ' -f1)
[ "${nfig:-0}" -ge 9 ] && [ "$(grep -c '<img class="fig"' "$tmp/report.html")" -eq "$nfig" ] &&
    grep -q "doi:10.1080/02634937.2023.2268652" "$tmp/report.html" && grep -q "The numbers plotted" "$tmp/report.html"
check "the report embeds $nfig figures, each with its table, and cites the survey" $? "$tmp/rep.out"
"$PYTHON" - "$tmp/report.html" "$ROOT/analysis" >"$tmp/py.out" 2>&1 <<'EOF'
import re, sys
page, analysis = sys.argv[1:]
s = open(page).read()
bad = []
h2 = re.findall(r"<h2[^>]*>([^<]*)</h2>", s)
if h2[:2] != ["Contents", "Policy summary"]:
    bad.append("the page does not open on the contents and the policy summary: %r" % h2[:3])
heads = re.findall(r"<h[234][^>]*>([^<]*)</h[234]>", s)
dup = sorted({h for h in heads if heads.count(h) > 1})
if dup:
    bad.append("headings repeated: %r" % dup)
order = [h for h in h2 if h in ("Policy summary", "Scenario comparisons", "Runs: survey fit and dynamics",
                                "Provenance")]
if order != ["Policy summary", "Scenario comparisons", "Runs: survey fit and dynamics", "Provenance"]:
    bad.append("section order %r" % order)
for a in re.findall(r'<a href="#(s\d+)">', s):
    if 'id="%s"' % a not in s:
        bad.append("contents link #%s has no target" % a)
summ = s[s.index("Policy summary"):s.index("Scenario comparisons</h2>")]
if not re.search(r"(raises|lowers|shortens|lengthens|no effect)", summ) or "95% CI" not in summ and "no effect" not in summ:
    bad.append("no plain-words effect in the summary")
figs = re.findall(r'<figure data-overlaps="(\d+)">', s)
if not figs or any(int(n) for n in figs):
    bad.append("tick labels overlap in figures: %r" % figs)
# the overlap count is not a constant: crowded labels are found
sys.path.insert(0, analysis)
import report
fig, ax = report.plt.subplots(figsize=(2, 2))
ax.set_xticks(range(30))
ax.set_xticklabels(["label %d" % i for i in range(30)], fontsize=10)
if report.tick_overlaps(fig) < 10:
    bad.append("tick_overlaps misses 30 crowded labels")
ax.set_xticks([0, 29])
ax.set_xticklabels(["a", "b"])
if report.tick_overlaps(fig) != 0:
    bad.append("tick_overlaps finds overlaps in two labels far apart")
print("\n".join(bad) or "%d figures, %d headings" % (len(figs), len(heads)))
sys.exit(1 if bad else 0)
EOF
check "the report opens on the policy summary (pp, 95% CI, plain words), then comparisons, runs, provenance; contents, distinct headings, no overlapping tick labels" $? "$tmp/py.out"
cat >"$tmp/cal.ini" <<EOF
[calibration]
scenario = $sc/baseline.ini
agents = 2000
seed = 2
particles = 8
max_generations = 2
predictive_draws = 10
[priors]
prior_disengaged = uniform 0.05 0.4
EOF
"$TYNDAU" calibrate "$tmp/cal.ini" -o "$tmp/cal.h5" -q -t 1 >/dev/null 2>"$tmp/cal.err"
"$PYTHON" "$ROOT/analysis/report.py" "$tmp/cal.h5" -o "$tmp/cal.html" >"$tmp/rc.out" 2>&1 &&
    grep -q "report: .* 2 figures" "$tmp/rc.out" && grep -q '<h2 id="s[0-9]*">Calibration</h2>' "$tmp/cal.html"
check "report.py on a calibration file: posterior and predictive check" $? "$tmp/rc.out" "$tmp/cal.err"
"$PYTHON" "$ROOT/analysis/report.py" "$tmp/err" -o "$tmp/bad.html" >"$tmp/rb.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/bad.html" ] && grep -q "cannot read as HDF5" "$tmp/rb.out"
check "report.py: not an HDF5 file (exit $rc), nothing written" $? "$tmp/rb.out"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ]; then
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$tmp/chromium" --virtual-time-budget=10000 --dump-dom "file://$tmp/report.html" \
        >"$tmp/dom.html" 2>"$tmp/chromium.err"
    grep -q "data-figures=\"$nfig/$nfig\"" "$tmp/dom.html" && grep -q '<h2 id="s[0-9]*">Policy summary</h2>' "$tmp/dom.html"
    check "headless chromium loads the report and every figure renders ($nfig/$nfig)" $? "$tmp/chromium.err"
else
    skip "browser check (no chromium)"
fi

# ---------------------------------------------------------------------------
# 7. --posterior: replicate r of every scenario at particle[r] of a calibration's final
#    generation, and /mc_only at the posterior medians.  Known answers: an identical scenario
#    differs by exactly zero; each posterior run is the plain run of a scenario file that sets
#    the drawn values (and each /mc_only run that of one setting the medians); particles all
#    equal make the two sets of runs identical; a scenario that sets a calibrated parameter
#    keeps it.
# ---------------------------------------------------------------------------
cat >"$tmp/pcal.ini" <<EOF
[calibration]
scenario = $sc/baseline.ini
agents = 5000
seed = 7
particles = 16
max_generations = 30
predictive_draws = 10
[likelihood]
model = multinomial
[priors]
prior_disengaged = uniform 0.05 0.4
media_platform = loguniform 0.0002 0.005
prior_trust_local = uniform 0.3 0.9
EOF
"$TYNDAU" calibrate "$tmp/pcal.ini" -o "$tmp/pcal.h5" -q >/dev/null 2>"$tmp/pcal.err"
check "a small calibration for --posterior" $? "$tmp/pcal.err"
printf '[scenario]\nname = own_trust\nbase = baseline.ini\n[beliefs]\nprior_trust_local = 0.5\n' >"$sc/own_trust.ini"
P_SC=("$sc/baseline.ini" "$sc/same.ini" "$sc/anti_corruption.ini" "$sc/own_trust.ini")
"$TYNDAU" compare "${P_SC[@]}" -r 4 -n 3000 -s 5 -t 2 --posterior "$tmp/pcal.h5" -o "$tmp/p2.h5" \
    >"$tmp/p2.out" 2>"$tmp/p2.err" &&
    grep -q "sd .* posterior vs .* MC only (x" "$tmp/p2.out"
check "compare --posterior runs and prints both spreads" $? "$tmp/p2.err" "$tmp/p2.out"
"$TYNDAU" compare "${P_SC[@]}" -r 4 -n 3000 -s 5 -t 1 -q --posterior "$tmp/pcal.h5" -o "$tmp/p1.h5" 2>"$tmp/p1.err" &&
    h5diff -q "$tmp/p1.h5" "$tmp/p2.h5" /runs/y /runs/y && h5diff -q "$tmp/p1.h5" "$tmp/p2.h5" /mc_only/y /mc_only/y &&
    h5diff -q "$tmp/p1.h5" "$tmp/p2.h5" /summary /summary
check "compare --posterior: identical with 1 and 2 threads" $? "$tmp/p1.err"
"$PYTHON" "$ROOT/analysis/report.py" "$tmp/p2.h5" -o "$tmp/p2.html" >"$tmp/p2r.out" 2>&1 &&
    grep -q ">Parameter uncertainty (--posterior" "$tmp/p2.html" && grep -q "sd MC only" "$tmp/p2.html"
check "report.py on a --posterior comparison: the spreads with the posterior and Monte Carlo only" $? "$tmp/p2r.out"
# scenario files with replicate 1's drawn values, and with the medians
"$PYTHON" - "$tmp/pcal.h5" "$tmp/p2.h5" "$sc" >"$tmp/p3.out" 2>&1 <<'EOF'
import sys, h5py, numpy as np
cal, cmp, sc = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), sys.argv[3]
g = cal["generations"]
x = g["g%03d" % (g.attrs["n_generations"] - 1)]["x"][()]
names = [n.decode() for n in cal["priors/name"][()]]
p = cmp["posterior"]
par = [n.decode() for n in p["parameter"][()]]
k = p["particle"][()]
assert par == names, (par, names)
assert (p["value"][()] == x[k]).all(), "the drawn values are not the particles'"
assert (p["median"][()] == np.median(x, axis=0)).all(), "medians"
use = p["uses"][()]
assert use[:3].all() and use[3].tolist() == [int(n != "prior_trust_local") for n in par], use
y, m = cmp["runs/y"][()], cmp["mc_only/y"][()]
R = cmp.attrs["replicates"]
assert (y[R:2 * R] == y[:R]).all() and (m[R:2 * R] == m[:R]).all(), "an identical scenario differs"
s = cmp["summary"]
assert (s["diff_sd"][1] == 0).all() and (s["mc_diff_sd"][1] == 0).all()
assert not (y[:R] == m[:R]).all(), "posterior and median runs coincide"
for fn, vals in (("rep1.ini", p["value"][1]), ("med.ini", p["median"][()])):
    with open(sc + "/" + fn, "w") as f:
        f.write("".join("%s = %r\n" % (n, float(v)) for n, v in zip(par, vals)) + "[scenario]\nbase = baseline.ini\n")
print("ok")
EOF
check "compare --posterior: the drawn particles, their medians, which scenario takes which parameter" $? "$tmp/p3.out"
"$TYNDAU" compare "$sc/rep1.ini" -r 2 -n 3000 -s 5 -q -o "$tmp/rep1.h5" 2>"$tmp/rep1.err" &&
    "$TYNDAU" compare "$sc/med.ini" -r 2 -n 3000 -s 5 -q -o "$tmp/med.h5" 2>"$tmp/med.err" &&
    "$PYTHON" -c '
import sys, h5py
p, r, m = (h5py.File(a, "r") for a in sys.argv[1:4])
assert (r["runs/y"][1] == p["runs/y"][1]).all(), "replicate 1 is not the run at its particle"
assert (m["runs/y"][:2] == p["mc_only/y"][:2]).all(), "mc_only is not the run at the medians"
' "$tmp/p2.h5" "$tmp/rep1.h5" "$tmp/med.h5" >"$tmp/p4.out" 2>&1
check "compare --posterior: a replicate is the plain run at its particle's values, /mc_only the run at the medians" $? \
    "$tmp/p4.out" "$tmp/rep1.err" "$tmp/med.err"
# every particle the same: the posterior runs are the median runs, to the bit
cp "$tmp/pcal.h5" "$tmp/pone.h5"
"$PYTHON" -c '
import sys, h5py
f = h5py.File(sys.argv[1], "r+"); g = f["generations"]; x = g["g%03d" % (g.attrs["n_generations"] - 1)]["x"]
x[...] = x[0]
f.attrs.pop("content_digest", None)  # changed on purpose: not a damage
' "$tmp/pone.h5" &&
    "$TYNDAU" compare "$sc/baseline.ini" "$sc/anti_corruption.ini" -r 3 -n 3000 -s 5 -q --posterior "$tmp/pone.h5" \
        -o "$tmp/pone_cmp.h5" 2>"$tmp/pone.err" &&
    h5diff -q "$tmp/pone_cmp.h5" "$tmp/pone_cmp.h5" /runs/y /mc_only/y &&
    "$PYTHON" -c '
import sys, h5py, numpy as np
s = h5py.File(sys.argv[1], "r")["summary"]
r = s["spread_ratio"][1]
assert np.all((r == 1) | np.isnan(r)) and (s["diff_sd"][()] == s["mc_diff_sd"][()])[np.isfinite(s["diff_sd"][()])].all()
' "$tmp/pone_cmp.h5" >"$tmp/pone.out" 2>&1
check "compare --posterior: equal particles give the median runs exactly (spread ratio 1)" $? "$tmp/pone.err" "$tmp/pone.out"
expect_bad "--posterior with a comparison file" "--posterior: .*c2.h5: not a tyndau calibration file" \
    "$sc/baseline.ini" --posterior "$tmp/c2.h5"
cp "$tmp/pcal.h5" "$tmp/punfinished.h5"
"$PYTHON" -c 'import sys, h5py; f = h5py.File(sys.argv[1], "r+"); f.attrs["status"] = "budget_exhausted"; del f.attrs["content_digest"]' "$tmp/punfinished.h5"
expect_bad "--posterior with an unfinished calibration" \
    "--posterior: .*punfinished.h5: the calibration did not finish (status 'budget_exhausted'" \
    "$sc/baseline.ini" --posterior "$tmp/punfinished.h5"

finish
