"""tyndau.salib: a sweep file as SALib takes it.

    problem = tyndau.salib.problem("sweep.h5")        # num_vars, names, bounds (the priors' a, b)
    d = tyndau.salib.data("sweep.h5", "resolution_rate")
    # SALib.analyze.sobol.analyze(d["problem"], d["Y"], calc_second_order=d["calc_second_order"])

A `saltelli_salib` design (docs/hpc.md) runs its points in SALib's order (per base row A,
AB_1..AB_d [, BA_1..BA_d], B); a `saltelli` design runs them in blocks, and data() reorders them,
so Y is in SALib's order either way: feeding /runs/y of a block-ordered sweep to SALib
directly gives wrong indices.  Y is the mean over a point's replicates (failed runs left out).
"""


from ._lib import TyndauError
from .files import open as _open


def _sweep(path):
    f = _open(path)
    if f.kind != "sweep":
        raise TyndauError("%s: a %s file, not a sweep" % (path, f.kind))
    return f


def problem(path):
    """SALib's problem dict of a sweep: num_vars, names, and bounds [a, b] of each parameter's
    distribution in the sweep file ([parameters]: uniform/loguniform a b, normal mean sd ...),
    with dists naming tyndau's distributions (SALib samples only "unif" as tyndau's uniform)."""
    f = _sweep(path)
    names = list(f.group("design")["parameter"].values)
    priors = _priors(f.attrs.get("sweep_text", ""))
    bounds, dists = [], []
    for n in names:
        shape, args = priors.get(n, ("?", []))
        bounds.append([float(a) for a in args[:2]])
        dists.append(shape)
    return {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}


def _priors(text):
    out, section = {}, None
    for line in text.splitlines():
        line = line.split(";")[0].split("#")[0].strip()
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif section == "parameters" and "=" in line:
            k, v = (x.strip() for x in line.split("=", 1))
            w = v.split()
            out[k] = (w[0], w[1:]) if w else ("?", [])
    return out


def order(f):
    """Indices into the design's points that put them in SALib's run order."""
    import h5py
    import numpy as np

    with h5py.File(f.path, "r") as h:
        P, d = h["design/x"].shape
    layout = f.attrs.get("layout", "none")
    if layout != "saltelli":
        return np.arange(P)
    nb = 2 * d + 2 if int(f.attrs.get("second_order", 0)) else d + 2
    n = P // nb
    blocks = [0] + list(range(2, nb)) + [1]
    return np.array([k * n + j for j in range(n) for k in blocks])


def data(path, output):
    """problem, X (the points' parameter values) and Y (output `output`, replicates averaged),
    in SALib's run order, with calc_second_order and num_levels."""
    import warnings

    import h5py
    import numpy as np

    f = _sweep(path)
    layout = f.attrs.get("layout", "none")
    if layout not in ("saltelli", "saltelli_salib", "morris"):
        raise TyndauError("%s: a %s design without a saltelli, saltelli_salib or morris layout: SALib's analyses "
                          "do not apply" % (path, f.attrs.get("design")))
    with h5py.File(f.path, "r") as h:
        x, y = h["design/x"][:], h["runs/y"][:]
        outputs = [o.decode() if isinstance(o, bytes) else o for o in h["runs/output"][:]]
    if output not in outputs:
        raise TyndauError("%s: no output %r (the sweep has %s)" % (path, output, ", ".join(outputs)))
    R = int(f.attrs["replicates"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(y.reshape(x.shape[0], R, -1), axis=1)[:, outputs.index(output)]
    idx = order(f)
    return {"problem": problem(path), "X": x[idx], "Y": means[idx],
            "calc_second_order": bool(int(f.attrs.get("second_order", 0))), "num_levels": int(f.attrs.get("levels", 4))}
