#!/bin/bash
# Test analysis/survey_fit.py on synthetic HDF5 files that follow the /survey schema of
# 'tyndau run'.  Run from the repository root.  Needs /usr/bin/python3 with h5py, numpy
# and matplotlib (Debian's python3-h5py, python3-numpy, python3-matplotlib).
set -euo pipefail

PY=/usr/bin/python3
SCRIPT=analysis/survey_fit.py
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# Write three files: good.h5 (published and unpublished cells, both samples, root
# attributes), nosurvey.h5 (no /survey group), nodataset.h5 (/survey without 'hi95'),
# unpublished.h5 (every cell unpublished).
"$PY" - "$TMP" <<'EOF'
import sys
import h5py
import numpy as np

d = sys.argv[1]
nan = float("nan")
# question, base, group_type, group, response, simulated, observed, lo95, hi95, inside
cells = [
    ("aware_concept", "all", "total", "all", "fully_aware", 11.0, 10.0, 8.3, 11.7, 1),
    ("aware_concept", "all", "total", "all", "first_time", 57.0, 50.0, 47.2, 52.8, 0),
    ("aware_concept", "all", "age", "18-29", "first_time", 50.2, 51.9, 45.9, 57.9, 1),
    ("aware_concept", "all", "income", "low", "first_time", 60.0, 55.8, 50.1, 61.5, 1),
    ("aware_concept", "all", "settlement", "rural", "first_time", 58.0, nan, nan, nan, -1),
    ("concept_meaning", "aware_of_concept", "total", "all",
     "president_responds_on_social_media", 25.0, 31.1, 27.0, 35.2, 0),
    ("concept_meaning", "aware_of_concept", "total", "all", "other", 9.0, nan, nan, nan, -1),
    ("attention_local", "all", "total", "all", "pay_attention", 40.0, 41.3, 38.5, 44.1, 1),
]
rows = [c[:5] + ("population",) + c[5:] for c in cells]
rows += [c[:5] + ("quota",) + (c[5] + 3.0,) + c[6:9] + (-1 if c[9] < 0 else 0,) for c in cells]
text = h5py.string_dtype("utf-8")
names = ["question", "base", "group_type", "group", "response", "sample"]


def write(path, rows, drop=None, survey=True, version="1.2"):
    with h5py.File(path, "w") as f:
        f.attrs["schema_name"] = "tyndau-run"
        f.attrs["schema_version"] = version
        f.attrs["program_version"] = "0.0-test"
        f.attrs["git_commit"] = "deadbeefcafe0123"
        f.attrs["seed"] = np.int64(42)
        f.attrs["scenario_name"] = "synthetic"
        if not survey:
            f.create_group("agents")
            return
        g = f.create_group("survey")
        for k, name in enumerate(names):
            g.create_dataset(name, data=[r[k] for r in rows], dtype=text)
        for k, name in enumerate(["simulated", "observed", "lo95", "hi95"], start=6):
            g.create_dataset(name, data=np.array([r[k] for r in rows], dtype=np.float64))
        g.create_dataset("inside", data=np.array([r[10] for r in rows], dtype=np.int8))
        if drop:
            del g[drop]
        pop = [r for r in rows if r[5] == "population"]
        quota = [r for r in rows if r[5] == "quota"]
        g.attrs["n_published"] = sum(1 for r in pop if r[10] >= 0)
        g.attrs["n_inside_population"] = sum(1 for r in pop if r[10] == 1)
        g.attrs["n_inside_quota"] = sum(1 for r in quota if r[10] == 1)
        g.attrs["citation"] = "Kurmanov, Selteyev & Almaganbetov (2024)"


write(f"{d}/good.h5", rows)
write(f"{d}/nosurvey.h5", rows, survey=False)
write(f"{d}/nodataset.h5", rows, drop="hi95")
write(f"{d}/major2.h5", rows, version="2.0")
write(f"{d}/unpublished.h5",
      [r[:7] + (nan, nan, nan, -1) for r in rows])
EOF

# run ARGS...: run the script, leaving its exit code in $rc and stderr in $TMP/err.
run() {
    set +e
    "$SCRIPT" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    set -e
}

# is_png FILE: exists, starts with the PNG signature and is over 10 kB.
is_png() {
    [ -f "$1" ] || return 1
    [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || return 1
    [ "$(stat -c %s "$1")" -gt 10000 ]
}

# 1. A good file, default (population) sample, gives a PNG.
run "$TMP/good.h5" -o "$TMP/fit.png"
if [ "$rc" -eq 0 ] && is_png "$TMP/fit.png" && grep -q "4 of 6 published" "$TMP/out"; then
    pass "population sample: PNG written, 4 of 6 cells inside"
else
    fail "population sample (rc=$rc): $(cat "$TMP/out" "$TMP/err")"
fi

# 2. The quota sample of the same file.
run "$TMP/good.h5" -o "$TMP/fit_quota.png" --sample quota
if [ "$rc" -eq 0 ] && is_png "$TMP/fit_quota.png" && grep -q "0 of 6 published" "$TMP/out"; then
    pass "quota sample: PNG written, 0 of 6 cells inside"
else
    fail "quota sample (rc=$rc): $(cat "$TMP/out" "$TMP/err")"
fi

# 3. No /survey group: exit 2, no output file.
run "$TMP/nosurvey.h5" -o "$TMP/nosurvey.png"
if [ "$rc" -eq 2 ] && [ ! -e "$TMP/nosurvey.png" ] && grep -q "/survey" "$TMP/err"; then
    pass "no /survey group: exit 2, no output"
else
    fail "no /survey group (rc=$rc): $(cat "$TMP/err")"
fi

# 4. Nonexistent input: exit 2, no output file.
run "$TMP/missing.h5" -o "$TMP/missing.png"
if [ "$rc" -eq 2 ] && [ ! -e "$TMP/missing.png" ]; then
    pass "nonexistent input: exit 2"
else
    fail "nonexistent input (rc=$rc): $(cat "$TMP/err")"
fi

# 5. A missing dataset is named.
run "$TMP/nodataset.h5" -o "$TMP/nodataset.png"
if [ "$rc" -eq 2 ] && [ ! -e "$TMP/nodataset.png" ] && grep -q "hi95" "$TMP/err"; then
    pass "missing dataset: exit 2, named"
else
    fail "missing dataset (rc=$rc): $(cat "$TMP/err")"
fi

# 6. No published cells: exit 2.
run "$TMP/unpublished.h5" -o "$TMP/unpublished.png"
if [ "$rc" -eq 2 ] && [ ! -e "$TMP/unpublished.png" ] && grep -q "no published cells" "$TMP/err"; then
    pass "no published cells: exit 2"
else
    fail "no published cells (rc=$rc): $(cat "$TMP/err")"
fi

# 6b. A major version these scripts do not know is refused, with the versions they read.
run "$TMP/major2.h5" -o "$TMP/major2.png"
if [ "$rc" -eq 2 ] && [ ! -e "$TMP/major2.png" ] && grep -q "schema version 2.0 is not supported (these scripts read 1.x)" "$TMP/err"; then
    pass "unknown major version: exit 2, refused"
else
    fail "unknown major version (rc=$rc): $(cat "$TMP/err")"
fi

# 7. No temporary files are left beside the outputs.
if ! ls -A "$TMP" | grep '\.tmp$' >/dev/null; then
    pass "no temporary files left"
else
    fail "temporary files left: $(ls -A "$TMP")"
fi

# 8. --help works.
run --help
if [ "$rc" -eq 0 ] && grep -q -- "--sample" "$TMP/out"; then
    pass "--help"
else
    fail "--help (rc=$rc): $(cat "$TMP/err")"
fi

echo "survey_fit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
