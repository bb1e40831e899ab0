#!/usr/bin/env bash
# bench/python.sh TYNDAU [AGENTS] [THREADS]: the cost of calling the model from Python.  Times,
# with farm-bench, `tyndau run --agents AGENTS --threads THREADS -q -o FILE` (B) against
# bench/python_run.py, the same run from Python (A: interpreter start, import, scenario, model,
# run, write), in turns A B A B ..., pair by pair; prints farm-bench's report, whose A/B ratio
# median is the figure of BENCHMARKS.md ("Python"); then the same run repeated in one
# interpreter, timed from Model() to the written file (the cost of a run in a notebook).  Quote it only with the load average it
# prints beside it (a quiet machine is below about 1.5 on 2 cores).
#
#   make lib && bash bench/python.sh build/tyndau 1000000 2        (about a minute on 2 cores)
set -euo pipefail
tyndau=$(realpath "${1:-build/tyndau}")
agents=${2:-1000000}
threads=${3:-2}
runs=${RUNS:-9}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "bench/python.sh: $agents agents, $threads threads, $runs pairs; load before $(cut -d' ' -f1-3 /proc/loadavg)"
farm-bench -n "$runs" --timeout 600 \
    --vs "$tyndau run --agents $agents --threads $threads -q -o $tmp/cli.h5" \
    -- /usr/bin/python3 "$(dirname "$0")/python_run.py" "$agents" "$threads" "$tmp/py.h5"
echo "load after $(cut -d' ' -f1-3 /proc/loadavg)"
# in one interpreter (a notebook's use): each run from Model() to the written file, beside the
# command line's whole process (its median above)
/usr/bin/python3 "$(dirname "$0")/python_run.py" "$agents" "$threads" "$tmp/py.h5" "$runs" |
    sort -t: -k2 -g | awk '{print; v[NR] = $3} END {n = NR; printf "in-process median: %.4f s over %d runs\n", (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2), n}'
/usr/bin/python3 "$(dirname "$0")/python_run.py" "$agents" "$threads" "$tmp/py.h5"
# the two files hold the same run (bench/python.sh checks it, as tests/python does)
for g in /timeseries /survey /parameters; do h5diff -q "$tmp/cli.h5" "$tmp/py.h5" "$g"; done && echo "same results: yes"
