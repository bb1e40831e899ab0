#!/usr/bin/python3
"""Independent SMC replicates compared quantile by quantile (issue 13, item 3).

    /usr/bin/python3 analysis/replicates.py CALIB1.h5 CALIB2.h5 [CALIB3.h5 ...] [--csv OUT.csv]

Each file is a calibration (`tyndau calibrate`) of the same calibration file with another seed
(`seed =` in [calibration]).  For every calibrated quantity and every pair of replicates, the
difference of the final particles' 5, 25, 50, 75 and 95% quantiles, in units of the pooled
posterior SD (all replicates' final particles together).  Replicates that sample the same
posterior differ only by the SMC's Monte Carlo error: for N independent particles the SE of a
median is about 1.2533 / sqrt(N) SDs, so two replicates' medians differ by more than
3 sqrt(2) 1.2533 / sqrt(N) rarely; SMC particles are not independent (resampling duplicates
them), so that bound is a lower one, and a quantity beyond it is flagged, not proven wrong.

Why a script and not `tyndau calibrate --replicates R`: the replicates are ordinary calibrations
(with their own resume, MPI and failure records, and the ones already run can be compared), and
the comparison is a few lines of arithmetic on their files; a command would repeat the
calibration's flow R times for nothing the files do not already hold.

Exit status 0, or 2 for a file that is not a calibration of the same quantities.
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tyndau_h5  # noqa: E402

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def final_particles(path):
    """(names, particles [N][d], status, seed) of a calibration file's last generation."""
    with h5py.File(path, "r") as f:
        tyndau_h5.check(f, path, ("tyndau-calibration",))
        names = [tyndau_h5.text(s) for s in f["priors/name"][()]]
        g = f["generations"]
        last = "g%03d" % (int(g.attrs["n_generations"]) - 1)
        return names, g[last]["x"][()], tyndau_h5.text(f.attrs["status"]), tyndau_h5.text(f.attrs["seed_text"])


def compare(reps):
    """Per quantity: the quantiles of each replicate, the pooled SD, and the largest difference
    of each quantile over the pairs, in pooled SDs.  reps: list of particle arrays [N][d]."""
    allx = np.concatenate(reps, axis=0)
    sd = allx.std(axis=0, ddof=1)
    q = np.array([np.quantile(x, QUANTILES, axis=0) for x in reps])  # [R][Q][d]
    diff = np.zeros((len(QUANTILES), allx.shape[1]))
    for i in range(len(reps)):
        for j in range(i + 1, len(reps)):
            with np.errstate(divide="ignore", invalid="ignore"):
                dq = np.abs(q[i] - q[j]) / sd
            diff = np.maximum(diff, np.nan_to_num(dq, nan=0.0))
    return q, sd, diff


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", help="calibration files of the same calibration, other seeds")
    ap.add_argument("--csv", help="write quantity, quantile, max_difference_sd rows")
    a = ap.parse_args(argv)
    if len(a.files) < 2:
        raise tyndau_h5.InputError("expected at least two calibration files, got %d" % len(a.files))
    if a.csv:
        tyndau_h5.check_output(a.csv, a.files)
    names, reps = None, []
    for p in a.files:
        n, x, status, seed = final_particles(p)
        if names is not None and n != names:
            raise tyndau_h5.InputError("%s: calibrates other quantities than %s; expected the same calibration file"
                                       % (p, a.files[0]))
        names = n
        reps.append(x)
        print("%s: seed %s, %s, %d particles" % (p, seed, status, x.shape[0]))
    q, sd, diff = compare(reps)
    N = min(x.shape[0] for x in reps)
    bound = 3.0 * np.sqrt(2.0) * 1.2533 / np.sqrt(N)
    print("\nlargest difference between replicates of each quantile, in pooled posterior SDs "
          "(flag: median beyond %.2f, 3 SE of independent particles)" % bound)
    print("%-30s %10s " % ("quantity", "pooled SD") + " ".join("%6s" % ("q%02d" % round(100 * p)) for p in QUANTILES))
    flagged = 0
    for k, n in enumerate(names):
        bad = diff[2, k] > bound
        flagged += bad
        print("%-30s %10.4g " % (n, sd[k]) + " ".join("%6.2f" % diff[i, k] for i in range(len(QUANTILES)))
              + ("  beyond" if bad else ""))
    print("\n%d of %d quantities with medians further apart than %.2f SD; mean over quantities of the largest "
          "median difference %.2f SD" % (flagged, len(names), bound, diff[2].mean()))
    if a.csv:
        with tyndau_h5.writing(a.csv, a.files, binary=False) as fh:
            w = csv.writer(fh)
            w.writerow(["quantity", "quantile", "max_difference_sd", "pooled_sd"])
            for k, n in enumerate(names):
                for i, p in enumerate(QUANTILES):
                    w.writerow([n, p, "%.6g" % diff[i, k], "%.6g" % sd[k]])
    return 0


if __name__ == "__main__":
    sys.exit(tyndau_h5.run(os.path.basename(sys.argv[0]), main))
