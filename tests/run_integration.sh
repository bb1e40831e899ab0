#!/usr/bin/env bash
# run_integration.sh: end-to-end tests of the tyndau program (build/tyndau).
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/run_integration.sh
#
# Run from the repository root (`make integration` does).  Needs h5diff (Debian's
# hdf5-tools) and python3 with h5py, numpy and matplotlib.  Every check prints one
# line, "ok - ..." or "FAIL - ..." (with the captured stderr), and the last line
# is "integration: N passed, M failed, K skipped"; the exit status is nonzero if any failed.
# Runs are small (20000 agents or fewer, except the killed run) so the whole script
# takes well under a minute on two cores.
# shellcheck disable=SC2016  # the python programs are single-quoted on purpose
set -uo pipefail

TYNDAU=${TYNDAU:-build/tyndau}
PYTHON=${PYTHON:-/usr/bin/python3}
AGENTS=20000
SMALL=2000

# shellcheck source=tests/lib.sh
. tests/lib.sh
lib_init integration
notes=()

# tyn ARGS...: run tyndau; stdout in $tmp/stdout, stderr in $tmp/stderr, status in $rc.
tyn() {
    "$TYNDAU" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
}

# Anything under the output name OUT: the file itself or its temporary files.
leftovers() {
    local out=$1 f
    for f in "$out" "$out".tmp-*; do
        [ -e "$f" ] && echo "$f"
    done
    return 0
}

# expect_bad DESCRIPTION OUT PATTERN... -- ARGS...
#   tyndau ARGS must exit 2, print every PATTERN (fixed strings) on stderr and leave
#   nothing under OUT.  OUT "-" skips the last test (for an -o that is a directory,
#   which is checked by its caller).
expect_bad() {
    local desc=$1 out=$2
    shift 2
    local pats=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        pats+=("$1")
        shift
    done
    shift
    tyn "$@"
    local why=() p left
    [ "$rc" -eq 2 ] || why+=("exit $rc, expected 2")
    for p in "${pats[@]}"; do
        grep -qF -- "$p" "$tmp/stderr" || why+=("stderr lacks '$p'")
    done
    if [ "$out" != "-" ]; then
        left=$(leftovers "$out")
        [ -z "$left" ] || why+=("left behind: $left")
    fi
    if [ ${#why[@]} -eq 0 ]; then
        ok "bad input: $desc"
    else
        local IFS=';'
        fail "bad input: $desc (${why[*]})" "$tmp/stderr"
    fi
    rm -rf "$out" "$out".tmp-* 2>/dev/null
    return 0
}

# py CODE ARGS...: run python code; stdout+stderr in $tmp/py.out, status in $rc.
py() {
    local code=$1
    shift
    "$PYTHON" -c "$code" "$@" >"$tmp/py.out" 2>&1
    rc=$?
}

if [ ! -x "$TYNDAU" ]; then
    echo "FAIL - $TYNDAU is not an executable (run make first)"
    echo "integration: 0 passed, 1 failed"
    exit 1
fi

out=$tmp/out.h5

# ---------------------------------------------------------------------------
# 1. Bad input: exit 2, a message naming file, line, key and what was expected,
#    nothing under the output name.
# ---------------------------------------------------------------------------
run_bad() { # DESCRIPTION SCENARIO PATTERN...
    local desc=$1 sc=$2
    shift 2
    expect_bad "$desc" "$out" "$@" -- run "$sc" -o "$out" --agents "$SMALL" --quiet
}
scen() { # NAME LINE...: write $tmp/NAME.ini from lines
    local name=$1
    shift
    printf '%s\n' "$@" >"$tmp/$name.ini"
}

run_bad "missing scenario file" "$tmp/missing.ini" "$tmp/missing.ini" "cannot read"
mkdir "$tmp/dir.ini"
run_bad "unreadable scenario (a directory)" "$tmp/dir.ini" "$tmp/dir.ini" "cannot read"

scen unknown '[state]' 'corruption_mea = 0.2'
run_bad "unknown key suggests the nearest name" "$tmp/unknown.ini" \
    "$tmp/unknown.ini:2:" "corruption_mea'" "did you mean 'corruption_mean'"
scen range '[state]' 'corruption_mean = 1.5'
run_bad "value out of range" "$tmp/range.ini" \
    "$tmp/range.ini:2:" "corruption_mean" "expected" "[0, 1]" "1.5"
for v in abc nan inf 0.5x; do
    scen "value_$v" '; a comment' '[state]' "corruption_mean = $v"
    case $v in abc) d="not a number" ;; 0.5x) d="trailing junk" ;; *) d=$v ;; esac
    run_bad "value '$v' ($d)" "$tmp/value_$v.ini" \
        "$tmp/value_$v.ini:3:" "corruption_mean" "expected" "'$v'"
done
scen malformed '[state]' 'corruption_mean 0.5'
run_bad "malformed line (no '=')" "$tmp/malformed.ini" \
    "$tmp/malformed.ini:2:" "malformed" "expected"
scen duplicate '[state]' 'corruption_mean = 0.2' '' 'corruption_mean = 0.3'
run_bad "duplicate key names both lines" "$tmp/duplicate.ini" \
    "$tmp/duplicate.ini:4:" "corruption_mean" "line 2"

run_set_bad() { # DESCRIPTION SET PATTERN...
    local desc=$1 set=$2
    shift 2
    expect_bad "$desc" "$out" "$@" -- run -o "$out" --agents "$SMALL" --quiet --set "$set"
}
run_set_bad "--set without '='" "corruption_mean" "--set" "corruption_mean" "expected key=value"
run_set_bad "--set with an empty key" "=0.2" "--set" "=0.2" "expected key=value"
run_set_bad "--set with an empty value" "corruption_mean=" "--set" "corruption_mean=" "expected key=value"
run_set_bad "--set unknown key" "corruption_mea=0.2" "--set" "corruption_mea'" "did you mean 'corruption_mean'"
run_set_bad "--set value out of range" "corruption_mean=2" "--set" "corruption_mean" "expected" "'2'"

for n in 0 -5 abc; do
    expect_bad "--agents $n" "$out" "--agents" "expected" "'$n'" -- \
        run -o "$out" --agents "$n" --quiet
done
# More agents than memory allows (about 116 GiB at the largest accepted count).
expect_bad "--agents beyond memory" "$out" "--agents" "memory" "expected at most" -- \
    run -o "$out" --agents 4294967294 --quiet
expect_bad "--seed -1" "$out" "--seed" "expected" "'-1'" -- run -o "$out" --seed -1 --agents "$SMALL" --quiet
expect_bad "--threads 0" "$out" "--threads" "expected" "'0'" -- run -o "$out" --threads 0 --agents "$SMALL" --quiet

expect_bad "-o in a nonexistent directory" /nonexistent-dir/x.h5 "/nonexistent-dir/x.h5" "cannot write" -- \
    run -o /nonexistent-dir/x.h5 --agents "$SMALL" --quiet
mkdir "$tmp/outdir"
expect_bad "-o naming an existing directory" - "$tmp/outdir" "cannot write" "directory" -- \
    run -o "$tmp/outdir" --agents "$SMALL" --quiet
left=$(leftovers "$tmp/outdir" | grep -v "^$tmp/outdir\$"; ls -A "$tmp/outdir")
[ -d "$tmp/outdir" ] && [ -z "$left" ]
check "bad input: -o directory left untouched and no temporary files" $? "$tmp/stderr"

marg=data/survey_2021/marginals.csv
cut -d, -f1-5 "$marg" >"$tmp/nocol.csv"
expect_bad "--targets with a missing column" "$out" "$tmp/nocol.csv:1:" "missing column 'percent'" "expected" -- \
    run -o "$out" --agents "$SMALL" --quiet --targets "$tmp/nocol.csv"
# aware_concept total: 10.0 + 40.0 + 50.0 becomes 10.6 + 40.0 + 50.0 = 100.6
sed '2s/^aware_concept,all,total,all,fully_aware,10.0$/aware_concept,all,total,all,fully_aware,10.6/' "$marg" >"$tmp/sum.csv"
if cmp -s "$marg" "$tmp/sum.csv"; then
    fail "bad input: --targets row sum (could not edit line 2 of $marg)"
else
    expect_bad "--targets row summing to 100.6" "$out" "$tmp/sum.csv:2:" "aware_concept" "100.6" "expected 100" -- \
        run -o "$out" --agents "$SMALL" --quiet --targets "$tmp/sum.csv"
fi
expect_bad "--targets nonexistent file" "$out" "$tmp/nope.csv" "cannot read" -- \
    run -o "$out" --agents "$SMALL" --quiet --targets "$tmp/nope.csv"
expect_bad "unknown command" "$out" "frobnicate" "expected run, survey, params, calibrate, compare, sweep, merge or sensitivity" -- frobnicate -o "$out"
expect_bad "two scenario files" "$out" "expected at most one scenario" -- \
    run scenarios/baseline.ini scenarios/baseline.ini -o "$out" --agents "$SMALL" --quiet

# ---------------------------------------------------------------------------
# 2 and 3. A good run: the 102.3% warning, the schema, provenance, overrides.
# ---------------------------------------------------------------------------
good=$tmp/good.h5
tyn run scenarios/baseline.ini -o "$good" --agents "$AGENTS" --seed 3 --quiet
cp "$tmp/stderr" "$tmp/good.err"
[ "$rc" -eq 0 ] && [ -f "$good" ] && [ "$(leftovers "$good")" = "$good" ]
check "good run (--agents $AGENTS --seed 3) exits 0 and writes the file" $? "$tmp/good.err"
! grep -q "102.3" "$tmp/good.err"
check "aware_platform 102.3% row: no data warning with --quiet" $? "$tmp/good.err"
tyn run scenarios/baseline.ini -o "$tmp/loud.h5" --agents "$SMALL" --seed 3
[ "$rc" -eq 0 ] && [ "$(grep -c "102.3" "$tmp/stderr")" -eq 1 ] && grep -q "normalis" "$tmp/stderr" &&
    grep -q "aware_platform" "$tmp/stderr"
check "aware_platform 102.3% row: the warning once on stderr without --quiet" $? "$tmp/stderr"

py '
import re, sys, h5py
h5, doc, pdef = sys.argv[1:4]
text = open(doc, encoding="utf-8").read()
m = re.search(r"^```schema\n(.*?)^```", text, re.S | re.M)
if not m:
    sys.exit("no ```schema block in " + doc)
bad = []
n = 0
with h5py.File(h5, "r") as f:
    def obj(path):
        return f[path] if path in f or path == "/" else None
    for line in m.group(1).splitlines():
        w = line.split()
        if not w:
            continue
        n += 1
        kind, path = w[0], w[1]
        o = obj(path)
        if kind == "attr":
            if o is None or w[2] not in o.attrs:
                bad.append(line)
        elif kind == "group":
            if not isinstance(o, h5py.Group):
                bad.append(line)
        elif kind == "dataset":
            if not isinstance(o, h5py.Dataset):
                bad.append(line)
        else:
            bad.append("unknown schema line: " + line)
    names = re.findall(r"^TYNDAU_PARAM\((\w+),", open(pdef).read(), re.M)
    for p in names:
        n += 1
        if "parameters" not in f or p not in f["parameters"].attrs:
            bad.append("attr /parameters " + p)
for b in bad:
    print("missing:", b)
print(n, "items checked")
sys.exit(1 if bad or n < 100 else 0)
' "$good" docs/output_schema.md model/params.def
check "good run: every item of the schema block and every parameter present" $rc "$tmp/py.out"

py '
import sys, h5py
h5, ini = sys.argv[1:3]
def s(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)
bad = []
with h5py.File(h5, "r") as f:
    a = f.attrs
    if int(a["seed"]) != 3:
        bad.append("seed = %r, expected 3" % a["seed"])
    if not s(a["git_commit"]).strip():
        bad.append("git_commit is empty")
    if int(a["agents"]) != int(sys.argv[3]):
        bad.append("agents = %r" % a["agents"])
    t = f["scenario/text"][()]
    if isinstance(t, str):
        t = t.encode("utf-8")
    want = open(ini, "rb").read()
    if t != want:
        bad.append("/scenario/text (%d bytes) differs from %s (%d bytes)" % (len(t), ini, len(want)))
    if s(f["scenario"].attrs["source"]) != ini:
        bad.append("/scenario source = %r" % f["scenario"].attrs["source"])
    if len(f["scenario/overrides"]) != 0:
        bad.append("/scenario/overrides not empty")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
' "$good" scenarios/baseline.ini "$AGENTS"
check "good run: seed = 3, git_commit set, /scenario/text is baseline.ini byte for byte" $rc "$tmp/py.out"

setf=$tmp/set.h5
tyn run scenarios/baseline.ini -o "$setf" --agents "$SMALL" --seed 3 --quiet \
    --set corruption_mean=0.2 --set 'ties_mean = 9' --set survey_date=2021-08-10
if [ "$rc" -ne 0 ]; then
    fail "--set overrides: run exited $rc" "$tmp/stderr"
else
    py '
import sys, h5py
def s(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)
bad = []
with h5py.File(sys.argv[1], "r") as f:
    ov = [s(x) for x in f["scenario/overrides"][()]]
    want = ["corruption_mean=0.2", "ties_mean = 9", "survey_date=2021-08-10"]
    if ov != want:
        bad.append("/scenario/overrides = %r, expected %r" % (ov, want))
    p = f["parameters"].attrs
    if float(p["corruption_mean"]) != 0.2:
        bad.append("/parameters corruption_mean = %r" % p["corruption_mean"])
    if float(p["ties_mean"]) != 9.0:
        bad.append("/parameters ties_mean = %r" % p["ties_mean"])
    if s(p["survey_date"]) != "2021-08-10":
        bad.append("/parameters survey_date = %r" % p["survey_date"])
    if s(f.attrs["survey_date"]) != "2021-08-10":
        bad.append("root survey_date = %r" % f.attrs["survey_date"])
    tab = {s(r["name"]): s(r["value"]) for r in f["parameters/table"][()]}
    if tab.get("corruption_mean") != "0.2":
        bad.append("/parameters/table corruption_mean value = %r" % tab.get("corruption_mean"))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
' "$setf"
    check "--set overrides appear in /scenario/overrides and /parameters" $rc "$tmp/py.out"
fi

# ---------------------------------------------------------------------------
# 4. Reproducibility across thread counts; a different seed differs.
# ---------------------------------------------------------------------------
repro_ok=1
for t in 1 2 8; do
    tyn run scenarios/baseline.ini -o "$tmp/t$t.h5" --agents "$AGENTS" --seed 3 --threads "$t" --quiet
    if [ "$rc" -ne 0 ]; then
        fail "reproducibility: run with --threads $t exited $rc" "$tmp/stderr"
        repro_ok=0
    fi
done
if [ "$repro_ok" -eq 1 ]; then
    for t in 2 8; do
        for g in /timeseries /distributions /offices /anchors /survey /parameters /scenario; do
            h5diff -r "$tmp/t1.h5" "$tmp/t$t.h5" "$g" >"$tmp/h5diff.out" 2>&1
            check "reproducibility: $g identical with --threads 1 and --threads $t" $? "$tmp/h5diff.out"
        done
    done
    py '
import sys, h5py
skip = {"threads", "created", "command_line", "content_digest"}  # the digest covers the three
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    ka, kb = set(a.attrs) - skip, set(b.attrs) - skip
    bad = sorted(ka ^ kb) + [k for k in sorted(ka & kb) if a.attrs[k] != b.attrs[k]]
    if int(a.attrs["threads"]) != 1 or int(b.attrs["threads"]) != 8:
        bad.append("threads attributes %r, %r" % (a.attrs["threads"], b.attrs["threads"]))
for k in bad:
    print("root attribute differs:", k)
sys.exit(1 if bad else 0)
' "$tmp/t1.h5" "$tmp/t8.h5"
    check "reproducibility: root attributes equal but for threads, created, command_line (and content_digest)" $rc "$tmp/py.out"
    # the default thread count (good.h5) too
    h5diff -r "$tmp/t1.h5" "$good" /timeseries >"$tmp/h5diff.out" 2>&1
    check "reproducibility: /timeseries identical with the default thread count" $? "$tmp/h5diff.out"
fi
tyn run scenarios/baseline.ini -o "$tmp/seed4.h5" --agents "$AGENTS" --seed 4 --quiet
if [ "$rc" -ne 0 ]; then
    fail "different seed: run exited $rc" "$tmp/stderr"
else
    h5diff -q "$good" "$tmp/seed4.h5" /timeseries >"$tmp/h5diff.out" 2>&1
    h5rc=$?
    [ "$h5rc" -eq 1 ]
    check "different seed gives a different /timeseries (h5diff exit $h5rc, expected 1)" $? "$tmp/h5diff.out"
fi

# ---------------------------------------------------------------------------
# 5. tyndau survey.
# ---------------------------------------------------------------------------
tyn survey "$good" --csv
cp "$tmp/stdout" "$tmp/survey.csv"
cp "$tmp/stderr" "$tmp/survey.err"
hdr=$(head -n 1 "$tmp/survey.csv")
[ "$rc" -eq 0 ] && [ "$hdr" = "question,base,group_type,group,response,sample,simulated,observed,lo95,hi95,inside" ]
check "survey --csv: exit 0 and the exact header (got '$hdr')" $? "$tmp/survey.err"

py '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
have = {(r["group_type"], r["sample"]) for r in rows}
bad = ["no rows for group_type %s, sample %s" % (g, s)
       for g in ("total", "age", "income", "settlement", "sex", "region")
       for s in ("population", "quota") if (g, s) not in have]
extra = {s for _, s in have} - {"population", "quota"}
if extra:
    bad.append("unexpected samples %r" % sorted(extra))
for b in bad:
    print(b)
print(len(rows), "rows")
sys.exit(1 if bad else 0)
' "$tmp/survey.csv"
check "survey --csv: rows for every group type and both samples" $rc "$tmp/py.out"

# Every published cell appears, in both samples, with its observed value.  The one
# row the loader normalises (aware_platform total, published sum 102.3) is compared
# with its corrected value: the 'first_time' cell becomes 100 minus the others
# (the article's text: 44.5% aware), the others stay as published.
py '
import csv, math, sys
from collections import defaultdict
marg = list(csv.DictReader(open(sys.argv[1], newline="")))
out = list(csv.DictReader(open(sys.argv[2], newline="")))
key = lambda r: (r["question"], r["base"], r["group_type"], r["group"], r["response"])
sums = defaultdict(float)
for r in marg:
    sums[(r["question"], r["group_type"], r["group"])] += float(r["percent"])
got = {key(r) + (r["sample"],): r for r in out}
bad = []
for r in marg:
    p = float(r["percent"])
    s = sums[(r["question"], r["group_type"], r["group"])]
    if (r["question"], r["group_type"]) == ("aware_platform", "total") and abs(s - 102.3) < 0.5 \
            and r["response"] == "first_time":
        p = 100.0 - (s - p)
    for sample in ("population", "quota"):
        o = got.get(key(r) + (sample,))
        if o is None:
            bad.append("missing: %s %s" % (",".join(key(r)), sample))
        elif not (abs(float(o["observed"]) - p) <= 0.006) or o["inside"] not in ("0", "1"):
            bad.append("%s %s: observed %s inside %s, expected %.2f" % (",".join(key(r)), sample, o["observed"], o["inside"], p))
# unpublished cells have empty observed, lo95, hi95 and inside fields
n_pub = sum(1 for r in out if r["inside"] in ("0", "1") and r["sample"] == "population")
if n_pub != len(marg):
    bad.append("%d published population rows, expected %d" % (n_pub, len(marg)))
for b in bad:
    print(b)
print(len(marg), "published cells")
sys.exit(1 if bad else 0)
' "$marg" "$tmp/survey.csv"
check "survey --csv: every published cell of marginals.csv with its observed value" $rc "$tmp/py.out"

tyn survey "$good"
tail -n 8 "$tmp/stdout" >"$tmp/survey.tail"
[ "$rc" -eq 0 ] && grep -q "^Fit:" "$tmp/survey.tail" &&
    grep -Eq "population +sample: [0-9]+ of [0-9]+ inside" "$tmp/survey.tail" &&
    grep -Eq "quota +sample: [0-9]+ of [0-9]+ inside" "$tmp/survey.tail"
check "survey (table): exit 0, ends with a fit summary" $? "$tmp/survey.tail" "$tmp/stderr"

expect_bad "survey on a nonexistent file" - "$tmp/none.h5" -- survey "$tmp/none.h5"
printf 'not hdf5\n' >"$tmp/text.h5"
expect_bad "survey on a non-HDF5 file" - "$tmp/text.h5" "HDF5" -- survey "$tmp/text.h5"
expect_bad "survey without a file" - "usage" -- survey

# ---------------------------------------------------------------------------
# 6. analysis/survey_fit.py on the real output; the script's own tests.
# ---------------------------------------------------------------------------
"$PYTHON" analysis/survey_fit.py "$good" -o "$tmp/fit.png" >"$tmp/fit.out" 2>&1
fitrc=$?
magic=$(head -c 8 "$tmp/fit.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')
[ "$fitrc" -eq 0 ] && [ "$magic" = "89504e470d0a1a0a" ]
check "analysis/survey_fit.py on the run: exit $fitrc, PNG written" $? "$tmp/fit.out"

bash tests/test_survey_fit.sh >"$tmp/tsf.out" 2>&1
check "tests/test_survey_fit.sh" $? "$tmp/tsf.out"

# ---------------------------------------------------------------------------
# 7. params and --help.
# ---------------------------------------------------------------------------
tyn params
if [ "$rc" -ne 0 ]; then
    fail "params: exit $rc" "$tmp/stderr"
else
    grep -o '^TYNDAU_PARAM([a-z0-9_]*' model/params.def | sed 's/^TYNDAU_PARAM(//' | sort >"$tmp/pdef"
    tail -n +2 "$tmp/stdout" | awk '{print $1}' | sort >"$tmp/plist"
    diff "$tmp/pdef" "$tmp/plist" >"$tmp/pdiff" 2>&1 && [ -s "$tmp/pdef" ]
    check "params lists every parameter of params.def ($(wc -l <"$tmp/pdef") of them) and no other" $? "$tmp/pdiff"
fi
for cmd in "" run survey params calibrate sweep merge sensitivity; do
    # shellcheck disable=SC2086
    tyn $cmd --help
    [ "$rc" -eq 0 ] && grep -q "^usage: tyndau" "$tmp/stdout"
    check "tyndau ${cmd:+$cmd }--help: exit 0, usage on stdout" $? "$tmp/stderr"
done

# ---------------------------------------------------------------------------
# 8. A run killed with SIGKILL leaves nothing under the output name.
# ---------------------------------------------------------------------------
# analysis/oat.py: one-at-a-time sensitivity, on two parameters at a small size; every CSV
# difference is the changed cell minus the baseline's, the page lists both parameters, and a
# parameter the program does not know is refused with exit 2
"$PYTHON" analysis/oat.py --tyndau "$TYNDAU" --agents "$SMALL" --only tell_prob outreach_hear_rural \
    -o "$tmp/oat.md" --csv "$tmp/oat.csv" >"$tmp/oat.out" 2>&1
oatrc=$?
[ "$oatrc" -eq 0 ] && grep -q '^| `tell_prob` | diffusion |' "$tmp/oat.md" && grep -q '^| `outreach_hear_rural` | outreach |' "$tmp/oat.md" &&
    "$PYTHON" -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2 * 2 * 62, len(rows)
assert all(abs(float(r["changed"]) - float(r["baseline"]) - float(r["difference"])) < 1e-9 for r in rows)
assert any(abs(float(r["difference"])) > 0.5 for r in rows if r["parameter"] == "tell_prob")
' "$tmp/oat.csv" >>"$tmp/oat.out" 2>&1
check "analysis/oat.py: exit $oatrc, both parameters on the page, differences consistent" $? "$tmp/oat.out"
"$PYTHON" analysis/oat.py --tyndau "$TYNDAU" --agents "$SMALL" --only tell_prb -o "$tmp/oat2.md" >"$tmp/oat2.out" 2>&1
[ $? -eq 2 ] && grep -q "unknown parameter 'tell_prb'" "$tmp/oat2.out" && [ ! -e "$tmp/oat2.md" ]
check "analysis/oat.py refuses an unknown parameter with exit 2 and writes nothing" $? "$tmp/oat2.out"

killed=$tmp/killed.h5
"$TYNDAU" run -o "$killed" --agents 2000000 --seed 1 --quiet >/dev/null 2>"$tmp/killed.err" &
bg_pid=$!
sleep 1
if kill -0 "$bg_pid" 2>/dev/null; then
    kill -9 "$bg_pid" 2>/dev/null
    wait "$bg_pid" 2>/dev/null
    bg_pid=
    [ ! -e "$killed" ]
    check "killed run (SIGKILL after 1 s) leaves nothing under the output name" $? "$tmp/killed.err"
    tmps=$(leftovers "$killed")
    [ -n "$tmps" ] && notes+=("the killed run left its temporary file ($tmps): acceptable")
else
    wait "$bg_pid" 2>/dev/null
    bg_pid=
    fail "killed run: the run ended within 1 s, before it could be killed" "$tmp/killed.err"
fi

for n in "${notes[@]}"; do echo "# note: $n"; done
finish
