# Guest workload for the ftrace captures on emulated parallel-SCSI / RAID HBAs (lsi53c895a,
# megasas; see ../capture-ftrace-qemu.sh). Two disks on one HBA:
#   ST-FILE  32 MiB raw image
#   ST-SLOW  null-co disk, 3 s per medium access, for timeouts and error handling
. /workload-lib.sh
WANT_DISKS=2
run_workload() {
  fast=$(disk_by_model ST-FILE); slow=$(disk_by_model ST-SLOW)
  echo "### fast=$fast slow=$slow"
  scsi_battery $fast
  slow_disk_errors $slow
  step "first disk still answers after error handling" sg_turs -v $(sg_of $fast)
}
