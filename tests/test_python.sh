#!/usr/bin/env bash
# test_python.sh: the Python package's tests (tests/python, Debian's python3-pytest) against the
# program and libtyndau.so of this build, the tutorial (docs/tutorial.md) among them.
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_python.sh
#
# Run from the repository root.  About half a minute on two cores.
# Last line: "python: N passed, M failed, K skipped" (pytest's own counts).
set -uo pipefail
PYTHON=${PYTHON:-/usr/bin/python3}
export TYNDAU=${TYNDAU:-build/tyndau}
out=$(mktemp "${TMPDIR:-/tmp}/tyndau-pytest.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
"$PYTHON" -m pytest -q -p no:cacheprovider tests/python 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
summary=$(tail -1 "$out")
count() { sed -n "s/.*[^0-9]\([0-9][0-9]*\) $1.*/\1/p;s/^\([0-9][0-9]*\) $1.*/\1/p" <<<"$summary" | head -1; }
p=$(count passed) f=$(count failed) e=$(count error) s=$(count skipped)
failed=$((${f:-0} + ${e:-0}))
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1 # pytest failed without a count (a collection error)
echo "python: ${p:-0} passed, $failed failed, ${s:-0} skipped"
[ "$failed" -eq 0 ]
