# Guest workload for the USB mass storage captures (see ../capture-usb-qemu.sh): one USB
# device (QEMU usb-bot or usb-uas) with two LUNs:
#   LUN 0  ST-FILE  32 MiB raw image
#   LUN 1  ST-SLOW  null-co disk, 3 s per medium access, for timeouts and error handling
# With usbmon among the modules (capture-usbmon-qemu.sh), usbmon's text interface is read
# the whole time: 0u (all buses, 'u' format) from the moment usbmon loads, and <bus>t
# ('t' format) of every bus from when the host controllers are in, before usb-storage/uas
# (modules load in the order capture-usb-qemu.sh names them: usbmon, HCDs, scsi_mod, ...).
. /workload-lib.sh
WANT_DISKS=2
USBMON=/sys/kernel/debug/usb/usbmon
usbmon_pids=
on_module_loaded() {
  case $1 in
    usbmon.ko)
      mount -t debugfs debugfs /sys/kernel/debug
      cat $USBMON/0u > /tmp/usbmon-0u.txt & usbmon_pids="$usbmon_pids $!"
      echo "### usbmon: reading 0u" ;;
    scsi_mod.ko)
      # loaded after the host controllers (their buses exist) and before usb-storage/uas
      for f in $USBMON/[1-9]t; do
        [ -e "$f" ] || continue
        b=$(basename $f)
        cat $f > /tmp/usbmon-$b.txt & usbmon_pids="$usbmon_pids $!"
        echo "### usbmon: reading $b"
      done ;;
  esac
}
dump_usbmon() {
  [ -n "$usbmon_pids" ] || return 0
  sleep 1
  echo "### usbmon statistics: $(cat $USBMON/0s 2>/dev/null | tr '\n' ' ')"
  for b in 1 2 3 4 5 6 7 8 9; do [ -e $USBMON/${b}s ] && echo "### usbmon bus $b: $(cat $USBMON/${b}s | tr '\n' ' ')"; done
  kill $usbmon_pids; wait 2>/dev/null
  for f in /tmp/usbmon-*.txt; do
    n=$(basename $f .txt)
    echo "@@@SCSITRACE-BEGIN $n@@@"; cat $f; echo "@@@SCSITRACE-END $n@@@"
  done
}
run_workload() {
  fast=$(disk_by_model ST-FILE); slow=$(disk_by_model ST-SLOW)
  echo "### fast=$fast slow=$slow"
  scsi_battery $fast
  slow_disk_errors $slow
  step "LUN 0 still answers after error handling" sg_turs -v $(sg_of $fast)
  step "LUN 0 READ after error handling" dd if=/dev/$fast of=/dev/null bs=4096 count=4 iflag=direct
  dump_usbmon
}
