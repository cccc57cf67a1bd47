# Guest workload for the FCoE capture (see ../capture-fcoe-qemu.sh): two virtio-net NICs on
# one QEMU hub. The NIC with MAC 52:54:00:fc:00:02 carries a LIO target (tcm_fc) with two
# LUNs, the one with 52:54:00:fc:00:01 the Linux fcoe initiator; both FCoE controllers run in
# VN2VN mode (FC-BB-6 point-to-point VN_Ports, no FCF), so no switch is needed.
#   LUN 0  fileio, a 32 MiB sparse file
#   LUN 1  iblock on null_blk with 3 s completions, for timeouts, ABTS and resets
. /workload-lib.sh
WANT_DISKS=2
CFS=/sys/kernel/config
netdev_by_mac() { for n in /sys/class/net/*; do [ "$(cat $n/address)" = "$1" ] && { basename $n; return 0; }; done; return 1; }
# fcoe_wwn_from_mac(mac, 2, 0): WWPN 20:00:<MAC>
wwpn_of() { echo "20:00:$(cat /sys/class/net/$1/address)"; }
ctlr_of() { for c in /sys/bus/fcoe/devices/ctlr_*; do :; done; basename $c; }

mount -t configfs configfs $CFS
ini=$(netdev_by_mac 52:54:00:fc:00:01); tgt=$(netdev_by_mac 52:54:00:fc:00:02)
for n in $ini $tgt; do ip link set $n mtu 2500; ip link set $n up; done
echo "### initiator $ini $(wwpn_of $ini), target $tgt $(wwpn_of $tgt)"

# the slow LUN's block device: null_blk completing each request after 3 s
rmmod null_blk 2>/dev/null
insmod /modules/null_blk.ko nr_devices=1 irqmode=2 completion_nsec=3000000000 gb=1 bs=512

# LIO target (drivers/target/tcm_fc): backstores, the target port, two LUNs, the initiator's ACL
dd if=/dev/zero of=/disk0.img bs=1 count=0 seek=33554432 2>/dev/null
mkdir -p $CFS/target/core/fileio_0/disk0
echo "fd_dev_name=/disk0.img,fd_dev_size=33554432" > $CFS/target/core/fileio_0/disk0/control
echo 1 > $CFS/target/core/fileio_0/disk0/enable
echo ST-FILE > $CFS/target/core/fileio_0/disk0/wwn/product_id
mkdir -p $CFS/target/core/iblock_0/slow0
echo "udev_path=/dev/nullb0" > $CFS/target/core/iblock_0/slow0/control
echo 1 > $CFS/target/core/iblock_0/slow0/enable
echo ST-SLOW > $CFS/target/core/iblock_0/slow0/wwn/product_id
TPG=$CFS/target/fc/$(wwpn_of $tgt)/tpgt_1
mkdir -p $TPG/lun/lun_0 $TPG/lun/lun_1
ln -s $CFS/target/core/fileio_0/disk0 $TPG/lun/lun_0/disk0
ln -s $CFS/target/core/iblock_0/slow0 $TPG/lun/lun_1/slow0
A=$TPG/acls/$(wwpn_of $ini)
mkdir -p $A/lun_0 $A/lun_1
ln -s $TPG/lun/lun_0 $A/lun_0/lun0
ln -s $TPG/lun/lun_1 $A/lun_1/lun1
[ -e $TPG/enable ] && echo 1 > $TPG/enable
echo "### tcm_fc: $(ls $CFS/target/fc) tpgt_1: $(ls $TPG)"

# FCoE controllers (drivers/scsi/fcoe, fcoe_sysfs): target port first, then the initiator
for n in $tgt $ini; do
  echo $n > /sys/bus/fcoe/ctlr_create
  c=$(ctlr_of)
  echo vn2vn > /sys/bus/fcoe/devices/$c/mode
  echo 1 > /sys/bus/fcoe/devices/$c/enabled
  echo "### $n: $c mode $(cat /sys/bus/fcoe/devices/$c/mode)"
done

run_workload() {
  for h in /sys/class/fc_host/host*; do echo "### $(basename $h): $(cat $h/port_name) port_id $(cat $h/port_id) $(cat $h/symbolic_name)"; done
  for r in /sys/class/fc_remote_ports/rport-*; do [ -e "$r" ] && echo "### $(basename $r): $(cat $r/port_name) $(cat $r/port_id) roles $(cat $r/roles)"; done
  fast=$(disk_by_model ST-FILE); slow=$(disk_by_model ST-SLOW)
  echo "### fast=$fast slow=$slow"
  scsi_battery $fast
  step "LOGICAL UNIT RESET (sg_reset -d)" sg_reset -d $(sg_of $fast)
  step "TEST UNIT READY after the reset (expect UNIT ATTENTION)" sg_turs -v $(sg_of $fast)
  slow_disk_errors $slow
  step "LUN 0 still answers after error handling" sg_turs -v $(sg_of $fast)
  step "LUN 0 READ after error handling" dd if=/dev/$fast of=/dev/null bs=4096 count=4 iflag=direct
}
