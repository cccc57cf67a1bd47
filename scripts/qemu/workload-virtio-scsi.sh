# Guest workload for the virtio-scsi ftrace capture (see ../capture-ftrace-qemu.sh).
# Disks (INQUIRY product ids set by QEMU's scsi-hd product= property):
#   ST-FILE  32 MiB raw image on a normal virtio-scsi controller
#   ST-SLOW  null-co disk with 3 s latency on a second controller whose virtqueue
#            is 16 entries without indirect descriptors, so a multi-request read
#            fills the ring (queuecommand returns SCSI_MLQUEUE_HOST_BUSY) and a
#            1 s timeout makes commands time out and wake the error handler.
. /workload-lib.sh
WANT_DISKS=2
run_workload() {
  fast=$(disk_by_model ST-FILE); slow=$(disk_by_model ST-SLOW)
  echo "### fast=$fast slow=$slow"
  scsi_battery $fast
  step "parallel READs on the small-ring controller (expect dispatch errors: host busy)" \
    dd if=/dev/$slow of=/dev/null bs=262144 count=1 iflag=direct
  slow_disk_errors $slow
}
