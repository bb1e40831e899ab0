#!/usr/bin/env bash
# test_install.sh: `make install PREFIX=<temporary>` and everything run from there, away from
# the source tree: the program, a C program built with pkg-config against the shared library
# (its soname versioned), the Python package with the installed scenarios and data; then
# `make uninstall` leaves no file behind.
#
#   MAKE=make BUILD=build PYTHON=/usr/bin/python3 bash tests/test_install.sh
#
# Run from the repository root after a build.  A few seconds.
# Last line: "install: N passed, M failed, K skipped".
set -uo pipefail
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
ROOT=$(pwd)
# shellcheck source=tests/lib.sh
. "$ROOT/tests/lib.sh"
lib_init install

prefix=$tmp/prefix
$MAKE --no-print-directory -s install PREFIX="$prefix" BUILD="$BUILD" >"$tmp/install.out" 2>&1
check "make install PREFIX=$prefix" $? "$tmp/install.out"
site=$(ls -d "$prefix"/lib/python3*/dist-packages 2>/dev/null | head -1)
for f in bin/tyndau lib/libtyndau.a lib/libtyndau.so lib/pkgconfig/tyndau.pc include/tyndau/tyndau.h \
    include/tyndau/params.def share/tyndau/scenarios/baseline.ini share/tyndau/data/survey_2021/marginals.csv \
    share/doc/tyndau/README.md share/doc/tyndau/tyndau-run.txt; do
    [ -e "$prefix/$f" ] || fail "installed: $f missing"
done
[ -n "$site" ] && [ -f "$site/tyndau/__init__.py" ] && [ -f "$site/tyndau/_installed.py" ]
check "installed: the Python package, told where the library and the data are" $?
soname=$(objdump -p "$prefix/lib/libtyndau.so" 2>/dev/null | sed -n 's/^ *SONAME *//p')
[ "$soname" = "libtyndau.so.0" ] && [ -L "$prefix/lib/libtyndau.so.0" ]
check "the shared library's soname is versioned ($soname)" $?

cd "$tmp" || exit 1
"$prefix/bin/tyndau" run --agents 2000 --seed 2 -q -o "$tmp/installed.h5" >"$tmp/run.out" 2>&1
check "the installed program runs the embedded baseline" $? "$tmp/run.out"
"$prefix/bin/tyndau" run "$prefix/share/tyndau/scenarios/help_centres.ini" --agents 2000 -q -o "$tmp/hc.h5" >"$tmp/run.out" 2>&1
check "the installed program runs an installed scenario (inheriting from the installed baseline)" $? "$tmp/run.out"

cat >"$tmp/use.c" <<'C'
/* a C user of the installed library: a model stepped to its end, one headline measure */
#include <stdio.h>
#include <tyndau.h>
#include <headline.h>
int main(void)
{
    tyndau_params p;
    tyndau_error err;
    tyndau_params_default(&p);
    tyndau_model *m = tyndau_model_new(&p, 2000, 2, &err);
    if (m == NULL) return 1;
    while (tyndau_model_days_done(m) < tyndau_model_days(m))
        if (tyndau_model_step(m, 100, NULL, NULL, &err) != TYNDAU_OK) return 1;
    printf("%.17g\n", tyndau_model_headline(m, HL_VOICE_RATE, 0));
    tyndau_model_free(m);
    return 0;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046  # pkg-config's words are separate arguments
gcc -std=c11 "$tmp/use.c" $(pkg-config --cflags --libs tyndau) -Wl,-rpath,"$prefix/lib" -o "$tmp/use" >"$tmp/cc.out" 2>&1
check "a C program builds with pkg-config --cflags --libs tyndau" $? "$tmp/cc.out"
ldd "$tmp/use" 2>/dev/null | grep -q "libtyndau.so.0 => $prefix/lib/libtyndau.so.0"
check "... and links the installed libtyndau.so.0" $?
c_voice=$("$tmp/use" 2>"$tmp/use.err")
check "... and runs ($c_voice)" $? "$tmp/use.err"

PYTHONPATH="$site" "$PYTHON" - "$prefix" "$c_voice" >"$tmp/py.out" 2>&1 <<'PY'
import sys
import tyndau
prefix, c_voice = sys.argv[1], float(sys.argv[2])
assert tyndau.__file__.startswith(prefix), tyndau.__file__
from tyndau import _lib
assert _lib.LIBRARY.startswith(prefix) and _lib.DATA.startswith(prefix), (_lib.LIBRARY, _lib.DATA)
m = tyndau.Model(tyndau.Scenario.from_text("[scenario]\nname = defaults\n"), agents=2000, seed=2).run()
v = m.headline().loc["voice_rate", ("total", "all")]
assert v == c_voice, (v, c_voice)  # the same model (the defaults) through C and through Python
assert tyndau.Model(agents=2000, seed=2).run().headline().loc["voice_rate", ("total", "all")] != v  # the baseline
s = tyndau.Scenario.load(prefix + "/share/tyndau/scenarios/help_centres.ini")
assert s.name == "help_centres"
print("voice rate", v)
PY
check "the installed Python package runs from outside the tree, the same as the C program" $? "$tmp/py.out"
cd "$ROOT" || exit 1

$MAKE --no-print-directory -s uninstall PREFIX="$prefix" BUILD="$BUILD" >"$tmp/uninstall.out" 2>&1
check "make uninstall" $? "$tmp/uninstall.out"
left=$(find "$prefix" -type f -o -type l | head -5)
[ -z "$left" ]
check "make uninstall leaves no file behind${left:+ (left: $left)}" $?
finish
