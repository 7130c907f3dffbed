# shellcheck shell=bash
# The warning leaves the machine: netconsole (Debian's module) sends the
# kernel log over QEMU user networking to 10.0.2.2, which is the host's
# loopback, where tests/host/netconsole.sh listens on PORT. stackwatch warns
# (threshold just under THREAD_SIZE) at the first vfs_mkdir, with its chain.
#   netconsole.sh PORT
. "$(dirname "$0")/lib.sh"
port=${1:?usage: netconsole.sh PORT}

check "modprobe virtio_net" modprobe virtio_net
dev=
for d in /sys/class/net/*; do [ "${d##*/}" = lo ] || { dev=${d##*/}; break; }; done
check "a network device (${dev:-none})" test -n "$dev"
# netconsole brings the device up itself; no address on it is needed.
check "modprobe netconsole to 10.0.2.2:$port over $dev" \
  modprobe netconsole "netconsole=@10.0.2.15/$dev,$port@10.0.2.2/"
dmesg | grep -m2 'netconsole' | sed 's/^/  /'
check "insmod stackwatch (vfs_mkdir, threshold 16128)" sw_load probes=vfs_mkdir threshold=16128 warn_interval_ms=0
mkdir /tmp/netconsole-mkdir
# The warning is a deferred printk: on the consoles from irq_work, soon.
for _ in $(seq 1 60); do dmesg | grep -q 'stackwatch: vfs_mkdir: only' && break; sleep 0.5; done
check "the warning is in the guest's own log" sh -c "dmesg | grep -q 'stackwatch: vfs_mkdir: only'"
dmesg | grep -A3 'stackwatch: vfs_mkdir: only' | head -n 4 | sed 's/^/  /'
expect_cmp "warnings counted" "$(sw_jq counters .counters.warnings)" -ge 1
check "rmmod stackwatch" sw_unload
finish
