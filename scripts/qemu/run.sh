#!/usr/bin/env bash
# Boot the host's kernel with an initramfs under QEMU (TCG unless /dev/kvm exists),
# serial console to a log file, bounded by a timeout.
# usage: run.sh INITRAMFS SERIAL_LOG [QEMU ARGS...]
#   KVER, QEMU_TIMEOUT (seconds, default 600), QEMU_SMP (guest CPUs, default 1)
set -euo pipefail
initrd=$1; log=$2; shift 2
KVER=${KVER:-$(ls /boot/vmlinuz-* | sort -V | tail -1 | sed 's|/boot/vmlinuz-||')}
accel=tcg; [ -w /dev/kvm ] && accel=kvm
timeout --foreground -k 10 "${QEMU_TIMEOUT:-600}" \
  qemu-system-x86_64 -machine q35,accel=$accel -smp ${QEMU_SMP:-1} -m 512 -nographic -no-reboot \
    -kernel /boot/vmlinuz-$KVER -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 quiet loglevel=1" \
    -serial file:"$log" -monitor none -display none "$@" </dev/null
