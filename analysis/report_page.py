"""The page of analysis/report.py: its sections in the order a reader wants them, the table of contents,
figures embedded as PNG with the table of what they plot, and the check that no two tick labels of a
figure overlap (from matplotlib's text extents).  report.py fills it; this module only lays it out."""

import base64
import html
import io
import math
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import tyndau_h5  # noqa: E402

CITATION = tyndau_h5.CITATION  # the survey figures' article


def fmt(v):
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return "NaN"
        return "%.6g" % v
    return html.escape(str(v))


SECTIONS = [("summary", "Policy summary"), ("trajectories", "Trajectories"), ("comparison", "Scenario comparisons"),
            ("fit", "Runs: survey fit and dynamics"), ("calibration", "Calibration"), ("sensitivity", "Sensitivity"),
            ("provenance", "Provenance")]


def tick_overlaps(fig):
    """Pairs of tick labels of one axis of fig whose drawn boxes overlap (matplotlib's text extents)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    n = 0
    for ax in fig.get_axes():
        if not ax.get_visible():
            continue
        for labels, lo in ((ax.get_xticklabels(), 0), (ax.get_yticklabels(), 1)):
            boxes = sorted((b for b in (t.get_window_extent(renderer) for t in labels
                                        if t.get_visible() and t.get_text().strip())),
                           key=lambda b: (b.x0, b.y0)[lo])
            for a, b in zip(boxes, boxes[1:]):
                if a.overlaps(b):
                    n += 1
    return n


class Report:
    def __init__(self, title):
        self.title = title
        self.inputs = []  # the files read: the report may be none of them
        self.sections = {k: [] for k, _ in SECTIONS}
        self.parts = self.sections["fit"]
        self.n_figures = 0
        self.overlaps = 0
        self.n_headings = 0

    def section(self, key):
        """Where the next parts go: one of SECTIONS, in the page's order whatever the files' order."""
        self.parts = self.sections[key]

    def heading(self, level, s):
        self.n_headings += 1
        self.parts.append('<h%d id="s%d">%s</h%d>' % (level, self.n_headings, html.escape(s), level))

    def para(self, s):
        self.parts.append("<p>%s</p>" % html.escape(s))

    def table(self, columns, rows, caption=None):
        out = ["<table>"]
        if caption:
            out.append("<caption>%s</caption>" % html.escape(caption))
        out.append("<tr>" + "".join("<th>%s</th>" % html.escape(c) for c in columns) + "</tr>")
        for r in rows:
            out.append("<tr>" + "".join("<td>%s</td>" % fmt(v) for v in r) + "</tr>")
        out.append("</table>")
        return "\n".join(out)

    def figure(self, fig, caption, columns, rows):
        """Embed fig (closed afterwards) with its caption and the table of what it plots; the number of
        overlapping tick labels goes on the figure (data-overlaps, checked by the tests)."""
        overlaps = tick_overlaps(fig)
        self.overlaps += overlaps
        if overlaps:
            sys.stderr.write("report: warning: %d overlapping tick labels in figure %d (%s)\n"
                             % (overlaps, self.n_figures + 1, caption[:60]))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        self.n_figures += 1
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        self.parts.append(
            '<figure data-overlaps="%d"><img class="fig" alt="%s" src="data:image/png;base64,%s">'
            "<figcaption>%s</figcaption>"
            "<details><summary>The numbers plotted (%d rows)</summary>%s</details></figure>"
            % (overlaps, html.escape(caption), data, html.escape(caption), len(rows), self.table(columns, rows)))

    def body(self):
        """The sections in SECTIONS order, each under its h2, and a table of contents of them and their
        h3 subsections."""
        parts, toc = [], ['<nav id="toc"><h2>Contents</h2><ol>']
        for key, title in SECTIONS:
            if not self.sections[key]:
                continue
            self.n_headings += 1
            anchor = "s%d" % self.n_headings
            parts.append('<h2 id="%s">%s</h2>' % (anchor, html.escape(title)))
            parts += self.sections[key]
            subs = ['<li><a href="#%s">%s</a></li>' % (m.group(1), m.group(2)) for m in
                    (re.match(r'<h3 id="(s\d+)">(.*)</h3>$', p) for p in self.sections[key]) if m]
            toc.append('<li><a href="#%s">%s</a>%s</li>' % (anchor, html.escape(title),
                                                             "<ol>%s</ol>" % "".join(subs) if subs else ""))
        toc.append("</ol></nav>")
        return "\n".join(toc + parts)

    def write(self, path):
        page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0; }
td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
th { background: #eee; }
img.fig { max-width: 100%%; }
figure { margin: 1.5em 0; }
figcaption { font-size: 0.9em; color: #444; }
.cite { font-size: 0.8em; color: #555; }
</style></head>
<body data-figures="pending">
<h1>%s</h1>
%s
<p class="cite">Survey figures: %s</p>
<script>
window.addEventListener("load", function () {
  var imgs = document.querySelectorAll("img.fig"), ok = 0;
  imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0) ok++; });
  document.body.setAttribute("data-figures", ok + "/" + imgs.length);
});
</script>
</body></html>
""" % (html.escape(self.title), html.escape(self.title), self.body(), html.escape(CITATION))
        with tyndau_h5.writing(path, self.inputs, binary=False) as f:
            f.write(page)
