#!/usr/bin/env bash
# bench/sbc.sh TYNDAU: simulation-based calibration of the default calibration (Talts et al.
# 2018): SURVEYS (default 20) synthetic surveys from prior draws, each refitted with the default
# calibration's settings, into out/sbc.h5; prints the coverage of the 50% and 90% intervals and
# the rank histogram per quantity as a Markdown table with the wall time: out/sbc.md and the
# "Simulation-based calibration" section of BENCHMARKS.md.
#
#   make bench-sbc                       (20 full calibrations: about 20 x 30 minutes on 2 cores;
#                                         a cluster job, not a laptop one)
#   SURVEYS=40 CALIB=calibration/baseline_multinomial.ini bash bench/sbc.sh build/tyndau
#   WITHIN=out/hm.h5 make bench-sbc      (the default calibration's second step: truths from the
#                                         history match's region, refits by the SMC within it;
#                                         about 20 x 3 minutes on 2 cores; out/hm.h5 from
#                                         bench-calibrate)
#   RESUME=1 make bench-sbc              (after a stop or a kill: the surveys done are kept;
#                                         the wall time printed is then the last leg's)
#
# Issue 13's target: the coverage of nominal 90% intervals between 80% and 97% for every
# calibrated quantity.
set -euo pipefail
tyndau=${1:-build/tyndau}
python=${PYTHON:-/usr/bin/python3}
calib=${CALIB:-calibration/baseline.ini}
surveys=${SURVEYS:-20}
resume=()
[ "${RESUME:-0}" = 1 ] && resume=(--resume)   # continue out/sbc.h5.partial (a stopped or killed run)
[ -n "${WITHIN:-}" ] && resume+=(--within "$WITHIN")   # the SBC of the SMC in a history match's region
mkdir -p out
echo "bench: tyndau calibrate $calib --sbc $surveys -o out/sbc.h5 ${resume[*]}" >&2
/usr/bin/time -f "%e %M" -o out/sbc.time "$tyndau" calibrate "$calib" --sbc "$surveys" -o out/sbc.h5 \
    "${resume[@]}" >out/sbc.out 2>out/sbc.err
{ printf '## Simulation-based calibration\n\nWritten by `make bench-sbc` (bench/sbc.sh).\n\n'
"$python" - out/sbc.h5 out/sbc.time "$calib" "${WITHIN:-}" <<'PY'

import sys, h5py
f = h5py.File(sys.argv[1], "r")
wall, kib = open(sys.argv[2]).read().split()
g = f["sbc"]
print("Simulation-based calibration of `%s`%s: %d synthetic surveys (%d refits complete), %d particles x %d "
      "agents; %.0f s wall for the last leg, %.0f s over the surveys' refits, %.0f MiB peak (commit %s)\n"
      % (sys.argv[3], " within the region of `%s`" % sys.argv[4] if sys.argv[4] else "", f.attrs["surveys"],
         f.attrs["surveys_complete"], f.attrs["particles"], f.attrs["agents"],
         float(wall), g["seconds"][:].sum(), int(kib) / 1024, f.attrs["git_commit"]))
print("| quantity | coverage 50% | coverage 90% | rank histogram (10 bins) |")
print("|---|---|---|---|")
for i, n in enumerate(g["quantity"][()]):
    h = " ".join(str(v) for v in g["rank_histogram"][i])
    print("| %s | %.2f | %.2f | %s |" % (n.decode(), g["coverage50"][i], g["coverage90"][i], h))
c90 = g["coverage90"][:]
print("\nThe coverage of the nominal 90%% intervals lies in [0.80, 0.97] for %d of %d quantities (with %d "
      "completed surveys one coverage has a binomial sd of about %.2f)."
      % (((c90 >= 0.80) & (c90 <= 0.97)).sum(), len(c90), f.attrs["surveys_complete"],
         (0.09 / max(int(f.attrs["surveys_complete"]), 1)) ** 0.5))
PY
} >out/sbc.md
cat out/sbc.md
bash bench/section.sh "Simulation-based calibration" out/sbc.md
