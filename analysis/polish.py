#!/usr/bin/python3
"""Polish a calibration's point: a deterministic coordinate search from its posterior medians.

    analysis/polish.py CALIB.h5 CALIB_calibrated.ini -o POLISHED.ini
                       [--agents 200000] [--seeds 101 102] [--sweeps 4] [--tyndau build/tyndau]

The posterior medians of a curved, many-dimensional posterior are not its best point: each
median is taken alone.  This search starts from them and moves one calibrated parameter at a
time, on the scale of its prior (log for loguniform priors), by a step of a quarter of its 90%
posterior interval, up or down, keeping a move only if it raises the calibration's own
log-likelihood (the rows, respondents and weights of CALIB.h5's /observation: the same
multinomial as `tyndau calibrate`), and halves a parameter's step when neither move helps.
Every evaluation runs the model at the same seeds (common random numbers: a move is judged on
the same citizens), and the likelihood is averaged over the seeds.  No parameter leaves its
prior's support.  Nothing is fitted that the calibration did not fit; the polished point is a
better estimate of the same posterior's mode, not a new model.

Writes POLISHED.ini: the calibrated scenario with the polished values (each with its posterior
median and 90% interval in a comment) and a header naming the calibration, the search and its
log-likelihood before and after.  The survey figures are those of Kurmanov, Selteyev &
Almaganbetov (2024), Central Asian Survey 43(2), 235-256, doi:10.1080/02634937.2023.2268652.
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tyndau_h5  # noqa: E402


def die(msg):
    print("polish.py: " + msg, file=sys.stderr)
    sys.exit(2)


def dec(a):
    return [tyndau_h5.text(x) for x in a]


class Likelihood:
    """The calibration's composite multinomial log-likelihood of a run's population survey."""

    def __init__(self, calib):
        o = calib["/observation"]
        self.rows = {}
        for q, gt, g, n, w, h in zip(dec(o["question"][:]), dec(o["group_type"][:]), dec(o["group"][:]), o["n"][:],
                                     o["weight"][:], o["held_out"][:]):
            if not h:
                self.rows[(q, gt, g)] = (float(n), float(w))

    def __call__(self, run_file):
        with tyndau_h5.open_file(run_file) as f:
            try:
                tyndau_h5.check(f, run_file, ("tyndau-run",))
            except tyndau_h5.SchemaError as e:
                die(str(e))
            s = f["/survey"]
            q, gt, g = dec(s["question"][:]), dec(s["group_type"][:]), dec(s["group"][:])
            smp, sim, obs, ins = dec(s["sample"][:]), s["simulated"][:], s["observed"][:], s["inside"][:]
        cells = {}
        for i in range(len(q)):
            key = (q[i], gt[i], g[i])
            if smp[i] != "population" or key not in self.rows:
                continue
            cells.setdefault(key, []).append((sim[i] / 100.0, obs[i] / 100.0 if ins[i] >= 0 else None))
        total = 0.0
        for key, cl in cells.items():
            n, w = self.rows[key]
            pub = [(p, o) for p, o in cl if o is not None]
            os_, ps = sum(o for _, o in pub), sum(p for p, _ in pub)
            obsv, pv = [o for _, o in pub], [p for p, _ in pub]
            if os_ < 0.995:  # a partial row: the rest is one more category
                obsv.append(1.0 - os_)
                pv.append(1.0 - ps)
            else:
                obsv = [o / os_ for o in obsv]
            total += w * sum(n * o * math.log(max(p, 1e-12)) for o, p in zip(obsv, pv) if o > 0)
        return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("calib")
    ap.add_argument("scenario")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--agents", type=int, default=200000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102])
    ap.add_argument("--sweeps", type=int, default=4)
    ap.add_argument("--from-scenario", action="store_true",
                    help="start from the scenario's values (e.g. an earlier polish) instead of the medians")
    ap.add_argument("--tyndau", default=os.environ.get("TYNDAU", "build/tyndau"))
    a = ap.parse_args()
    for path in (a.calib, a.scenario):
        if not os.path.isfile(path):
            die("%s: no such file" % path)
    try:  # before the search: an output that is an input (under any name), a directory or a device
        tyndau_h5.check_output(a.output, [a.calib, a.scenario])
    except tyndau_h5.InputError as e:
        die(str(e))
    try:
        calib = tyndau_h5.open_file(a.calib)
    except OSError as e:
        die("%s: not a calibration file (%s)" % (a.calib, e))
    try:
        tyndau_h5.check(calib, a.calib, ("tyndau-calibration",))
    except tyndau_h5.SchemaError as e:
        die(str(e))
    if "/priors" not in calib or "/posterior" not in calib or "/observation" not in calib:
        die("%s: not a tyndau calibration file (no /priors, /posterior or /observation)" % a.calib)
    pr = calib["/priors"]
    names, shapes = dec(pr["name"][:]), dec(pr["shape"][:])
    lo, hi = pr["lo"][:], pr["hi"][:]
    post = calib["/posterior"]
    pnames = dec(post["name"][:])
    med, q05, q95 = post["median"][:], post["q05"][:], post["q95"][:]
    if pnames != names:
        die("%s: /priors and /posterior name different quantities" % a.calib)
    like = Likelihood(calib)
    text = open(a.scenario).read()
    # the model parameters (not the observation model's own quantities, e.g. a concentration)
    params = [k for k, n in enumerate(names) if re.search(r"^%s = " % re.escape(n), text, re.M)]
    if not params:
        die("%s: none of the calibrated parameters is set in the scenario" % a.scenario)

    def to_z(k, x):
        return math.log(x) if shapes[k] == "loguniform" else x

    def from_z(k, z):
        x = math.exp(z) if shapes[k] == "loguniform" else z
        return min(max(x, lo[k]), hi[k])

    x = {k: float(med[k]) for k in params}
    if a.from_scenario:
        for k in params:
            x[k] = float(re.search(r"^%s = ([^ ;]+)" % re.escape(names[k]), text, re.M).group(1))
    step = {k: (to_z(k, q95[k]) - to_z(k, q05[k])) / 4.0 or 1e-3 for k in params}
    tmp = tempfile.mkdtemp(prefix="polish.")
    evals = [0]

    def score(xs):
        sets = []
        for k in params:
            sets += ["--set", "%s=%.9g" % (names[k], xs[k])]
        total = 0.0
        for s in a.seeds:
            out = os.path.join(tmp, "r.h5")
            p = subprocess.run([a.tyndau, "run", a.scenario, "--agents", str(a.agents), "--seed", str(s), "-q", "-o",
                                out] + sets, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if p.returncode != 0:
                return -math.inf
            total += like(out)
            os.unlink(out)
        evals[0] += 1
        return total / len(a.seeds)

    best = score(x)
    start = best
    print("polish: start log-likelihood %.2f (%d parameters, %d agents, seeds %s)" % (best, len(params), a.agents, a.seeds))
    for sweep in range(a.sweeps):
        moved = 0
        for k in params:
            for sign in (1, -1):
                trial = dict(x)
                trial[k] = from_z(k, to_z(k, x[k]) + sign * step[k])
                if trial[k] == x[k]:
                    continue
                s = score(trial)
                if s > best + 1e-6:
                    best, x = s, trial
                    moved += 1
                    break
            else:
                step[k] /= 2.0
        print("polish: sweep %d: log-likelihood %.2f, %d moves, %d evaluations" % (sweep + 1, best, moved, evals[0]))
    # write the scenario with the polished values
    lines = []
    for line in text.splitlines():
        m = re.match(r"^(\w+) = ", line)
        if m and m.group(1) in names and names.index(m.group(1)) in params:
            k = names.index(m.group(1))
            line = "%s = %.6g ; polished; posterior median %.6g, 90%% interval [%.4g, %.4g]" % (names[k], x[k], med[k],
                                                                                               q05[k], q95[k])
        if line.startswith("; Polished by analysis/polish.py") or line.startswith("; calibration's own log-likelihood") \
                or line.startswith("; log-likelihood "):
            continue
        lines.append(line)
    head = ("; Polished by analysis/polish.py from %s of %s (a coordinate search on the\n"
            "; calibration's own log-likelihood, %d agents, seeds %s, %d sweeps, %d evaluations):\n"
            "; log-likelihood %.2f at the start, %.2f polished.\n" % (
                "the values of " + a.scenario if a.from_scenario else "the posterior medians", a.calib, a.agents,
                " ".join(map(str, a.seeds)), a.sweeps, evals[0], start, best))
    try:
        with tyndau_h5.writing(a.output, [a.calib, a.scenario], binary=False) as fh:
            fh.write(head + "\n".join(lines) + "\n")
    except tyndau_h5.InputError as e:
        die(str(e))
    os.rmdir(tmp)
    print("polish: wrote %s" % a.output)


if __name__ == "__main__":
    main()
