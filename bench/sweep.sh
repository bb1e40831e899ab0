#!/usr/bin/env bash
# bench/sweep.sh TYNDAU: speed and memory of `tyndau sweep`; writes the "Sweeps" section of
# BENCHMARKS.md (make bench-sweep, about 5 minutes on 2 cores).
#
#   1. MPI ranks: a 64-point Latin-hypercube sweep (50,000 agents, 1 replicate) with
#      mpirun -np 1 and -np 2, one thread per rank; medians of REPS runs.
#   2. Per-run overhead at 100,000 citizens: a 16-run sweep on 1 rank x 1 thread, wall time
#      against the sum of the runs' own times (/timing/seconds: model creation, run, outputs).
#   3. The writer's memory: peak RSS of sweeps of 1,000 and 10,000 points of a tiny model
#      (100 agents), 1 thread.
set -euo pipefail
tyndau=${1:-build/tyndau}
python=${PYTHON:-/usr/bin/python3}
reps=${REPS:-3}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':!BENCHMARKS.md' 2>/dev/null || commit="$commit-dirty"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1

sweep_ini() { # FILE AGENTS POINTS
    cat >"$1" <<EOF
[sweep]
scenario = $(pwd)/scenarios/baseline.ini
agents = $2
seed = 1
design = lhs
points = $3
max_runs = 100000
outputs = voice_rate resolution_rate gap_income trust_central survey:aware_concept:total:all:fully_aware
[parameters]
prior_disengaged = uniform 0.05 0.4
media_platform = loguniform 0.0002 0.005
prior_trust_local = uniform 0.3 0.9
EOF
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
wall() { # command...: wall seconds
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f\n", e - s}'
}

# 1. ranks and threads, at two model sizes (the fixed cost of mpirun weighs more on short runs)
mpi=(mpirun --allow-run-as-root --oversubscribe)
rows=""
for agents in 50000 200000; do
    sweep_ini "$tmp/r.ini" "$agents" 64
    echo "bench: 64-point sweep of $agents agents: 1 thread, mpirun -np 1 and 2, 2 threads; $reps runs each" >&2
    s1=$(for _ in $(seq "$reps"); do wall "$tyndau" sweep "$tmp/r.ini" -o "$tmp/s1.h5" -t 1 -q; done | median)
    r1=$(for _ in $(seq "$reps"); do wall "${mpi[@]}" -np 1 "$tyndau" sweep "$tmp/r.ini" -o "$tmp/r1.h5" -t 1 -q; done | median)
    r2=$(for _ in $(seq "$reps"); do wall "${mpi[@]}" -np 2 "$tyndau" sweep "$tmp/r.ini" -o "$tmp/r2.h5" -t 1 -q; done | median)
    t2=$(for _ in $(seq "$reps"); do wall "$tyndau" sweep "$tmp/r.ini" -o "$tmp/t2.h5" -t 2 -q; done | median)
    sp() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
    rows="$rows| $agents | $s1 s | $r1 s | $r2 s | **$(sp "$r1" "$r2")** | $t2 s | $(sp "$s1" "$t2") |
"
done
mpirun_s=$(for _ in $(seq "$reps"); do wall "${mpi[@]}" -np 2 true; done | median)

# 2. overhead at 100,000 citizens
sweep_ini "$tmp/o.ini" 100000 16
echo "bench: per-run overhead, 16 runs of 100,000 citizens, $reps times" >&2
ovh=()
for _ in $(seq "$reps"); do
    w=$(wall "$tyndau" sweep "$tmp/o.ini" -o "$tmp/o.h5" -t 1 -q)
    s=$("$python" -c 'import h5py,sys; print("%.3f" % h5py.File(sys.argv[1],"r")["timing/seconds"][:].sum())' "$tmp/o.h5")
    ovh+=("$w $s")
done
read -r o_wall o_sum < <(printf '%s\n' "${ovh[@]}" | awk '{print $1 - $2, $0}' | sort -g | awk -v n="$reps" 'NR == int((n + 1) / 2) {print $2, $3}')

# 3. memory of the writer
sweep_ini "$tmp/m1.ini" 100 1000
sweep_ini "$tmp/m2.ini" 100 10000
echo "bench: writer memory, 1,000 and 10,000 points of 100 agents" >&2
/usr/bin/time -f "%M %e" -o "$tmp/m1.time" "$tyndau" sweep "$tmp/m1.ini" -o "$tmp/m1.h5" -t 1 -q
/usr/bin/time -f "%M %e" -o "$tmp/m2.time" "$tyndau" sweep "$tmp/m2.ini" -o "$tmp/m2.h5" -t 1 -q
read -r m1 e1 <"$tmp/m1.time"
read -r m2 e2 <"$tmp/m2.time"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | awk '{print $1, $2}')
cat >"$tmp/section.md" <<MD
## Sweeps

Written by \`make bench-sweep\` (bench/sweep.sh); medians of $reps runs where stated.

- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
- machine: $cpu, $(nproc --all) cores
- commit: $commit
- sweeps: Latin hypercube over 3 parameters, 5 outputs, 1 replicate, whole command (process start, design, part files, merge)

64-point sweeps, wall time (medians); speed-up goal for 2 ranks: >= 1.85.

| agents per run | 1 process, 1 thread | mpirun -np 1 | mpirun -np 2 | 2 ranks / 1 rank | 1 process, 2 threads | 2 threads / 1 |
|---|---|---|---|---|---|---|
$rows
\`mpirun -np 2 true\` alone takes $mpirun_s s (start-up of the MPI runtime, included above).

| figure | measured | goal |
|---|---|---|
| 16 runs x 100,000 agents, 1 thread: wall time / sum of the runs' own times | $o_wall s / $o_sum s | |
| per-run overhead (start-up, design, writing, merge) | $(awk -v w="$o_wall" -v s="$o_sum" 'BEGIN {printf "%.1f%%", 100 * (w - s) / s}') | <= 5% |
| writer memory: peak RSS, 1,000 points of 100 agents | $((m1 / 1024)) MiB ($e1 s) | flat |
| writer memory: peak RSS, 10,000 points of 100 agents | $((m2 / 1024)) MiB ($e2 s) | flat |

The writer holds one batch of results; the part files are written in place. What grows with the
number of runs is the design (points x parameters doubles) and one status byte per run for --resume.
No machine with more than 2 cores was available, so there are no 4-16 rank or thread figures.
MD
bash bench/section.sh Sweeps "$tmp/section.md"
echo "bench: wrote the Sweeps section of BENCHMARKS.md" >&2
