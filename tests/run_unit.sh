#!/usr/bin/env bash
# run_unit.sh BIN...: run each cmocka test binary from the repository root, then
# print one closing line "unit: N passed, M failed" counting the tests of all
# binaries (a binary that crashes or exits non-zero without a count adds 1 failure).
set -uo pipefail
passed=0 failed=0
for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' <<<"$out" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' <<<"$out" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ] && [ -z "$f" ]; then failed=$((failed + 1)); echo "FAILED: $t (exit $rc)" >&2; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
