#!/usr/bin/python3
"""A self-contained HTML report from tyndau output files, with its figures embedded.

Usage: analysis/report.py FILE.h5 [FILE.h5 ...] -o report.html [--title TEXT]

The page answers first: it opens on a table of contents and the policy summary (each
compared scenario's effects on the headline measures in percentage points with 95%
confidence intervals, ranked by the resolution rate of all citizens, in plain words, with
the responsiveness gaps and a table of them all), then the comparisons' figures, the runs
(survey fit and dynamics), calibrations, sensitivity, and the provenance of every file last.
Every figure's overlapping tick labels are counted from matplotlib's text extents
(``data-overlaps`` on its ``<figure>``; the tests require 0).

Each file is recognised by its schema and gets its own sections:

* a run (``tyndau run``): the survey fit (every published cell beside the simulated
  value); appeals over time by channel and by outcome, in total and by income,
  settlement and age; distributions of the time to an answer, of bribes paid per
  citizen and of beliefs by group;
* a comparison (``tyndau compare``): a forest plot of every scenario's difference from
  the first, with 95% confidence intervals, for each headline measure; the
  responsiveness gaps by income, settlement and age per scenario; the resolution rate
  by group per scenario;
* a calibration (``tyndau calibrate``): the posterior (medians and 90% intervals), the
  identifiability report and the posterior predictive check of every survey cell; a
  comparison with ``--posterior``: the spread of each difference with the posterior beside
  Monte Carlo noise alone; a simulation-based calibration (``--sbc``): coverage and rank
  histograms per quantity; a history match (``--history-match``): the non-implausible share
  of the prior per wave and every cell's smallest implausibility, the unreachable cells named;
* a sensitivity file (``tyndau sensitivity``): a heatmap of which parameters drive each
  output (first-order and total Sobol indices, or Morris mu* scaled per output), parameters
  across and outputs (headline measures, survey cells) down, with the warnings of the file.

Under every figure a table holds every number it plots.  Figures are PNG images
embedded as base64, so the page has no other file.  The page records which files made
it (program, commit, seed, scenario) and cites the survey wherever its figures appear.
A small script marks the page when every figure has loaded (``data-figures="N/N"`` on
the body): the browser test checks it.

The HTML is written to a temporary file beside the output and renamed when complete.
Input errors go to stderr with exit code 2.
"""

import argparse
import html
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.ticker  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

try:
    import h5py  # noqa: F401  (opened through tyndau_h5.open_file)
except ImportError:  # pragma: no cover - depends on the interpreter
    sys.stderr.write("report: h5py is not available; run with /usr/bin/python3\n")
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import survey_fit  # noqa: E402
import tyndau_h5  # noqa: E402
from report_page import CITATION, Report, fmt, tick_overlaps  # noqa: E402,F401  (tick_overlaps: the tests)
from report_policy import GAP_LABELS, policy_summary, trajectories, unit_of  # noqa: E402

MEASURE_LABELS = {
    "voice_rate": "voice rate (appeals per problem)",
    "resolution_rate": "resolution rate (resolved / decided)",
    "formal_rate": "formal answers without resolution / decided",
    "bribe_incidence": "bribes demanded / decided",
    "answer_days": "mean days to an answer",
    "platform_aware": "aware of the platforms (share, end)",
    "trust_central": "believe central authorities pay attention (share, end)",
    "trust_local": "believe the akimat pays attention (share, end)",
}


class InputError(Exception):
    """A problem with the input the user can fix (exit code 2)."""


text = tyndau_h5.text


def codes(ds, name):
    return text(ds.attrs[name]).split(",")


# --------------------------------------------------------------------------- runs

def provenance(rep, f, path, keys):
    """The file's provenance, in the Provenance section (the last), under a heading naming the file."""
    back = rep.parts
    rep.section("provenance")
    rows = [(k, text(f.attrs[k])) for k in keys if k in f.attrs]
    rep.heading(3, "%s (%s)" % (os.path.basename(path), tyndau_h5.schema(f)[0]))
    rep.parts.append(rep.table(["attribute", "value"], [("file", path)] + rows))
    rep.parts = back


def weekly(x, days):
    """Sum a [day, ...] array into whole weeks (a short last week is left out)."""
    n = len(days) // 7
    return np.array([x[7 * w:7 * w + 7].sum(axis=0) for w in range(n)]), days[:7 * n:7]


def run_sections(rep, f, path):
    name = text(f.attrs.get("scenario_name", "run"))
    rep.section("fit")
    rep.heading(3, "Run '%s' (%s)" % (name, os.path.basename(path)))
    provenance(rep, f, path, ["program", "program_version", "git_commit", "seed", "agents", "scale",
                              "start_date", "end_date", "survey_date", "scenario_name", "command_line"])
    # survey fit
    cols, survey_attrs, root_attrs = survey_fit.read_survey(path)
    cells = survey_fit.published_cells(cols, "population")
    if cells:
        fig = survey_fit.make_figure(cells, "population", root_attrs)
        n_in = sum(1 for c in cells if c["inside"] == 1)
        rep.heading(4, "Survey fit of '%s'" % name)
        rep.figure(fig, "The virtual survey (whole population) beside the published figures: %d of %d "
                   "published cells inside their 95%% sampling interval. Source: %s" % (n_in, len(cells), CITATION),
                   ["question", "group type", "group", "response", "observed %", "lo95", "hi95", "simulated %",
                    "inside"],
                   [(c["question"], c["group_type"], c["group"], c["response"], c["observed"], c["lo95"],
                     c["hi95"], c["simulated"], int(c["inside"])) for c in cells])
    # appeals over time
    ts = f["timeseries"]
    dates = np.array([text(d) for d in ts["date"][:]])
    groups = codes(ts["choices"], "group_codes")
    gtypes = codes(ts["choices"], "group_type_codes")
    channels = codes(ts["choices"], "channel_codes")
    outcomes = codes(ts["outcomes"], "outcome_codes")
    choices = ts["choices"][:]
    outs = ts["outcomes"][:]
    scale = float(f.attrs.get("scale", 1.0))
    rep.heading(4, "Appeals over time in '%s'" % name)
    for what, arr, labels, skip in (("channel", choices, channels, {"silence"}),
                                    ("outcome", outs, outcomes, set())):
        sel = [k for k, lab in enumerate(labels) if lab not in skip]
        panel_groups = [("total", [0])] + [(gt, [g for g in range(len(groups)) if gtypes[g] == gt])
                                           for gt in ("income", "settlement", "age")]
        fig, axes = plt.subplots(1, 4, figsize=(15, 3.6), sharex=True)
        rows = []
        for ax, (gt, gl) in zip(axes, panel_groups):
            w, wd = weekly(arr[:, gl, :][:, :, sel], dates)
            if gt == "total":
                for j, k in enumerate(sel):
                    ax.plot(np.arange(len(wd)), w[:, 0, j] * scale, label=labels[k])
                ax.legend(fontsize=6)
            else:
                tot = w.sum(axis=2) * scale
                for i, g in enumerate(gl):
                    ax.plot(np.arange(len(wd)), tot[:, i], label=groups[g])
                ax.legend(fontsize=6)
            ax.set_title("%s%s" % ("all citizens, by " + what if gt == "total" else "by " + gt,
                                   "" if gt == "total" else " (all %ss)" % what), fontsize=9)
            step = max(1, len(wd) // 4)
            ax.set_xticks(np.arange(len(wd))[::step])
            ax.set_xticklabels(wd[::step], rotation=45, fontsize=7)
            ax.set_xlabel("week starting", fontsize=8)
            for wi in range(len(wd)):
                for i, g in enumerate(gl):
                    for j, k in enumerate(sel):
                        rows.append((wd[wi], groups[g], labels[k], float(w[wi, i, j] * scale)))
        axes[0].set_ylabel("appeals per week (national scale)")
        fig.tight_layout()
        rep.figure(fig, "Appeals per week by %s, national scale (agents x %.3g), in total and by income, "
                   "settlement and age group" % (what, scale), ["week from", "group", what, "appeals"], rows)
    # distributions
    d = f["distributions"]
    rep.heading(4, "Distributions in '%s'" % name)
    tta = d["time_to_answer_by_group"][:]
    dg = codes(d["time_to_answer_by_group"], "group_codes")
    dgt = codes(d["time_to_answer_by_group"], "group_type_codes")
    fig, ax = plt.subplots(figsize=(9, 3.6))
    rows = []
    maxd = 60
    for g in range(len(dg)):
        if dgt[g] not in ("total", "income", "settlement", "age"):
            continue
        h = tta[g, :maxd].astype(float)
        tot = tta[g].sum()
        share = h / tot if tot > 0 else h * np.nan
        ax.plot(np.arange(maxd), share, label=dg[g], lw=2 if g == 0 else 1)
        rows += [(dg[g], k, float(share[k])) for k in range(maxd)]
    ax.set_xlabel("days from appeal to answer (first %d days)" % maxd)
    ax.set_ylabel("share of answered appeals")
    ax.legend(fontsize=6, ncol=3)
    fig.tight_layout()
    rep.figure(fig, "Time to an answer by group: share of answered appeals answered after k days",
               ["group", "days", "share"], rows)
    br = d["bribes_per_citizen"][:].astype(float)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    k = np.arange(min(len(br), 8))
    ax.bar(k, br[:len(k)] * scale)
    ax.set_yscale("log")
    ax.set_xlabel("bribes paid during the run")
    ax.set_ylabel("citizens (national scale)")
    fig.tight_layout()
    rep.figure(fig, "Citizens by number of bribes paid during the run (national scale)",
               ["bribes", "citizens"], [(int(i), float(br[i] * scale)) for i in k])
    bel = d["beliefs_by_group"][:].astype(float)
    bg = codes(d["beliefs_by_group"], "group_codes")
    bgt = codes(d["beliefs_by_group"], "group_type_codes")
    bcodes = codes(d["beliefs_by_group"], "belief_codes")
    levels = codes(d["beliefs_by_group"], "level_codes")
    sel = [g for g in range(len(bg)) if bgt[g] in ("total", "income", "settlement", "age")]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    rows = []
    for li, ax in enumerate(axes):
        share = bel[sel, li, :] / bel[sel, li, :].sum(axis=1, keepdims=True)
        left = np.zeros(len(sel))
        for b in range(len(bcodes)):
            ax.barh(np.arange(len(sel)), share[:, b], left=left, label=bcodes[b])
            left += share[:, b]
            rows += [(levels[li], bg[g], bcodes[b], float(share[i, b])) for i, g in enumerate(sel)]
        ax.set_yticks(np.arange(len(sel)))
        ax.set_yticklabels([bg[g] for g in sel], fontsize=7)
        ax.set_title("%s government pays attention?" % levels[li], fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of the group", fontsize=8)
    axes[1].legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0, -0.2), frameon=False)
    fig.tight_layout()
    rep.figure(fig, "Beliefs at the end of the run by group: does the central / local government pay "
               "attention?", ["level", "group", "belief", "share"], rows)


# --------------------------------------------------------------------------- comparisons

def compare_sections(rep, f, path):
    rep.section("comparison")
    rep.heading(3, "Scenarios against '%s' (%s)" % (text(f["scenarios/name"][0]), os.path.basename(path)))
    provenance(rep, f, path, ["program", "version", "git_commit", "seed", "agents", "scenarios", "replicates",
                              "random_numbers", "command_line"])
    sc = f["scenarios"]
    names = [text(n) for n in sc["name"][:]]
    desc = [text(n) for n in sc["description"][:]]
    rep.parts.append(rep.table(["scenario", "description"], list(zip(names, desc))))
    s = f["summary"]
    outs = [text(o) for o in s["output"][:]]
    idx = {o: i for i, o in enumerate(outs)}
    mean, lo, hi = s["mean"][:], s["lo"][:], s["hi"][:]
    dm, dlo, dhi = s["diff_mean"][:], s["diff_lo"][:], s["diff_hi"][:]
    hp, hu = s["diff_halfwidth_paired"][:], s["diff_halfwidth_unpaired"][:]
    reps = int(f.attrs.get("replicates", 0))
    rn = text(f.attrs.get("random_numbers", "common"))
    measures = [m for m in MEASURE_LABELS if "%s:total:all" % m in idx]
    S = len(names)
    if S > 1:
        policy_summary(rep, f, path, names, idx, dm, dlo, dhi, mean)
        trajectories(rep, f, path, names, outs, dm, dlo, dhi)
    # forest plot
    ncol = 4
    nrow = (len(measures) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(16, 0.28 * S * nrow + 1.5 * nrow), sharey=True)
    axes = np.atleast_1d(axes).ravel()
    rows = []
    y = np.arange(S)[::-1]
    for ax, m in zip(axes, measures):
        o = idx["%s:total:all" % m]
        unit, k = unit_of(m)
        ax.axvline(0, color="grey", lw=0.8)
        ax.errorbar(k * dm[1:, o], y[1:], xerr=[k * (dm[1:, o] - dlo[1:, o]), k * (dhi[1:, o] - dm[1:, o])],
                    fmt="o", ms=4, capsize=2)
        ax.set_title(MEASURE_LABELS[m], fontsize=9)
        ax.set_xlabel("difference, %s" % ("days" if unit == "days" else "percentage points"), fontsize=8)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
        ax.tick_params(labelsize=8)
        for i in range(S):
            rows.append((m, names[i], mean[i, o], lo[i, o], hi[i, o], dm[i, o], dlo[i, o], dhi[i, o],
                         hp[i, o], hu[i, o]))
    if "posterior" in f and "spread_ratio" in s:
        posterior_spread(rep, f, s, idx, names, measures)
    for ax in axes[len(measures):]:
        ax.set_visible(False)
    for ax in axes[::ncol]:
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=8)
    fig.suptitle("Difference from '%s' with 95%% CI (%d replicates, %s random numbers)" % (names[0], reps, rn),
                 fontsize=10)
    fig.tight_layout()
    cols = ["measure", "scenario", "mean", "lo95", "hi95", "diff", "diff lo95", "diff hi95",
            "diff half-width paired", "diff half-width unpaired"]
    rep.figure(fig, "Forest plot: each scenario's difference from the first, all citizens, with 95%% "
               "confidence intervals (%s)" % ("paired over replicates: common random numbers" if rn == "common"
                                             else "Welch, independent seeds"), cols, rows)
    # gaps
    gaps = [g for g in GAP_LABELS if g in idx]
    fig, axes = plt.subplots(1, len(gaps), figsize=(5 * len(gaps), 0.3 * S + 1.6), sharey=True)
    axes = np.atleast_1d(axes)
    rows = []
    for ax, g in zip(axes, gaps):
        o = idx[g]
        ax.axvline(0, color="grey", lw=0.8)
        ax.errorbar(100 * mean[:, o], y, xerr=[100 * (mean[:, o] - lo[:, o]), 100 * (hi[:, o] - mean[:, o])],
                    fmt="s", ms=4, capsize=2, color="#aa3377")
        ax.set_title("resolution-rate gap by " + GAP_LABELS[g], fontsize=9)
        ax.set_xlabel("gap, percentage points", fontsize=8)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=5))
        ax.tick_params(labelsize=8)
        rows += [(g, names[i], mean[i, o], lo[i, o], hi[i, o], dm[i, o], dlo[i, o], dhi[i, o]) for i in range(S)]
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(names, fontsize=7)
    fig.tight_layout()
    rep.figure(fig, "The responsiveness gap: resolution rate of high minus low income, urban minus rural, "
               "18-29 minus 61+, per scenario, with 95% confidence intervals",
               ["gap", "scenario", "mean", "lo95", "hi95", "diff", "diff lo95", "diff hi95"], rows)
    # resolution and voice by group
    for m in ("resolution_rate", "voice_rate"):
        groups = [o.split(":", 1)[1] for o in outs if o.startswith(m + ":") and
                  o.split(":")[1] in ("income", "settlement", "age")]
        if not groups:
            continue
        fig, ax = plt.subplots(figsize=(12, 4.6))
        width = 0.8 / S
        rows = []
        colours = plt.get_cmap("tab20" if S > 10 else "tab10")(np.arange(S) % 20)
        for i in range(S):
            oi = [idx["%s:%s" % (m, g)] for g in groups]
            ax.bar(np.arange(len(groups)) + i * width, mean[i, oi], width,
                   yerr=[mean[i, oi] - lo[i, oi], hi[i, oi] - mean[i, oi]], label=names[i], capsize=1,
                   color=colours[i])
            rows += [(names[i], g, mean[i, o], lo[i, o], hi[i, o]) for g, o in zip(groups, oi)]
        ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2)
        ax.set_xticklabels(groups, fontsize=7)
        ax.set_ylabel(MEASURE_LABELS[m] + ", share", fontsize=8)
        ax.set_xlabel("group", fontsize=8)
        ax.legend(fontsize=7, ncol=min(S, 6), loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
        fig.tight_layout()
        rep.figure(fig, "%s by group and scenario, with 95%% confidence intervals" % MEASURE_LABELS[m],
                   ["scenario", "group", "mean", "lo95", "hi95"], rows)


def posterior_spread(rep, f, s, idx, names, measures):
    """--posterior: each difference's sd over replicates with the posterior and with MC noise alone."""
    rep.heading(3, "Parameter uncertainty (--posterior %s)" % text(f["posterior"].attrs.get("calibration", "")))
    ratio, dsd, msd = s["spread_ratio"][:], s["diff_sd"][:], s["mc_diff_sd"][:]
    q025, q975 = s["diff_q025"][:], s["diff_q975"][:]
    fig, ax = plt.subplots(figsize=(9, 0.25 * len(measures) * (len(names) - 1) + 1.2))
    rows, labels, vals = [], [], []
    for m in measures:
        o = idx["%s:total:all" % m]
        for i in range(1, len(names)):
            labels.append("%s | %s" % (MEASURE_LABELS[m], names[i]))
            vals.append(ratio[i, o])
            rows.append((m, names[i], dsd[i, o], msd[i, o], ratio[i, o], q025[i, o], q975[i, o]))
    yy = np.arange(len(vals))[::-1]
    ax.axvline(1, color="grey", lw=0.8)
    ax.plot(vals, yy, "o", ms=3)
    ax.set_yticks(yy)
    ax.set_yticklabels(labels, fontsize=6)
    ax.set_xlabel("sd of the difference over replicates: posterior / Monte Carlo only")
    fig.tight_layout()
    rep.figure(fig, "How much wider each difference's spread is when every replicate draws its calibrated "
               "parameters from the posterior than at the posterior medians (Monte Carlo noise alone)",
               ["measure", "scenario", "sd posterior", "sd MC only", "ratio", "2.5% of replicates",
                "97.5% of replicates"], rows)


def sbc_sections(rep, f, path):
    rep.section("calibration")
    rep.heading(3, "Simulation-based calibration %s" % os.path.basename(path))
    provenance(rep, f, path, ["program", "version", "git_commit", "seed", "surveys", "surveys_complete",
                              "particles", "agents", "command_line"])
    g = f["sbc"]
    names = [text(n) for n in g["quantity"][:]]
    hist, c50, c90 = g["rank_histogram"][:], g["coverage50"][:], g["coverage90"][:]
    rows = [(n, c50[i], c90[i], " ".join(str(v) for v in hist[i])) for i, n in enumerate(names)]
    panels = list(zip(names, hist))
    if "loglik_rank_histogram" in g:  # schema 1.3: the joint test quantity, first
        llh = g["loglik_rank_histogram"][:]
        panels.insert(0, ("log-likelihood at the truth (joint)", llh))
        rows.insert(0, ("log-likelihood at the truth (joint)", "", "", " ".join(str(v) for v in llh)))
    ncol = min(4, len(panels))
    nrow = (len(panels) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.2 * nrow), squeeze=False)
    axes = axes.ravel()
    for ax, (n, h) in zip(axes, panels):
        ax.bar(np.arange(len(h)), h, color="#aa3377" if n.startswith("log-likelihood") else "#4477aa")
        ax.axhline(h.sum() / len(h), color="k", lw=0.8)
        ax.set_title(n, fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    rep.figure(fig, "Rank of each truth among the refitted posterior's particles (10 bins; the line: uniform, "
               "what a calibrated posterior gives), with the coverage of the 50% and 90% intervals; first (schema "
               "1.3 on), the rank of the log-likelihood at the truth among the particles' own, a test of the "
               "posterior as a whole (high ranks: the refits miss the truth's likelihood)",
               ["quantity", "coverage 50%", "coverage 90%", "rank histogram"], rows)


def hm_sections(rep, f, path):
    rep.section("calibration")
    rep.heading(3, "History match %s" % os.path.basename(path))
    provenance(rep, f, path, ["program", "version", "git_commit", "seed", "status", "stop", "measure", "cutoff",
                              "replicates", "runs_per_wave", "samples", "agents", "command_line"])
    W = int(f["waves"].attrs["n_waves"])
    if W == 0:
        rep.para("No wave is complete.")
        return
    share, runs, valid = f["volume/share"][:], f["volume/runs_share"][:], f["volume/valid_emulators"][:]
    nc = len(f["cells/z"][:])
    samples = int(f.attrs["samples"]) if "samples" in f.attrs else 0
    fig, ax = plt.subplots(figsize=(5.5, 3))
    waves = np.arange(1, W + 1)
    pos = share[share > 0]
    floor = min(1e-6, float(pos.min()) / 10) if len(pos) else 1e-6
    ax.bar(waves, np.maximum(share, floor), color="#4477aa")
    for k in waves:
        if share[k - 1] == 0:
            ax.annotate("none found" if samples else "0", (k, floor), xytext=(0, 4),
                        textcoords="offset points", ha="center", fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks(waves)
    ax.set_xlabel("wave")
    ax.set_ylabel("share of the prior left")
    fig.tight_layout()
    points = [int(f["waves/w%02d" % k].attrs["points"]) for k in waves]
    how = []
    for k in waves:
        a = f["waves/w%02d" % k].attrs
        lv = int(a.get("subset_levels", 0))
        how.append("counted on %d samples" % samples if "subset" not in text(a.get("share_method", ""))
                   else "counted on the region's sample" if lv == 0
                   else "subset simulation, %d level%s" % (lv, "s" if lv > 1 else ""))
    rep.figure(fig, "The share of the prior that no wave so far rules out (emulator samples; below 100 of them, "
               "subset simulation; a share of 0 is drawn at the axis' floor and labelled), with the share of each "
               "wave's runs that are non-implausible",
               ["wave", "points", "non-implausible share", "how", "runs' share", "valid emulators"],
               [(k, points[k - 1], share[k - 1], how[k - 1], runs[k - 1], "%d of %d" % (valid[k - 1], nc))
                for k in waves])
    w = f["waves/w%02d" % W]
    c = f["cells"]
    labels = ["%s | %s | %s" % (text(a), text(b), text(r)) for a, b, r in
              zip(c["question"][:], c["group"][:], c["response"][:])]
    mr, me, un = w["min_implausibility_runs"][:], w["min_implausibility_emulator"][:], w["unreachable"][:]
    cut = float(f.attrs["cutoff"])
    fig, ax = plt.subplots(figsize=(8, 0.17 * nc + 1.5))
    yy = np.arange(nc)[::-1]
    ax.barh(yy, mr, color=["#cc3311" if u else "#4477aa" for u in un], height=0.7)
    ax.plot(me, yy, "|", color="k", ms=6)
    ax.axvline(cut, color="k", lw=0.8, ls="--")
    ax.set_yticks(yy)
    ax.set_yticklabels(labels, fontsize=5)
    ax.set_xlabel("smallest implausibility, wave %d (bars: runs; ticks: emulator samples)" % W, fontsize=8)
    fig.tight_layout()
    names = [labels[i] for i in range(nc) if un[i]]
    rep.figure(fig, "Each published cell's smallest implausibility in the last wave; red: a cell no run and no "
               "emulator sample brings within the cutoff (dashed): the model cannot reach it. Source: %s" % CITATION,
               ["cell", "smallest over runs", "smallest over samples", "unreachable"],
               [(labels[i], mr[i], me[i], "yes" if un[i] else "") for i in range(nc)])
    rep.para("The model cannot reach these cells: %s." % ("; ".join(names) if names else "none"))
    if "share_beyond_cutoff" in w:
        b = w["share_beyond_cutoff"][:]
        top = [i for i in np.argsort(-np.nan_to_num(b, nan=-1.0), kind="stable")[:5] if np.isfinite(b[i]) and b[i] > 0]
        if top:
            rep.para("The cells that rule out most of the region before wave %d (share of its points at which the "
                     "cell alone is beyond the cutoff): %s." % (W, "; ".join("%s %.2f" % (labels[i], b[i]) for i in top)))
    if "measure" in w:
        m = w["measure"][:]
        m = m[np.isfinite(m)]
        if len(m):
            rep.para("Wave %d: %d of %d runs are non-implausible (%s implausibility at most %g); the best run's is "
                     "%.2f, and the median run has %d cells beyond the cutoff. A cell each run reaches alone can "
                     "still be out of reach together with the others."
                     % (W, int((m <= cut).sum()), len(m), text(f.attrs.get("measure", "second-max")), cut,
                        float(m.min()), int(np.median((w["implausibility"][:] > cut).sum(axis=1)))))


# --------------------------------------------------------------------------- calibrations

def leave_out_sections(rep, f, path):
    """/leave_out (a calibration with --leave-out FAMILY, or a file of --leave-out all): each left-out
    family's scores against the null, and its cells' 90% intervals beside the null's."""
    g = f["leave_out"]
    fam = [text(s) for s in g["family"][:]]
    lpd, lpdn, isc, iscn = g["lpd"][:], g["lpd_null"][:], g["interval_score"][:], g["interval_score_null"][:]
    fig, axes = plt.subplots(1, 2, figsize=(9, 0.3 * len(fam) + 1.6))
    y = np.arange(len(fam))[::-1]
    axes[0].barh(y, lpd - lpdn, color=["#228833" if d > 0 else "#cc3311" for d in lpd - lpdn])
    axes[0].axvline(0, color="k", lw=0.8)
    axes[0].set_xlabel("log predictive density, model - null (> 0: model better)")
    axes[1].barh(y, isc - iscn, color=["#228833" if d < 0 else "#cc3311" for d in isc - iscn])
    axes[1].axvline(0, color="k", lw=0.8)
    axes[1].set_xlabel("interval score, model - null, pp (< 0: model better)")
    for ax in axes:
        ax.set_yticks(y)
        ax.set_yticklabels(fam, fontsize=7)
    fig.tight_layout()
    rep.figure(fig, "Leave-one-family-out predictions: each family fitted without its cells and predicted "
               "from the rest, scored against the null model (age and income breakdowns: each group equals its total "
               "row; the other families: the prior predictive, the model not fitted) (green: the model predicts it "
               "better, red: worse)",
               ["family", "cells", "lpd", "lpd null", "difference", "interval score", "null", "null model"],
               [(fam[i], g["n_cells"][i], lpd[i], lpdn[i], lpd[i] - lpdn[i], isc[i], iscn[i],
                 text(g["null_model"][i])) for i in range(len(fam))])
    for v in g["verdict"][:]:
        rep.para(text(v))


def leave_out_file_sections(rep, f, path):
    rep.section("calibration")
    rep.heading(3, "Leave-one-family-out %s" % os.path.basename(path))
    provenance(rep, f, path, ["program", "version", "git_commit", "seed", "status", "particles", "agents",
                              "command_line"])
    leave_out_sections(rep, f, path)


def calibration_sections(rep, f, path):
    rep.section("calibration")
    rep.heading(3, "Calibration %s" % os.path.basename(path))
    provenance(rep, f, path, ["program", "version", "git_commit", "seed", "status", "likelihood", "particles",
                              "agents", "command_line"])
    if "posterior" not in f:
        rep.para("No /posterior: the calibration is unfinished.")
        return
    names = [text(n) for n in f["priors/name"][:]]
    med, q05, q95 = f["posterior/median"][:], f["posterior/q05"][:], f["posterior/q95"][:]
    fig, ax = plt.subplots(figsize=(8, 0.25 * len(names) + 1))
    y = np.arange(len(names))[::-1]
    lo_p, hi_p = f["priors/lo"][:], f["priors/hi"][:]
    span = np.where(hi_p > lo_p, hi_p - lo_p, 1.0)
    ax.errorbar((med - lo_p) / span, y, xerr=[(med - q05) / span, (q95 - med) / span], fmt="o", ms=3)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel("position within the prior range (0 = lower bound, 1 = upper)")
    ax.set_xlim(-0.05, 1.05)
    fig.tight_layout()
    rep.figure(fig, "Posterior medians and 90% intervals, scaled to each prior's range",
               ["parameter", "prior lo", "prior hi", "median", "q05", "q95"],
               [(names[i], lo_p[i], hi_p[i], med[i], q05[i], q95[i]) for i in range(len(names))])
    rep.para(text(f["posterior"].attrs.get("identifiability", "")))
    if "identifiability" in f:
        rep.para(text(f["identifiability"].attrs.get("report", "")))
    if "predictive" in f:
        q = f["predictive"]
        obs, qm, lo, hi = q["observed"][:], q["median"][:], q["lo90"][:], q["hi90"][:]
        labels = ["%s | %s | %s" % (text(a), text(b), text(c)) for a, b, c in
                  zip(q["question"][:], q["group"][:], q["response"][:])]
        n = len(obs)
        fig, ax = plt.subplots(figsize=(9, 0.17 * n + 1.5))
        yy = np.arange(n)[::-1]
        ax.hlines(yy, lo, hi, color="#4477aa", lw=3, alpha=0.6)
        ax.plot(qm, yy, "|", color="k", ms=8)
        ax.plot(obs, yy, "o", color="#228833", ms=3)
        ax.set_yticks(yy)
        ax.set_yticklabels(labels, fontsize=5)
        ax.set_xlabel("percent of respondents")
        fig.tight_layout()
        rep.figure(fig, "Posterior predictive check: 90%% intervals (bars), medians (ticks) and the published "
                   "figures (dots). Source: %s" % CITATION, ["cell", "observed", "median", "lo90", "hi90"],
                   [(labels[i], obs[i], qm[i], lo[i], hi[i]) for i in range(n)])
        a = q.attrs
        if "n_inside95_fitted" in a:
            deff = float(f["observation"].attrs.get("design_effect", 1.0)) if "observation" in f else 1.0
            bracket = (" (%d at a design effect of 1 and %d at 2, the bracket of a quota sample's)"
                       % (a["n_inside95_fitted_sampling_deff1"], a["n_inside95_fitted_sampling_deff2"])
                       if "n_inside95_fitted_sampling_deff1" in a else "")
            rep.para("Published cells inside their 95%% predictive intervals: %d of %d with the model's error, %d with "
                     "survey sampling alone at the stated design effect %g%s; inside 90%%: %d and %d."
                     % (a["n_inside95_fitted"], a["n_fitted_cells"], a["n_inside95_fitted_sampling_only"], deff, bracket,
                        a["n_inside_fitted"], a["n_inside_fitted_sampling_only"]))
    model_error = [i for i, nm in enumerate(names) if nm.startswith("discrepancy_") or nm.startswith("slope_")]
    if model_error:
        rep.parts.append(rep.table(
            ["quantity", "median", "q05", "q95", "about pp at 40%"],
            [(names[i], "%.3f" % med[i], "%.3f" % q05[i], "%.3f" % q95[i], "%.1f" % (24 * med[i])) for i in model_error],
            caption="The model's error as calibrated: the discrepancy sd per question family and the slope sd per "
                    "breakdown step, on the logit scale, with about how many percentage points the median is at a "
                    "share of 40% (dp = 0.24 dlogit)"))
    if "leave_out" in f:
        leave_out_sections(rep, f, path)


# --------------------------------------------------------------------------- sensitivity

def output_label(name):
    """A readable label for a sweep output: survey:Q:GT:G:R -> 'Q: R (GT G)'."""
    part = name.split(":")
    if part[0] == "survey" and len(part) == 5:
        group = "all" if part[2] == "total" else "%s %s" % (part[2], part[3])
        return "%s: %s (%s)" % (part[1].replace("_", " "), part[4].replace("_", " "), group)
    label = MEASURE_LABELS.get(part[0], GAP_LABELS.get(part[0], part[0]))
    if part[0] in GAP_LABELS:
        label = "gap by " + label
    return label + (" (%s %s)" % (part[1], part[2]) if len(part) == 3 else "")


def sensitivity_sections(rep, f, path):
    sobol = "first" in f
    rep.section("sensitivity")
    rep.heading(3, "Which parameters drive each output (%s)" % os.path.basename(path))
    provenance(rep, f, path, ["program", "version", "git_commit", "sweep_file", "design", "layout", "base_rows",
                              "replicates", "noise_source", "bootstrap", "level", "method", "command_line"])
    params = [text(p) for p in f["parameter"][:]]
    outs = [text(o) for o in f["output"][:]]
    share = f["noise_share"][:]
    labels = []
    for o, name in enumerate(outs):
        noise = ("noise ?" if not np.isfinite(share[o]) else "noise <1%" if share[o] < 0.01
                 else "noise %.0f%%" % (100 * share[o]))
        labels.append("%s  [%s]" % (output_label(name), noise))
    if sobol:
        panels = [("first", "alone (first-order index)"), ("total", "with its interactions (total index)")]
        rep.para("Each cell is the share of the output's variance, over the swept ranges of the parameters, that "
                 "the parameter explains: alone (left) or with its interactions with the others (right). 0: it "
                 "does not matter; 1: it explains everything. The replicates of each point are averaged first; "
                 "'noise' after an output is the share of that variance which is the model's own randomness "
                 "('?': one replicate, not measured). Estimators: Saltelli et al. (2010) and Jansen (1999), as "
                 "SALib computes them; 95% bootstrap intervals are in the table.")
    else:
        panels = [("mu_star", "mu* (mean |elementary effect|) / largest of the output")]
        rep.para("Morris screening: each cell is the mean absolute change of the output when the parameter "
                 "moves one step across its range (mu*), divided by the largest mu* of that output, so 1 marks "
                 "the parameter that moves it most. The replicates of each point are averaged first.")
    n_out, d = len(outs), len(params)
    height = max(3.0, 1.6 + 0.24 * n_out)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 + 0.9 * d * len(panels) + 1.2, height),
                             squeeze=False, sharey=True, layout="constrained")
    # a thin line where the survey question (or the kind of output) changes
    kind = [o.split(":")[1] if o.startswith("survey:") else "measure" for o in outs]
    breaks = [o for o in range(1, n_out) if kind[o] != kind[o - 1]]
    im = None
    for k, (key, title) in enumerate(panels):
        v = f[key][:]
        if not sobol:
            top = np.nanmax(v, axis=1, keepdims=True)
            v = np.where(top > 0, v / np.where(top > 0, top, 1), 0.0)
        ax = axes[0][k]
        im = ax.imshow(np.clip(np.nan_to_num(v, nan=0.0), 0, 1), cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for o in range(n_out):
            for i in range(d):
                if np.isfinite(v[o, i]):
                    ax.text(i, o, "%.2f" % (round(v[o, i], 2) + 0.0), ha="center", va="center", fontsize=7,
                            color="white" if v[o, i] > 0.6 else "black")
        for b in breaks:
            ax.axhline(b - 0.5, color="#888", lw=0.8)
        ax.set_xticks(range(d))
        ax.set_xticklabels([p.replace("_", " ") for p in params], rotation=35, ha="right", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.xaxis.set_ticks_position("bottom")
        if k == 0:
            ax.set_yticks(range(n_out))
            ax.set_yticklabels(labels, fontsize=8)
    cb = fig.colorbar(im, ax=axes[0].tolist(), shrink=min(0.9, 6.0 / height), aspect=15, pad=0.02)
    cb.set_label("share of variance" if sobol else "mu* / largest mu*", fontsize=8)
    caption = ("Sensitivity of %d outputs to %d parameters (%s design, %s base rows, %s replicate(s) per point)"
               % (n_out, d, text(f.attrs.get("design", "?")), fmt(f.attrs.get("base_rows", "?")),
                  fmt(f.attrs.get("replicates", "?"))))
    if any(o.startswith("survey:") for o in outs):
        caption += ". Survey cells: %s" % CITATION
    if sobol:
        adj = "first_adj" in f
        columns = ["output", "parameter", "S1", "S1 lo", "S1 hi", "ST", "ST lo", "ST hi"] + (
            ["S1 noise-corrected", "ST noise-corrected"] if adj else []) + ["noise share"]
        rows = []
        for o in range(n_out):
            for i in range(d):
                r = [outs[o], params[i]] + [f[k][o, i] for k in ("first", "first_lo", "first_hi", "total",
                                                                  "total_lo", "total_hi")]
                if adj:
                    r += [f["first_adj"][o, i], f["total_adj"][o, i]]
                rows.append(tuple(r + [share[o]]))
    else:
        columns = ["output", "parameter", "mu*", "mu* lo", "mu* hi", "mu", "sigma", "noise share"]
        rows = [(outs[o], params[i], f["mu_star"][o, i], f["mu_star_lo"][o, i], f["mu_star_hi"][o, i],
                 f["mu"][o, i] if "mu" in f else float("nan"), f["sigma"][o, i], share[o])
                for o in range(n_out) for i in range(d)]
    rep.figure(fig, caption, columns, rows)
    warns = [text(w) for w in f["warnings"][:]] if "warnings" in f else []
    if warns:
        rep.parts.append("<p><b>Warnings of this file</b> (what makes these indices unreliable):</p><ul>%s</ul>"
                         % "".join("<li>%s</li>" % html.escape(w) for w in warns))


MD_MEASURES = [("voice_rate:total:all", "voice rate", 100), ("resolution_rate:total:all", "resolution rate", 100),
               ("bribe_incidence:total:all", "bribes demanded", 100), ("answer_days:total:all", "days to answer", 1),
               ("platform_aware:total:all", "aware of platforms", 100),
               ("trust_local:total:all", "akimat pays attention", 100),
               ("gap_income", "income gap", 100), ("gap_settlement", "settlement gap", 100), ("gap_age", "age gap", 100)]


def scenarios_markdown(path):
    """The results table of docs/scenarios.md from a comparison file, on stdout."""
    with tyndau_h5.open_file(path) as f:
        if tyndau_h5.schema(f)[0] != "tyndau-compare" or "summary" not in f:
            raise InputError("%s: not a finished tyndau comparison" % path)
        names = [text(n) for n in f["scenarios/name"][:]]
        s = f["summary"]
        outs = [text(o) for o in s["output"][:]]
        mean, dm, dlo, dhi = s["mean"][:], s["diff_mean"][:], s["diff_lo"][:], s["diff_hi"][:]
        reps = int(f.attrs["replicates"])
        print("Headline measures over the whole period, all citizens, mean of %d replicates; shares and rates "
              "in percent, differences from %s in percentage points (days for the time to answer) with 95%% "
              "confidence intervals (paired over replicates: common random numbers). The gaps are the "
              "resolution rate of high minus low income, urban minus rural, 18-29 minus 61+."
              % (reps, names[0]))
        print()
        print("| scenario | " + " | ".join(lab for _, lab, _ in MD_MEASURES) + " |")
        print("|---" * (len(MD_MEASURES) + 1) + "|")
        print("| %s (level) | " % names[0] + " | ".join(
            "%.2f" % (mean[0, outs.index(o)] * k) for o, _, k in MD_MEASURES) + " |")
        for i in range(1, len(names)):
            cells = []
            for o, _, k in MD_MEASURES:
                j = outs.index(o)
                cells.append("%+.2f [%+.2f, %+.2f]" % (dm[i, j] * k, dlo[i, j] * k, dhi[i, j] * k))
            print("| %s | " % names[i] + " | ".join(cells) + " |")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE.h5", help="run, comparison, calibration or sensitivity files")
    ap.add_argument("-o", "--output", metavar="HTML", help="the report to write")
    ap.add_argument("--title", default="tyndau report")
    ap.add_argument("--scenarios-markdown", action="store_true",
                    help="print the results table of docs/scenarios.md for one comparison file instead")
    args = ap.parse_args(argv)
    if args.scenarios_markdown:
        try:
            scenarios_markdown(args.files[0])
        except InputError as e:
            sys.stderr.write("report: %s\n" % e)
            return 2
        return 0
    if not args.output:
        ap.error("-o/--output is required")
    rep = Report(args.title)
    rep.inputs = list(args.files)
    try:
        tyndau_h5.check_output(args.output, args.files)
        for path in args.files:
            if not os.path.exists(path):
                raise InputError("%s: no such file" % path)
            try:
                f = tyndau_h5.open_file(path)
            except OSError as e:
                raise InputError("%s: cannot read as HDF5 (%s)" % (path, e)) from None
            with f:
                try:
                    schema = tyndau_h5.check(f, path, ("tyndau-run", "tyndau-compare", "tyndau-calibration",
                                                       "tyndau-sensitivity", "tyndau-sbc", "tyndau-leave-out",
                                                       "tyndau-history-match"))
                except tyndau_h5.SchemaError as e:
                    raise InputError(str(e)) from None
                try:
                    if schema == "tyndau-run":
                        run_sections(rep, f, path)
                    elif schema == "tyndau-compare":
                        if "summary" not in f:
                            raise InputError("%s: no /summary (an unfinished comparison?)" % path)
                        compare_sections(rep, f, path)
                    elif schema == "tyndau-calibration":
                        calibration_sections(rep, f, path)
                    elif schema == "tyndau-sbc":
                        sbc_sections(rep, f, path)
                    elif schema == "tyndau-history-match":
                        hm_sections(rep, f, path)
                    elif schema == "tyndau-leave-out":
                        leave_out_file_sections(rep, f, path)
                    else:
                        sensitivity_sections(rep, f, path)
                except KeyError as e:
                    raise InputError("%s: missing %s" % (path, e)) from None
            sys.stdout.flush()
        rep.write(args.output)
    except (InputError, survey_fit.InputError, tyndau_h5.InputError) as e:
        sys.stderr.write("report: %s\n" % e)
        return 2
    print("report: %s: %d figures" % (args.output, rep.n_figures))
    return 0


if __name__ == "__main__":
    sys.exit(tyndau_h5.run("report", main))
