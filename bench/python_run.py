#!/usr/bin/python3
"""bench/python_run.py AGENTS THREADS OUT.h5 [REPEAT TYNDAU]: what `tyndau run --agents AGENTS
--threads THREADS -q -o OUT.h5` does, from Python (import, scenario, model, run, write).  With
REPEAT and TYNDAU it makes REPEAT runs in this one interpreter (as a notebook would), each timed
from Model() to the written file, in turns with the program's whole process (TYNDAU run, the
same run), and prints each pair's seconds and ratio: bench/python.sh takes their medians."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import tyndau  # noqa: E402

agents, threads, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if len(sys.argv) == 4:
    tyndau.Model(agents=agents, seed=1, threads=threads).run().write(out)
    sys.exit(0)
repeat, program = int(sys.argv[4]), sys.argv[5]
cli = [program, "run", "--agents", str(agents), "--threads", str(threads), "-q", "-o", out + ".cli.h5"]
for _ in range(repeat):
    t0 = time.perf_counter()
    tyndau.Model(agents=agents, seed=1, threads=threads).run().write(out)
    t1 = time.perf_counter()
    subprocess.run(cli, check=True, stderr=subprocess.DEVNULL)
    t2 = time.perf_counter()
    print("in-process %.4f s, command %.4f s, ratio %.4f" % (t1 - t0, t2 - t1, (t1 - t0) / (t2 - t1)), flush=True)
