#!/usr/bin/env bash
# embed.sh NAME FILE: print a C source defining `const char NAME[]` holding FILE's
# bytes, so that the tyndau program carries its baseline scenario and the
# published survey figures without depending on the working directory.
set -euo pipefail
name=$1 file=$2
printf '/* generated from %s by tools/embed.sh; do not edit */\n' "$file"
printf 'extern const char %s[];\nconst char %s[] = {\n' "$name" "$name"
od -An -v -tu1 "$file" | awk '{ for (i = 1; i <= NF; i++) printf "%s,", $i; printf "\n" }'
printf '0};\n'
