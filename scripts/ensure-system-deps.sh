#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real (run by `npm test` before the
# tests): tshark (the oracle for capture decoding), trace-cmd (the oracle for trace.dat: its
# `report` runs on traces/*.dat), chromium (the HTML report test) and gcc (the C emitter test).
# Does nothing when they are all present.
set -euo pipefail
need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v trace-cmd >/dev/null 2>&1 || need+=(trace-cmd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
[ ${#need[@]} -eq 0 ] && exit 0
echo "scsitrace tests need Debian packages: ${need[*]}" >&2
if [ "$(id -u)" != 0 ]; then
  echo "run as root, or: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
