# Guest workload for the USB mass storage captures (see ../capture-usb-qemu.sh): one USB
# device (QEMU usb-bot or usb-uas) with two LUNs:
#   LUN 0  ST-FILE  32 MiB raw image
#   LUN 1  ST-SLOW  null-co disk, 3 s per medium access, for timeouts and error handling
. /workload-lib.sh
WANT_DISKS=2
run_workload() {
  fast=$(disk_by_model ST-FILE); slow=$(disk_by_model ST-SLOW)
  echo "### fast=$fast slow=$slow"
  scsi_battery $fast
  slow_disk_errors $slow
  step "LUN 0 still answers after error handling" sg_turs -v $(sg_of $fast)
  step "LUN 0 READ after error handling" dd if=/dev/$fast of=/dev/null bs=4096 count=4 iflag=direct
}
