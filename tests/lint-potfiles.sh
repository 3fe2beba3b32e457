#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every kiosk source with strings marked for translation is listed in POTFILES.in, so that
# xgettext finds them all. Usage: lint-potfiles.sh SOURCE_DIR
set -eu
top=$1
missing=""
for f in $(cd "$top" && grep -l -E '(^|[^a-zA-Z_])(_|N_) \(|translatable="yes"' kiosk/app/*.c kiosk/app/*.ui); do
  grep -qx "$f" "$top/kiosk/app/POTFILES.in" || missing="$missing $f"
done
if [ -n "$missing" ]; then
  echo "Marked for translation but not in kiosk/app/POTFILES.in:$missing" >&2
  exit 1
fi
echo "Every kiosk source with translatable strings is in POTFILES.in."
