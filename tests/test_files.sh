#!/usr/bin/env bash
# test_files.sh: every kind of file the program writes (run, sweep, merged sweep, compare,
# calibration, sensitivity) through the one HDF5 layer: each carries the provenance list of
# docs/output_schema.md at its root, every group opens in xarray (h5netcdf) with every
# dimension named, the run's days are dates, and the program's readers refuse a major version
# they do not know.
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_files.sh
#
# Run from the repository root.  Needs python3 with h5py, xarray and h5netcdf (Debian's
# python3-xarray, python3-h5netcdf).  Models are tiny: about half a minute on two cores.
# Last line: "files: N passed, M failed, K skipped".
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init files

# ---------------------------------------------------------------------------
# 1. One file of each kind.
# ---------------------------------------------------------------------------
cat >"$tmp/s.ini" <<EOF
[sweep]
scenario = $ROOT/scenarios/baseline.ini
agents = 1000
seed = 3
replicates = 1
noise_runs = 2
design = saltelli
points = 2
outputs = voice_rate survey:aware_concept:age:61+:fully_aware
[parameters]
prior_disengaged = uniform 0.05 0.4
media_platform = loguniform 0.0002 0.005
EOF
cat >"$tmp/c.ini" <<EOF
[calibration]
scenario = $ROOT/scenarios/baseline.ini
agents = 1000
seed = 3
particles = 8
max_generations = 1
predictive_draws = 10
[priors]
prior_disengaged = uniform 0.05 0.4
EOF
made=0
make_file() { # DESC OUT ARGS...: run tyndau, which must exit 0 and write OUT
    local desc=$1 out=$2
    shift 2
    "$TYNDAU" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq 0 ] && [ -s "$out" ]
    check "$desc (exit $rc)" $? "$tmp/err"
    made=$((made + 1))
}
make_file "a run file" "$tmp/run.h5" run --agents 2000 -q -o "$tmp/run.h5"
make_file "a sweep file" "$tmp/sweep.h5" sweep "$tmp/s.ini" -o "$tmp/sweep.h5" -q
make_file "a sweep's shard 0 of 2" "$tmp/shard0.h5" sweep "$tmp/s.ini" -o "$tmp/shard0.h5" -q --shard 0/2
make_file "a sweep's shard 1 of 2" "$tmp/shard1.h5" sweep "$tmp/s.ini" -o "$tmp/shard1.h5" -q --shard 1/2
make_file "a merged sweep" "$tmp/merged.h5" merge -o "$tmp/merged.h5" "$tmp/shard0.h5" "$tmp/shard1.h5"
make_file "a comparison" "$tmp/compare.h5" compare scenarios/baseline.ini scenarios/help_centres.ini \
    --replicates 2 --agents 1000 -q -o "$tmp/compare.h5"
make_file "a calibration" "$tmp/calib.h5" calibrate "$tmp/c.ini" -o "$tmp/calib.h5" -q
make_file "a simulation-based calibration" "$tmp/sbc.h5" calibrate "$tmp/c.ini" --sbc 2 -o "$tmp/sbc.h5" -q
make_file "a leave-one-family-out file" "$tmp/lo.h5" calibrate "$tmp/c.ini" --leave-out all -o "$tmp/lo.h5" -q
sed 's/^max_generations = 1$/max_generations = 30/' "$tmp/c.ini" >"$tmp/cfull.ini"
make_file "a finished calibration" "$tmp/cfull.h5" calibrate "$tmp/cfull.ini" -o "$tmp/cfull.h5" -q
make_file "a comparison with --posterior" "$tmp/cmppost.h5" compare scenarios/baseline.ini scenarios/help_centres.ini \
    --replicates 2 --agents 1000 -q --posterior "$tmp/cfull.h5" -o "$tmp/cmppost.h5"
make_file "a sensitivity file" "$tmp/sens.h5" sensitivity "$tmp/sweep.h5" -o "$tmp/sens.h5" --boot 20

# ---------------------------------------------------------------------------
# 2. The same root provenance in every kind; xarray names every dimension.
# ---------------------------------------------------------------------------
"$PYTHON" - "$tmp" docs/output_schema.md >"$tmp/py.out" 2>&1 <<'EOF'
import re, sys, warnings
import h5py, numpy as np, xarray as xr
d, doc = sys.argv[1], open(sys.argv[2]).read()
m = re.search(r"^```provenance\n(.*?)^```", doc, re.S | re.M)
if not m:
    sys.exit("no ```provenance block in " + sys.argv[2])
prov = m.group(1).split()
kinds = {"run": "tyndau-run", "sweep": "tyndau-sweep", "merged": "tyndau-sweep", "compare": "tyndau-compare",
         "calib": "tyndau-calibration", "sens": "tyndau-sensitivity", "sbc": "tyndau-sbc",
         "cmppost": "tyndau-compare", "lo": "tyndau-leave-out"}
bad = []
for stem, schema in kinds.items():
    path = "%s/%s.h5" % (d, stem)
    with h5py.File(path, "r") as f:
        missing = [a for a in prov if a not in f.attrs]
        if missing:
            bad.append("%s: no root %s" % (stem, ", ".join(missing)))
        name = f.attrs.get("schema_name", b"")
        name = name.decode() if isinstance(name, bytes) else name
        if name != schema:
            bad.append("%s: schema_name %r, expected %r" % (stem, name, schema))
        groups = ["/"]
        f.visititems(lambda k, o: groups.append("/" + k) if isinstance(o, h5py.Group) else None)
    for g in groups:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = xr.open_dataset(path, group=g, engine="h5netcdf")
            except Exception as e:  # a group xarray cannot open
                bad.append("%s%s: xarray: %s" % (stem, g, e))
                continue
        for v in ds.variables.values():
            anon = [dim for dim in v.dims if dim.startswith("phony_dim")]
            if anon:
                bad.append("%s%s: %s has unnamed dimensions" % (stem, g, v.name))
        if stem == "run" and g == "/timeseries":
            day = ds["day"].values
            if day.dtype.kind != "M" or str(day[0])[:10] != ds["date"].values[0]:
                bad.append("run /timeseries/day: %r is not the dates of /timeseries/date" % day[:1])
            if ds["problems"].dims != ("day", "group", "domain") or "61+" not in list(ds["group"].values):
                bad.append("run /timeseries/problems: dims %r" % (ds["problems"].dims,))
        ds.close()
print("checked %d kinds against %d provenance attributes" % (len(kinds), len(prov)))
if bad:
    sys.exit("\n".join(bad))
EOF
check "every kind carries the provenance list and opens in xarray with named dimensions (of $made files)" $? \
    "$tmp/py.out"

# ---------------------------------------------------------------------------
# 3. The program's readers refuse a major version they do not know.
# ---------------------------------------------------------------------------
set_version() { # FILE VERSION
    "$PYTHON" -c 'import h5py, sys; f = h5py.File(sys.argv[1], "r+"); f.attrs["schema_version"] = sys.argv[2]' "$1" "$2"
}
cp "$tmp/run.h5" "$tmp/run9.h5" && set_version "$tmp/run9.h5" 9.0
"$TYNDAU" survey "$tmp/run9.h5" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "tyndau-run schema version '9.0' is not supported (this program reads 1.x)" "$tmp/err"
check "tyndau survey refuses tyndau-run 9.0 (exit $rc)" $? "$tmp/err"
cp "$tmp/sweep.h5" "$tmp/sweep9.h5" && set_version "$tmp/sweep9.h5" 9.1
"$TYNDAU" sensitivity "$tmp/sweep9.h5" -o "$tmp/s9.h5" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/s9.h5" ] && grep -q "tyndau-sweep schema version '9.1' is not supported" "$tmp/err"
check "tyndau sensitivity refuses tyndau-sweep 9.1 (exit $rc)" $? "$tmp/err"
cp "$tmp/shard1.h5" "$tmp/shard19.h5" && set_version "$tmp/shard19.h5" 9.0
"$TYNDAU" merge -o "$tmp/m9.h5" "$tmp/shard0.h5" "$tmp/shard19.h5" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/m9.h5" ] && grep -q "schema version '9.0' is not supported" "$tmp/err"
check "tyndau merge refuses a shard of tyndau-sweep 9.0 (exit $rc)" $? "$tmp/err"
for f in run compare calib sens; do
    cp "$tmp/$f.h5" "$tmp/${f}9.h5" && set_version "$tmp/${f}9.h5" 9.0
done
"$PYTHON" analysis/report.py "$tmp/compare9.h5" -o "$tmp/r9.html" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/r9.html" ] && grep -q "schema version 9.0 is not supported" "$tmp/err"
check "analysis/report.py refuses tyndau-compare 9.0 (exit $rc)" $? "$tmp/err"
"$PYTHON" analysis/calib_plots.py "$tmp/calib9.h5" -o "$tmp/cp9" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "schema version 9.0 is not supported" "$tmp/err"
check "analysis/calib_plots.py refuses tyndau-calibration 9.0 (exit $rc)" $? "$tmp/err"
"$PYTHON" analysis/polish.py "$tmp/calib9.h5" scenarios/baseline.ini -o "$tmp/p9.ini" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/p9.ini" ] && grep -q "schema version 9.0 is not supported" "$tmp/err"
check "analysis/polish.py refuses tyndau-calibration 9.0 (exit $rc)" $? "$tmp/err"
"$PYTHON" analysis/sweep.py "$tmp/sweep9.h5" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "schema version 9.1 is not supported" "$tmp/err"
check "analysis/sweep.py refuses tyndau-sweep 9.1 (exit $rc)" $? "$tmp/err"
"$PYTHON" analysis/survey_fit.py "$tmp/run9.h5" -o "$tmp/f9.png" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "schema version 9.0 is not supported" "$tmp/err"
check "analysis/survey_fit.py refuses tyndau-run 9.0 (exit $rc)" $? "$tmp/err"

finish
