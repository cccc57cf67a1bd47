#!/usr/bin/env bash
# Record trace-cmd's binary trace.dat (trace-cmd.dat(5), versions 6 and 7) of the scsi:*
# tracepoints inside a QEMU guest running Debian's kernel and Debian's trace-cmd, for the
# workloads of capture-ftrace-qemu.sh (see docs/captures.md). Runs capture-ftrace-qemu.sh with
# TRACEDAT=1: trace-cmd is copied into the initramfs, the guest extracts the ring buffer with
# `trace-cmd extract` (trace-cmd's default file version) and converts that file with
# `trace-cmd convert` to version 6 and to version 7 without compression.
# Writes, for HBA h (default virtio-scsi), with B = traces/linux-tracecmd-<kver>-<h>[-<n>cpu]:
#   B.dat         the file as `trace-cmd extract` wrote it (Debian's trace-cmd 3.1: version 7,
#                 zstd-compressed sections)
#   B.v6.dat      converted to version 6;   B.v7.dat   to version 7 without compression
#   B.report.txt  host `trace-cmd report` of B.dat (the same text for all three is checked)
#   B.trace.txt   the guest's /sys/kernel/tracing/trace of the same ring buffer, read first
# QEMU_SMP=n gives the guest n CPUs (the default is 1), so that events are spread over
# per-CPU ring buffers.
# usage: scripts/capture-tracedat-qemu.sh [virtio-scsi|lsi53c895a|megasas] [OUTDIR]
# Needs root, qemu-system-x86, busybox-static, sg3-utils, cpio, linux-image-amd64, trace-cmd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hba=${1:-virtio-scsi}
outdir=$(realpath -m "${2:-$here/../traces}")
KVER=${KVER:-$(ls /boot/vmlinuz-* | sort -V | tail -1 | sed 's|/boot/vmlinuz-||')}
export KVER
command -v trace-cmd >/dev/null || { echo "trace-cmd is not installed (apt-get install trace-cmd)" >&2; exit 2; }
work=$(mktemp -d /tmp/scsitrace-tracedat.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$outdir"
TRACEDAT=1 SERIAL_LOG_COPY="$work/serial.log" "$here/capture-ftrace-qemu.sh" "$hba" "$work"
base="$outdir/linux-tracecmd-$KVER-$hba"
[ "${QEMU_SMP:-1}" != 1 ] && base="$base-${QEMU_SMP}cpu"
cp "$work/linux-ftrace-$KVER-$hba.txt" "$base.trace.txt"
grep -a '^### trace' "$work/serial.log" | tr -d '\r' || true
for v in trace trace-v6 trace-v7; do
  "$here/qemu/extract-section.sh" "$work/serial.log" $v.dat | base64 -d > "$work/$v.dat"
done
echo "trace-cmd extract wrote file version $(head -c 12 "$work/trace.dat" | tail -c 2 | tr -d '\0')"
cp "$work/trace.dat" "$base.dat"
cp "$work/trace-v6.dat" "$base.v6.dat"
cp "$work/trace-v7.dat" "$base.v7.dat"
trace-cmd report -i "$base.dat" > "$base.report.txt"
for v in v6 v7; do
  trace-cmd report -i "$base.$v.dat" | cmp -s - "$base.report.txt" || echo "note: trace-cmd report of $v differs from the extracted file's"
done
ls -l "$base".*
