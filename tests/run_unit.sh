#!/usr/bin/env bash
# run_unit.sh BIN...: run each cmocka test binary from the repository root and
# print one closing line "unit: N passed, N failed".
set -uo pipefail
passed=0 failed=0
for t in "$@"; do
    if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t" >&2; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
