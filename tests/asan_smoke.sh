#!/usr/bin/env bash
# asan_smoke.sh TYNDAU: the program itself under AddressSanitizer + UBSan (make asan builds it so):
# a tiny run and a tiny calibration (Dirichlet-multinomial with a calibrated concentration, a
# holdout, the predictive check), then a resume from its file; a tiny comparison of scenarios
# with inheritance and dated changes; tiny sweeps (SALib's order with second order and noise
# runs; a CSV with pandas' index in a Morris layout) and their sensitivity indices; a logit-normal
# calibration with a design effect, its simulation-based calibration, a history match of it (with
# a resume), the SMC within its region and a comparison drawing from its posterior.  Any
# sanitizer report fails it.
set -uo pipefail
tyndau=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tyndau-asan.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fails=0 steps=0
step() { # DESCRIPTION COMMAND...
    local d=$1
    shift
    steps=$((steps + 1))
    if "$@" >"$tmp/out" 2>"$tmp/err" && ! grep -q "Sanitizer\|runtime error" "$tmp/err"; then
        echo "ok - asan: $d"
    else
        echo "FAIL - asan: $d"
        sed 's/^/    | /' "$tmp/err" | tail -30
        fails=$((fails + 1))
    fi
}
cat >"$tmp/c.ini" <<INI
[calibration]
scenario = $(pwd)/scenarios/baseline.ini
agents = 3000
seed = 2
particles = 8
max_generations = 3
predictive_draws = 10
[likelihood]
model = dirichlet-multinomial
concentration = loguniform 100 10000
[priors]
prior_disengaged = uniform 0.05 0.4
principle_shift_hear = normal 0 1 -3 3
INI
step "run --agents 3000" "$tyndau" run --agents 3000 -o "$tmp/r.h5" -q
step "calibrate (DM, holdout, predictive check)" "$tyndau" calibrate "$tmp/c.ini" -o "$tmp/a.h5" --holdout aware_concept:age -q
cp "$tmp/a.h5" "$tmp/b.h5.partial"
step "calibrate --resume" "$tyndau" calibrate "$tmp/c.ini" -o "$tmp/b.h5" --holdout aware_concept:age --resume -q
step "resumed posterior identical" h5diff -q "$tmp/a.h5" "$tmp/b.h5" /posterior /posterior
step "compare (inheritance, dated changes)" "$tyndau" compare scenarios/baseline.ini scenarios/combined.ini \
    scenarios/no_reform.ini -r 2 -n 2000 -q -o "$tmp/cmp.h5"
cat >"$tmp/ln.ini" <<INI
[calibration]
scenario = $(pwd)/scenarios/baseline.ini
agents = 2000
seed = 4
particles = 8
max_generations = 30
predictive_draws = 10
[likelihood]
model = logit-normal
design_effect = 1.5
discrepancy_contact = 0.05
[priors]
prior_disengaged = uniform 0.05 0.4
INI
step "calibrate (logit-normal, design effect, sensitivity matrix)" "$tyndau" calibrate "$tmp/ln.ini" -o "$tmp/ln.h5" -q
step "calibrate --sbc 2" "$tyndau" calibrate "$tmp/ln.ini" --sbc 2 -o "$tmp/sbc.h5" -q
printf '[history_match]\nwaves = 2\nruns_per_wave = 10\nsamples = 300\n' | cat "$tmp/ln.ini" - >"$tmp/hm.ini"
step "calibrate --history-match (logit-normal, 2 waves)" "$tyndau" calibrate "$tmp/hm.ini" --history-match -o "$tmp/hm.h5" -q
cp "$tmp/hm.h5" "$tmp/hm2.h5.partial"
step "calibrate --history-match --resume" "$tyndau" calibrate "$tmp/hm.ini" --history-match -o "$tmp/hm2.h5" --resume -q
step "calibrate --within" "$tyndau" calibrate "$tmp/ln.ini" --within "$tmp/hm.h5" -o "$tmp/lnw.h5" -q
sed 's/^max_generations = 30/max_generations = 30\nsurrogate_steps = 5\nobs_steps = 5/' "$tmp/ln.ini" >"$tmp/lns.ini"
step "calibrate --within, surrogate transitions and observation steps (2 threads)" "$tyndau" calibrate "$tmp/lns.ini" \
    --within "$tmp/hm.h5" \
    -o "$tmp/lns.h5" -q -t 2
step "compare --posterior" "$tyndau" compare scenarios/baseline.ini scenarios/anti_corruption.ini -r 2 -n 2000 -q \
    --posterior "$tmp/ln.h5" -o "$tmp/cmpp.h5"
cat >"$tmp/s.ini" <<INI
[sweep]
agents = 2000
design = saltelli_salib
second_order = yes
points = 2
noise_runs = 3
outputs = voice_rate trust_central
[parameters]
prior_disengaged = uniform 0.05 0.4
prior_trust_local = uniform 0.3 0.9
INI
printf ',prior_disengaged,prior_trust_local\n0,0.1,0.3\n1,0.4,0.3\n2,0.4,0.6\n3,0.2,0.9\n4,0.2,0.6\n5,0.5,0.6\n' >"$tmp/m.csv"
printf '[sweep]\nagents = 2000\nreplicates = 2\ndesign = csv\ncsv = m.csv\nlayout = morris\nlevels = 4\noutputs = voice_rate\n' >"$tmp/m.ini"
step "sweep (saltelli_salib, second order, noise runs)" "$tyndau" sweep "$tmp/s.ini" -o "$tmp/s.h5" -q
step "sensitivity (Sobol, second order, noise-corrected)" "$tyndau" sensitivity "$tmp/s.h5" --boot 20
step "sweep (csv, pandas index, morris layout)" "$tyndau" sweep "$tmp/m.ini" -o "$tmp/m.h5" -q
step "sensitivity (Morris)" "$tyndau" sensitivity "$tmp/m.h5" --boot 20
echo "asan smoke: $((steps - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
