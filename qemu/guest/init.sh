#!/bin/bash
# PID 1 of a stackwatch test guest. The root file system is the host's own,
# shared read-only over 9p; this makes the few places that must be writable
# tmpfs, mounts the results share, runs the guest script named in
# $SW_OUT/guest.env, reports its exit status and reboots (QEMU runs with
# -no-reboot, so that ends the VM), or with sw.poweroff (qemu/run.sh
# --reboot, where a reset boots the guest again) powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
ln -sf /proc/self/fd /dev/fd; ln -sf fd/0 /dev/stdin; ln -sf fd/1 /dev/stdout; ln -sf fd/2 /dev/stderr
mount -t devpts devpts /dev/pts 2>/dev/null
# The results share first, at a place of its own: guest.env names the paths
# the guest needs (the checkout, the module, the script), which may lie under
# a directory that is made tmpfs below (a clone under /tmp, a home in /root).
out=$(sed -n 's/.*sw\.out=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p /dev/.sw/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 swout /dev/.sw/out || {
  echo "stackwatch-guest: cannot mount the results share"; echo b > /proc/sysrq-trigger; }
set -a
# shellcheck source=/dev/null
for env in /dev/.sw/out/*.env; do . "$env"; done
set +a
writable="/tmp /run /var/tmp /var/log /var/lib/nfs /mnt /root /etc/lvm /var/lock"
# keep PATH...: keeps each path that a tmpfs below would hide, through a bind
# mount made now and put back after.
kept=()
keep() {
  local p w n=${#kept[@]}
  for p in "$@"; do
    for w in $writable; do
      case "$p/" in "$w"/*)
        mkdir -p "/dev/.sw/keep$n"; mount --bind "$p" "/dev/.sw/keep$n"; kept+=("$p"); n=$((n + 1)) ;;
      esac
    done
  done
}
keep "$SW_ROOT" "$(dirname "$SW_SCRIPT")" "$(dirname "$SW_KO")"
for d in $writable; do
  [ -d "$d" ] && mount -t tmpfs -o mode=0755 tmpfs "$d"
done
for i in "${!kept[@]}"; do mkdir -p "${kept[$i]}"; mount --bind "/dev/.sw/keep$i" "${kept[$i]}"; done
mount -t tmpfs tmpfs /dev/shm
chmod 1777 /tmp /var/tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hostname swguest 2>/dev/null
ip link set lo up 2>/dev/null || busybox ip link set lo up
mkdir -p "$out" 2>/dev/null
mount --bind /dev/.sw/out "$out"

# A stock kernel's modules (from the cache) at /lib/modules; the disks' and
# the entropy source's drivers, and unless told not to, the storage stack's.
if [ -n "${SW_MODULES_DIR:-}" ]; then
  mount --bind "$SW_MODULES_DIR" /lib/modules
  modprobe -a virtio_blk virtio_rng loop
  if [ "${SW_PRELOAD:-1}" = 1 ]; then
    modprobe -a xfs dm_mod dm_thin_pool dm_snapshot nfsd nfsv3 nfsv4 ||
      echo "stackwatch-guest: could not load the storage modules"
  fi
fi
export SW_OUT="$out"
echo "stackwatch-guest: running $SW_SCRIPT $SW_ARGS on $(uname -r), THREAD_SIZE probe pending"
cd /tmp || exit 1
# shellcheck disable=SC2086
bash "$SW_SCRIPT" $SW_ARGS 2>&1 | sed -u 's/^/[guest] /'
rc=${PIPESTATUS[0]}
echo "$rc" > "$out/guest-exit"
sync
echo "stackwatch-guest: exit $rc"
if grep -qw sw.poweroff /proc/cmdline; then echo o > /proc/sysrq-trigger; else echo b > /proc/sysrq-trigger; fi
sleep 10
