#!/usr/bin/env bash
# Capture Linux scsi:* tracepoint text from the host's Debian kernel driving an emulated
# virtio-scsi disk under QEMU (see docs/captures.md). Writes
#   traces/linux-ftrace-<kver>-virtio-scsi.txt        /sys/kernel/tracing/trace (default format)
#   traces/linux-ftrace-<kver>-virtio-scsi.pipe.txt   same events via trace_pipe, options/irq-info=0
# Needs root (to read /boot/vmlinuz-*), qemu-system-x86, busybox-static, sg3-utils, cpio,
# linux-image-amd64.   usage: scripts/capture-ftrace-qemu.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=$(realpath -m "${1:-$here/../traces}")
KVER=${KVER:-$(ls /boot/vmlinuz-* | sort -V | tail -1 | sed 's|/boot/vmlinuz-||')}
export KVER
work=$(mktemp -d /tmp/scsitrace-ftrace.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$here/qemu/build-initramfs.sh" "$work/initrd.gz" "$here/qemu/workload-virtio-scsi.sh" \
  virtio_pci virtio_scsi sd_mod sg
truncate -s 32M "$work/disk.img"
"$here/qemu/run.sh" "$work/initrd.gz" "$work/serial.log" \
  -device virtio-scsi-pci,id=vs0 \
  -blockdev driver=file,filename="$work/disk.img",node-name=file0,discard=unmap \
  -blockdev driver=raw,file=file0,node-name=disk0,discard=unmap \
  -device scsi-hd,bus=vs0.0,scsi-id=0,lun=0,drive=disk0,product=ST-FILE,serial=STFILE0001 \
  -device virtio-scsi-pci,id=vs1,virtqueue_size=16,indirect_desc=off \
  -blockdev driver=null-co,node-name=slow0,size=8388608,latency-ns=3000000000,read-zeroes=on \
  -device scsi-hd,bus=vs1.0,scsi-id=0,lun=0,drive=slow0,product=ST-SLOW,serial=STSLOW0001

mkdir -p "$outdir"
base="$outdir/linux-ftrace-$KVER-virtio-scsi"
"$here/qemu/extract-section.sh" "$work/serial.log" trace > "$base.txt"
"$here/qemu/extract-section.sh" "$work/serial.log" trace_pipe > "$base.pipe.txt"
tr -d '\r' < "$work/serial.log" | grep -v '^@@@' | awk '/^@@@SCSITRACE-BEGIN/{skip=1} /^@@@SCSITRACE-END/{skip=0} !skip' > "$work/console.txt" || true
cp "$work/serial.log" "${SERIAL_LOG_COPY:-/dev/null}" 2>/dev/null || true
for f in "$base.txt" "$base.pipe.txt"; do
  echo "$f: $(wc -c < "$f") bytes, $(grep -c 'scsi_dispatch_cmd_start' "$f") dispatch starts"
done
grep -ho 'scsi_[a-z_]*:' "$base.txt" | sort | uniq -c
