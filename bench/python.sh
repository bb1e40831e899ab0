#!/usr/bin/env bash
# bench/python.sh TYNDAU [AGENTS] [THREADS]: the cost of calling the model from Python, into the
# section "## Python" of BENCHMARKS.md (`make bench-python`).  Times, with farm-bench,
# `tyndau run --agents AGENTS --threads THREADS -q -o FILE` (B) against bench/python_run.py, the
# same run from Python (A: interpreter start, import, scenario, model, run, write), in turns
# A B A B ..., pair by pair (the A/B median is the figure); then the same run repeated in one
# interpreter, timed from Model() to the written file (a run's cost in a notebook), in turns
# with the command's whole process; and the cost
# of starting: `python3 -c 'import tyndau'` with the library loaded against `python3 -c pass`.
# The load average is recorded beside the figures (a quiet machine is below about 1.5 on 2 cores).
#
#   make lib && bash bench/python.sh build/tyndau 1000000 2        (about a minute on 2 cores)
set -euo pipefail
tyndau=$(realpath "${1:-build/tyndau}")
agents=${2:-1000000}
threads=${3:-2}
runs=${RUNS:-9}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
med() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
row() { sed -n "s|^$1  *\([^ ]*\)  *\([^ ]*\)  *\([^ ]*\).*|\2 (\1, \3)|p" "$2"; }

load0=$(load)
farm-bench -n "$runs" --timeout 900 \
    --vs "$tyndau run --agents $agents --threads $threads -q -o $tmp/cli.h5" \
    -- /usr/bin/python3 "$here/python_run.py" "$agents" "$threads" "$tmp/py.h5" >"$tmp/pair.txt" 2>&1
cat "$tmp/pair.txt"
for g in /timeseries /distributions /offices /survey /parameters; do h5diff -q "$tmp/cli.h5" "$tmp/py.h5" "$g"; done
load1=$(load)
/usr/bin/python3 "$here/python_run.py" "$agents" "$threads" "$tmp/py.h5" "$runs" "$tyndau" >"$tmp/inproc.txt"
cat "$tmp/inproc.txt"
inproc=$(awk '{print $2}' "$tmp/inproc.txt" | med) incli=$(awk '{print $5}' "$tmp/inproc.txt" | med)
inratio=$(awk '{print $8}' "$tmp/inproc.txt" | med)
farm-bench -n 15 --vs "/usr/bin/python3 -c pass" -- /usr/bin/python3 -c \
    "import sys; sys.path.insert(0, '$here/../python'); import tyndau; tyndau._lib.lib()" >"$tmp/start.txt" 2>&1
cat "$tmp/start.txt"
cli=$(row "B wall s" "$tmp/pair.txt") py=$(row "A wall s" "$tmp/pair.txt") ratio=$(row "A/B wall" "$tmp/pair.txt")
imp=$(row "A wall s" "$tmp/start.txt") bare=$(row "B wall s" "$tmp/start.txt")
section=$(cat <<MD
## Python

Written by \`make bench-python\` (bench/python.sh); farm-bench medians (min, max).

- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' 2>/dev/null || echo -dirty)
- run: the baseline, $agents agents, $threads threads, create + run + write; $runs runs each, A and B in turns
- load average before: $load0 (pairs), $load1 (in one interpreter)

| figure | measured | goal |
|---|---|---|
| \`tyndau run -q -o\`, whole process, wall | $cli s | |
| the same from Python (\`bench/python_run.py\`: interpreter, import, run, write), whole process, wall | $py s | |
| Python / command line, pair by pair, wall | $ratio | < 1.05 |
| Python in one interpreter, Model() to the written file / the command's whole process, in turns (medians of $runs) | $inproc s / $incli s: ratio $inratio | < 1.05 |
| starting: \`python3 -c 'import tyndau'\` with the library loaded / \`python3 -c pass\`, wall | $imp / $bare s | |

The results are the same (h5diff of /timeseries, /distributions, /offices, /survey, /parameters).
MD
)
# the section replaces its old self in BENCHMARKS.md (or is added at the end)
SECTION=$section /usr/bin/python3 - "$here/../BENCHMARKS.md" <<'PY'
import os, re, sys
path, new = sys.argv[1], os.environ["SECTION"].strip() + "\n"
text = open(path).read()
m = re.search(r"^## Python\n.*?(?=^## |\Z)", text, re.S | re.M)
text = text[:m.start()] + new + ("\n" + text[m.end():] if m.end() < len(text) else "") if m else text.rstrip("\n") + "\n\n" + new
open(path, "w").write(text)
PY
echo "bench/python.sh: wrote the section Python of BENCHMARKS.md"
