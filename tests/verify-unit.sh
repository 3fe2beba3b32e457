#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# verify-unit.sh UNIT DAEMON — checks the installed wardkeepd.service with
# `systemd-analyze verify` (PID 1 need not be systemd), pointing it at the daemon of this
# build, and proves the check can fail on a broken copy. Any complaint about the unit fails.
set -eu
unit=$1 daemon=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|^\(ExecStart[A-Za-z]*=\)[^ ]*wardkeepd|\1$daemon|" "$unit" > "$dir/wardkeepd.service"
grep -q "^Type=notify$" "$dir/wardkeepd.service"
grep -q "^WatchdogSec=" "$dir/wardkeepd.service"
grep -q "^LoadCredentialEncrypted=wardkeep.key$" "$dir/wardkeepd.service"
out=$(systemd-analyze verify --man=no "$dir/wardkeepd.service" 2>&1) || {
  echo "systemd-analyze verify refused the unit:"; echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "systemd-analyze verify complained:"; echo "$out"; exit 1; fi
# The check itself must be able to fail.
sed 's/^Type=notify$/Type=notifying/' "$dir/wardkeepd.service" > "$dir/broken.service"
if systemd-analyze verify --man=no "$dir/broken.service" >/dev/null 2>&1 \
   && [ -z "$(systemd-analyze verify --man=no "$dir/broken.service" 2>&1)" ]; then
  echo "systemd-analyze verify accepted a broken unit: the check proves nothing"; exit 1
fi
echo "wardkeepd.service verifies"
