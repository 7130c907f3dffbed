#!/bin/bash
# PID 1 of a stackwatch test guest. The root file system is the host's own,
# shared read-only over 9p; this makes the few places that must be writable
# tmpfs, mounts the results share, runs the guest script named in
# $SW_OUT/guest.env, reports its exit status and reboots (QEMU runs with
# -no-reboot, so that ends the VM).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
ln -sf /proc/self/fd /dev/fd; ln -sf fd/0 /dev/stdin; ln -sf fd/1 /dev/stdout; ln -sf fd/2 /dev/stderr
mount -t devpts devpts /dev/pts 2>/dev/null
for d in /tmp /run /var/tmp /var/log /var/lib/nfs /mnt /root /etc/lvm /var/lock; do
  [ -d "$d" ] && mount -t tmpfs -o mode=0755 tmpfs "$d"
done
mount -t tmpfs tmpfs /dev/shm
chmod 1777 /tmp /var/tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hostname swguest 2>/dev/null
ip link set lo up 2>/dev/null || busybox ip link set lo up

out=$(sed -n 's/.*sw\.out=\([^ ]*\).*/\1/p' /proc/cmdline)
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 swout "$out" || {
  echo "stackwatch-guest: cannot mount the results share at $out"; echo b > /proc/sysrq-trigger; }
set -a
for env in "$out"/*.env; do . "$env"; done
set +a
export SW_OUT="$out"
echo "stackwatch-guest: running $SW_SCRIPT $SW_ARGS on $(uname -r), THREAD_SIZE probe pending"
cd /tmp
# shellcheck disable=SC2086
bash "$SW_SCRIPT" $SW_ARGS 2>&1 | sed -u 's/^/[guest] /'
rc=${PIPESTATUS[0]}
echo "$rc" > "$out/guest-exit"
sync
echo "stackwatch-guest: exit $rc"
echo b > /proc/sysrq-trigger
sleep 10
