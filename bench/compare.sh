#!/usr/bin/env bash
# bench/compare.sh TYNDAU: speed of `tyndau compare` on the scenario library and what common
# random numbers gain; writes the "Scenario comparison" section of BENCHMARKS.md and the
# results table of docs/scenarios.md (make bench-compare; about 25 minutes on 2 cores).
#
#   1. The whole 2021 library (scenarios/*.ini, 11 scenarios), 20 replicates of 1,000,000
#      agents (the default size), common random numbers, all cores: wall time and peak RSS,
#      medians of REPS runs (default 3).
#   2. The same with --independent (every run its own seed), once.
#   3. Common random numbers against independent seeds: for each scenario and headline
#      measure, the half-width of the 95% CI of the difference from the baseline with
#      independent seeds (run 2, Welch) over the one with common random numbers (run 1,
#      paired): medians over the scenarios.
set -euo pipefail
tyndau=${1:-build/tyndau}
python=${PYTHON:-/usr/bin/python3}
reps=${REPS:-3}
replicates=${REPLICATES:-20}
agents=${AGENTS:-1000000}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':!BENCHMARKS.md' ':!docs/scenarios.md' 2>/dev/null || commit="$commit-dirty"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p out

library=(scenarios/baseline.ini scenarios/no_reform.ini scenarios/help_centres.ini scenarios/campaign_targeted.ini
    scenarios/campaign_social.ini scenarios/anti_corruption.ini scenarios/resolution_targets.ini
    scenarios/akim_outreach.ini scenarios/more_capacity.ini scenarios/blind_processing.ini scenarios/combined.ini)
cmd="tyndau compare ${library[*]} --replicates $replicates --agents $agents"

walls=()
for i in $(seq "$reps"); do
    echo "bench: library comparison $i of $reps (${#library[@]} scenarios x $replicates replicates x $agents agents)" >&2
    /usr/bin/time -f "%e %M" -o "$tmp/t$i" "$tyndau" compare "${library[@]}" -r "$replicates" -n "$agents" -q \
        -o "$tmp/crn$i.h5"
    walls+=("$(cat "$tmp/t$i")")
done
read -r wall rss < <(printf '%s\n' "${walls[@]}" | sort -g | awk -v n="$reps" 'NR == int((n + 1) / 2)')
all_walls=$(printf '%s\n' "${walls[@]}" | awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1}')
cp "$tmp/crn1.h5" out/library.h5
echo "bench: the same with --independent" >&2
/usr/bin/time -f "%e %M" -o "$tmp/ti" "$tyndau" compare "${library[@]}" -r "$replicates" -n "$agents" -q \
    --independent -o "$tmp/ind.h5"
read -r wall_ind _ <"$tmp/ti"

"$python" - "$tmp/crn1.h5" "$tmp/ind.h5" >"$tmp/crn.md" <<'EOF'
import sys
import h5py
import numpy as np
crn, ind = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
t = lambda v: v.decode() if isinstance(v, bytes) else str(v)
outs = [t(o) for o in crn["summary/output"][:]]
names = [t(n) for n in crn["scenarios/name"][:]]
hp = crn["summary/diff_halfwidth_paired"][:]
hu = crn["summary/diff_halfwidth_unpaired"][:]
hi = ind["summary/diff_halfwidth_unpaired"][:]
sec = crn["timing/seconds"][:]
measures = ["voice_rate", "resolution_rate", "formal_rate", "bribe_incidence", "answer_days", "platform_aware",
            "trust_central", "trust_local"]
cols = ["%s:total:all" % m for m in measures] + ["gap_income", "gap_settlement", "gap_age"]
print("| measure (all citizens) | CI half-width, common (median over scenarios) | independent seeds (run) | "
      "ratio independent / common (median) | expected ratio from the common run's spreads (median) |")
print("|---|---|---|---|---|")
ratios = []
for c in cols:
    o = outs.index(c)
    r_run = hi[1:, o] / hp[1:, o]
    r_exp = hu[1:, o] / hp[1:, o]
    ratios.extend(r_run[np.isfinite(r_run)])
    print("| %s | %.3g | %.3g | **%.2f** | %.2f |" % (c, np.nanmedian(hp[1:, o]), np.nanmedian(hi[1:, o]),
                                                    np.nanmedian(r_run), np.nanmedian(r_exp)))
ratios = np.array(ratios)
print()
print("Over all %d (scenario, measure) pairs: median ratio %.2f; %d of %d at least 2; smallest %.2f, largest %.2f. "
      "Per-run model time: median %.2f s (%d runs, /timing/seconds)." % (
          len(ratios), np.median(ratios), int((ratios >= 2).sum()), len(ratios), ratios.min(), ratios.max(),
          np.median(sec), len(sec)))
EOF

"$python" analysis/report.py --scenarios-markdown out/library.h5 >"$tmp/results.md"
cmdline="$cmd  # commit $commit, $(date -u +%Y-%m-%d)"
"$python" - docs/scenarios.md "$tmp/results.md" "$cmdline" <<'EOF'
import sys
path, table, cmd = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
doc = open(path).read()
a, b = "<!-- results: written by bench/compare.sh -->", "<!-- end of results -->"
i, j = doc.index(a) + len(a), doc.index(b)
doc = doc[:i] + "\n\nMade by:\n\n    " + cmd + "\n\n" + table + "\n" + doc[j:]
open(path + ".tmp", "w").write(doc)
EOF
mv docs/scenarios.md.tmp docs/scenarios.md

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | awk '{print $1, $2}')
cat >"$tmp/section.md" <<MD
## Scenario comparison

Written by \`make bench-compare\` (bench/compare.sh).

- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)
- machine: $cpu, $(nproc --all) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
- commit: $commit
- command: \`$cmd\` (all cores, one model per thread)

| figure | measured | goal |
|---|---|---|
| the whole 2021 library: ${#library[@]} scenarios x $replicates replicates x $agents agents, wall time (median of $reps: $all_walls s) | **$wall s** | <= 600 s |
| peak RSS | $((rss / 1024)) MiB | |
| the same with --independent (once) | $wall_ind s | |

Common random numbers against independent seeds: half-width of the 95% CI of each scenario's
difference from the baseline ($replicates replicates each). "Run" is a second comparison with
--independent; "expected" uses the common-random-number run's own spreads of each scenario
(Welch's interval), what independent seeds give in expectation. Goal: a ratio of at least 2.

$(cat "$tmp/crn.md")
MD
bash bench/section.sh "Scenario comparison" "$tmp/section.md"
echo "bench: wrote the Scenario comparison section of BENCHMARKS.md and the results of docs/scenarios.md" >&2
