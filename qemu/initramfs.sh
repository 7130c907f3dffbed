#!/usr/bin/env bash
# Makes the small initramfs that lets a Debian stock kernel boot the test
# guests' root: the host's own file system over virtio-9p, as our own test
# kernels do with 9p built in. In Debian's kernel 9p and its transport are
# modules, so the initramfs holds busybox, those modules (with what they
# depend on, from the release's modules.dep) and an /init that loads them,
# mounts the 9p root read-only and switches to the init named by init= on the
# kernel command line (qemu/guest/init.sh). Cached per release and recipe in
# the release's directory. Prints the initramfs's path.
# BUSYBOX: the (static) busybox of the guest's architecture; this machine's
# by default.
#   qemu/initramfs.sh RELEASE [BUSYBOX]
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

release=${1:?usage: qemu/initramfs.sh RELEASE [BUSYBOX]}
busybox=${2:-/bin/busybox}
[ -f "$busybox" ] || die "no busybox at $busybox"
dir=$(stock_dir "$release")
moddir=$(stock_moddir "$release")
[ -f "$moddir/modules.dep" ] || die "no modules for $release in $dir/root: run scripts/stock-kernel.sh --boot $release"
# The modules the root needs; their dependencies come from modules.dep.
# A kernel without 9p (Debian's cloud flavour) mounts it over virtiofs,
# built in there (qemu/run.sh): no module.
ROOT_MODULES=(9p 9pnet_virtio)
grep -qE '^CONFIG_NET_9P_VIRTIO=[ym]' "$moddir/config" || ROOT_MODULES=()
key=$( { cat "$0"; printf '%s\n' "${ROOT_MODULES[@]}"; cmp -s "$busybox" /bin/busybox || sha256sum < "$busybox"; } | sha256sum | cut -c1-16)
out="$dir/initramfs-$key.cpio.gz"
[ -f "$out" ] && { echo "$out"; exit 0; }

# deps MODULE: the module's file and its dependencies', dependencies first.
declare -A seen=()
order=()
add_module() {
  local name=$1 line file dep
  line=$(grep -E "(^|/)${name//_/[_-]}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n1) ||
    die "module $name is not in $moddir/modules.dep"
  file=${line%%:*}
  [ -n "${seen[$file]:-}" ] && return 0
  seen[$file]=1
  for dep in ${line#*:}; do
    dep=$(basename "$dep"); add_module "${dep%%.ko*}"
  done
  order+=("$file")
}
for m in "${ROOT_MODULES[@]+"${ROOT_MODULES[@]}"}"; do add_module "$m"; done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules}
cp -L "$busybox" "$stage/bin/busybox"
for t in sh mount umount insmod switch_root mkdir cat sed grep; do ln -s busybox "$stage/bin/$t"; done
mknod "$stage/dev/console" c 5 1
mknod "$stage/dev/null" c 1 3
i=0
for f in "${order[@]+"${order[@]}"}"; do
  i=$((i + 1))
  case "$f" in
    *.xz) xz -dc "$moddir/$f" > "$stage/modules/$(printf %02d $i).ko" ;;
    *.zst) zstd -qdc "$moddir/$f" > "$stage/modules/$(printf %02d $i).ko" ;;
    *.gz) gzip -dc "$moddir/$f" > "$stage/modules/$(printf %02d $i).ko" ;;
    *) cp "$moddir/$f" "$stage/modules/$(printf %02d $i).ko" ;;
  esac
done
cat > "$stage/init" <<'INIT'
#!/bin/sh
# initramfs /init (qemu/initramfs.sh): load 9p, mount the host's root (9p or virtiofs), go on.
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
for m in /modules/*.ko; do [ -e "$m" ] || continue; insmod "$m" || echo "initramfs: insmod $m failed"; done
init=$(sed -n 's/.*[[:space:]]init=\([^ ]*\).*/\1/p' /proc/cmdline)
opts=$(sed -n 's/.*rootflags=\([^ ]*\).*/\1/p' /proc/cmdline)
if grep -q 'rootfstype=virtiofs' /proc/cmdline; then
  mount -t virtiofs -o ro root /newroot || { echo "initramfs: cannot mount the virtiofs root"; echo b > /proc/sysrq-trigger; }
elif ! mount -t 9p -o "ro,${opts:-trans=virtio,version=9p2000.L}" /dev/root /newroot; then
  echo "initramfs: cannot mount the 9p root"; echo b > /proc/sysrq-trigger
fi
umount /dev /proc
exec switch_root /newroot "${init:-/sbin/init}"
INIT
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
