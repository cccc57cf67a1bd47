#!/bin/sh
# /init of the scsitrace capture initramfs (see build-initramfs.sh).
# Loads /modules/* in /modules.order, turns on the scsi:* tracepoints as soon as
# scsi_mod is in (so the kernel's own scan commands are traced too), waits for
# the disks, runs /workload.sh, prints the trace between markers on the serial
# console, and powers off.
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing
dmesg -n 1
T=/sys/kernel/tracing
# the serial tty must not turn \n into \r\n inside the dump
stty -onlcr 2>/dev/null

mark() { echo "$*" > $T/trace_marker 2>/dev/null; echo "### $*"; }
# step DESCRIPTION COMMAND...: note the step in the trace, run it, report its exit code
step() {
  d=$1; shift
  mark "step: $d: $*"
  "$@"
  echo "### rc=$? ($d)"
}
# base64 of a file between section markers (binary files over the serial console)
dump_file() {
  echo "@@@SCSITRACE-BEGIN $1@@@"; base64 "$2"; echo "@@@SCSITRACE-END $1@@@"
}
# trace.dat of the ring buffer: as extracted (trace-cmd's default file version), then
# converted to version 6 and to version 7 without compression. /proc/kallsyms
# is hidden (an empty file bound over it): it would add megabytes that SCSI events never use.
dump_tracedat() {
  : > /tmp/empty; mount -o bind /tmp/empty /proc/kallsyms
  (cd /tmp && trace-cmd extract -o trace.dat > /tmp/extract.log 2>&1) || { echo "### trace-cmd extract failed"; cat /tmp/extract.log; }
  trace-cmd convert -i /tmp/trace.dat --file-version 6 -o /tmp/trace-v6.dat > /dev/null 2>&1 || echo "### convert to v6 failed"
  trace-cmd convert -i /tmp/trace.dat --file-version 7 --compression none -o /tmp/trace-v7.dat > /dev/null 2>&1 || echo "### convert to v7 failed"
  umount /proc/kallsyms
  for f in trace trace-v6 trace-v7; do
    [ -s /tmp/$f.dat ] && { echo "### $f.dat: $(wc -c < /tmp/$f.dat) bytes"; dump_file $f.dat /tmp/$f.dat; }
  done
}
# sg node of a block device, e.g. sg_of sda -> /dev/sg0
sg_of() { echo /dev/$(ls /sys/block/$1/device/scsi_generic/); }

# workload contract: set WANT_DISKS, define run_workload; optionally on_module_loaded FILE
# (called after each insmod, e.g. to start usbmon readers before the USB drivers bind)
. /workload.sh
traced=0
for m in $(cat /modules.order); do
  insmod /modules/$m || echo "### insmod $m failed"
  if [ $traced = 0 ] && [ -d $T/events/scsi ]; then
    echo 16384 > $T/buffer_size_kb
    echo 1 > $T/events/scsi/enable
    echo 1 > $T/tracing_on
    traced=1
    echo "### kernel $(uname -r): tracing scsi events: $(ls $T/events/scsi | tr '\n' ' ')"
  fi
  type on_module_loaded >/dev/null 2>&1 && on_module_loaded $m
done

i=0
while [ $(ls /sys/block | grep -c '^sd') -lt ${WANT_DISKS:-1} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
# let the kernel's own probing (partition scan) finish first: no command in flight on any
# disk for 4 consecutive seconds (a slow disk holds each read for seconds), at most 180 s
idle=0; i=0
while [ $idle -lt 4 ] && [ $i -lt 180 ]; do
  busy=0
  for f in /sys/block/sd*/inflight; do
    [ "$(tr -s ' ' < $f | sed 's/^ //')" = "0 0" ] || busy=1
  done
  if [ $busy = 0 ]; then idle=$((idle+1)); else idle=0; fi
  sleep 1; i=$((i+1))
done
echo "### disks: $(ls /sys/block | tr '\n' ' ')"
for b in /sys/block/sd*; do
  [ -e "$b" ] && echo "### $(basename $b): $(cat $b/device/vendor) $(cat $b/device/model) size=$(cat $b/size) sg=$(ls $b/device/scsi_generic/) hctl=$(basename $(readlink $b/device))"
done

run_workload

echo 0 > $T/tracing_on
echo "@@@SCSITRACE-BEGIN trace@@@"
cat $T/trace
echo "@@@SCSITRACE-END trace@@@"
# trace-cmd in the initramfs (build-initramfs.sh EXTRA_BINS): the same ring buffer as trace.dat
# files instead of the trace_pipe section (trace-cmd extract consumes the buffer)
if [ -x /usr/bin/trace-cmd ]; then
  dump_tracedat
else
  # the same events again, drained through trace_pipe with the irq-info columns off
  echo 0 > $T/options/irq-info
  echo "@@@SCSITRACE-BEGIN trace_pipe@@@"
  entries=$(sed -n 's|^# entries-in-buffer/entries-written: \([0-9]*\)/.*|\1|p' $T/trace)
  timeout 300 head -n "$entries" $T/trace_pipe
  echo "@@@SCSITRACE-END trace_pipe@@@"
fi
echo "### dropped/overrun: $(grep -E 'overrun|dropped' $T/per_cpu/cpu0/stats | tr '\n' ' ')"
sync
poweroff -f
