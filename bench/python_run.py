#!/usr/bin/python3
"""bench/python_run.py AGENTS THREADS OUT.h5 [REPEAT]: what `tyndau run --agents AGENTS --threads
THREADS -q -o OUT.h5` does, from Python (import, scenario, model, run, write).  With REPEAT > 1
it makes that many runs in this one interpreter (seed 1 each, as a notebook would) and prints
the wall seconds of each, from Model() to the written file.  bench/python.sh times both."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import tyndau  # noqa: E402

agents, threads, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 1
for _ in range(repeat):
    t0 = time.perf_counter()
    tyndau.Model(agents=agents, seed=1, threads=threads).run().write(out)
    if repeat > 1:
        print("in-process run: %.4f s" % (time.perf_counter() - t0), flush=True)
