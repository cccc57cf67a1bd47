#!/usr/bin/env bash
# Print one @@@SCSITRACE-BEGIN NAME@@@ ... @@@SCSITRACE-END NAME@@@ section of a serial log,
# without carriage returns. usage: extract-section.sh SERIAL_LOG NAME
set -euo pipefail
tr -d '\r' < "$1" | awk -v name="$2" '
  $0 == "@@@SCSITRACE-BEGIN " name "@@@" { on = 1; found = 1; next }
  $0 == "@@@SCSITRACE-END " name "@@@" { on = 0; next }
  on { print }
  END { if (!found) { print "section " name " not found" > "/dev/stderr"; exit 1 } }'
