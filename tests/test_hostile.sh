#!/usr/bin/env bash
# test_hostile.sh: hostile outputs and inputs, full disks and shared outputs (docs/guarantees.md).
#
#   TYNDAU=build/tyndau PYTHON=/usr/bin/python3 bash tests/test_hostile.sh
#
# Run from the repository root.  Every writing command is given outputs it must refuse before any
# work (a device node, a FIFO, a directory, one of its own inputs), inputs it must refuse without
# hanging or reading for ever (a FIFO, /dev/zero, a directory), an output another process is
# writing, and a full disk.  The full disk is a real one: a 96-200 KiB tmpfs when run as root (as
# CI is); without root the file-size limit (ulimit -f, SIGXFSZ ignored: writes fail with EFBIG),
# which is the same failure seen through another errno.  Models are tiny (2,000 agents) except the
# lock check's, which must run long enough to be caught (about 2 s).  Last line: "hostile: N
# passed, M failed, K skipped".
set -uo pipefail

TYNDAU=$(realpath "${TYNDAU:-build/tyndau}")
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init hostile
mnt=
lib_cleanup_extra() { if [ -n "$mnt" ]; then umount "$mnt" 2>/dev/null; fi; }
cd "$tmp" || exit 1

sweepfile() { # FILE AGENTS POINTS [OUTPUTS]
    cat >"$1" <<EOF
[sweep]
scenario = $ROOT/scenarios/baseline.ini
agents = $2
seed = 11
replicates = 1
design = lhs
points = $3
batch = 1
outputs = ${4:-voice_rate}
[parameters]
prior_disengaged = uniform 0.05 0.4
EOF
}
calibfile() { # FILE
    cat >"$1" <<EOF
[calibration]
scenario = $ROOT/scenarios/baseline.ini
agents = 2000
seed = 7
particles = 8
max_generations = 1
predictive_draws = 10
[likelihood]
model = multinomial
[priors]
prior_disengaged = uniform 0.05 0.4
EOF
}
sweepfile s.ini 2000 2
calibfile c.ini
B=$ROOT/scenarios/baseline.ini
"$TYNDAU" sweep s.ini -o shard.h5 -q --shard 0/1 2>/dev/null || fail "setup: a one-shard sweep"
cp shard.h5 shard_keep.h5

# fingerprint PATH: its type and, for a regular file, its size and checksum (a FIFO is not opened)
fingerprint() {
    stat -c '%F' "$1" 2>/dev/null
    if [ -f "$1" ]; then md5sum <"$1"; fi
}
# refused DESC PATTERN OUT -- ARGS...: exit 2 in at most 20 s, PATTERN on stderr, OUT unchanged (its
# type and contents), nothing new beside it (no OUT.tmp-*, OUT.partial.*, OUT.lock)
refused() {
    local desc=$1 pat=$2 out=$3
    shift 4
    local before after
    before=$(fingerprint "$out")
    timeout 20 "$TYNDAU" "$@" >out.txt 2>err.txt
    local rc=$?
    after=$(fingerprint "$out")
    local left
    left=$(ls -d "$out".tmp-* "$out".partial.* "$out".lock 2>/dev/null)
    [ "$rc" -eq 2 ] && grep -q -- "$pat" err.txt && [ "$before" = "$after" ] && [ -z "$left" ]
    check "$desc (exit $rc${left:+, left $left})" $? err.txt
}

# ---------------------------------------------------------------------------
# 1. Outputs that are not regular files: refused by every writing command, before any work.
# ---------------------------------------------------------------------------
mkfifo fifo.h5
mkdir dir.h5
specials=(fifo.h5 dir.h5)
if [ "$(id -u)" -eq 0 ] && mknod null.h5 c 1 3 2>/dev/null; then specials+=(null.h5); else skip "a device node as output (needs root)"; fi
for o in "${specials[@]}"; do
    kind=$(stat -c %F "$o")
    refused "run -o $kind" "$o: cannot write output: is a" "$o" -- run --agents 2000 -q -o "$o"
    refused "sweep -o $kind" "$o: cannot write output: is a" "$o" -- sweep s.ini -q -o "$o"
    refused "compare -o $kind" "$o: cannot write output: is a" "$o" -- compare "$B" "$B" --agents 2000 -q -o "$o"
    refused "calibrate -o $kind" "$o: cannot write output: is a" "$o" -- calibrate c.ini -q -o "$o"
    refused "merge -o $kind" "$o: cannot write output: is a" "$o" -- merge -o "$o" shard.h5
    refused "sensitivity -o $kind" "$o: cannot write output: is a" "$o" -- sensitivity shard.h5 -o "$o"
done
[ -c null.h5 ] || [ ! -e null.h5 ]
check "the device node is still a device node" $?

# ---------------------------------------------------------------------------
# 2. An output that is one of the inputs (by any name: a hard link too).
# ---------------------------------------------------------------------------
sed "s|^base = baseline.ini|base = $ROOT/scenarios/baseline.ini|" "$ROOT/scenarios/no_reform.ini" >nr.ini
printf '[scenario]\nname = child\nbase = nr.ini\n' >child.ini
ln s.ini s_link.ini
cp "$ROOT/data/survey_2021/marginals.csv" marg.csv
refused "run SC -o SC" "sc.ini\|nr.ini: cannot write output: it is the input" nr.ini -- run nr.ini --agents 2000 -q -o nr.ini
refused "run CHILD -o ITS BASE" "nr.ini: cannot write output: it is the input" nr.ini -- run child.ini --agents 2000 -q -o nr.ini
refused "run --targets T -o T" "marg.csv: cannot write output: it is the input" marg.csv -- run --targets marg.csv --agents 2000 -q -o marg.csv
refused "sweep S -o (a hard link to S)" "s_link.ini: cannot write output: it is the input s.ini" s_link.ini -- sweep s.ini -q -o s_link.ini
refused "compare A B -o B" "nr.ini: cannot write output: it is the input" nr.ini -- compare "$B" nr.ini --agents 2000 -q -o nr.ini
refused "calibrate C -o C" "c.ini: cannot write output: it is the input" c.ini -- calibrate c.ini -q -o c.ini
refused "merge -o SHARD SHARD" "shard.h5: cannot write output: it is the input" shard.h5 -- merge -o shard.h5 shard.h5
refused "sensitivity S -o S" "shard.h5: cannot write output: it is the input" shard.h5 -- sensitivity shard.h5 -o shard.h5
cmp -s shard.h5 shard_keep.h5
check "the shard is unchanged" $?

# ---------------------------------------------------------------------------
# 3. Inputs that are not regular files: refused at once (no hang on a FIFO, no endless /dev/zero).
# ---------------------------------------------------------------------------
mkfifo in.fifo
for args in "run in.fifo --agents 2000" "run /dev/zero" "run dir.h5" "sweep in.fifo" "sweep /dev/zero" \
    "compare $B in.fifo" "calibrate in.fifo" "calibrate /dev/zero" "survey in.fifo" "survey /dev/zero" \
    "sensitivity in.fifo" "merge in.fifo" "run --targets in.fifo" "run --targets /dev/zero"; do
    out=(-o new.h5)
    [ "${args%% *}" = survey ] && out=()
    # shellcheck disable=SC2086  # the words of args are the arguments
    refused "input: tyndau $args" "cannot read" new.h5 -- $args "${out[@]}"
done
printf '[scenario]\nname = f\nbase = in.fifo\n' >fifobase.ini
refused "a scenario whose base is a FIFO" "fifobase.ini:3: key 'base': cannot read 'in.fifo': expected a regular file" new.h5 -- run fifobase.ini -q -o new.h5
printf '[sweep]\ndesign = csv\ncsv = /dev/zero\nagents = 2000\noutputs = voice_rate\n' >big.ini
refused "a CSV design that is /dev/zero" "/dev/zero: cannot read: is a device" new.h5 -- sweep big.ini -q -o new.h5
head -c 300000000 /dev/zero 2>/dev/null | tr '\0' ' ' >huge.ini 2>/dev/null && truncate -s 300M huge.ini
refused "a 300 MB scenario" "huge.ini: cannot read scenario: expected at most" new.h5 -- run huge.ini -q -o new.h5
rm -f huge.ini

# ---------------------------------------------------------------------------
# 4. Part files by exact name: glob characters in -o, and another sweep's parts left alone.
# ---------------------------------------------------------------------------
timeout 60 "$TYNDAU" sweep s.ini -q -o 'o[1].h5' 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && [ -s 'o[1].h5' ] && ! ls 'o[1].h5'.* >/dev/null 2>&1
check "sweep -o 'o[1].h5': exit $rc, merged, no part files left" $? err.txt
echo other >oX.h5.partial.0
timeout 60 "$TYNDAU" sweep s.ini -q -o 'o*.h5' 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && [ -s 'o*.h5' ] && [ "$(cat oX.h5.partial.0)" = other ]
check "sweep -o 'o*.h5': exit $rc, another output's part file oX.h5.partial.0 left alone" $? err.txt
cp oX.h5.partial.0 'o*.h5.partial.x'
timeout 60 "$TYNDAU" sweep s.ini -q -o 'o*.h5' --resume 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && [ -e 'o*.h5.partial.x' ]
check "a file OUT.partial.x (not a rank number) is no part file: exit $rc, left alone" $? err.txt

# ---------------------------------------------------------------------------
# 5. One writer per output: a second sweep or compare to the same -o is refused at once.
# ---------------------------------------------------------------------------
sweepfile slow.ini 200000 6
"$TYNDAU" sweep slow.ini -q -o L.h5 2>first.err &
bg_pid=$!
for _ in $(seq 100); do [ -e L.h5.lock ] && break; sleep 0.05; done
timeout 20 "$TYNDAU" sweep slow.ini -q -o L.h5 2>err.txt
rc2=$?
timeout 20 "$TYNDAU" compare "$B" "$B" --agents 2000 -q -o L.h5 2>err2.txt
rc3=$?
running=$(kill -0 "$bg_pid" 2>/dev/null && echo 1)
wait "$bg_pid"
rc1=$?
bg_pid=
[ "$running" = 1 ] && [ "$rc2" -eq 2 ] && grep -q "L.h5: cannot write output: another tyndau (pid [0-9]*) is writing it" err.txt &&
    [ "$rc3" -eq 2 ] && grep -q "another tyndau" err2.txt
check "a second sweep (exit $rc2) and a compare (exit $rc3) to a sweep's output while it runs: refused" $? err.txt err2.txt
[ "$rc1" -eq 0 ] && [ -s L.h5 ] && [ ! -e L.h5.lock ] && ! ls L.h5.partial.* >/dev/null 2>&1
check "the first sweep completes (exit $rc1), its lock removed" $? first.err
echo 99999 >L2.h5.lock
timeout 60 "$TYNDAU" run --agents 2000 -q -o L2.h5 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && [ -s L2.h5 ] && [ ! -e L2.h5.lock ]
check "a lock file left by a killed run (not held) does not block: exit $rc" $? err.txt

# ---------------------------------------------------------------------------
# 5b. SIGTERM (a cluster's time limit): the batch finishes, the part file is kept and resumes to
#     the data of an uninterrupted run; calibrate stops between generations.
# ---------------------------------------------------------------------------
"$TYNDAU" sweep slow.ini -o T.h5 2>term.err &
bg_pid=$!
for _ in $(seq 200); do grep -q "to run" term.err 2>/dev/null && break; sleep 0.05; done
sleep 0.5
kill -TERM "$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=
[ "$rc" -eq 1 ] && grep -q "sweep: stopped by SIGTERM after [0-9]* runs on rank 0; T.h5.partial.0 kept: run the same command with --resume" term.err &&
    [ -s T.h5.partial.0 ] && [ ! -e T.h5 ] && [ ! -e T.h5.lock ]
check "sweep and SIGTERM: exit $rc, a clear line, the part file kept, nothing under the name" $? term.err
timeout 120 "$TYNDAU" sweep slow.ini -o T.h5 --resume -q 2>err.txt && h5diff -q T.h5 L.h5 /runs /runs 2>>err.txt
check "... --resume gives the uninterrupted sweep's /runs" $? err.txt
# tyndau run: stopped at the end of a day, nothing under the name, no temporary file beside it
for sig in TERM INT; do
    "$TYNDAU" run --agents 3000000 -q -o R.h5 2>term.err &
    bg_pid=$!
    for _ in $(seq 200); do [ -e R.h5.lock ] && break; sleep 0.05; done
    sleep 0.5
    kill -"$sig" "$bg_pid"
    wait "$bg_pid"
    rc=$?
    bg_pid=
    [ "$rc" -eq 1 ] && grep -q "run: stopped by SIG$sig after day [0-9]* of [0-9]*; nothing written to R.h5" term.err &&
        [ -z "$(ls R.h5* 2>/dev/null)" ]
    check "run and SIG$sig: exit $rc, a clear line, nothing under the name, no R.h5.tmp-* or R.h5.lock" $? term.err
done
sed 's/agents = 2000/agents = 20000/; s/particles = 8/particles = 16/; s/max_generations = 1/max_generations = 3/' c.ini >cs.ini
"$TYNDAU" calibrate cs.ini -o cs.h5 2>term.err &
bg_pid=$!
for _ in $(seq 400); do grep -q "generation 0" term.err 2>/dev/null && break; sleep 0.05; done
kill -TERM "$bg_pid"
wait "$bg_pid"
rc=$?
bg_pid=
[ "$rc" -eq 1 ] && grep -q "calibrate: stopped by SIGTERM after generation [0-9]*; cs.h5.partial kept" term.err &&
    [ -s cs.h5.partial ] && [ ! -e cs.h5 ] && [ ! -e cs.h5.lock ]
check "calibrate and SIGTERM: exit $rc, stopped between generations, cs.h5.partial kept" $? term.err
cp cs.h5.partial cs_saved.partial 2>/dev/null
timeout 120 "$TYNDAU" calibrate cs.ini -o cs.h5 --resume -q 2>err.txt &&
    [ "$("$PYTHON" -c 'import h5py,sys; print(h5py.File(sys.argv[1]).attrs["status"])' cs.h5)" != running ]
check "... and --resume completes it" $? err.txt

# ---------------------------------------------------------------------------
# 6. A full disk: exit 1 with the system's reason, no crash, nothing under the output name; a
#    sweep whose merge did not fit resumes from its part file.
# ---------------------------------------------------------------------------
# on_small_disk KB DESC ARGS...: run tyndau with its outputs in a disk of KB KiB ($disk)
disk=
if [ "$(id -u)" -eq 0 ] && mkdir -p mnt && mount -t tmpfs -o size=200k tmpfs mnt 2>/dev/null; then
    mnt=$tmp/mnt
    disk=tmpfs
else
    skip "a full disk as a tmpfs (needs root): the file-size limit (ulimit -f) instead"
fi
resize() { # KB
    if [ "$disk" = tmpfs ]; then rm -rf mnt/* && mount -o remount,size="$1"k mnt; else mkdir -p mnt && rm -rf mnt/*; fi
}
full_run() { # KB ARGS...: tyndau under the disk limit; status in $rc
    local kb=$1
    shift
    if [ "$disk" = tmpfs ]; then
        timeout 120 "$TYNDAU" "$@" >out.txt 2>err.txt
    else
        (trap '' XFSZ; ulimit -f "$kb"; exec timeout 120 "$TYNDAU" "$@") >out.txt 2>err.txt
    fi
    rc=$?
}
nospace() { grep -q "No space left on device\|File too large" err.txt; }
resize 200
full_run 200 run --agents 2000 -q -o mnt/a.h5
[ "$rc" -eq 1 ] && nospace && [ -z "$(ls -A mnt)" ]
check "run on a full disk: exit $rc (not a crash), 'No space left on device', nothing left" $? err.txt
sweepfile sf.ini 2000 20 survey:published
resize 40
full_run 40 sweep sf.ini -q -o mnt/s.h5
[ "$rc" -eq 1 ] && nospace && [ ! -e mnt/s.h5 ] && ! ls mnt/s.h5.tmp-* >/dev/null 2>&1 && ! ls mnt/*.partial.* >/dev/null 2>&1
check "sweep on a disk too small for its part file: exit $rc, nothing left (no half part file)" $? err.txt
resize 96
full_run 96 sweep sf.ini -q -o mnt/s.h5
[ "$rc" -eq 1 ] && nospace && [ ! -e mnt/s.h5 ] && ! ls mnt/s.h5.tmp-* >/dev/null 2>&1 && [ -s mnt/s.h5.partial.0 ]
check "sweep whose merge does not fit: exit $rc, nothing under the name, its part file kept" $? err.txt
mkdir -p resumed && cp mnt/s.h5.partial.0 resumed/ && cp sf.ini resumed/ && cp mnt/s.h5.partial.0 part_keep.h5
(cd resumed && timeout 60 "$TYNDAU" sweep sf.ini -o s.h5 --resume) >out.txt 2>err.txt
rc=$?
[ "$rc" -eq 0 ] && grep -q "0 to run" err.txt && "$TYNDAU" sweep sf.ini -q -o fresh.h5 2>/dev/null &&
    h5diff -q resumed/s.h5 fresh.h5 /runs/y /runs/y
check "... and resumes from it with room: exit $rc, no run again, the same results as a fresh sweep" $? err.txt
# the status after a resume: failed runs of the earlier part count (the merge that did not fit
# stands for a kill between the last run and the merged file's name)
printf '[sweep]\nagents = 2000\ndesign = lhs\npoints = 20\nbatch = 1\noutputs = survey:published\n[parameters]\nage_share_18_29 = uniform 0.2 0.7\n' >fr.ini
resize 96
full_run 96 sweep fr.ini -q -o mnt/f.h5
mkdir -p resumed_f && cp mnt/f.h5.partial.0 resumed_f/ 2>/dev/null && cp fr.ini resumed_f/
(cd resumed_f && timeout 60 "$TYNDAU" sweep fr.ini -o f.h5 --resume -q) 2>err.txt
status=$("$PYTHON" -c 'import h5py,sys; print(h5py.File(sys.argv[1]).attrs["status"])' resumed_f/f.h5 2>>err.txt)
[ "$rc" -eq 1 ] && [ "$status" = "complete, with failed runs" ]
check "a resumed sweep whose failed runs were all in the earlier part: status '$status'" $? err.txt
resize 40
full_run 40 compare "$B" "$B" --agents 2000 --replicates 2 -q -o mnt/c.h5
[ "$rc" -eq 1 ] && nospace && [ ! -e mnt/c.h5 ] && ! ls mnt/c.h5.* >/dev/null 2>&1
check "compare on a full disk: exit $rc, nothing left" $? err.txt
resize 64
full_run 64 calibrate c.ini -q -o mnt/cal.h5
[ "$rc" -eq 1 ] && nospace && [ ! -e mnt/cal.h5 ] && ! ls mnt/cal.h5.tmp-* mnt/cal_calibrated.ini >/dev/null 2>&1
check "calibrate on a full disk: exit $rc, nothing under the name" $? err.txt
# a disk that fills in generation 1: OUT.partial of generation 0 kept; with room, --resume ends
# with the posterior of an uninterrupted calibration
sed 's/max_generations = 1/max_generations = 2/' c.ini >c2.ini
timeout 120 "$TYNDAU" calibrate c2.ini -q -o c2full.h5 2>/dev/null
resize 96
full_run 96 calibrate c2.ini -q -o mnt/c2.h5
kept=$([ -s mnt/c2.h5.partial ] && [ ! -e mnt/c2.h5 ] && echo 1)
if [ "$disk" = tmpfs ]; then mount -o remount,size=4096k mnt; fi
timeout 120 "$TYNDAU" calibrate c2.ini -o mnt/c2.h5 --resume >out.txt 2>>err.txt
rc2=$?
[ "$rc" -eq 1 ] && [ "$kept" = 1 ] && [ "$rc2" -eq 0 ] && grep -q "resuming after generation 0" err.txt &&
    h5diff -q mnt/c2.h5 c2full.h5 /posterior /posterior 2>>err.txt
check "calibrate: a disk full in generation 1 (exit $rc, OUT.partial kept), then room and --resume (exit $rc2): the uninterrupted posterior" $? err.txt

# ---------------------------------------------------------------------------
# 7. INI lines that inih would misread, in scenarios and in the studies' files alike.
# ---------------------------------------------------------------------------
printf '[state] corruption_mean = 0.9\n' >after.ini
refused "scenario: text after ']'" "after.ini:1: text after the section header's ']'" new.h5 -- run after.ini -q -o new.h5
printf '[sweep] design = lhs\npoints = 2\n' >after_s.ini
refused "sweep file: text after ']'" "after_s.ini:1: text after the section header's ']'" new.h5 -- sweep after_s.ini -q -o new.h5
printf '[]\n' >empty.ini
refused "scenario: an empty section '[]' without keys" "empty.ini:1: an empty section name" new.h5 -- run empty.ini -q -o new.h5
printf '[scenario]\nname = x\n[from 2021-02-30]\n' >date.ini
refused "scenario: [from 2021-02-30] without keys" "date.ini:3: section \[from 2021-02-30\]: expected \[from YYYY-MM-DD\] with a valid date" new.h5 -- run date.ini -q -o new.h5
printf '[scenario]\nname = x\n\xEF\xBB\xBFcorruption_mean = 0.9\n' >bom2.ini
refused "scenario: a byte-order mark on line 2" "bom2.ini:3: a UTF-8 byte-order mark inside the file" new.h5 -- run bom2.ini -q -o new.h5
printf '\xEF\xBB\xBF[scenario]\nname = bom\n' >bom1.ini
timeout 60 "$TYNDAU" run bom1.ini --agents 2000 -q -o bom1.h5 2>err.txt
check "scenario: a byte-order mark at the very start is fine (exit $?)" $? err.txt
long=$(printf 'voice_rate %.0s' $(seq 30))
printf '[sweep]\ndesign = lhs\npoints = 2\noutputs = %s\n[parameters]\nprior_disengaged = uniform 0.05 0.4\n' "$long" >long.ini
refused "sweep file: a 340-character line, with its true limit" "long.ini:4: line of 340 characters: expected at most 197" new.h5 -- sweep long.ini -q -o new.h5
{
    printf '[sweep]\nscenario = %s\nagents = 2000\ndesign = lhs\npoints = 2\n' "$B"
    # 60 different outputs (one listed twice is refused): each measure in 7 groups, a line each
    for m in voice_rate resolution_rate formal_rate bribe_incidence answer_days platform_aware trust_central trust_local; do
        printf 'outputs ='
        for g in age:18-29 age:30-45 age:46-60 age:61+ income:high income:low income:middle; do printf ' %s:%s' "$m" "$g"; done
        printf '\n'
    done
    printf 'outputs = voice_rate gap_income gap_settlement gap_age\n'
    printf '[parameters]\nprior_disengaged = uniform 0.05 0.4\n'
} >many.ini
timeout 60 "$TYNDAU" sweep many.ini -q -o many.h5 2>err.txt &&
    [ "$("$PYTHON" -c 'import h5py,sys; print(len(h5py.File(sys.argv[1])["runs/output"]))' many.h5)" = 60 ]
check "sweep file: 60 outputs on nine 'outputs =' lines" $? err.txt

# calibrate --resume with nothing to resume starts, as sweep and compare do, to the same result
timeout 120 "$TYNDAU" calibrate c.ini -o cr.h5 --resume >/dev/null 2>err.txt && grep -q "no cr.h5.partial; starting" err.txt &&
    timeout 120 "$TYNDAU" calibrate c.ini -o cf.h5 -q 2>>err.txt && h5diff -q cr.h5 cf.h5 /posterior /posterior 2>>err.txt
check "calibrate --resume with nothing to resume: it starts, with the result of a fresh start" $? err.txt

# ---------------------------------------------------------------------------
# 8. What can be checked before the first run is: survey outputs, memory.
# ---------------------------------------------------------------------------
sweepfile so.ini 2000 2 survey:aware_concept:age:61+:fully_awre
refused "sweep: a survey output with an unknown response" "so.ini:9: key 'outputs': 'survey:aware_concept:age:61+:fully_awre': question 'aware_concept' has no response 'fully_awre'" new.h5 -- sweep so.ini -q -o new.h5
sweepfile so2.ini 2000 2 survey:aware_concep:age:61+:fully_aware
refused "sweep: a survey output with an unknown question" "unknown survey question 'aware_concep'" new.h5 -- sweep so2.ini -q -o new.h5
refused "compare -n 3000000000: refused for memory before any run" "--agents 3000000000: 2 model(s) at once need about" new.h5 -- compare "$B" "$B" -n 3000000000 --threads 2 -q -o new.h5
sweepfile sm.ini 100000000 2
refused "sweep: agents beyond memory for its threads" "sm.ini: key 'agents' = 100000000: 64 model(s) at once" new.h5 -- sweep sm.ini --threads 64 -q -o new.h5

# ---------------------------------------------------------------------------
# 9. CSV designs: line numbers counted over empty lines, decimal numbers only, a BOM and blanks
#    in the header taken, an empty field and a column given twice refused.
# ---------------------------------------------------------------------------
csvsweep() { printf '[sweep]\ndesign = csv\ncsv = %s\nagents = 2000\noutputs = voice_rate\n' "$2" >"$1"; }
printf 'prior_disengaged,media_platform\n0.1,0.001\n\n\n0.2,0x1p-10\n' >hex.csv
csvsweep hex.ini hex.csv
refused "CSV: a hex number, after two empty lines (its true line number)" "hex.csv:5: column 2 ('media_platform'): expected a number" new.h5 -- sweep hex.ini -q -o new.h5
printf 'prior_disengaged,media_platform\n0.1,,0.002\n' >gap.csv
csvsweep gap.ini gap.csv
refused "CSV: '0.1,,0.002' under two columns" "gap.csv:2: 3 values, expected 2" new.h5 -- sweep gap.ini -q -o new.h5
printf 'prior_disengaged,media_platform,prior_disengaged\n0.1,0.001,0.2\n' >twice.csv
csvsweep twice.ini twice.csv
refused "CSV: a column given twice" "twice.csv:1: column 'prior_disengaged' appears twice" new.h5 -- sweep twice.ini -q -o new.h5
printf '\xef\xbb\xbfprior_disengaged ,media_platform \r\n0.1,0.001\r\n0.2,0.002\r\n' >bom.csv
csvsweep bomc.ini bom.csv
timeout 60 "$TYNDAU" sweep bomc.ini -q -o bomc.h5 2>err.txt
check "CSV: a BOM, trailing blanks in the header and CRLF lines are read (exit $?)" $? err.txt

# ---------------------------------------------------------------------------
# 10. Forged attributes: checked against the data they describe before they size anything.
# ---------------------------------------------------------------------------
forge() { # FILE GROUP ATTR VALUE: set an integer attribute (and drop the content digest, as a
    # forger would who knows of it, or as in a file of an earlier version: else it finds the change)
    "$PYTHON" -c 'import h5py,sys,numpy as np; f=h5py.File(sys.argv[1],"r+"); f[sys.argv[2]].attrs[sys.argv[3]]=np.int64(sys.argv[4]); f.attrs.pop("content_digest", None)' "$@"
}
printf '[sweep]\nscenario = %s\nagents = 2000\nreplicates = 2\ndesign = saltelli\npoints = 4\noutputs = voice_rate\n[parameters]\nprior_disengaged = uniform 0.05 0.4\nmedia_platform = loguniform 0.0002 0.005\n' "$B" >sal.ini
timeout 120 "$TYNDAU" sweep sal.ini -q -o sal.h5 2>/dev/null
for a in "points 1000000000000" "replicates 1000000000"; do
    cp sal.h5 forged.h5 && forge forged.h5 / "${a% *}" "${a#* }"
    refused "sensitivity of a sweep file with a forged ${a% *} = ${a#* }" "forged.h5: //.* has 32 values, but the file's attributes say" new.h5 -- sensitivity forged.h5 --boot 10 -o new.h5
done
cp shard.h5 forged.h5 && "$PYTHON" -c 'import h5py,sys; h5py.File(sys.argv[1],"r+").attrs["points"]=3' forged.h5
refused "merge of a shard with a changed points, its content digest kept" "forged.h5: damaged (what it holds does not match its content_digest" new.h5 -- merge -o new.h5 forged.h5
cp shard.h5 forged.h5 && forge forged.h5 / points 1000000000000
refused "merge of a shard with a forged points" "forged.h5: //runs/status has .* values, but the file's attributes say" new.h5 -- merge -o new.h5 forged.h5
cp shard.h5 forged.h5 && forge forged.h5 / shard_count 1000000000000
refused "merge of a shard with a forged shard_count" "missing shard(s) 1, 2, 3" new.h5 -- merge -o new.h5 forged.h5
if [ -s cs_saved.partial ]; then
    cp cs_saved.partial csf.h5.partial && forge csf.h5.partial /generations n_generations 1000000000
    refused "calibrate --resume from a partial file with a forged n_generations" "/generations/beta has .* values, but the file's attributes say 1000000000" csf.h5 -- calibrate cs.ini -q --resume -o csf.h5
else
    fail "calibrate: no partial file saved by the SIGTERM check to forge"
fi

# ---------------------------------------------------------------------------
# 11. The analysis scripts: the same refusals through one helper (analysis/tyndau_h5.py), and a
#     damaged file ends with one line and exit 2, not a traceback.
# ---------------------------------------------------------------------------
A=$ROOT/analysis
timeout 60 "$TYNDAU" run --agents 2000 -q -o run.h5 2>/dev/null
pyrefused() { # DESC PATTERN OUT -- SCRIPT ARGS...
    local desc=$1 pat=$2 out=$3
    shift 4
    local before after
    before=$(fingerprint "$out")
    timeout 120 "$PYTHON" "$@" >out.txt 2>err.txt
    local rc=$?
    after=$(fingerprint "$out")
    [ "$rc" -eq 2 ] && grep -q -- "$pat" err.txt && ! grep -q Traceback err.txt && [ "$before" = "$after" ]
    check "$desc (exit $rc)" $? err.txt
}
pyrefused "survey_fit.py -o its input" "run.h5: cannot write output: it is the input run.h5" run.h5 -- "$A/survey_fit.py" run.h5 -o run.h5
pyrefused "survey_fit.py -o a FIFO" "fifo.h5: cannot write output: not a regular file" fifo.h5 -- "$A/survey_fit.py" run.h5 -o fifo.h5
pyrefused "report.py -o its input" "run.h5: cannot write output: it is the input" run.h5 -- "$A/report.py" run.h5 -o run.h5
cp "$ROOT/scenarios/baseline.ini" oat_sc.ini
pyrefused "oat.py -o its scenario" "oat_sc.ini: cannot write output: it is the input" oat_sc.ini -- "$A/oat.py" --tyndau "$TYNDAU" --scenario oat_sc.ini -o oat_sc.ini
pyrefused "oat.py --csv a FIFO" "fifo.h5: cannot write output: not a regular file" fifo.h5 -- "$A/oat.py" --tyndau "$TYNDAU" --scenario oat_sc.ini -o oat.md --csv fifo.h5
pyrefused "polish.py -o its calibrated scenario" "cf_calibrated.ini: cannot write output: it is the input" cf_calibrated.ini -- "$A/polish.py" cf.h5 cf_calibrated.ini -o cf_calibrated.ini --tyndau "$TYNDAU"
pyrefused "sweep.py --csv its input" "sal.h5: cannot write output: it is the input" sal.h5 -- "$A/sweep.py" sal.h5 --csv sal.h5
mkdir x_marginals.png
pyrefused "calib_plots.py -o a prefix whose figure is a directory" "x_marginals.png: cannot write output: not a regular file" x_marginals.png -- "$A/calib_plots.py" cf.h5 -o x
cp run.h5 trunc.h5 && truncate -s 300000 trunc.h5
cp sal.h5 trunc_s.h5 && truncate -s 20000 trunc_s.h5
cp cf.h5 trunc_c.h5 && truncate -s 30000 trunc_c.h5
pyrefused "survey_fit.py on a truncated run file" "trunc.h5" x.png -- "$A/survey_fit.py" trunc.h5 -o x.png
pyrefused "report.py on a truncated run file" "trunc.h5" x.html -- "$A/report.py" trunc.h5 -o x.html
pyrefused "sweep.py on a truncated sweep file" "trunc_s.h5" x.csv -- "$A/sweep.py" trunc_s.h5 --csv x.csv
pyrefused "calib_plots.py on a truncated calibration file" "trunc_c.h5" xc_marginals.png -- "$A/calib_plots.py" trunc_c.h5 -o xc
cp cf.h5 cf_nopost.h5 && "$PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r+"); del f["posterior"]' cf_nopost.h5
pyrefused "calib_plots.py on a calibration file without /posterior" "cf_nopost.h5\|posterior" xp_marginals.png -- "$A/calib_plots.py" cf_nopost.h5 -o xp

# ---------------------------------------------------------------------------
# 12. NUL bytes: refused with file and line by every reader (no silent truncation).
# ---------------------------------------------------------------------------
printf '[scenario]\nname = n\n[state]\ncorruption_mean = 0.1\x00\n' >nul_sc.ini
refused "scenario with a NUL byte" "nul_sc.ini:4: unexpected NUL byte" new.h5 -- run nul_sc.ini -q -o new.h5
printf '[sweep]\ndesign = lhs\npoints = 2\x00\noutputs = voice_rate\n[parameters]\nprior_disengaged = uniform 0.05 0.4\n' >nul_sw.ini
refused "sweep file with a NUL byte" "nul_sw.ini:3: unexpected NUL byte" new.h5 -- sweep nul_sw.ini -q -o new.h5
printf 'prior_disengaged\n0.1\n0.2\x00\n0.3\n' >nul.csv
csvsweep nul_csv.ini nul.csv
refused "CSV design with a NUL byte" "nul.csv:3: unexpected NUL byte" new.h5 -- sweep nul_csv.ini -q -o new.h5
{ head -c 2000 c.ini; printf '\x00\n'; } >nul_c.ini
refused "calibration file with a NUL byte" "nul_c.ini:[0-9]*: unexpected NUL byte" new.h5 -- calibrate nul_c.ini -q -o new.h5
{ head -3 marg.csv; printf '\x00'; tail -n +4 marg.csv; } >nul_t.csv
refused "targets with a NUL byte" "nul_t.csv:4: unexpected NUL byte" new.h5 -- run --targets nul_t.csv --agents 2000 -q -o new.h5

# ---------------------------------------------------------------------------
# 13. Damaged files.  A part file whose bytes were flipped (a row's outputs, its digest, its
#     structure) is set aside as NAME.damaged and its runs run again: --resume gives the
#     uninterrupted sweep's /runs.  A file read back with four bytes flipped anywhere (a run
#     file for survey and survey_fit.py, a sweep file for sensitivity) ends with exit 0 and
#     the same output, or exit 2 and one line naming it: never a crash inside HDF5.
# ---------------------------------------------------------------------------
flip_row() { # FILE DATASET ROW: one byte flipped in row ROW of DATASET, where it lies in FILE
    "$PYTHON" - "$@" <<'PY'
import sys, h5py, numpy as np
path, name, row = sys.argv[1], sys.argv[2], int(sys.argv[3])
with h5py.File(path, "r") as f:
    want = np.asarray(f[name][row]).tobytes()
data = bytearray(open(path, "rb").read())
at = data.find(want)
assert at >= 0 and data.find(want, at + 1) < 0, "the row's bytes are not in the file exactly once"
data[at + len(want) // 2] ^= 0x10
open(path, "r+b").write(data)
PY
}
if [ -s part_keep.h5 ] && [ -s fresh.h5 ]; then
    for what in "runs/y 3" "runs/digest 7" "timing/seconds 11"; do
        rm -rf dmg && mkdir dmg && cp part_keep.h5 dmg/s.h5.partial.0 && cp sf.ini dmg/
        flip_row dmg/s.h5.partial.0 ${what% *} ${what#* } 2>err.txt
        (cd dmg && timeout 60 "$TYNDAU" sweep sf.ini -o s.h5 --resume) >out.txt 2>>err.txt
        rc=$?
        [ "$rc" -eq 0 ] && grep -q "sweep: --resume: s.h5.partial.0: damaged (.*); set aside as s.h5.partial.0.damaged, its runs run again" err.txt &&
            [ -s dmg/s.h5.partial.0.damaged ] && [ ! -e dmg/s.h5.partial.0 ] && h5diff -q dmg/s.h5 fresh.h5 /runs /runs 2>>err.txt
        check "a part file with a byte flipped in /${what% *} (row ${what#* }): named, set aside, --resume gives the same /runs" $? err.txt
    done
    rm -rf dmg && mkdir dmg && cp part_keep.h5 dmg/s.h5.partial.0 && cp sf.ini dmg/ && truncate -s 20000 dmg/s.h5.partial.0
    echo earlier >dmg/s.h5.partial.0.damaged
    (cd dmg && timeout 60 "$TYNDAU" sweep sf.ini -o s.h5 --resume) >out.txt 2>err.txt
    rc=$?
    [ "$rc" -eq 0 ] && grep -q "s.h5.partial.0: damaged" err.txt && [ "$(cat dmg/s.h5.partial.0.damaged)" = earlier ] &&
        [ -s dmg/s.h5.partial.0.damaged.1 ] && h5diff -q dmg/s.h5 fresh.h5 /runs /runs 2>>err.txt
    check "a truncated part file: set aside as .damaged.1 (an earlier .damaged kept), the same /runs" $? err.txt
    rm -rf dmg && mkdir dmg && cp part_keep.h5 dmg/s.h5.partial.0 && cp sf.ini dmg/
    (cd dmg && timeout 60 "$TYNDAU" sweep sf.ini -o s.h5 --resume) >out.txt 2>err.txt
    rc=$?
    [ "$rc" -eq 0 ] && grep -q "0 to run" err.txt && ! grep -q damaged err.txt && h5diff -q dmg/s.h5 fresh.h5 /runs /runs 2>>err.txt
    check "the same part file undamaged: nothing set aside, no run again" $? err.txt
else
    fail "damaged part files: no part file kept by the full-disk check"
fi
cp run.h5 fl_run.h5 && cp sal.h5 fl_sal.h5
"$PYTHON" "$ROOT/tests/flips.py" fl_run.h5 200 14 "$TYNDAU" survey FLIPPED >flips.txt 2>&1
check "survey of a run file with 4 bytes flipped at 200 offsets: $(tr '\n' ' ' <flips.txt | sed 's/  */ /g')" $? flips.txt
"$PYTHON" "$ROOT/tests/flips.py" fl_sal.h5 60 15 "$TYNDAU" sensitivity FLIPPED --boot 10 -o "$tmp/fl_sens.h5" >flips.txt 2>&1
check "sensitivity of a sweep file with 4 bytes flipped at 60 offsets: $(tr '\n' ' ' <flips.txt | sed 's/  */ /g')" $? flips.txt
"$PYTHON" "$ROOT/tests/flips.py" fl_run.h5 8 16 "$PYTHON" "$A/survey_fit.py" FLIPPED -o "$tmp/fl.png" >flips.txt 2>&1
check "survey_fit.py on a run file with 4 bytes flipped at 8 offsets: $(tr '\n' ' ' <flips.txt | sed 's/  */ /g')" $? flips.txt

cd "$ROOT" || exit 1
finish
