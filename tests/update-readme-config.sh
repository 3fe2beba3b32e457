#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Rewrites the README's configuration reference from the schema in snapshot/wk-config.c.
# Usage: update-readme-config.sh WARDKEEP README   (or: cmake --build build --target readme-config)
set -eu
wardkeep=$1
readme=$2
reference=$(mktemp)
trap 'rm -f "$reference"' EXIT
"$wardkeep" config reference > "$reference"
awk -v ref="$reference" '
  /<!-- config-reference:end -->/ { skipping = 0 }
  !skipping { print }
  /<!-- config-reference:start -->/ { while ((getline line < ref) > 0) print line; skipping = 1 }
' "$readme" > "$readme.new"
mv "$readme.new" "$readme"
