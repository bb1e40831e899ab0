#!/usr/bin/env bash
# bench/calibrate.sh TYNDAU: run the default calibration and the held-out checks, and write the
# "Calibration" section of BENCHMARKS.md (the rest of the file is bench/run.sh's).
#
#   make bench-calibrate        (about 30-40 minutes on 2 cores: three calibrations)
#   bash bench/calibrate.sh build/tyndau default    (only the default calibration; the held-out
#                                                    figures are read from the last run's files)
#
# Each calibration runs once (a run is ten minutes or more; its own figures are deterministic
# for the seed, only its wall time varies).  Outputs go to out/: calib.h5 (+ _calibrated.ini,
# the values scenarios/baseline.ini takes), calib_ho_income.h5, calib_ho_age.h5.
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
    all | default) timed out/calib.h5 ;;
esac
case $which in
    all | holdouts)
        timed out/calib_ho_income.h5 --holdout aware_concept:income
        timed out/calib_ho_age.h5 --holdout aware_concept:age
        ;;
esac
read -r wall mem <out/calib.time
read -r wall_inc _ <out/calib_ho_income.time
read -r wall_age _ <out/calib_ho_age.time

section=$(CRN="$crn" "$python" - "$wall" "$mem" "$wall_inc" "$wall_age" "$calib" "$commit" <<'EOF'
import sys, h5py, numpy as np, datetime, platform, os
wall, mem, wall_inc, wall_age, calib, commit = sys.argv[1:]
f = h5py.File("out/calib.h5", "r")
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
w("- command: `tyndau calibrate %s -o out/calib.h5` (%s particles, %s agents per simulation, %s quantities, %s rank x %s threads)"
  % (calib, f.attrs["particles"], f.attrs["agents"], len(p["name"]), f.attrs["ranks"], f.attrs["threads_per_rank"]))
w("")
w("| figure | measured | goal |")
w("|---|---|---|")
w("| wall time, whole command | %.0f s (%.1f min) | <= 30 min |" % (float(wall), float(wall) / 60))
w("| status | %s after %d generations | complete |" % (f.attrs["status"], n_gen))
w("| simulations (SMC + %d predictive) | %d + %d | |" % (q.attrs["draws"], sims, q.attrs["draws"]))
w("| simulations per second (2 cores) | %.1f | |" % ((sims + q.attrs["draws"]) / float(wall)))
w("| peak resident memory | %.0f MiB | |" % (float(mem) / 1024))
w("| fitted cells inside their 90%% posterior predictive interval | %d of %d (%.1f%%) | >= 95%% |"
  % (q.attrs["n_inside_fitted"], q.attrs["n_fitted_cells"], 100.0 * q.attrs["n_inside_fitted"] / q.attrs["n_fitted_cells"]))
w("| mean absolute error, fitted cells (population median vs observed) | %.2f pp | |" % q.attrs["mae_fitted"])
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
w("Held-out validation (`--holdout`): the model's population median against the null model that")
w("predicts each group by its total row, mean absolute error over the held-out cells:")
w("")
w("| held out | wall time | held-out cells inside 90% interval | model MAE | null MAE | fitted cells inside |")
w("|---|---|---|---|---|---|")
for name, wt in (("income", wall_inc), ("age", wall_age)):
    h = h5py.File("out/calib_ho_%s.h5" % name, "r")["predictive"]
    w("| aware_concept:%s | %.0f s | %d of %d | %.2f pp | %.2f pp | %d of %d |"
      % (name, float(wt), h.attrs["n_inside_holdout"], h.attrs["n_holdout_cells"],
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
