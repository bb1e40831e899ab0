#!/usr/bin/env bash
# bench/calibrate.sh TYNDAU [WHICH]: run the default calibration (a history match, then the SMC in
# its region) and, with WHICH = all, the SMC alone from the prior and the held-out checks; write
# the "Calibration" section of BENCHMARKS.md (the rest of the file is bench/run.sh's).
#
#   make bench-calibrate        (about 40-50 minutes on 2 cores: a history match, four calibrations)
#   bash bench/calibrate.sh build/tyndau default    (the history match and the SMC in its region
#                                                    only, about 12 minutes; the other rows are
#                                                    read from the last run's files, if any)
#
# Each calibration runs once (a run is minutes; its own figures are deterministic for the seed,
# only its wall time varies).  Outputs go to out/: hm.h5, calib.h5 (+ _calibrated.ini),
# calib_prior.h5, calib_ho_income.h5, calib_ho_age.h5.
set -euo pipefail
tyndau=${1:-build/tyndau}
which=${2:-all}
python=${PYTHON:-/usr/bin/python3}
calib=${CALIB:-calibration/baseline.ini}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':!BENCHMARKS.md' 2>/dev/null || commit="$commit-dirty"
mkdir -p out

timed() { # OUT.h5 ARGS...: run a calibration; its "wall_s peak_kib" go to OUT-stem.time
    local out=$1
    shift
    echo "bench: tyndau calibrate $calib -o $out $*" >&2
    /usr/bin/time -f "%e %M" -o "${out%.h5}.time" "$tyndau" calibrate "$calib" -o "$out" "$@" \
        >"${out%.h5}.out" 2>"${out%.h5}.err"
}

# common random numbers: how much of the model's noise cancels in a likelihood ratio
build=$(dirname "$tyndau")
make --no-print-directory -s BUILD="$build" "$build/bench/crn" # the program's flags
echo "bench: common random numbers (bench/crn.c)" >&2
crn=$("$build/bench/crn" 100000 16 0.0002 0.002 0.02)

case $which in
    all | default)
        timed out/hm.h5 --history-match
        timed out/calib.h5 --within out/hm.h5
        ;;
esac
case $which in
    all | holdouts)
        timed out/calib_prior.h5
        timed out/calib_ho_income.h5 --holdout aware_concept:income
        timed out/calib_ho_age.h5 --holdout aware_concept:age
        ;;
esac

section=$(CRN="$crn" "$python" - "$calib" "$commit" <<'EOF'
import sys, h5py, numpy as np, datetime, platform, os
calib, commit = sys.argv[1:]
def took(stem):
    """wall s and peak KiB of out/STEM's run, or None"""
    try:
        wall, kib = open("out/%s.time" % stem).read().split()
        return float(wall), float(kib)
    except (OSError, ValueError):
        return None
wall, mem = took("calib")
hm_wall, hm_mem = took("hm")
f = h5py.File("out/calib.h5", "r")
hm = h5py.File("out/hm.h5", "r")
g = f["generations"]
n_gen = int(g.attrs["n_generations"]) - 1
sims = int(g["simulations"][-1])
q = f["predictive"]
p = f["posterior"]
cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
out = []
w = out.append
w("## Calibration")
w("")
w("Written by `make bench-calibrate` (bench/calibrate.sh); one run each (a calibration takes minutes;")
w("its results are deterministic for its seed, only the wall time varies).")
w("")
w("- date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
w("- machine: %s, %d cores" % (cpu.split()[0] + " " + cpu.split()[1] if len(cpu.split()) > 1 else cpu, os.cpu_count()))
w("- commit: %s" % commit)
w("- commands: `tyndau calibrate %s --history-match -o out/hm.h5`, then `tyndau calibrate %s --within out/hm.h5 -o "
  "out/calib.h5` (%s particles, %s agents per simulation, %s quantities, %s rank x %s threads)"
  % (calib, calib, f.attrs["particles"], f.attrs["agents"], len(p["name"]), f.attrs["ranks"], f.attrs["threads_per_rank"]))
w("- load average at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
w("")
W = int(hm["waves"].attrs["n_waves"])
w("History match: %d waves (%s), %d agents, %d points x %d replicates a wave, cut at %s implausibility %g:"
  % (W, hm.attrs["stop"], hm.attrs["agents"], hm.attrs["runs_per_wave"], hm.attrs["replicates"], hm.attrs["measure"],
     hm.attrs["cutoff"]))
w("")
w("| wave | points | non-implausible share of the prior | how | runs non-implausible | valid emulators | LOO errors beyond 3 (largest cell) | seconds |")
w("|---|---|---|---|---|---|---|---|")
for k in range(1, W + 1):
    a = hm["waves/w%02d" % k]
    lv = int(a.attrs["subset_levels"])
    how = ("counted on %d samples" % hm.attrs["samples"] if "subset" not in str(a.attrs["share_method"])
           else "counted on the region's sample" if lv == 0
           else "subset simulation, %d level%s" % (lv, "s" if lv > 1 else ""))
    m = a["measure"][:]
    w("| %d | %d | %.3g | %s | %d of %d | %d of %d | %.1f%% | %.0f |"
      % (k, a.attrs["points"], a.attrs["non_implausible_share"], how, int((m <= hm.attrs["cutoff"]).sum()), len(m),
         a.attrs["valid_emulators"], len(a["valid"][:]), 100 * np.nanmax(a["loo_beyond3"][:]), a.attrs["seconds"]))
last = hm["waves/w%02d" % W]
c = hm["cells"]
lab = ["%s %s %s" % (c["question"][i].decode(), c["group"][i].decode(), c["response"][i].decode()) for i in range(len(c["z"][:]))]
un = [lab[i] for i in np.flatnonzero(last["unreachable"][:])]
b = last["share_beyond_cutoff"][:]
top = [i for i in np.argsort(-np.nan_to_num(b, nan=-1.0), kind="stable")[:3] if b[i] > 0]
w("")
w("Cells the model cannot reach: %s. The cells that rule out most of wave %d's region: %s."
  % ("; ".join(un) if un else "none", W, "; ".join("%s (%.0f%% of its points)" % (lab[i], 100 * b[i]) for i in top)))
w("")
w("| figure | measured | goal |")
w("|---|---|---|")
w("| wall time: history match + SMC in its region | %.0f s + %.0f s = %.1f min | <= 30 min |"
  % (hm_wall, wall, (hm_wall + wall) / 60))
w("| status | %s after %d generations | complete |" % (f.attrs["status"], n_gen))
w("| simulations (SMC + %d predictive) | %d + %d | |" % (q.attrs["draws"], sims, q.attrs["draws"]))
w("| simulations per second (2 cores) | %.1f | |" % ((sims + q.attrs["draws"]) / float(wall)))
w("| peak resident memory: history match / SMC | %.0f / %.0f MiB | |" % (hm_mem / 1024, mem / 1024))
w("| fitted cells inside their 90%% posterior predictive interval | %d of %d (%.1f%%) | >= 95%% |"
  % (q.attrs["n_inside_fitted"], q.attrs["n_fitted_cells"], 100.0 * q.attrs["n_inside_fitted"] / q.attrs["n_fitted_cells"]))
w("| mean absolute error, fitted cells (population median vs observed) | %.2f pp | |" % q.attrs["mae_fitted"])
if "n_inside95_fitted_sampling_deff1" in q.attrs:
    w("| fitted cells inside their 95%% intervals: with the discrepancy / survey sampling alone at design effect %g "
      "(1 / 2) | %d / %d (%d / %d) of %d | |"
      % (f["observation"].attrs["design_effect"], q.attrs["n_inside95_fitted"], q.attrs["n_inside95_fitted_sampling_only"],
         q.attrs["n_inside95_fitted_sampling_deff1"], q.attrs["n_inside95_fitted_sampling_deff2"], q.attrs["n_fitted_cells"]))
if "n_inside_fitted_sampling_only" in q.attrs:
    w("| the same intervals without the model-error term (survey sampling only): cells inside | %d of %d | |"
      % (q.attrs["n_inside_fitted_sampling_only"], q.attrs["n_fitted_cells"]))
    wd = np.median(q["hi90_sampling_only"][:] - q["lo90_sampling_only"][:])
else:
    wd = float("nan")
w("| median width of the 90%% predictive intervals: with model error / sampling only | %.1f / %.1f pp | |"
  % (np.median(q["hi90"][:] - q["lo90"][:]), wd))
conc = [i for i, n in enumerate(p["name"][:]) if n.decode() == "concentration"]
if conc:
    a_med = p["median"][conc[0]]
    w("| Dirichlet-multinomial concentration A (model error; variance x (1200 + A)/(1 + A) for n = 1200) | %.0f (x%.0f) | |"
      % (a_med, (1200 + a_med) / (1 + a_med)))
w("")
w("Tolerance schedule (1/beta per generation): %s." % ", ".join("%.3g" % t for t in g["tolerance"][1:]))
w("")
w("Posterior (median and 90% interval; width ratio = posterior 90% width / prior 90% width):")
w("")
w("| quantity | median | 90% interval | width ratio |")
w("|---|---|---|---|")
for i, n in enumerate(p["name"][:]):
    w("| %s | %.4g | [%.4g, %.4g] | %.2f |" % (n.decode(), p["median"][i], p["q05"][i], p["q95"][i], p["width_ratio"][i]))
w("")
if took("calib_prior") and os.path.exists("out/calib_prior.h5"):
    pf = h5py.File("out/calib_prior.h5", "r")
    pg = pf["generations"]
    w("The SMC alone from the prior (`tyndau calibrate %s -o out/calib_prior.h5`, %s): %d generations, %d "
      "simulations, %.0f s; final log-likelihood median %.2f, best %.2f (in the region: %.2f, %.2f)."
      % (calib, pf.attrs["git_commit"], int(pg.attrs["n_generations"]) - 1, int(pg["simulations"][-1]),
         took("calib_prior")[0], pg["loglik_median"][-1], pg["loglik_max"][-1], g["loglik_median"][-1], g["loglik_max"][-1]))
    w("")
ho = [(n, took("calib_ho_" + n)) for n in ("income", "age")]
if all(t for _, t in ho) and all(os.path.exists("out/calib_ho_%s.h5" % n) for n, _ in ho):
    w("Held-out validation (`--holdout`, the SMC from the prior): the model's population median against the null")
    w("model that predicts each group by its total row, mean absolute error over the held-out cells:")
    w("")
    w("| held out | wall time | held-out cells inside 90% interval | model MAE | null MAE | fitted cells inside |")
    w("|---|---|---|---|---|---|")
    for name, t in ho:
        h = h5py.File("out/calib_ho_%s.h5" % name, "r")["predictive"]
        w("| aware_concept:%s | %.0f s | %d of %d | %.2f pp | %.2f pp | %d of %d |"
          % (name, t[0], h.attrs["n_inside_holdout"], h.attrs["n_holdout_cells"],
             h.attrs["mae_holdout_vs_null_model"], h.attrs["mae_holdout_null"],
             h.attrs["n_inside_fitted"], h.attrs["n_fitted_cells"]))
    w("")
w("Common random numbers (`bench/crn.c`, 16 seeds, 100,000 agents, baseline against prior_disengaged + delta")
w("and media_platform x (1 + delta)): SD over seeds of the log-likelihood difference with the same seed and")
w("with independent seeds.")
w("")
w("| delta | SD, same seed | SD, independent seeds | SD of the log-likelihood |")
w("|---|---|---|---|")
for line in os.environ["CRN"].splitlines():
    kv = dict(x.split("=") for x in line.split()[1:])
    w("| %s | %s | %s | %s |" % (kv["delta"], kv["sd_same_seed"], kv["sd_independent"], kv["sd_loglik"]))
print("\n".join(out))
EOF
)

printf '%s\n' "$section" >out/.calibration-section.md
bash bench/section.sh Calibration out/.calibration-section.md
rm -f out/.calibration-section.md
echo "bench: wrote the Calibration section of BENCHMARKS.md" >&2
