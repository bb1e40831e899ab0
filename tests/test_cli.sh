#!/usr/bin/env bash
# test_cli.sh: the command line that guides and the calibrated model by default.
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_cli.sh
#
# Did-you-mean for commands and options (exit 2, one suggestion, no usage dump); every
# command's --help lists its options (cli_parse refuses a --help that does not) and the man
# pages (tools/man.py) are made from that text; a scenario without `base =` runs the calibrated baseline's
# values (bit-identical /timeseries to the baseline with the same key added) and `tyndau
# params` shows each value's origin; `base = none` gives the defaults of params.def; `tyndau
# run` stores the headline measures and prints them.  Runs of 2000 agents: a few seconds.
# shellcheck disable=SC2016  # the python programs are single-quoted on purpose
set -uo pipefail

TYNDAU=${TYNDAU:-build/tyndau}
PYTHON=${PYTHON:-/usr/bin/python3}
SMALL=2000

# shellcheck source=tests/lib.sh
. tests/lib.sh
lib_init cli

tyn() {
    "$TYNDAU" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
}

# suggests DESCRIPTION EXPECTED-STDERR-LINE ARGS...: exit 2, that exact first line, no usage
suggests() {
    local desc=$1 want=$2
    shift 2
    tyn "$@"
    [ "$rc" -eq 2 ] && [ "$(head -n 1 "$tmp/stderr")" = "$want" ] && ! grep -q "^usage:" "$tmp/stderr"
    check "$desc" $? "$tmp/stderr"
}

# ---- 1. did you mean ----
suggests "tyndau rnu: did you mean 'run'" "tyndau: unknown command 'rnu'; did you mean 'run'?" rnu
suggests "tyndau compre: did you mean 'compare'" "tyndau: unknown command 'compre'; did you mean 'compare'?" compre
suggests "tyndau sensitivty: did you mean 'sensitivity'" \
    "tyndau: unknown command 'sensitivty'; did you mean 'sensitivity'?" sensitivty
suggests "run --agnets: did you mean '--agents'" "tyndau: run: unknown option '--agnets'; did you mean '--agents'?" \
    run --agnets 1000
suggests "compare --replicate=3 is an abbreviation (getopt) but --replicas is not: did you mean '--replicates'" \
    "tyndau: compare: unknown option '--replicas'; did you mean '--replicates'?" compare --replicas 3 a.ini
suggests "sweep --shards: did you mean '--shard'" "tyndau: sweep: unknown option '--shards'; did you mean '--shard'?" \
    sweep --shards 0/2 x.ini
suggests "run --seed without a value says so" "tyndau: run: option '--seed' expects a value" run --seed
suggests "run --zzzzzz: no suggestion, the way to the list" "tyndau: run: unknown option '--zzzzzz'" run --zzzzzz
grep -q "'tyndau run --help' lists the options" "$tmp/stderr"
check "run --zzzzzz: points to 'tyndau run --help'" $? "$tmp/stderr"
tyn frobnicate
[ "$rc" -eq 2 ] && grep -q "expected run, survey, params" "$tmp/stderr"
check "an unknown command far from every name lists the commands" $? "$tmp/stderr"

# ---- 2. every --help lists its options ----
for c in run survey params calibrate compare sweep merge sensitivity; do
    tyn "$c" --help
    [ "$rc" -eq 0 ] && [ ! -s "$tmp/stderr" ] && grep -q "^  -h, --help" "$tmp/stdout"
    check "tyndau $c --help: exit 0, describes every option of its table, -h included" $? "$tmp/stderr" "$tmp/stdout"
done
{
    "$PYTHON" tools/man.py "$TYNDAU" "$tmp/man" >/dev/null 2>"$tmp/man.err"
    n=$(find "$tmp/man" -name 'tyndau*.1' | wc -l)
    [ "$n" -eq 9 ] && grep -q '^\.SH OPTIONS' "$tmp/man/tyndau-run.1" && grep -qF '\-\-agents N' "$tmp/man/tyndau-run.1"
    check "tools/man.py: tyndau.1 and one page per command (got $n), options as .TP items" $? "$tmp/man.err"
    if command -v man >/dev/null 2>&1; then
        MANWIDTH=80 man -l "$tmp/man/tyndau-compare.1" >"$tmp/man.txt" 2>"$tmp/man.err"
        grep -q -- "--replicates" "$tmp/man.txt"
        check "man -l tyndau-compare.1 renders its options" $? "$tmp/man.err" "$tmp/man.txt"
    fi
}

# ---- 3. the calibrated model by default ----
printf '[state]\ncorruption_mean = 0.12\n' >"$tmp/nobase.ini"
printf '[scenario]\nbase = %s/scenarios/baseline.ini\n[state]\ncorruption_mean = 0.12\n' "$PWD" >"$tmp/withbase.ini"
printf '[scenario]\nbase = none\n[state]\ncorruption_mean = 0.12\n' >"$tmp/none.ini"
tyn params "$tmp/nobase.ini" --set tell_prob=0.2
cp "$tmp/stdout" "$tmp/params.out"
"$PYTHON" - "$tmp/params.out" scenarios/baseline.ini "$tmp/nobase.ini" >"$tmp/py.out" 2>&1 <<'PY'
import re, sys
out, base, mine = sys.argv[1:]
rows = {}
for line in open(out):
    w = line.split(None, 3)
    if len(w) == 4 and w[0] != "name" and not line.startswith("tyndau:"):
        rows[w[0]] = (w[1], w[3].strip())
bad = []
# every key of baseline.ini, whatever its values today, comes from it: "baseline" in its
# [schedule], "calibrated" in every other section
section = ""
for n, line in enumerate(open(base), 1):
    sm = re.match(r"\s*\[\s*([^]]*?)\s*\]", line)
    if sm:
        section = sm.group(1)
    m = re.match(r"\s*(\w+)\s*=\s*(\S+)", line)
    if not m or m.group(1) in ("name", "description", "base"):
        continue
    key, val = m.groups()
    kind = "baseline" if section == "schedule" else "calibrated"
    want = "%s, embedded baseline.ini:%d" % (kind, n)
    if key == "tell_prob":
        want = "--set"
    if rows.get(key, ("", ""))[1] != want:
        bad.append("%s: origin %r, expected %r" % (key, rows.get(key), want))
    elif key != "tell_prob" and rows[key][0] != val:
        bad.append("%s: value %s, expected baseline.ini's %s" % (key, rows[key][0], val))
if rows.get("corruption_mean") != ("0.12", mine + ":2"):
    bad.append("corruption_mean: %r" % (rows.get("corruption_mean"),))
if rows.get("tell_prob") != ("0.2", "--set"):
    bad.append("tell_prob: %r" % (rows.get("tell_prob"),))
if not any(o == "default" for _, o in rows.values()):
    bad.append("no parameter with origin 'default'")
print("\n".join(bad) or "%d rows" % len(rows))
sys.exit(1 if bad or len(rows) < 100 else 0)
PY
check "params SCENARIO: baseline.ini's values with origin 'calibrated'/'baseline, LINE', the file's, --set" $? \
    "$tmp/py.out" "$tmp/stderr"
grep -q "^tyndau: parameters of 'nobase': [0-9]* calibrated" "$tmp/params.out" && \
    grep -q "1 from the scenario's file, 1 from --set" "$tmp/params.out"
check "params SCENARIO: a summary of the origins" $? "$tmp/params.out"

tyn run "$tmp/nobase.ini" -o "$tmp/nobase.h5" --agents "$SMALL" --seed 4
cp "$tmp/stdout" "$tmp/nobase.out"
r1=$rc
tyn run "$tmp/withbase.ini" -o "$tmp/withbase.h5" --agents "$SMALL" --seed 4 --quiet
r2=$rc
tyn run "$tmp/none.ini" -o "$tmp/none.h5" --agents "$SMALL" --seed 4 --quiet
r3=$rc
[ "$r1$r2$r3" = 000 ] && h5diff -q "$tmp/nobase.h5" "$tmp/withbase.h5" /timeseries /timeseries &&
    h5diff -q "$tmp/nobase.h5" "$tmp/withbase.h5" /survey /survey
check "a scenario without base runs the calibrated model: /timeseries and /survey equal to base = baseline.ini" $? \
    "$tmp/stderr"
! h5diff -q "$tmp/nobase.h5" "$tmp/none.h5" /timeseries /timeseries >/dev/null 2>&1
check "base = none runs something else (the defaults of params.def)" $?
grep -q "calibrated and" "$tmp/nobase.out" && grep -q "^headline measures" "$tmp/nobase.out" &&
    grep -q "^total:all " "$tmp/nobase.out" && grep -q "^responsiveness gaps" "$tmp/nobase.out"
check "run prints the origins' summary and the headline measures by group" $? "$tmp/nobase.out"
tyn run "$tmp/nobase.ini" -o "$tmp/nobase.h5" --agents "$SMALL" --seed 4
grep -q "warning: $SMALL agents: office-level measures .* below 400000 agents" "$tmp/stderr"
check "run at $SMALL agents warns that office measures depend on size below 400,000" $? "$tmp/stderr"
tyn run "$tmp/nobase.ini" -o "$tmp/nobase.h5" --agents "$SMALL" --seed 4 --quiet
[ "$rc" -eq 0 ] && [ ! -s "$tmp/stderr" ]
check "run --quiet: nothing on stderr (no size warning, no data warning)" $? "$tmp/stderr"

"$PYTHON" - "$tmp/nobase.h5" "$tmp/none.h5" "$tmp/withbase.h5" >"$tmp/py.out" 2>&1 <<'PY'
import sys, h5py, numpy as np
nob, none, withb = sys.argv[1:]
bad = []
def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(nob, "r") as f:
    names = [s(r["name"]) for r in f["parameters/table"][()]]
    origin = [s(x) for x in f["scenario/origin"][()]]
    if len(origin) != len(names):
        bad.append("origin has %d rows for %d parameters" % (len(origin), len(names)))
    o = dict(zip(names, origin))
    if not o.get("corruption_mean", "").endswith("nobase.ini:2"):
        bad.append("corruption_mean origin %r" % o.get("corruption_mean"))
    if not any(v.startswith("calibrated, embedded baseline.ini:") for v in origin):
        bad.append("no calibrated origin")
    # /headline against the file's own counts: resolution rate of the total = resolved / decided
    out = f["timeseries/outcomes"][()]
    codes = [c.strip() for c in s(f["timeseries/outcomes"].attrs["outcome_codes"]).split(",")]
    tot = out[:, 0, :].sum(axis=0)
    want = tot[codes.index("resolved")] / tot.sum()
    got = f["headline/resolution_rate"][0]
    if not abs(got - want) < 1e-12:
        bad.append("resolution_rate[all] %r, from /timeseries/outcomes %r" % (got, want))
    if f["headline/voice_rate"].shape != f["headline/group"].shape:
        bad.append("voice_rate not by group")
    if s(f["headline/answer_days"].attrs["units"]) != "days":
        bad.append("answer_days units")
    for k in ("gap_income", "gap_settlement", "gap_age"):
        if k not in f["headline"].attrs:
            bad.append("no attribute " + k)
with h5py.File(none, "r") as f:
    origin = [s(x) for x in f["scenario/origin"][()]]
    if any(v.startswith("calibrated") or v.startswith("baseline") for v in origin):
        bad.append("base = none has baseline origins")
print("\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
PY
check "run file: /scenario/origin per parameter, /headline by group agrees with /timeseries/outcomes" $? "$tmp/py.out"

printf '[scenario]\nbase = nowhere.ini\n' >"$tmp/badbase.ini"
tyn params "$tmp/badbase.ini"
[ "$rc" -eq 2 ] && grep -q "badbase.ini:2: key 'base': cannot read" "$tmp/stderr"
check "params SCENARIO with a missing base: exit 2, file and line" $? "$tmp/stderr"

# ---- 4. the analysis scripts run as the README calls them ----
bad=
for f in analysis/*.py tools/*.py; do
    grep -q '^if __name__ == "__main__":' "$f" || continue # a module, imported (tyndau_h5.py, report_page.py)
    [ "$(head -n 1 "$f")" = "#!/usr/bin/python3" ] && [ -x "$f" ] || bad="$bad $f"
done
[ -z "$bad" ]
check "analysis/*.py and tools/*.py start #!/usr/bin/python3 and are executable${bad:+ (not:$bad)}" $?
for f in analysis/survey_fit.py analysis/sweep.py analysis/report.py analysis/calib_plots.py; do
    "./$f" --help >"$tmp/stdout" 2>"$tmp/stderr"
    check "./$f --help: exit 0 (run directly, Debian's python3)" $? "$tmp/stderr"
done

finish
