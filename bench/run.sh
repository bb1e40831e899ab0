#!/usr/bin/env bash
# bench/run.sh TYNDAU: measure speed and memory, write BENCHMARKS.md.
# Figures are medians over repeated runs of the default (baseline) parameters;
# each configuration runs in its own process so that peak memory is its own.
set -euo pipefail
tyndau=${1:-build/tyndau}
build=$(dirname "$tyndau")
reps=${REPS:-3}
# the code measured: the commit, and -dirty if anything but this file differs from it
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':!BENCHMARKS.md' 2>/dev/null || commit="$commit-dirty"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench=$build/bench/bench # built by the Makefile with the program's flags
make --no-print-directory -s BUILD="$build" "$bench"

run() { # AGENTS THREADS
    echo "bench: $1 agents, $2 threads, $reps runs" >&2
    "$bench" "$1" "$2" "$reps" "$tmp/b.h5"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

national=$(run 11919241 2)
national1=$(run 11919241 1)
one_m=$(run 1000000 2)
t1=$(run 2000000 1)
t2=$(run 2000000 2)

# the whole command, as a user runs it (process start, scenario, survey table, HDF5)
walls=()
for _ in $(seq "$reps"); do
    s=$(date +%s.%N)
    "$tyndau" run --agents 11919241 --threads 2 --quiet -o "$tmp/cli.h5"
    e=$(date +%s.%N)
    walls+=("$(awk -v s="$s" -v e="$e" 'BEGIN {printf "%.2f", e - s}')")
done
cli_median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}')

div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", a / b}'; }
ratio=$(div "$(field us_per_citizen "$national")" "$(field us_per_citizen "$one_m")")
speedup=$(div "$(field total_s "$t1")" "$(field total_s "$t2")")
speedup_nat=$(div "$(field total_s "$national1")" "$(field total_s "$national")")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)

# the sections of bench/calibrate.sh and bench/sweep.sh (make bench-calibrate, bench-sweep) are kept
kept_sections=$(awk '/^## (Calibration|Sweeps)$/ {p = 1} p' BENCHMARKS.md 2>/dev/null || true)

cat > BENCHMARKS.md <<MD
# tyndau benchmarks

Written by \`make bench\` (bench/run.sh); do not edit by hand. Medians over $reps runs.

- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
- machine: $cpu, $(nproc) cores, $mem
- commit: $commit
- compiler: $(${CC:-gcc} --version | head -1)
- model: default parameters (the baseline), $(field days "$national") days from start_date to end_date, survey included
- command: \`make bench\` (library timings from bench/bench.c; whole-command times from \`tyndau run --agents 11919241 --threads 2 --quiet\`)

## National scale: every adult (11,919,241 citizens), 2 threads

| figure | measured | goal |
|---|---|---|
| whole command, wall time (median) | $(printf '%.1f' "$cli_median") s | <= 20 s |
| create + run + write (median; min, max) | $(field total_s "$national") s ($(field min_total_s "$national"), $(field max_total_s "$national")) | |
| of which: create / run (incl. survey) / write HDF5 | $(field new_s "$national") / $(field run_s "$national") / $(field write_s "$national") s | |
| peak resident memory | $(field peak_mib "$national") MiB | <= 1.5 GB |
| citizen-days per second per thread | $(field cd_per_s_per_thread "$national") | >= 2e8 per core |

## Cost per citizen: 12 M against 1 M (2 threads)

| agents | total s | us per citizen (whole run) |
|---|---|---|
| 1,000,000 | $(field total_s "$one_m") | $(field us_per_citizen "$one_m") |
| 11,919,241 | $(field total_s "$national") | $(field us_per_citizen "$national") |

Ratio 12 M / 1 M: $(printf '%.2f' "$ratio") (goal: within 20%, i.e. <= 1.20).

## Threads

| agents | threads | total s | citizen-days per second per thread |
|---|---|---|---|
| 11,919,241 | 1 | $(field total_s "$national1") | $(field cd_per_s_per_thread "$national1") |
| 11,919,241 | 2 | $(field total_s "$national") | $(field cd_per_s_per_thread "$national") |
| 2,000,000 | 1 | $(field total_s "$t1") | $(field cd_per_s_per_thread "$t1") |
| 2,000,000 | 2 | $(field total_s "$t2") | $(field cd_per_s_per_thread "$t2") |

Speed-up 2 threads / 1 thread (goal >= 1.8): $(printf '%.2f' "$speedup_nat") at 11,919,241 citizens,
$(printf '%.2f' "$speedup") at 2,000,000 (each simulated day has serial phases and two fork-joins
whose cost does not shrink with the model, so they weigh more in a smaller one).
No larger machine was measured for this file; 1-16 threads are recorded when one is at hand.

Raw lines:
\`\`\`
$national
$national1
$one_m
$t1
$t2
whole command: ${walls[*]} s
\`\`\`
MD
[ -n "$kept_sections" ] && printf '\n%s\n' "$kept_sections" >> BENCHMARKS.md
echo "bench: wrote BENCHMARKS.md" >&2
