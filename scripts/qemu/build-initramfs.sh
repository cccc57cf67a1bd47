#!/usr/bin/env bash
# Build a tiny initramfs that boots the host's Debian kernel under QEMU, loads the
# SCSI/USB storage modules named on the command line (with their dependencies,
# resolved from modules.dep), enables the scsi:* tracepoints and runs a workload.
#
# usage: build-initramfs.sh OUT.cpio.gz WORKLOAD.sh MODULE...
#   KVER=<version>  kernel whose modules to use (default: newest /boot/vmlinuz-*)
#   EXTRA_BINS="..." more host binaries to copy in (with their libraries), e.g. trace-cmd
# Needs: busybox-static, sg3-utils, cpio, gzip, the kernel's modules in /lib/modules.
set -euo pipefail

out=$(realpath -m "$1"); workload=$(realpath "$2"); shift 2
here=$(cd "$(dirname "$0")" && pwd)
KVER=${KVER:-$(ls /boot/vmlinuz-* | sort -V | tail -1 | sed 's|/boot/vmlinuz-||')}
moddir=/lib/modules/$KVER
[ -f "$moddir/modules.dep" ] || { echo "no $moddir/modules.dep" >&2; exit 2; }

root=$(mktemp -d /tmp/scsitrace-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,lib,lib64,modules}

# busybox with one symlink per applet
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

# sg3-utils binaries and the shared libraries (plus the loader) they use
copy_with_libs() {
  local f=$1 dest=$2
  cp "$f" "$root$dest/"
  ldd "$f" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | while read -r lib; do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
for f in /usr/bin/sg_*; do copy_with_libs "$f" /usr/bin; done
# EXTRA_BINS="/usr/bin/trace-cmd ...": more host binaries for the guest, with their libraries
for f in ${EXTRA_BINS:-}; do copy_with_libs "$f" /usr/bin; done

# kernel modules in dependency order (a module's dependencies first)
declare -A seen=()
order=()
add_module() {
  local name=${1//-/_} line path deps d
  line=$(grep -E "(^|/)(${name//_/[-_]})\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -1) || true
  [ -n "$line" ] || { echo "module $1 not found in $moddir/modules.dep (built in?)" >&2; return 0; }
  path=${line%%:*}
  [ -n "${seen[$path]:-}" ] && return 0
  seen[$path]=1
  deps=${line#*:}
  for d in $deps; do add_module "$(basename "$d" | sed -E 's/\.ko(\.[a-z]+)?$//')"; done
  order+=("$path")
}
for m in "$@"; do add_module "$m"; done
: > "$root/modules.order"
for p in "${order[@]}"; do
  case $p in
    *.ko) cp "$moddir/$p" "$root/modules/" ;;
    *.ko.xz) xz -dc "$moddir/$p" > "$root/modules/$(basename "${p%.xz}")" ;;
    *.ko.zst) zstd -qdc "$moddir/$p" > "$root/modules/$(basename "${p%.zst}")" ;;
    *) echo "unsupported module file $p" >&2; exit 2 ;;
  esac
  basename "$p" | sed -E 's/\.(xz|zst)$//' >> "$root/modules.order"
done

cp "$here/init.sh" "$root/init"
cp "$workload" "$root/workload.sh"
cp "$here/workload-lib.sh" "$root/workload-lib.sh"
chmod +x "$root/init" "$root/workload.sh"
echo "$KVER" > "$root/kernel-version"

(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet --reproducible) | gzip -9n > "$out"
echo "initramfs $out: $(stat -c %s "$out") bytes, kernel $KVER, modules: $(tr '\n' ' ' < "$root/modules.order")" >&2
