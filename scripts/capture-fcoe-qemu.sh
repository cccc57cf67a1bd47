#!/usr/bin/env bash
# Capture FCP over FCoE between Linux's software FCoE initiator (drivers/scsi/fcoe, libfc) and
# the LIO FCoE target (drivers/target/tcm_fc), both in the host's Debian kernel under QEMU, on
# two virtio-net NICs joined by a QEMU hub; QEMU's filter-dump records the initiator NIC's
# Ethernet frames. Writes:
#   traces/fcoe-linux.pcap                          the initiator NIC's frames (FIP, FCoE)
#   traces/linux-ftrace-<kver>-fcoe.txt             the guest's scsi:* tracepoints, same run
# usage: scripts/capture-fcoe-qemu.sh [OUTDIR]
# Needs root (to read /boot/vmlinuz-*), qemu-system-x86, busybox-static, sg3-utils, cpio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=$(realpath -m "${1:-$here/../traces}")
KVER=${KVER:-$(ls /boot/vmlinuz-* | sort -V | tail -1 | sed 's|/boot/vmlinuz-||')}
export KVER
work=$(mktemp -d /tmp/scsitrace-fcoe.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$outdir"

"$here/qemu/build-initramfs.sh" "$work/initrd.gz" "$here/qemu/workload-fcoe.sh" \
  virtio_pci virtio_net configfs target_core_file target_core_iblock null_blk tcm_fc fcoe sd_mod sg

QEMU_TIMEOUT=${QEMU_TIMEOUT:-900} "$here/qemu/run.sh" "$work/initrd.gz" "$work/serial.log" \
  -netdev hubport,id=ini,hubid=0 -device virtio-net-pci,netdev=ini,mac=52:54:00:fc:00:01 \
  -netdev hubport,id=tgt,hubid=0 -device virtio-net-pci,netdev=tgt,mac=52:54:00:fc:00:02 \
  -object filter-dump,id=dump,netdev=ini,file="$work/fcoe.pcap"
cp "$work/fcoe.pcap" "$outdir/fcoe-linux.pcap"
"$here/qemu/extract-section.sh" "$work/serial.log" trace > "$outdir/linux-ftrace-$KVER-fcoe.txt"
[ -n "${SERIAL_LOG_COPY:-}" ] && cp "$work/serial.log" "$SERIAL_LOG_COPY"
echo "fcoe-linux.pcap: $(stat -c %s "$outdir/fcoe-linux.pcap") bytes;" \
     "ftrace: $(grep -c scsi_dispatch_cmd_start "$outdir/linux-ftrace-$KVER-fcoe.txt") dispatch starts"
