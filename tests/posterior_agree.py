#!/usr/bin/python3
"""posterior_agree.py PLAIN.h5 OTHER.h5 PREFIX M: a sampler's extra moves (PREFIX surrogate: surrogate
transitions; obs: observation steps) leave the posterior where the plain random walk's is.

Checked: both calibrations complete; PLAIN has none of the moves (its PREFIX_scale and
PREFIX_acceptance NaN); OTHER's scale is NaN at generation 0 and one of the pilot's grid
2.38/sqrt(M) x 2^-6 .. 2^1 after it, its acceptance in (0, 1]; every quantity's posterior mean and
sd in OTHER equal PLAIN's within 3.5 standard errors (each run's particles counted as 1/4
independent draws: SMC's correlation).  Exit 1 (an AssertionError) when one does not hold."""
import sys

import h5py
import numpy as np

a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
prefix, m = sys.argv[3], int(sys.argv[4])
ga, gb = a["generations"], b["generations"]
assert a.attrs["status"] == "complete" and b.attrs["status"] == "complete"
assert np.all(np.isnan(ga[prefix + "_scale"][:])) and np.all(np.isnan(ga[prefix + "_acceptance"][:]))
sc, acc = gb[prefix + "_scale"][1:], gb[prefix + "_acceptance"][1:]
k = np.log2(sc / (2.38 / np.sqrt(m)))
assert np.isnan(gb[prefix + "_scale"][0]) and np.allclose(k, np.round(k), atol=1e-9) and k.min() >= -6 and k.max() <= 1, k
assert np.all((acc > 0) & (acc <= 1)), acc
names = [n.decode() for n in a["posterior/name"][:]]
xa = ga["g%03d" % (len(ga["beta"][:]) - 1)]["x"][:]
xb = gb["g%03d" % (len(gb["beta"][:]) - 1)]["x"][:]
assert xa.shape == xb.shape and xa.shape[1] == len(names)
ne, worst = len(xa) / 4.0, 0.0
for j, name in enumerate(names):
    ma, mb, sa, sb = xa[:, j].mean(), xb[:, j].mean(), xa[:, j].std(ddof=1), xb[:, j].std(ddof=1)
    zm = (mb - ma) / np.sqrt((sa ** 2 + sb ** 2) / ne)
    zs = np.log(sb / sa) / np.sqrt(1.0 / (ne - 1))
    print("%-24s mean %.4f vs %.4f (z %.2f), sd %.4f vs %.4f (z of the log ratio %.2f)" % (name, ma, mb, zm, sa, sb, zs))
    worst = max(worst, abs(zm), abs(zs))
print("%s chains: scale 2.38/sqrt(%d) x 2^%s, acceptance %s; simulations %d (plain %d); unique %d (plain %d)"
      % (prefix, m, np.round(k).astype(int), np.round(acc, 3), gb["simulations"][-1], ga["simulations"][-1],
         gb["unique"][-1], ga["unique"][-1]))
assert worst < 3.5, worst
