#!/usr/bin/python3
"""Read tyndau sweep and sensitivity files into numpy arrays and tables.

As a module (from analysis/):

    import sweep
    s = sweep.read_sweep("sweep.h5")      # dict: parameter, x, unit, output, y, status, error,
                                          #       point, replicate, layout, second_order,
                                          #       noise_y, noise_point, attrs
    m = sweep.point_means(s)              # points x outputs, replicates averaged (failed runs left out)
    sweep.write_csv(s, "sweep.csv")       # one row per run: point, replicate, parameters, status, outputs
    t = sweep.to_salib(s, "resolution_rate")   # problem, X, Y in SALib's run order (replicates averaged)
    t = sweep.read_sensitivity("sweep_sensitivity.h5")
    sweep.plot_sensitivity(t, "sens.png")

SALib from a tyndau sweep (SALib is not needed by this module):

    from SALib.analyze import sobol
    t = sweep.to_salib(sweep.read_sweep("sweep.h5"), "resolution_rate")
    Si = sobol.analyze(t["problem"], t["Y"], calc_second_order=t["calc_second_order"])
    # morris: SALib.analyze.morris.analyze(t["problem"], t["X"], t["Y"], num_levels=t["num_levels"])

As a program:

    /usr/bin/python3 analysis/sweep.py FILE.h5 [--csv OUT.csv] [--plot OUT.png]

prints a summary of a sweep (or of a sensitivity file), and writes the CSV table or the plot.
Exit status 2 for a file that is neither.
"""
import argparse
import csv
import os
import sys
import warnings

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tyndau_h5  # noqa: E402


_text = tyndau_h5.text


def _schema(path):
    """The schema of the file at path, checked (SchemaError), or None when it is not HDF5."""
    try:
        with tyndau_h5.open_file(path) as f:
            return tyndau_h5.check(f, path, ("tyndau-sweep", "tyndau-sensitivity"))
    except OSError:
        return None


def read_sweep(path):
    """The whole sweep file as numpy arrays (runs x outputs in memory: for analysis, not for the writer)."""
    with tyndau_h5.open_file(path) as f:
        tyndau_h5.check(f, path, ("tyndau-sweep",))
        R = int(f.attrs["replicates"])
        y = f["runs/y"][:]
        jobs = np.arange(y.shape[0])
        design = _text(f.attrs["design"])
        # tyndau-sweep 1.0 files have no layout: their saltelli design is in blocks, without BA_i
        layout = _text(f.attrs["layout"]) if "layout" in f.attrs else (
            design if design in ("saltelli", "morris") else "none")
        return {
            "layout": layout,
            "second_order": bool(f.attrs.get("second_order", 0)),
            "noise_y": f["noise/y"][:] if "noise" in f else np.zeros((0, y.shape[1])),
            "noise_point": f["design/noise_point"][:] if "design/noise_point" in f else np.zeros(0, int),
            "parameter": [_text(n) for n in f["design/parameter"][:]],
            "x": f["design/x"][:],
            "unit": f["design/unit"][:],
            "output": [_text(n) for n in f["runs/output"][:]],
            "y": y,
            "status": f["runs/status"][:],
            "error": [_text(e) for e in f["runs/error"][:]],
            "point": jobs // R,
            "replicate": jobs % R,
            "attrs": {k: (_text(v) if isinstance(v, (bytes, str)) else v) for k, v in f.attrs.items()},
        }


def point_means(s):
    """Outputs averaged over the replicates of each point (NaN where every replicate failed)."""
    P = s["x"].shape[0]
    R = int(s["attrs"]["replicates"])
    y = s["y"].reshape(P, R, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a point whose replicates all failed: NaN
        return np.nanmean(y, axis=1)


def write_csv(s, path, inputs=()):
    with tyndau_h5.writing(path, inputs, binary=False) as fh:
        w = csv.writer(fh)
        w.writerow(["point", "replicate"] + s["parameter"] + ["status"] + s["output"])
        for j in range(s["y"].shape[0]):
            p = s["point"][j]
            w.writerow([p, s["replicate"][j]] + ["%.17g" % v for v in s["x"][p]] + [s["status"][j]]
                       + ["%.17g" % v for v in s["y"][j]])


def salib_order(s):
    """Indices into the design's points that put them in SALib's run order.

    saltelli_salib and morris designs are in it already; a saltelli design (blocks A, B, AB_1..AB_d
    [, BA_1..BA_d]) is reordered to SALib's per-base-row A, AB_1..AB_d [, BA_1..BA_d], B."""
    P, d = s["x"].shape
    if s["layout"] != "saltelli":
        return np.arange(P)
    nb = 2 * d + 2 if s["second_order"] else d + 2
    n = P // nb
    blocks = [0] + list(range(2, nb)) + [1]
    return np.array([k * n + j for j in range(n) for k in blocks])


def to_salib(s, output):
    """What SALib's analyze functions take, for one output of a sweep: a dict with problem
    (num_vars, names), X (parameter values) and Y (the point means: replicates averaged,
    failed runs left out), both in SALib's run order, calc_second_order and num_levels."""
    if s["layout"] not in ("saltelli", "saltelli_salib", "morris"):
        raise ValueError("a %s design without a saltelli, saltelli_salib or morris layout" % s["attrs"]["design"])
    k = s["output"].index(output)
    idx = salib_order(s)
    return {"problem": {"num_vars": len(s["parameter"]), "names": list(s["parameter"])},
            "X": s["x"][idx], "Y": point_means(s)[idx, k],
            "calc_second_order": bool(s["second_order"]), "num_levels": int(s["attrs"].get("levels", 4))}


def read_sensitivity(path):
    """Every dataset of a sensitivity file (first, first_lo, first_hi, first_conf, ... as present)."""
    with tyndau_h5.open_file(path) as f:
        tyndau_h5.check(f, path, ("tyndau-sensitivity",))
        out = {"parameter": [_text(n) for n in f["parameter"][:]],
               "output": [_text(n) for n in f["output"][:]],
               "noise_share": f["noise_share"][:],
               "warnings": [_text(w) for w in f["warnings"][:]] if "warnings" in f else [],
               "method": _text(f.attrs["method"]),
               "attrs": {k: (_text(v) if isinstance(v, (bytes, str)) else v) for k, v in f.attrs.items()}}
        for k in f:
            if k not in out and isinstance(f[k], h5py.Dataset):
                out[k] = f[k][()]
        return out


def plot_sensitivity(t, path, inputs=()):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    a, b = ("first", "total") if "first" in t else ("mu_star", "sigma")
    n_out, d = t[a].shape
    fig, axes = plt.subplots(n_out, 1, figsize=(7, 1.2 + 0.35 * d * n_out), squeeze=False)
    y = np.arange(d)
    for o in range(n_out):
        ax = axes[o][0]
        for k, (key, off, col) in enumerate(((a, -0.15, "#4477aa"), (b, 0.15, "#ee6677"))):
            v, lo, hi = t[key][o], t[key + "_lo"][o], t[key + "_hi"][o]
            ax.errorbar(v, y + off, xerr=[v - lo, hi - v], fmt="o", color=col, ms=4, label=key)
        ax.set_yticks(y)
        ax.set_yticklabels(t["parameter"], fontsize=7)
        ns = t["noise_share"][o]
        noise = ("replicate noise %.0f%% of the variance" % (100 * ns) if np.isfinite(ns)
                 else "replicate noise not separable: one replicate")
        ax.set_title("%s (%s)" % (t["output"][o], noise), fontsize=8)
        ax.axvline(0, color="k", lw=0.5)
        ax.legend(fontsize=7)
    fig.tight_layout()
    with tyndau_h5.writing(path, inputs) as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description="summarise a tyndau sweep or sensitivity file")
    ap.add_argument("file")
    ap.add_argument("--csv", help="write the runs as CSV (sweep files)")
    ap.add_argument("--plot", help="write a PNG of the indices (sensitivity files)")
    a = ap.parse_args(argv)
    for out in (a.csv, a.plot):
        if out:
            tyndau_h5.check_output(out, [a.file])
    try:
        schema = _schema(a.file)
    except tyndau_h5.SchemaError as e:
        print("sweep.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    if schema == "tyndau-sweep":
        s = read_sweep(a.file)
        st = s["status"]
        print("%s: %s design, %d points x %s replicates, %d runs: %d done, %d failed, %d not run"
              % (a.file, s["attrs"]["design"], s["x"].shape[0], s["attrs"]["replicates"], len(st),
                 int((st == 0).sum()), int((st > 0).sum()), int((st < 0).sum())))
        m = point_means(s)
        for k, name in enumerate(s["output"]):
            col = m[:, k]
            print("  %-40s mean %.4g  sd %.4g  min %.4g  max %.4g"
                  % (name, np.nanmean(col), np.nanstd(col), np.nanmin(col), np.nanmax(col)))
        if a.csv:
            write_csv(s, a.csv, [a.file])
            print("wrote %s" % a.csv)
    elif schema == "tyndau-sensitivity":
        t = read_sensitivity(a.file)
        print("%s: %s" % (a.file, t["method"]))
        for w in t["warnings"]:
            print("  warning: %s" % w)
        if a.plot:
            plot_sensitivity(t, a.plot, [a.file])
            print("wrote %s" % a.plot)
    else:
        print("sweep.py: %s: not a tyndau sweep or sensitivity file" % a.file, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(tyndau_h5.run("sweep.py", main))
