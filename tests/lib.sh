#!/usr/bin/env bash
# tests/lib.sh: what the shell test scripts share.  Source it and call `lib_init NAME`:
#   $tmp        a temporary directory, removed at exit (with the background job $bg_pid killed,
#               and lib_cleanup_extra run first if the script defines it)
#   ok DESC     one passed check          fail DESC [FILE...]  one failed check, FILEs shown
#   check DESC STATUS [FILE...]  ok if STATUS is 0, else fail
#   skip DESC   one check that could not run here
#   finish      prints "NAME: N passed, M failed, K skipped"; the status is 0 when none failed
# shellcheck disable=SC2034  # the variables are the caller's

lib_init() {
    lib_name=$1
    passed=0 failed=0 skipped=0 bg_pid=
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/tyndau-$1.XXXXXX") || {
        echo "FAIL - cannot create a temporary directory"
        echo "$lib_name: 0 passed, 1 failed, 0 skipped"
        exit 1
    }
    trap lib_cleanup EXIT
    trap 'exit 130' INT TERM
}

lib_cleanup() {
    if [ -n "$bg_pid" ]; then kill -9 "$bg_pid" 2>/dev/null; wait "$bg_pid" 2>/dev/null; fi
    if declare -F lib_cleanup_extra >/dev/null; then lib_cleanup_extra; fi
    rm -rf "$tmp"
}

ok() {
    passed=$((passed + 1))
    echo "ok - $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    shift
    local f
    for f in "$@"; do
        [ -s "$f" ] && sed 's/^/    | /' "$f" | tail -40
    done
    return 0
}

check() {
    local desc=$1 status=$2
    shift 2
    if [ "$status" -eq 0 ]; then ok "$desc"; else fail "$desc" "$@"; fi
}

skip() {
    skipped=$((skipped + 1))
    echo "skip - $1"
}

finish() {
    echo "$lib_name: $passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
}
