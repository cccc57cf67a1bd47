#!/usr/bin/env bash
# Capture Linux usbmon text (Documentation/usb/usbmon.rst) of USB mass storage under QEMU,
# with QEMU's pcap= capture of the same run as the oracle (see docs/captures.md). Runs
# capture-usb-qemu.sh with USBMON=1 (the guest loads usbmon first and reads its text files
# the whole run) and writes, per mode:
#   traces/usbmon-<mode>.0u.txt    /sys/kernel/debug/usb/usbmon/0u: all buses, 'u' format
#   traces/usbmon-<mode>.<N>t.txt  <N>t: bus N, 't' format (only the bus the disk is on is kept)
#   traces/usbmon-<mode>.pcap      QEMU's pcap= of the same device in the same run
# Modes: bot (usb-bot on xHCI, usb-storage), uas (usb-uas on xHCI, uas), uas-hs (usb-uas on EHCI).
# usage: scripts/capture-usbmon-qemu.sh [bot|uas|uas-hs|all] [OUTDIR]
# Needs root (to read /boot/vmlinuz-*), qemu-system-x86, busybox-static, sg3-utils, cpio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
modes=${1:-bot uas}; [ "$modes" = all ] && modes="bot uas uas-hs"
outdir=$(realpath -m "${2:-$here/../traces}")
work=$(mktemp -d /tmp/scsitrace-usbmon.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$outdir"
for mode in $modes; do
  USBMON=1 "$here/capture-usb-qemu.sh" "$mode" "$work"
  cp "$work/usb-$mode.pcap" "$outdir/usbmon-$mode.pcap"
  cp "$work/usbmon-$mode.0u.txt" "$outdir/"
  # the 't' file of the bus the mass-storage device is on: the one with bulk traffic
  for f in "$work"/usbmon-$mode.[1-9]t.txt; do
    [ -e "$f" ] && grep -q ' B[io]:' "$f" && cp "$f" "$outdir/"
  done
  ls -l "$outdir"/usbmon-$mode.*
done
