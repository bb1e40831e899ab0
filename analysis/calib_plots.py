#!/usr/bin/python3
"""Plots of a tyndau calibration file (tyndau calibrate ... -o calib.h5).

    /usr/bin/python3 analysis/calib_plots.py out/calib.h5 -o out/calib

writes
    PREFIX_marginals.png   posterior histogram of every calibrated quantity over its prior range
    PREFIX_pairs.png       pairwise scatter of the posterior particles (strongest correlations first)
    PREFIX_predictive.png  every published cell: observed value and the 90% posterior predictive
                           interval, held-out cells marked
    PREFIX_generations.png tolerance (1/beta), acceptance rate and simulations per generation

Survey figures: Kurmanov, Selteyev & Almaganbetov (2024), Central Asian Survey 43(2),
235-256, doi:10.1080/02634937.2023.2268652.  Exit status 2 for a missing or wrong file.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tyndau_h5  # noqa: E402
import numpy as np  # noqa: E402

CITE = ("Survey: Kurmanov, Selteyev & Almaganbetov (2024), Central Asian Survey 43(2), "
        "doi:10.1080/02634937.2023.2268652")


text = tyndau_h5.text


def load(path):
    try:
        f = tyndau_h5.open_file(path)
    except OSError as e:
        print("calib_plots.py: %s: cannot open as HDF5: %s" % (path, e), file=sys.stderr)
        sys.exit(2)
    try:
        tyndau_h5.check(f, path, ("tyndau-calibration",))
    except tyndau_h5.SchemaError as e:
        print("calib_plots.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    if "posterior" not in f:
        print("calib_plots.py: %s: no /posterior (an unfinished calibration?)" % path, file=sys.stderr)
        sys.exit(2)
    return f


def marginals(f, out):
    names = [text(n) for n in f["priors/name"][:]]
    shapes = [text(s) for s in f["priors/shape"][:]]
    lo, hi = f["priors/lo"][:], f["priors/hi"][:]
    n_gen = int(f["generations"].attrs["n_generations"])
    x = f["generations/g%03d/x" % (n_gen - 1)][:]
    med = f["posterior/median"][:]
    q05, q95 = f["posterior/q05"][:], f["posterior/q95"][:]
    d = len(names)
    cols = 4
    rows = (d + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.6 * rows), squeeze=False)
    for k in range(rows * cols):
        ax = axes[k // cols][k % cols]
        if k >= d:
            ax.axis("off")
            continue
        log = shapes[k] == "loguniform"
        bins = np.geomspace(lo[k], hi[k], 31) if log else np.linspace(lo[k], hi[k], 31)
        ax.hist(x[:, k], bins=bins, color="#4477aa", alpha=0.85)
        ax.axvline(med[k], color="k", lw=1)
        ax.axvspan(q05[k], q95[k], color="#cccccc", alpha=0.5, zorder=0)
        if log:
            ax.set_xscale("log")
        ax.set_xlim(lo[k], hi[k])
        ax.set_title("%s (%s prior)" % (names[k], shapes[k]), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Posterior marginals over the prior range (median, 90%% interval shaded); seed %s\n%s"
                 % (text(f.attrs["seed_text"]), CITE), fontsize=9)
    fig.tight_layout()
    save(fig, out)
    plt.close(fig)


def pairs(f, out, n_pairs=12):
    names = [text(n) for n in f["priors/name"][:]]
    shapes = [text(s) for s in f["priors/shape"][:]]
    n_gen = int(f["generations"].attrs["n_generations"])
    x = f["generations/g%03d/x" % (n_gen - 1)][:].copy()
    for k, s in enumerate(shapes):
        if s == "loguniform":
            x[:, k] = np.log10(x[:, k])
    c = f["posterior/correlation"][:]
    d = len(names)
    order = sorted(((abs(c[a, b]), a, b) for a in range(d) for b in range(a + 1, d)), reverse=True)
    order = order[:n_pairs]
    cols = 4
    rows = max(1, (len(order) + cols - 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for i in range(rows * cols):
        ax = axes[i // cols][i % cols]
        if i >= len(order):
            ax.axis("off")
            continue
        r, a, b = order[i]
        ax.scatter(x[:, a], x[:, b], s=5, alpha=0.5, color="#4477aa")
        lab = lambda k: names[k] + (" (log10)" if shapes[k] == "loguniform" else "")  # noqa: E731
        ax.set_xlabel(lab(a), fontsize=7)
        ax.set_ylabel(lab(b), fontsize=7)
        ax.set_title("r = %+.2f" % c[a, b], fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Posterior pairs, strongest correlations first\n" + CITE, fontsize=9)
    fig.tight_layout()
    save(fig, out)
    plt.close(fig)


def predictive(f, out):
    q = f["predictive"]
    obs, med = q["observed"][:], q["median"][:]
    lo, hi = q["lo90"][:], q["hi90"][:]
    fitted = q["fitted"][:].astype(bool)
    inside = q["inside"][:].astype(bool)
    labels = ["%s | %s | %s" % (text(a), text(b), text(c)) for a, b, c in
              zip(q["question"][:], q["group"][:], q["response"][:])]
    n = len(obs)
    fig, ax = plt.subplots(figsize=(9, 0.19 * n + 1.5))
    y = np.arange(n)[::-1]
    ax.hlines(y, lo, hi, color=np.where(fitted, "#4477aa", "#ee7733"), lw=3, alpha=0.6,
              label="90% predictive interval")
    ax.plot(med, y, "|", color="k", ms=8, label="predictive median")
    ax.plot(obs[inside], y[inside], "o", color="#228833", ms=4, label="observed, inside")
    ax.plot(obs[~inside], y[~inside], "x", color="#cc3311", ms=6, label="observed, outside")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=6)
    ax.set_xlabel("percent of respondents")
    nf, nif = int(q.attrs["n_fitted_cells"]), int(q.attrs["n_inside_fitted"])
    title = "Posterior predictive check: %d of %d fitted cells inside" % (nif, nf)
    if int(q.attrs["n_holdout_cells"]):
        title += "; held out (orange): %d of %d" % (int(q.attrs["n_inside_holdout"]),
                                                   int(q.attrs["n_holdout_cells"]))
    ax.set_title(title + "\n" + CITE, fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    save(fig, out)
    plt.close(fig)


def generations(f, out):
    g = f["generations"]
    tol, acc, sims = g["tolerance"][:], g["acceptance"][:], g["simulations"][:]
    t = np.arange(len(tol))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3))
    axes[0].semilogy(t[1:], tol[1:], "o-")
    axes[0].set_title("tolerance 1/beta", fontsize=9)
    axes[1].plot(t[1:], acc[1:], "o-")
    axes[1].set_title("MH acceptance rate", fontsize=9)
    axes[2].plot(t, sims, "o-")
    axes[2].set_title("simulations (cumulative)", fontsize=9)
    for ax in axes:
        ax.set_xlabel("generation")
    fig.tight_layout()
    save(fig, out)
    plt.close(fig)


INPUTS = []  # the file read: no output may be it


def save(fig, out):
    with tyndau_h5.writing(out, INPUTS) as fh:
        fig.savefig(fh, format="png", dpi=110)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--prefix", default=None, help="output prefix (default: the file's stem)")
    a = ap.parse_args(argv)
    prefix = a.prefix or a.file.rsplit(".", 1)[0]
    INPUTS[:] = [a.file]
    for s in ("marginals", "pairs", "predictive", "generations"):
        tyndau_h5.check_output("%s_%s.png" % (prefix, s), INPUTS)
    f = load(a.file)
    marginals(f, prefix + "_marginals.png")
    pairs(f, prefix + "_pairs.png")
    predictive(f, prefix + "_predictive.png")
    generations(f, prefix + "_generations.png")
    for s in ("marginals", "pairs", "predictive", "generations"):
        print("wrote %s_%s.png" % (prefix, s))


if __name__ == "__main__":
    sys.exit(tyndau_h5.run("calib_plots", main))
