#!/usr/bin/env bash
# Builds the small bootable guest the qemu-target tests and the demo recover: an MBR disk with
# one ext4 partition, SYSLINUX as boot loader, Debian's cloud kernel and a busybox initramfs
# whose /init loads the virtio drivers, reads a marker file from the disk, starts httpd on
# port 80 and prints "drc-guest: booted" on ttyS0. Built from Debian packages only
# (linux-image-cloud-amd64, busybox-static, extlinux, syslinux-common, fdisk, cpio,
# e2fsprogs); needs root for the loop mount. The result is cached: a second call copies it.
# Boots in about 2.5 s of CPU under TCG: SYSLINUX without prompt or timeout, a kernel command
# line that probes nothing the guest does not use (no ACPI, no EDD, no MSI — without an APIC
# it fails and dumps a warning —, one UART, no self-tests, no mitigations, nothing printed
# below errors), unsigned modules, an uncompressed initramfs (its gunzip cost 0.2 s of CPU under
# TCG, more than loading 1.2 MiB more), and an /init that goes on as soon as the disk's
# partition appears. `npm run bench:guest-boot` shows where the time goes.
#
#   scripts/make-guest-image.sh OUT.img          (GUEST_SIZE_MIB=64, DRC_GUEST_CACHE=DIR)
set -euo pipefail

OUT=${1:?usage: make-guest-image.sh OUT.img}
SIZE_MIB=${GUEST_SIZE_MIB:-64}
CACHE=${DRC_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drc-guest}
SELF=$(readlink -f "$0")
MBR=/usr/lib/syslinux/mbr/mbr.bin

die() { echo "make-guest-image: $*" >&2; exit 1; }
for c in apt-get dpkg sfdisk cpio mkfs.ext4 extlinux losetup busybox; do
  command -v "$c" >/dev/null || die "$c missing (apt-get install qemu-system-x86 linux-image-cloud-amd64 busybox-static extlinux syslinux-common fdisk cpio e2fsprogs)"
done
[ -f "$MBR" ] || die "$MBR missing (apt-get install syslinux-common)"
mkdir -p "$CACHE"

# one builder at a time; the others wait and copy its result
exec 9>"$CACHE/lock"
flock 9

kernel_pkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
KPKG=$(kernel_pkg)
# a fresh machine may have no apt lists yet (the kernel is only downloaded, never installed)
if [ -z "$KPKG" ] && [ "$(id -u)" = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; KPKG=$(kernel_pkg); fi
[ -n "$KPKG" ] || KPKG=$(ls "$CACHE"/kernel 2>/dev/null | head -1)
[ -n "$KPKG" ] || die "no linux-image-cloud-amd64 in the apt lists (run apt-get update)"
KEY=$(cat "$SELF" <(echo "$KPKG $SIZE_MIB") | sha256sum | cut -c1-16)
CACHED="$CACHE/guest-$KEY.img"
if [ -f "$CACHED" ]; then
  cp --sparse=always "$CACHED" "$OUT"
  echo "guest image $OUT (cached, $KPKG)"
  exit 0
fi

# the kernel package, unpacked once
KDIR="$CACHE/kernel/$KPKG"
if [ ! -d "$KDIR/boot" ]; then
  rm -rf "$KDIR.tmp" && mkdir -p "$KDIR.tmp"
  (cd "$KDIR.tmp" && apt-get download "$KPKG" >/dev/null 2>&1) || die "apt-get download $KPKG failed"
  dpkg -x "$KDIR.tmp"/*.deb "$KDIR.tmp/x"
  rm -rf "$KDIR" && mv "$KDIR.tmp/x" "$KDIR" && rm -rf "$KDIR.tmp"
fi
KVER=${KPKG#linux-image-}
VMLINUZ="$KDIR/boot/vmlinuz-$KVER"
MODS="$KDIR/lib/modules/$KVER/kernel"
[ -f "$VMLINUZ" ] || die "no kernel in $KPKG"

WORK=$(mktemp -d)
LOOP=""
cleanup() {
  if [ -n "$LOOP" ]; then umount "$WORK/mnt" 2>/dev/null || true; losetup -d "$LOOP" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# initramfs: busybox, the virtio modules (dependencies first), /init
R="$WORK/initramfs"
mkdir -p "$R"/{bin,dev,proc,sys,mnt,www,lib/modules}
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh mount umount insmod ifconfig route ip httpd cat echo sleep mkdir mknod ls dmesg poweroff; do ln -s busybox "$R/bin/$a"; done
MODLIST="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
  drivers/virtio/virtio_pci drivers/block/virtio_blk net/core/failover drivers/net/net_failover drivers/net/virtio_net"
# the signatures are cut off: the kernel checks an appended RSA signature per module (slow under
# TCG) and only taints itself when there is none (CONFIG_MODULE_SIG_FORCE is off)
strip_signature() {
  local f=$1 n sl
  n=$(stat -c %s "$f")
  [ "$(tail -c 28 "$f")" = "~Module signature appended~" ] || return 0
  sl=$(tail -c 32 "$f" | head -c 4 | od -An -tu1 | awk '{print $1*16777216+$2*65536+$3*256+$4}')
  truncate -s $((n - 28 - 12 - sl)) "$f"
}
for m in $MODLIST; do cp "$MODS/$m.ko" "$R/lib/modules/"; strip_signature "$R/lib/modules/$(basename "$m").ko"; done
{
  echo '#!/bin/sh'
  echo 'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev 2>/dev/null'
  for m in $MODLIST; do echo "insmod /lib/modules/$(basename "$m").ko 2>/dev/null"; done
  cat <<'INIT'
echo "drc-guest: drivers loaded" > /dev/ttyS0
i=0; while [ ! -b /dev/vda1 ] && [ ! -b /dev/sda1 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
MARKER="(no disk)"
for DISK in /dev/vd?1 /dev/sd?1; do
  [ -b $DISK ] || continue
  if mount -o ro -t ext4 $DISK /mnt 2>/dev/null; then
    if [ -f /mnt/drc-marker ]; then MARKER=$(cat /mnt/drc-marker); break; fi
    umount /mnt
  fi
done
echo "drc-guest: marker $MARKER" > /dev/ttyS0
echo "<html><body>drc-guest $MARKER</body></html>" > /www/index.html
ifconfig lo 127.0.0.1 up
if ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up 2>/dev/null; then route add default gw 10.0.2.2 2>/dev/null; fi
httpd -p 80 -h /www
echo "drc-guest: booted" > /dev/ttyS0
while true; do sleep 3600; done
INIT
} > "$R/init"
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet) > "$WORK/initrd.img"

# the disk: MBR with one bootable partition at 1 MiB, SYSLINUX in it
IMG="$WORK/disk.img"
truncate -s "${SIZE_MIB}M" "$IMG"
echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q "$IMG"
dd if="$MBR" of="$IMG" bs=440 count=1 conv=notrunc status=none
PART_BYTES=$(( (SIZE_MIB - 1) * 1048576 ))
LOOP=$(losetup -f --show -o 1048576 --sizelimit "$PART_BYTES" "$IMG")
mkfs.ext4 -q -F -L drc-guest -O ^64bit,^metadata_csum "$LOOP"
mkdir -p "$WORK/mnt"
mount "$LOOP" "$WORK/mnt"
mkdir -p "$WORK/mnt/boot"
cp "$VMLINUZ" "$WORK/mnt/boot/vmlinuz"
cp "$WORK/initrd.img" "$WORK/mnt/boot/initrd.img"
cat > "$WORK/mnt/boot/extlinux.conf" <<'CONF'
DEFAULT drc
PROMPT 0
TIMEOUT 0
SERIAL 0 115200
LABEL drc
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.img
  APPEND console=ttyS0,115200 quiet loglevel=3 panic=5 acpi=off edd=off pci=nomsi mitigations=off nokaslr cryptomgr.notests 8250.nr_uarts=1 tsc=reliable no_timer_check
CONF
echo "drc-guest-marker $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$WORK/mnt/drc-marker"
extlinux --install "$WORK/mnt/boot" >/dev/null 2>&1 || die "extlinux --install failed"
sync
umount "$WORK/mnt"
losetup -d "$LOOP"
LOOP=""

cp --sparse=always "$IMG" "$CACHED.tmp" && mv "$CACHED.tmp" "$CACHED"
cp --sparse=always "$CACHED" "$OUT"
echo "guest image $OUT (built, $KPKG)"
