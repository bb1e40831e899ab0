#!/usr/bin/env bash
# bench/section.sh TITLE CONTENT_FILE: replace the section "## TITLE" of BENCHMARKS.md (from its
# heading to the next "## " heading) by CONTENT_FILE, or append it; the rest stays as it is.
set -euo pipefail
title=$1
content=$2
[ -f BENCHMARKS.md ] || printf '# tyndau benchmarks\n' >BENCHMARKS.md
awk -v h="## $title" '$0 == h {skip = 1; next} skip && /^## / {skip = 0} !skip {print}' BENCHMARKS.md >BENCHMARKS.md.tmp
# one blank line between sections
sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' BENCHMARKS.md.tmp
{ printf '\n'; cat "$content"; } >>BENCHMARKS.md.tmp
mv BENCHMARKS.md.tmp BENCHMARKS.md
