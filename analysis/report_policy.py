"""The answers first: analysis/report.py's policy summary (each scenario's effects in percentage points
with 95% intervals, ranked, in plain words) and trajectories (each scenario minus the first over time,
from `tyndau compare --series`), read from a comparison file's /summary."""

import html
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

GAP_LABELS = {"gap_income": "income (high minus low)", "gap_settlement": "settlement (urban minus rural)",
              "gap_age": "age (18-29 minus 61+)"}


# headline measures in the summary: (output, words, scale to the unit shown, unit)
SUMMARY_GROUPS = [("total:all", "all citizens"), ("income:low", "low-income citizens"),
                  ("settlement:rural", "rural citizens"), ("age:61+", "citizens aged 61+")]
SUMMARY_MEASURES = [("resolution_rate", "the resolution rate"), ("voice_rate", "the voice rate"),
                    ("answer_days", "the time to an answer"), ("trust_local", "trust in the akimat")]


def unit_of(measure):
    return ("days", 1.0) if measure == "answer_days" else ("pp", 100.0)


def effect_words(name, measure, words, group_words, d, lo, hi):
    """'help_centres raises the resolution rate of low-income citizens by 2.1 pp (1.4 to 2.8)'."""
    unit, k = unit_of(measure)
    verb = ("lengthens" if d > 0 else "shortens") if measure == "answer_days" else "raises" if d > 0 else "lowers"
    return "%s %s %s of %s by %.2f %s (95%% CI %.2f to %.2f)" % (
        name, verb, words, group_words, abs(d) * k, unit, lo * k, hi * k)


def policy_summary(rep, f, path, names, idx, dm, dlo, dhi, mean):
    """The answers first: every scenario's effects in pp with 95% CIs, ranked, in plain words."""
    back = rep.parts
    rep.section("summary")
    reps = int(f.attrs.get("replicates", 0))
    rep.heading(3, "Against '%s' (%s, %d replicates)" % (names[0], os.path.basename(path), reps))
    key = "resolution_rate:total:all"
    order = sorted(range(1, len(names)), key=lambda i: -dm[i, idx[key]] if key in idx else 0)
    items = []
    for rank, i in enumerate(order, 1):
        said = []
        for m, words in SUMMARY_MEASURES:
            for g, gw in SUMMARY_GROUPS:
                o = idx.get("%s:%s" % (m, g))
                if o is None or not (dlo[i, o] > 0 or dhi[i, o] < 0):
                    continue  # the interval holds zero: no effect to state
                said.append((abs(dm[i, o]) * unit_of(m)[1], effect_words(names[i], m, words, gw, dm[i, o],
                                                                          dlo[i, o], dhi[i, o])))
        gaps = []
        for g, lab in GAP_LABELS.items():
            o = idx.get(g)
            if o is not None and (dlo[i, o] > 0 or dhi[i, o] < 0):
                gaps.append("%s the %s gap by %.2f pp (95%% CI %.2f to %.2f)" % (
                    "widens" if dm[i, o] > 0 else "narrows", lab, abs(dm[i, o]) * 100, dlo[i, o] * 100,
                    dhi[i, o] * 100))
        said.sort(key=lambda t: -t[0])
        text_ = "; ".join(t for _, t in said[:4]) or             "%s has no effect on these measures that its 95%% intervals can tell from zero" % names[i]
        if gaps:
            text_ += "; it " + " and ".join(gaps)
        items.append("<li>%s.</li>" % html.escape(text_))
    rep.para("Each scenario against '%s', ranked by its effect on the resolution rate of all citizens; "
             "percentage points (pp) for rates and shares, days for the time to an answer; 95%% confidence "
             "intervals over %d replicates with common random numbers. The largest effects whose interval "
             "excludes zero are stated; the table below holds all." % (names[0], reps))
    rep.parts.append("<ol class=\"summary\">%s</ol>" % "\n".join(items))
    cols = ["rank", "scenario"]
    outs = [(m, g) for m, _ in SUMMARY_MEASURES[:2] for g, _ in SUMMARY_GROUPS]
    cols += ["%s %s (pp)" % (m.replace("_", " "), g.split(":")[1]) for m, g in outs]
    cols += ["%s gap (pp)" % g.split("_")[1] for g in GAP_LABELS]
    rows = []
    for rank, i in enumerate(order, 1):
        r = [rank, names[i]]
        for m, g in outs:
            o = idx.get("%s:%s" % (m, g))
            r.append("" if o is None else "%+.2f (%+.2f, %+.2f)" % (100 * dm[i, o], 100 * dlo[i, o],
                                                                   100 * dhi[i, o]))
        for g in GAP_LABELS:
            o = idx.get(g)
            r.append("" if o is None else "%+.2f (%+.2f, %+.2f)" % (100 * dm[i, o], 100 * dlo[i, o],
                                                                   100 * dhi[i, o]))
        rows.append(r)
    rep.parts.append(rep.table(cols, rows, caption="Difference from '%s' in percentage points, with the 95%% "
                                                   "confidence interval in brackets" % names[0]))
    rep.parts = back


def trajectories(rep, f, path, names, outs, dm, dlo, dhi):
    """Each scenario against the first over time (compare --series): the weekly difference in pp with its
    95% interval, for all citizens, low-income, rural and 61+."""
    series = [o for o in outs if o.startswith("series:")]
    if not series or len(names) < 2:
        return
    back = rep.parts
    rep.section("trajectories")
    rep.heading(3, "Over time against '%s' (%s)" % (names[0], os.path.basename(path)))
    idx = {o: i for i, o in enumerate(outs)}
    weeks = sorted({o.split(":")[4] for o in series})
    x = np.arange(len(weeks))
    step = max(1, len(weeks) // 4)
    colours = plt.get_cmap("tab20" if len(names) > 11 else "tab10")(np.arange(len(names)) % 20)
    for m, words in (("resolution_rate", "resolution rate"), ("voice_rate", "voice rate"),
                     ("trust_local", "trust in the akimat")):
        if "series:%s:total:all:%s" % (m, weeks[0]) not in idx:
            continue
        fig, axes = plt.subplots(1, len(SUMMARY_GROUPS), figsize=(16, 4.6), sharey=True)
        rows = []
        for ax, (g, gw) in zip(axes, SUMMARY_GROUPS):
            cols = [idx["series:%s:%s:%s" % (m, g, w)] for w in weeks]
            ax.axhline(0, color="grey", lw=0.8)
            for i in range(1, len(names)):
                d, lo, hi = 100 * dm[i, cols], 100 * dlo[i, cols], 100 * dhi[i, cols]
                ax.plot(x, d, color=colours[i], lw=1.2, label=names[i])
                ax.fill_between(x, lo, hi, color=colours[i], alpha=0.15, lw=0)
                rows += [(names[i], g, weeks[k], d[k], lo[k], hi[k]) for k in range(len(weeks))]
            ax.set_title("%s: %s" % (words, gw), fontsize=9)
            ax.set_xticks(x[::step])
            ax.set_xticklabels([weeks[k] for k in range(0, len(weeks), step)], rotation=30, fontsize=7, ha="right")
            ax.set_xlabel("week starting", fontsize=8)
            ax.tick_params(axis="y", labelsize=8)
        axes[0].set_ylabel("difference from '%s', percentage points" % names[0], fontsize=8)
        # the axis spans the differences themselves: a week with few decided appeals has a band that
        # would flatten every line (the bands' numbers are in the table)
        ds = np.array([r[3] for r in rows], dtype=float)
        ds = ds[np.isfinite(ds)]
        if ds.size:
            lo_, hi_ = min(ds.min(), 0.0), max(ds.max(), 0.0)
            pad = 0.15 * (hi_ - lo_ or 1.0)
            axes[0].set_ylim(lo_ - pad, hi_ + pad)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=8, ncol=min(len(names) - 1, 6), loc="lower center", frameon=False)
        fig.tight_layout(rect=(0, 0.07 + 0.045 * ((len(names) - 2) // 6), 1, 1))
        rep.figure(fig, "The weekly %s of each scenario minus that of '%s', in percentage points, with 95%% "
                   "confidence bands (paired over replicates), for all citizens, low-income, rural and 61+"
                   % (words, names[0]), ["scenario", "group", "week from", "diff pp", "lo95", "hi95"], rows)
    rep.parts = back
