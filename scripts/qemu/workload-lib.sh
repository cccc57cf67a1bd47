# Shared SCSI command battery, sourced by the workload-*.sh scripts inside the guest.
# Every step is announced in the trace through trace_marker ("step: ...").

# scsi_battery BLOCKDEV: queries, data transfer, cache/unit control and deliberate errors
scsi_battery() {
  dev=/dev/$1; sg=$(sg_of $1)
  blocks=$(cat /sys/block/$1/size)
  # --- queries (SPC-6) ---
  step "TEST UNIT READY" sg_turs -v $sg
  step "INQUIRY standard" sg_inq $sg
  for page in 0x00 0x80 0x83 0xb0 0xb1 0xb2; do
    step "INQUIRY VPD $page" sg_vpd -p $page -H $sg
  done
  step "INQUIRY unsupported VPD 0xfe (expect ILLEGAL REQUEST)" sg_raw -r 255 -v $sg 12 01 fe 00 ff 00
  step "READ CAPACITY(10)" sg_readcap $sg
  step "READ CAPACITY(16)" sg_readcap -l $sg
  step "MODE SENSE(6) all pages" sg_modes -6 -a $sg
  step "MODE SENSE(10) caching page" sg_modes -p 8 $sg
  step "REPORT LUNS" sg_luns $sg
  step "REQUEST SENSE" sg_requests $sg
  # --- data transfer through the block layer (SBC-5 READ/WRITE) ---
  step "WRITE 64 KiB direct" dd if=/dev/urandom of=$dev bs=4096 count=16 seek=8 oflag=direct
  step "READ 64 KiB direct" dd if=$dev of=/dev/null bs=4096 count=16 skip=8 iflag=direct
  step "READ 128 KiB one request" dd if=$dev of=/dev/null bs=131072 count=1 iflag=direct
  step "buffered WRITE + fsync (SYNCHRONIZE CACHE)" dd if=/dev/zero of=$dev bs=4096 count=8 seek=100 conv=fsync
  # --- pass-through data commands ---
  step "READ(16) via sg_raw" sg_raw -r 4096 -o /dev/null $sg 88 00 00 00 00 00 00 00 00 10 00 00 00 08 00 00
  step "VERIFY(10)" sg_verify --lba=0 --count=8 $sg
  step "SYNCHRONIZE CACHE(10)" sg_sync $sg
  step "SYNCHRONIZE CACHE(16)" sg_sync --16 $sg
  step "START STOP UNIT stop" sg_start --stop $sg
  step "START STOP UNIT start" sg_start --start $sg
  step "PREVENT ALLOW MEDIUM REMOVAL allow" sg_prevent --allow $sg
  step "WRITE SAME(10)" sg_write_same --10 --lba=300 --num=8 --in=/dev/zero --xferlen=512 $sg
  step "WRITE SAME(16) unmap" sg_write_same --16 --unmap --lba=400 --num=8 $sg
  step "UNMAP" sg_unmap --force --lba=500 --num=16 $sg
  # --- deliberate errors ---
  step "READ(10) past end of medium (expect LBA OUT OF RANGE)" sg_raw -r 512 -v $sg 28 00 7f ff ff 00 00 00 01 00
  step "READ(16) at capacity (expect LBA OUT OF RANGE)" sg_raw -r 512 -v $sg 88 00 $(printf '%016x' $blocks | sed 's/../& /g') 00 00 00 01 00 00
  step "WRITE(10) past end of medium" sg_raw -s 512 -i /dev/zero -v $sg 2a 00 7f ff ff 00 00 00 01 00
  step "unsupported opcode 0xd9 (expect INVALID COMMAND OPERATION CODE)" sg_raw -v $sg d9 00 00 00 00 00
  step "unsupported opcode 0x02 (vendor/obsolete)" sg_raw -v $sg 02 00 00 00 00 00
  step "REQUEST SENSE after error" sg_requests -v $sg
  step "LOG SENSE" sg_logs -v $sg
  step "GET LBA STATUS" sg_get_lba_status -v $sg
  step "PERSISTENT RESERVE IN read keys" sg_persist -v -k $sg
  step "REPORT SUPPORTED OPCODES" sg_opcodes -v $sg
  step "MODE SENSE(6) unsupported page 0x3e" sg_raw -r 255 -v $sg 1a 00 3e 00 ff 00
  step "block-layer read beyond capacity (rejected by the kernel)" dd if=$dev of=/dev/null bs=512 count=1 skip=$blocks iflag=direct
  step "final TEST UNIT READY" sg_turs $sg
}

# disk_by_model MODEL: block device name whose SCSI model (INQUIRY product id) is MODEL
disk_by_model() {
  for b in /sys/block/sd*; do
    [ "$(sed 's/ *$//' $b/device/model)" = "$1" ] && { basename $b; return 0; }
  done
  return 1
}

# slow_disk_errors BLOCKDEV: commands that outlive a 1 s timeout on a disk whose every
# medium access takes seconds (QEMU null-co latency-ns). What follows depends on the LLD:
# virtio-scsi re-arms the timer (eh_timed_out), usb-storage aborts and resets the device,
# uas fails the abort and escalates to the error handler (scsi_eh_wakeup, device reset).
slow_disk_errors() {
  slow=$1; slowsg=$(sg_of $1)
  echo 1 > /sys/block/$slow/device/timeout
  step "sg_raw READ(10) with 1 s timeout on the slow disk (expect timeout)" \
    sg_raw -t 1 -r 4096 -o /dev/null -v $slowsg 28 00 00 00 00 40 00 00 08 00
  step "block READ with 1 s timeout on the slow disk (expect timeouts, error handling)" \
    dd if=/dev/$slow of=/dev/null bs=4096 count=1 skip=32 iflag=direct
  echo 30 > /sys/block/$slow/device/timeout
  step "after error handling: TEST UNIT READY" sg_turs -v $slowsg
}
