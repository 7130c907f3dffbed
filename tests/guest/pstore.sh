# shellcheck shell=bash
# The pstore recipe (docs/usage.md), tested: a guest with a ramoops region
# (RAM the kernel keeps across a reset, reserved with memmap=) dies of its
# stack after stackwatch's warning, reboots, and reads the warning with its
# chain back from /sys/fs/pstore. Run by qemu/run.sh --reboot, which lets
# the guest reset once and keeps its RAM; the first boot leaves
# $SW_OUT/reboot-boot1 behind, so the second knows it is the second (the
# runner removes reboot-* files before the first boot).
#   pstore.sh ADDRESS SIZE [THRESHOLD]   (memmap=SIZE$ADDRESS on the command
#                                         line; THRESHOLD 8192, 0 for none:
#                                         the control run, which must fail)
. "$(dirname "$0")/lib.sh"
addr=${1:?usage: pstore.sh ADDRESS SIZE [THRESHOLD]} size=${2:?usage: pstore.sh ADDRESS SIZE [THRESHOLD]}
threshold=${3:-8192}
marker=$SW_OUT/reboot-boot1
# The first boot's checks, shown again by the second (whose console is the
# one tests/run.sh counts).
first=$SW_OUT/reboot-boot1.checks
ramoops() {
  modprobe ramoops mem_address="$addr" mem_size="$size" record_size=0x20000 console_size=0x20000 &&
    mkdir -p /sys/fs/pstore && { mountpoint -q /sys/fs/pstore || mount -t pstore pstore /sys/fs/pstore; }
}

if [ ! -f "$marker" ]; then
  {
    check "memmap= reserved the ramoops region" grep -q "memmap=" /proc/cmdline
    check "ramoops at $addr ($size) and pstore mounted" ramoops
    expect_eq "no pstore record before the crash" "$(find /sys/fs/pstore -type f | wc -l)" 0
    check "insmod stackwatch (sw_overflow_recurse pending, threshold $threshold)" \
      sw_load probes=sw_overflow_recurse threshold="$threshold" warn_interval_ms=0
  } | tee "$first"
  echo "boot 1: recursing until the stack overflows" > "$marker"
  sync
  # The recursion runs in the module's init; stackwatch's pending probe
  # attaches as the module comes up, before its init runs.
  insmod "$SW_ROOT/tests/modules/sw_overflow_test.ko" depth=100
  not_ok "the kernel dies of its stack" "insmod returned $? and the kernel lives"
  finish
fi

echo "boot 2: after the crash ($(cat "$marker"))"
if [ -f "$first" ]; then
  sed 's/^/(boot 1) /; s/^(boot 1) \(\(not \)\{0,1\}ok - \)/\1boot 1: /' "$first"
  # shellcheck disable=SC2034 # finish (lib.sh) exits with it
  ! grep -q '^not ok - ' "$first" || SW_FAILED=1
else
  not_ok "boot 1's checks" "$first is missing"
fi
check "ramoops at $addr ($size) and pstore mounted again" ramoops
ls -l /sys/fs/pstore | sed 's/^/  /'
records=$(find /sys/fs/pstore -name 'dmesg-ramoops-*' | sort)
expect_cmp "dmesg records kept across the reset" "$(echo "$records" | grep -c .)" -ge 1
# The record of the panic (pstore lists the newest first); its text.
all=$(for r in $records; do cat "$r"; echo; done)
warn=$(echo "$all" | grep -m1 -E 'stackwatch: sw_overflow_recurse: only [0-9]+ bytes of stack left \(threshold '"$threshold"', [0-9]+ of [0-9]+ used\)')
check "the warning is in pstore" test -n "$warn"
echo "  $warn"
chain=$(echo "$all" | grep -A12 -F "$warn" | grep -E 'stackwatch: +[0-9]+ ' | head -n 12)
echo "$chain" | sed 's/^/  /'
expect_cmp "its chain is there: sw_overflow_recurse frames" "$(echo "$chain" | grep -c 'sw_overflow_recurse+0x')" -ge 3
died=$(echo "$all" | grep -m1 -nE 'stack guard page was hit|Kernel stack overflow|Kernel panic' || true)
check "the death by stack is recorded too: ${died#*:}" test -n "$died"
wline=
[ -z "$warn" ] || wline=$(echo "$all" | grep -m1 -nF "$warn" | cut -d: -f1)
expect_cmp "the warning comes before the death" "${wline:-0}" -lt "${died%%:*}"
finish
