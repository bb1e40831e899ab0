#!/usr/bin/env bash
# tools/deps.sh — check for / install the Debian 12 (bookworm) packages tyndau needs.
#
# Usage: tools/deps.sh [--check|--install|--list] [-v] [GROUP...]
#   GROUP      build, analysis, test, fuzz (default: the first three; fuzz: `make fuzz` only)
#   --install  (default) install whatever is missing: as root directly, else
#              through `sudo -n`; if neither is possible, print the command to
#              run and exit 2
#   --check    only report what is missing; exit 1 if anything is
#   --list     print the groups' package names, one per line, and exit 0
#   -v         also say so when nothing is missing
#   -h         show this help
#
# Exit status: 0 all present, 1 missing (--check) or still missing after an
# install, 2 usage error, not a Debian system, or cannot install.
#
# This file is the one place where the package list lives (.ci/run uses it).
set -euo pipefail

prog=${0##*/}

# The package list, by group.
group_pkgs() {
    case $1 in
        build) echo gcc make pkg-config libgsl-dev libhdf5-dev libinih-dev libcmocka-dev ;;
        analysis) echo python3 python3-h5py python3-numpy python3-matplotlib ;;
        test) echo hdf5-tools git openmpi-bin libopenmpi-dev slurm-wlm munge chromium python3-xarray python3-h5netcdf python3-pandas python3-pytest ;;
        fuzz) echo clang libclang-rt-14-dev libomp-dev ;;
        *) return 1 ;;
    esac
}

usage() {
    sed -n '2,/^set /s/^# \{0,1\}//p' "$0"
}

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 2
}

mode=install
verbose=0
groups=()
for arg in "$@"; do
    case $arg in
        --check) mode=check ;;
        --install) mode=install ;;
        --list) mode=list ;;
        -v | --verbose) verbose=1 ;;
        -h | --help) usage; exit 0 ;;
        build | analysis | test | fuzz) groups+=("$arg") ;;
        *) die "unknown argument: $arg (see --help)" ;;
    esac
done
[ ${#groups[@]} -gt 0 ] || groups=(build analysis test)

# Packages of the chosen groups, in order, without duplicates.
wanted=()
for g in "${groups[@]}"; do
    for p in $(group_pkgs "$g"); do
        case " ${wanted[*]-} " in
            *" $p "*) ;;
            *) wanted+=("$p") ;;
        esac
    done
done

if [ "$mode" = list ]; then
    printf '%s\n' "${wanted[@]}"
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    die "dpkg-query not found: this script supports Debian 12 (bookworm) only." \
        "Install the equivalents of these packages by hand: ${wanted[*]}"
fi

is_installed() {
    local status
    # shellcheck disable=SC2016  # ${Status} is a dpkg-query field, not a shell variable
    status=$(dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null) || return 1
    # Multi-arch packages print one line per architecture.
    case $'\n'"$status"$'\n' in
        *$'\n'"install ok installed"$'\n'*) return 0 ;;
        *) return 1 ;;
    esac
}

find_missing() {
    missing=()
    local p
    for p in "${wanted[@]}"; do
        is_installed "$p" || missing+=("$p")
    done
}

find_missing
if [ ${#missing[@]} -eq 0 ]; then
    [ "$verbose" -eq 0 ] || echo "$prog: all ${#wanted[@]} packages installed (${groups[*]})"
    exit 0
fi

if [ "$mode" = check ]; then
    echo "$prog: missing packages (${groups[*]}): ${missing[*]}"
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    {
        echo "$prog: missing packages (${groups[*]}): ${missing[*]}"
        echo "$prog: not root and no password-less sudo; run (after 'sudo apt-get update' if needed):"
        echo "sudo apt-get install -y ${missing[*]}"
    } >&2
    exit 2
fi

echo "$prog: installing: ${missing[*]}"
${as_root[@]+"${as_root[@]}"} apt-get update ||
    die "apt-get update failed"
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get install failed for: ${missing[*]}"

find_missing
if [ ${#missing[@]} -gt 0 ]; then
    echo "$prog: still missing after install: ${missing[*]}" >&2
    exit 1
fi
[ "$verbose" -eq 0 ] || echo "$prog: all ${#wanted[@]} packages installed (${groups[*]})"
