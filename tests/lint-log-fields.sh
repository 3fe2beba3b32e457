#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The logging rule, enforced: no log call in the product passes a patient field.
# Logs name patients by model id (patient #12); see snapshot/wk-log.c.
# Usage: lint-log-fields.sh SOURCE_DIR
set -eu
top=$1
fields='nhs_number|hospital_number|family_name|given_names|birth_date|weight_kg|consultant|visit_number|->substance|->reaction|->drug|->instructions|->prescriber|->by_whom'
calls='(g_(debug|info|message|warning|critical|error|log|log_structured|print|printerr)|wk_audit)[[:space:]]*\('
# A log call and its arguments may span lines: join each statement onto one line first.
found=$(find "$top/snapshot" "$top/print" "$top/kiosk" -name '*.c' -print0 2>/dev/null \
  | xargs -0 -r awk -v calls="$calls" -v fields="$fields" '
      FNR == 1 { stmt = ""; inlog = 0 }
      {
        if (!inlog && $0 ~ calls) { inlog = 1; stmt = ""; start = FNR }
        if (inlog) {
          stmt = stmt $0
          if ($0 ~ /\);[[:space:]]*$/) {
            if (stmt ~ fields) printf "%s:%d: %s\n", FILENAME, start, stmt
            inlog = 0
          }
        }
      }')
if [ -n "$found" ]; then
  echo "Log calls that pass patient fields (log the model id instead, e.g. patient #%\" G_GINT64_FORMAT \"):" >&2
  echo "$found" >&2
  exit 1
fi
echo "No log call passes a patient field."
