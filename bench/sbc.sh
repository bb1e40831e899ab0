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
# the sampler's settings, from the calibration file's text stored in the SBC file (absent key: default)
import re
text = f.attrs["calibration_text"]
text = text.decode() if isinstance(text, bytes) else text
keys = {"moves": "2", "surrogate_steps": "0", "ess_fraction": "0.5"}
for line in text.splitlines():
    m = re.match(r"\s*(moves|surrogate_steps|ess_fraction)\s*=\s*([^;#]*)", line)
    if m: keys[m.group(1)] = m.group(2).strip()
print("Sampler: `moves = %s`, `surrogate_steps = %s`, `ess_fraction = %s` (from the calibration file the SBC "
      "ran with).\n" % (keys["moves"], keys["surrogate_steps"], keys["ess_fraction"]))
print("| quantity | coverage 50% | coverage 90% | rank histogram (10 bins) |")
print("|---|---|---|---|")
for i, n in enumerate(g["quantity"][()]):
    h = " ".join(str(v) for v in g["rank_histogram"][i])
    print("| %s | %.2f | %.2f | %s |" % (n.decode(), g["coverage50"][i], g["coverage90"][i], h))
c90 = g["coverage90"][:]
n_ok = int(f.attrs["surveys_complete"])
print("\nThe coverage of the nominal 90%% intervals lies in [0.80, 0.97] for %d of %d quantities (with %d "
      "completed surveys one coverage has a binomial sd of about %.2f)."
      % (((c90 >= 0.80) & (c90 <= 0.97)).sum(), len(c90), n_ok, (0.09 / max(n_ok, 1)) ** 0.5))
import numpy as np
from math import comb
ok = g["status"][:] == 0
if ok.any():
    N = int(f.attrs["particles"])
    b = np.minimum(g["rank"][:][ok] * 10 // (N + 1), 9)
    print("\nPooled over the quantities and surveys: 90%% coverage %.3f, 50%% coverage %.3f; rank histogram %s."
          % (g["inside90"][:][ok].mean(), g["inside50"][:][ok].mean(), " ".join(str((b == k).sum()) for k in range(10))))
    # the band's chance for an exact sampler: each coverage Binomial(n_ok, 0.9)/n_ok, the quantities independent
    p1 = sum(comb(n_ok, k) * 0.9 ** k * 0.1 ** (n_ok - k) for k in range(n_ok + 1) if 0.80 * n_ok - 1e-9 <= k <= 0.97 * n_ok + 1e-9)
    print("For an exact sampler, one quantity's coverage would fall in [0.80, 0.97] with probability %.3f at %d "
          "surveys, and all %d with probability %.2g (independent quantities)." % (p1, n_ok, len(c90), p1 ** len(c90)))
    if "loglik_rank_histogram" in g:
        print("The joint test quantity (the log-likelihood at the truth and its simulation, ranked among the final "
              "particles' own; uniform for an exact sampler, piled high when the refits miss the truth's fit): "
              "histogram %s; the truth's minus the particles' median log-likelihood, median %.2f."
              % (" ".join(str(v) for v in g["loglik_rank_histogram"][:]),
                 np.median(g["loglik_truth"][:][ok] - g["loglik_median"][:][ok])))
PY
} >out/sbc.md
cat out/sbc.md
bash bench/section.sh "Simulation-based calibration" out/sbc.md
