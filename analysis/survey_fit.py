#!/usr/bin/python3
"""Plot how well a tyndau run reproduces the published 2021 "Listening State" survey.

Reads the ``/survey`` group of an HDF5 file written by ``tyndau run`` and draws one
figure with a panel per survey question that has published cells.  In each panel,
every published cell (a question x group x response combination, e.g. the share of
18-29 year olds who hear of the concept for the first time) is one x position:

* the observed, published percentage is a black dot with its 95% sampling interval
  (for the survey's N = 1200 quota sample) as an error bar;
* the simulated percentage is a diamond, green when it lies inside that interval
  and red when it lies outside.

Cells are grouped by respondent group: the total row first, then age bands, then
income groups (then settlement, region, sex, should a run publish them), with a
dotted line between groups.  The title gives the fit ("N of M published cells inside
their 95% interval") for the chosen simulated sample -- ``population`` (the whole
synthetic population, no sampling noise; default) or ``quota`` (a simulated
1200-person quota sample) -- and the run's program version, commit, seed and
scenario where the file records them.  A footer cites the source of the observed
figures.

The PNG is written to a temporary file beside the output and moved into place, so a
failure never leaves a half-written image.  Errors in the input go to stderr with
exit code 2.

Usage: analysis/survey_fit.py FILE.h5 -o fit.png [--sample population|quota]
"""

import argparse
import math
import os
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
import numpy as np  # noqa: E402

try:
    import h5py
except ImportError:  # pragma: no cover - depends on the interpreter
    sys.stderr.write("survey_fit: h5py is not available; run with /usr/bin/python3\n")
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tyndau_h5  # noqa: E402

CITATION = ("Observed: Kurmanov, Selteyev & Almaganbetov (2024), Central Asian Survey 43(2), "
            "235\u2013256, doi:10.1080/02634937.2023.2268652")

STRING_FIELDS = ("question", "base", "group_type", "group", "response", "sample")
FLOAT_FIELDS = ("simulated", "observed", "lo95", "hi95")
INT_FIELDS = ("inside",)

QUESTION_ORDER = (
    "aware_concept",
    "concept_meaning",
    "principle_officials_hear_problems",
    "principle_bodies_respond_quickly",
    "principle_officials_accessible",
    "principle_policy_reflects_needs",
    "principle_my_needs_heard",
    "principle_civil_society_involved",
    "principle_quality_appeal_handling",
    "aware_platform",
    "attention_central",
    "attention_local",
    "authorities_contacted",
)
GROUP_TYPE_ORDER = ("total", "age", "income", "settlement", "region", "sex")

COLOUR_INSIDE = "#1a9641"
COLOUR_OUTSIDE = "#d7191c"
COLOUR_OBSERVED = "black"

MAX_CELLS_PER_ROW = 24   # panels are packed into rows of at most this many cells
MAX_PANELS_PER_ROW = 4   # ... and at most this many panels


class InputError(Exception):
    """A problem with the input the user can fix (exit code 2)."""


# --------------------------------------------------------------------------- reading

_text = tyndau_h5.text  # an HDF5 string (bytes, str or a 1-element array) as str


def read_survey(path):
    """Return (columns, survey attributes, root attributes) from the file at path."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        f = tyndau_h5.open_file(path)
    except OSError as e:
        raise InputError(f"{path}: cannot read as HDF5 ({e})") from None
    with f:
        try:
            tyndau_h5.check(f, path, ("tyndau-run",))
        except tyndau_h5.SchemaError as e:
            raise InputError(str(e)) from None
        root_attrs = {k: f.attrs[k] for k in f.attrs}
        if "survey" not in f or not isinstance(f["survey"], h5py.Group):
            raise InputError(f"{path}: no /survey group (was it written by 'tyndau run'?)")
        g = f["survey"]
        cols = {}
        for name in STRING_FIELDS + FLOAT_FIELDS + INT_FIELDS:
            if name not in g or not isinstance(g[name], h5py.Dataset):
                raise InputError(f"{path}: /survey has no dataset '{name}'")
            data = g[name][()]
            if np.ndim(data) != 1:
                raise InputError(f"{path}: /survey/{name} is not one-dimensional")
            if name in STRING_FIELDS:
                cols[name] = np.array([_text(v) for v in data], dtype=object)
            elif name in FLOAT_FIELDS:
                cols[name] = np.asarray(data, dtype=float)
            else:
                cols[name] = np.asarray(data, dtype=int)
        lengths = {name: len(v) for name, v in cols.items()}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
            raise InputError(f"{path}: /survey datasets differ in length ({detail})")
        survey_attrs = {k: g.attrs[k] for k in g.attrs}
    return cols, survey_attrs, root_attrs


def published_cells(cols, sample):
    """The published cells of one sample, as a list of dicts in plotting order."""
    rows = [i for i in range(len(cols["question"]))
            if cols["sample"][i] == sample and cols["inside"][i] >= 0
            and math.isfinite(cols["observed"][i])]
    first_seen = {}
    for i in rows:   # order of first appearance, as a tie-breaker for unknown names
        for key in (cols["question"][i], (cols["group_type"][i], cols["group"][i])):
            first_seen.setdefault(key, len(first_seen))

    def rank(order, name):
        return (order.index(name), 0) if name in order else (len(order), first_seen[name])

    def key(i):
        gt = cols["group_type"][i]
        gt_rank = GROUP_TYPE_ORDER.index(gt) if gt in GROUP_TYPE_ORDER else len(GROUP_TYPE_ORDER)
        return (rank(QUESTION_ORDER, cols["question"][i]), gt_rank,
                first_seen[(gt, cols["group"][i])], i)

    return [{name: cols[name][i] for name in cols} for i in sorted(rows, key=key)]


# --------------------------------------------------------------------------- drawing

def _wrap(name, width):
    return "\n".join(textwrap.wrap(name.replace("_", " "), width)) or name


def _tick_label(cell):
    group = "total" if cell["group_type"] == "total" else cell["group"]
    return group + "\n" + _wrap(cell["response"], 12)


def _pack_rows(panels):
    """Split [(question, cells), ...] into rows that respect the two limits above."""
    rows, current, used = [], [], 0
    for q, cells in panels:
        n = len(cells)
        if current and (used + n > MAX_CELLS_PER_ROW or len(current) == MAX_PANELS_PER_ROW):
            rows.append(current)
            current, used = [], 0
        current.append((q, cells))
        used += n
    if current:
        rows.append(current)
    return rows


def draw_panel(ax, question, cells):
    x = np.arange(len(cells))
    obs = np.array([c["observed"] for c in cells])
    lo = np.array([c["lo95"] for c in cells])
    hi = np.array([c["hi95"] for c in cells])
    sim = np.array([c["simulated"] for c in cells])
    inside = np.array([c["inside"] == 1 for c in cells])

    # Error bars from the interval; a NaN bound draws no bar rather than failing.
    yerr = np.vstack([np.clip(obs - lo, 0, None), np.clip(hi - obs, 0, None)])
    yerr = np.nan_to_num(yerr, nan=0.0)
    ax.errorbar(x, obs, yerr=yerr, fmt="o", color=COLOUR_OBSERVED, ms=4,
                elinewidth=1.2, capsize=3, zorder=2)
    for mask, colour in ((inside, COLOUR_INSIDE), (~inside, COLOUR_OUTSIDE)):
        ok = mask & np.isfinite(sim)
        ax.plot(x[ok] + 0.18, sim[ok], "D", color=colour, ms=5, mec="white", mew=0.5,
                linestyle="none", zorder=3)

    # Dotted separators and a faint label between respondent groups.
    for i in range(1, len(cells)):
        if (cells[i]["group_type"], cells[i]["group"]) != (cells[i - 1]["group_type"],
                                                            cells[i - 1]["group"]):
            ax.axvline(i - 0.5, color="0.6", lw=0.8, ls=":", zorder=1)

    top = np.nanmax(np.concatenate([obs, hi, sim]))
    ax.set_ylim(0, min(100.0, top * 1.15 + 5) if np.isfinite(top) else 100.0)
    ax.set_xlim(-0.6, len(cells) - 0.4)
    ax.set_xticks(x)
    ax.set_xticklabels([_tick_label(c) for c in cells], fontsize=8,
                       rotation=90 if len(cells) > 6 else 0)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", color="0.9", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    base = cells[0]["base"]
    title = _wrap(question, 30)
    if base and base != "all":
        title += f"\n(base: {base.replace('_', ' ')})"
    ax.set_title(title, fontsize=10)
    n_in = int(inside.sum())
    ax.text(0.99, 0.97, f"{n_in}/{len(cells)} inside", transform=ax.transAxes,
            ha="right", va="top", fontsize=7,
            color=COLOUR_INSIDE if n_in == len(cells) else COLOUR_OUTSIDE)


def run_description(root_attrs):
    parts = []
    for key, fmt in (("program_version", "tyndau {}"), ("git_commit", "commit {}"),
                     ("seed", "seed {}"), ("scenario_name", "scenario '{}'")):
        if key in root_attrs:
            value = _text(root_attrs[key]).strip()
            if key == "git_commit" and len(value) > 12:
                value = value[:12]
            if value:
                parts.append(fmt.format(value))
    return " \u00b7 ".join(parts)


def make_figure(cells, sample, root_attrs):
    panels = []
    for c in cells:
        if not panels or panels[-1][0] != c["question"]:
            panels.append((c["question"], []))
        panels[-1][1].append(c)
    rows = _pack_rows(panels)

    # Heights in inches: a row of panels, plus fixed space for title/legend and footer.
    row_heights = [3.4 if max(len(cs) for _, cs in row) > 6 else 2.9 for row in rows]
    head, foot = 1.0, 1.0
    height = sum(row_heights) + head + foot
    fig = plt.figure(figsize=(16, height))
    outer = fig.add_gridspec(len(rows), 1, height_ratios=row_heights, left=0.05, right=0.99,
                             top=1 - head / height, bottom=foot / height, hspace=0.75)
    for r, row in enumerate(rows):
        # Width proportional to the number of cells, with room for the y axis.
        widths = [len(cs) + 1.5 for _, cs in row]
        inner = outer[r].subgridspec(1, len(widths), width_ratios=widths, wspace=0.35)
        for k, (q, cs) in enumerate(row):
            ax = fig.add_subplot(inner[0, k])
            draw_panel(ax, q, cs)
            if k == 0:
                ax.set_ylabel("percent", fontsize=8)

    n_in = sum(1 for c in cells if c["inside"] == 1)
    title = (f"Survey fit, {sample} sample: {n_in} of {len(cells)} published cells "
             f"inside their 95% interval")
    desc = run_description(root_attrs)
    fig.suptitle(title + ("\n" + desc if desc else ""), fontsize=12, y=0.995, va="top")

    handles = [
        Line2D([], [], marker="o", color=COLOUR_OBSERVED, ms=5, label="observed, with 95% interval"),
        Line2D([], [], marker="D", color=COLOUR_INSIDE, ls="none", ms=6,
               label="simulated, inside interval"),
        Line2D([], [], marker="D", color=COLOUR_OUTSIDE, ls="none", ms=6,
               label="simulated, outside interval"),
    ]
    fig.legend(handles=handles, loc="lower right", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.99, 0.0))
    fig.text(0.01, 0.005, CITATION, fontsize=8, ha="left", va="bottom", color="0.25")
    return fig


def save_atomically(fig, out_path, inputs=()):
    with tyndau_h5.writing(out_path, inputs) as fh:
        fig.savefig(fh, format="png", dpi=120)


# --------------------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="survey_fit.py",
        description="Plot simulated against observed (published) survey percentages from the "
                    "/survey group of a 'tyndau run' HDF5 file.")
    parser.add_argument("file", metavar="FILE.h5", help="HDF5 output of 'tyndau run'")
    parser.add_argument("-o", "--output", required=True, metavar="PNG", help="figure to write")
    parser.add_argument("--sample", choices=("population", "quota"), default="population",
                        help="simulated sample to compare: the whole population (default) "
                             "or the simulated 1200-person quota sample")
    args = parser.parse_args(argv)

    try:
        tyndau_h5.check_output(args.output, [args.file])
        cols, survey_attrs, root_attrs = read_survey(args.file)
        cells = published_cells(cols, args.sample)
        if not cells:
            raise InputError(f"{args.file}: no published cells for the {args.sample} sample "
                             f"in /survey")
        n_in = sum(1 for c in cells if c["inside"] == 1)
        attr = f"n_inside_{args.sample}"
        if attr in survey_attrs and int(np.asarray(survey_attrs[attr]).item()) != n_in:
            sys.stderr.write(f"survey_fit: warning: /survey attribute {attr} = "
                             f"{_text(survey_attrs[attr])} but {n_in} cells are marked inside\n")
        fig = make_figure(cells, args.sample, root_attrs)
        save_atomically(fig, args.output, [args.file])
    except (InputError, tyndau_h5.InputError) as e:
        sys.stderr.write(f"survey_fit: {e}\n")
        return 2
    print(f"survey_fit: {args.output}: {args.sample} sample, {n_in} of {len(cells)} "
          f"published cells inside their 95% interval")
    return 0


if __name__ == "__main__":
    sys.exit(tyndau_h5.run("survey_fit", main))
