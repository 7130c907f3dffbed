#!/bin/sh
# First stage of a guest whose root file system is not the host's (that of
# Debian riscv64 or arm64, scripts/rootfs.sh ARCH). qemu/run.sh installs it as
# /sbin/stackwatch-preinit in that root. It mounts the host's root file system
# (tag "host", 9p or virtiofs, read-only) at /host, bind-mounts the host directories listed
# in sw.bind= (comma-separated: the checkout, the cache, the guest script's
# directory) at the same paths, and then runs sw.init (qemu/guest/init.sh) as
# PID 1, which goes on exactly as on x86_64.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
binds=$(sed -n 's/.* sw\.bind=\([^ ]*\).*/\1/p' /proc/cmdline)
init=$(sed -n 's/.* sw\.init=\([^ ]*\).*/\1/p' /proc/cmdline)
# Over 9p, or over virtiofs for a kernel without 9p (Debian's cloud flavours).
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose host /host 2>/dev/null ||
  mount -t virtiofs -o ro host /host ||
  echo "stackwatch-preinit: cannot mount the host share at /host"
for d in $(echo "$binds" | tr , ' '); do
  mount --bind "/host$d" "$d" || echo "stackwatch-preinit: cannot bind /host$d at $d"
done
umount /proc
exec "${init:-/bin/sh}"
