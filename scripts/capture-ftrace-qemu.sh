#!/usr/bin/env bash
# Capture Linux scsi:* tracepoint text from the host's Debian kernel driving emulated SCSI
# disks under QEMU (see docs/captures.md). Writes
#   traces/linux-ftrace-<kver>-<hba>.txt        /sys/kernel/tracing/trace (default format)
#   traces/linux-ftrace-<kver>-<hba>.pipe.txt   (virtio-scsi only) the same events read
#                                               through trace_pipe with options/irq-info=0
# HBAs: virtio-scsi (default: two controllers, the second with a 16-entry virtqueue and no
# indirect descriptors), lsi53c895a (Linux sym53c8xx), megasas (Linux megaraid_sas).
# Each has a 32 MiB raw disk "ST-FILE" and a null-co disk "ST-SLOW" with 3 s latency.
# Needs root (to read /boot/vmlinuz-*), qemu-system-x86, busybox-static, sg3-utils, cpio,
# linux-image-amd64.   usage: scripts/capture-ftrace-qemu.sh [HBA] [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hba=${1:-virtio-scsi}
outdir=$(realpath -m "${2:-$here/../traces}")
KVER=${KVER:-$(ls /boot/vmlinuz-* | sort -V | tail -1 | sed 's|/boot/vmlinuz-||')}
export KVER
work=$(mktemp -d /tmp/scsitrace-ftrace.XXXXXX)
trap 'rm -rf "$work"' EXIT

file_disk=(-blockdev driver=file,filename="$work/disk.img",node-name=file0,discard=unmap
           -blockdev driver=raw,file=file0,node-name=disk0,discard=unmap)
slow_disk=(-blockdev driver=null-co,node-name=slow0,size=8388608,latency-ns=3000000000,read-zeroes=on)
case $hba in
  virtio-scsi)
    workload=workload-virtio-scsi.sh; modules="virtio_pci virtio_scsi"
    devices=(-device virtio-scsi-pci,id=vs0 "${file_disk[@]}"
      -device scsi-hd,bus=vs0.0,scsi-id=0,lun=0,drive=disk0,product=ST-FILE,serial=STFILE0001
      -device virtio-scsi-pci,id=vs1,virtqueue_size=16,indirect_desc=off "${slow_disk[@]}"
      -device scsi-hd,bus=vs1.0,scsi-id=0,lun=0,drive=slow0,product=ST-SLOW,serial=STSLOW0001) ;;
  lsi53c895a|megasas)
    workload=workload-hba.sh
    [ $hba = megasas ] && modules=megaraid_sas || modules=sym53c8xx
    devices=(-device $hba,id=hba0 "${file_disk[@]}" "${slow_disk[@]}"
      -device scsi-hd,bus=hba0.0,scsi-id=0,lun=0,drive=disk0,product=ST-FILE,serial=STFILE0001
      -device scsi-hd,bus=hba0.0,scsi-id=1,lun=0,drive=slow0,product=ST-SLOW,serial=STSLOW0001) ;;
  *) echo "unknown HBA $hba (virtio-scsi|lsi53c895a|megasas)" >&2; exit 2 ;;
esac

# TRACEDAT=1 (capture-tracedat-qemu.sh): trace-cmd goes into the guest, which then prints
# trace.dat files of the ring buffer instead of the trace_pipe section
[ -n "${TRACEDAT:-}" ] && export EXTRA_BINS=$(command -v trace-cmd)
"$here/qemu/build-initramfs.sh" "$work/initrd.gz" "$here/qemu/$workload" $modules sd_mod sg
truncate -s 32M "$work/disk.img"
"$here/qemu/run.sh" "$work/initrd.gz" "$work/serial.log" "${devices[@]}"
[ -n "${SERIAL_LOG_COPY:-}" ] && cp "$work/serial.log" "$SERIAL_LOG_COPY"

mkdir -p "$outdir"
base="$outdir/linux-ftrace-$KVER-$hba"
"$here/qemu/extract-section.sh" "$work/serial.log" trace > "$base.txt"
files=("$base.txt")
if [ $hba = virtio-scsi ] && [ -z "${TRACEDAT:-}" ]; then
  "$here/qemu/extract-section.sh" "$work/serial.log" trace_pipe > "$base.pipe.txt"
  files+=("$base.pipe.txt")
fi
for f in "${files[@]}"; do
  echo "$f: $(wc -c < "$f") bytes, $(grep -c 'scsi_dispatch_cmd_start' "$f") dispatch starts"
done
grep -ho 'scsi_[a-z_]*:' "$base.txt" | sort | uniq -c
