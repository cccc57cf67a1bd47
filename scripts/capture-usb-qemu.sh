#!/usr/bin/env bash
# Capture USB mass storage traffic (Bulk-Only Transport and USB Attached SCSI) from the
# host's Debian kernel (usb-storage / uas drivers over xhci) under QEMU, using QEMU's
# per-device pcap= property (usbmon-style pcap, see docs/captures.md). Writes, per mode:
#   traces/usb-<mode>.pcap                          the device's USB traffic
#   traces/linux-ftrace-<kver>-usb-<mode>.txt       the guest's scsi:* tracepoints, same run
# Every mode uses one USB device with two LUNs: LUN 0 a 32 MiB raw image, LUN 1 a null-co
# disk with 3 s latency (timeouts, aborts, resets).
# Modes: bot  = QEMU usb-bot on xHCI (SuperSpeed), Linux usb-storage driver
#        uas  = QEMU usb-uas on xHCI (SuperSpeed, USB 3 streams), Linux uas driver
#        uas-hs = QEMU usb-uas on EHCI (high speed: no streams, READ/WRITE READY IUs)
# usage: scripts/capture-usb-qemu.sh [bot|uas|uas-hs|all] [OUTDIR]
# Needs root (to read /boot/vmlinuz-*), qemu-system-x86, busybox-static, sg3-utils, cpio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
modes=${1:-all}; [ "$modes" = all ] && modes="bot uas uas-hs"
outdir=$(realpath -m "${2:-$here/../traces}")
KVER=${KVER:-$(ls /boot/vmlinuz-* | sort -V | tail -1 | sed 's|/boot/vmlinuz-||')}
export KVER
work=$(mktemp -d /tmp/scsitrace-usb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$outdir"

# USBMON=1 (capture-usbmon-qemu.sh): the guest also reads usbmon's text interface (the
# module loads first, so it sees everything) and the text goes to usbmon-<mode>.<file>.txt
"$here/qemu/build-initramfs.sh" "$work/initrd.gz" "$here/qemu/workload-usb.sh" \
  ${USBMON:+usbmon} xhci_pci ehci_pci usb_storage uas sd_mod sg

for mode in $modes; do
  case $mode in
    # usb-bot is QEMU's BOT device with its own SCSI bus (usb-storage = usb-bot + one built-in disk)
    bot) usbdev=usb-bot; hcd="qemu-xhci,id=hc" ;;
    uas) usbdev=usb-uas; hcd="qemu-xhci,id=hc" ;;
    uas-hs) usbdev=usb-uas; hcd="usb-ehci,id=hc" ;;
    *) echo "unknown mode $mode (bot|uas|uas-hs|all)" >&2; exit 2 ;;
  esac
  truncate -s 0 "$work/disk-$mode.img"; truncate -s 32M "$work/disk-$mode.img"
  rm -f "$work/usb-$mode.pcap"
  "$here/qemu/run.sh" "$work/initrd.gz" "$work/serial-$mode.log" \
    -device $hcd \
    -device $usbdev,id=msd,bus=hc.0,pcap="$work/usb-$mode.pcap" \
    -blockdev driver=file,filename="$work/disk-$mode.img",node-name=file0,discard=unmap \
    -blockdev driver=raw,file=file0,node-name=disk0,discard=unmap \
    -device scsi-hd,bus=msd.0,scsi-id=0,lun=0,drive=disk0,product=ST-FILE,serial=STFILE0001 \
    -blockdev driver=null-co,node-name=slow0,size=8388608,latency-ns=3000000000,read-zeroes=on \
    -device scsi-hd,bus=msd.0,scsi-id=0,lun=1,drive=slow0,product=ST-SLOW,serial=STSLOW0001
  cp "$work/usb-$mode.pcap" "$outdir/usb-$mode.pcap"
  "$here/qemu/extract-section.sh" "$work/serial-$mode.log" trace > "$outdir/linux-ftrace-$KVER-usb-$mode.txt"
  [ -n "${SERIAL_LOG_DIR:-}" ] && cp "$work/serial-$mode.log" "$SERIAL_LOG_DIR/"
  if [ -n "${USBMON:-}" ]; then
    for s in $(tr -d '\r' < "$work/serial-$mode.log" | sed -n 's/^@@@SCSITRACE-BEGIN usbmon-\([0-9a-z]*\)@@@$/\1/p'); do
      "$here/qemu/extract-section.sh" "$work/serial-$mode.log" usbmon-$s > "$outdir/usbmon-$mode.$s.txt"
      echo "usbmon-$mode.$s.txt: $(wc -l < "$outdir/usbmon-$mode.$s.txt") lines"
    done
    grep -a '^### usbmon' "$work/serial-$mode.log" | tr -d '\r' || true
  fi
  echo "usb-$mode.pcap: $(stat -c %s "$outdir/usb-$mode.pcap") bytes;" \
       "ftrace: $(grep -c scsi_dispatch_cmd_start "$outdir/linux-ftrace-$KVER-usb-$mode.txt") dispatch starts"
done
