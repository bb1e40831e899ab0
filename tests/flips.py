#!/usr/bin/python3
"""flips.py FILE N SEED CMD ...: N copies of FILE, each with four bytes flipped at an offset drawn
with SEED, given to CMD (the word FLIPPED in CMD is replaced by the copy's name).  Every case
must end either with exit 0 and the stdout of CMD on FILE itself, or with exit 2 and one line
on stderr that names the copy; never a signal, a traceback or another exit status.  Prints a
count of each kind of outcome and then "flips: N cases, K bad"; exits 1 when K > 0."""
import collections
import os
import random
import subprocess
import sys


def main(argv):
    src, n, seed, cmd = argv[1], int(argv[2]), int(argv[3]), argv[4:]
    flipped = os.path.join(os.path.dirname(os.path.abspath(src)), "flipped-" + os.path.basename(src))

    def run(path):
        return subprocess.run([path if w == "FLIPPED" else w for w in cmd], capture_output=True, timeout=300)

    data = open(src, "rb").read()
    with open(flipped, "wb") as fh:  # the reference under the same name: outputs may print it
        fh.write(data)
    ref = run(flipped)
    if ref.returncode != 0:
        print("flips: the command fails on the undamaged file (exit %d)" % ref.returncode)
        return 1
    rng = random.Random(seed)
    kinds, bad = collections.Counter(), []
    for _ in range(n):
        at = rng.randrange(0, len(data) - 4)
        mask = rng.randrange(1, 1 << 32).to_bytes(4, "little")
        d = bytearray(data)
        for k in range(4):
            d[at + k] ^= mask[k]
        with open(flipped, "wb") as fh:
            fh.write(d)
        p = run(flipped)
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        last = err[-1] if err else ""
        if p.returncode == 0 and p.stdout == ref.stdout:
            kinds["exit 0, the same output"] += 1
        elif p.returncode == 2 and len(err) == 1 and flipped in last and "Traceback" not in last:
            why = ("damaged: the HDF5 library failed in the probe" if "damaged (the HDF5 library" in last else
                   "damaged: content_digest differs" if "content_digest" in last else "another message")
            kinds["exit 2, " + why] += 1
        else:
            what = "exit 0, other output" if p.returncode == 0 else "exit %d" % p.returncode
            kinds["BAD: " + what] += 1
            bad.append("offset %d: %s: %s" % (at, what, last[:200]))
    os.unlink(flipped)
    for k, v in sorted(kinds.items()):
        print("  %4d  %s" % (v, k))
    for b in bad[:10]:
        print("  " + b)
    print("flips: %d cases, %d bad" % (n, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
