# shellcheck shell=bash
# Issue 25: every stack of the machine. The per-CPU IRQ stacks (hard
# interrupts and softirqs) and exception stacks (NMI, #DB, #MC, #DF) in the
# `cpu_stacks` file, and probe hits on softirq-context functions measured
# against the IRQ stack, while NFS over TCP (loopback: its softirqs run on
# the IRQ stack, from local_bh_enable() through do_softirq_own_stack()) on
# XFS over a virtio disk (block completions in its interrupt) and traffic on
# a virtio-net NIC run; NMIs from an all-CPU backtrace (sysrq l). Checks:
# each stack's size; every online CPU's IRQ stack used; the deepest IRQ
# stack at least as deep as the deepest probe hit on one and the deepest
# chain taken there; no stack's deepest point shrinks between reads; the
# IRQ-stack hits are off-stack hits (never counted against a task).
#   irqstacks.sh SECONDS   (the workload's length each round)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
secs=${1:-10}

# Functions that run in softirq context (network receive, block
# completion, RCU, timers), watched by name, and TCP's by glob.
SOFTIRQ_FNS="net_rx_action,__napi_poll,ip_rcv,ip_local_deliver,tcp_v4_rcv,tcp_rcv_established,sock_def_readable,blk_mq_complete_request,blk_mq_end_request,bio_endio,rcu_core,run_timer_softirq,vring_interrupt"
check "insmod stackwatch probes=tcp_*,softirq functions" sw_load "probes=tcp_*,$SOFTIRQ_FNS" threshold=0
check "cpu_stacks is read-only for root (0400)" test "$(stat -c %a $SWD/cpu_stacks)" = 400
check "irq_max_trace is read-only for root (0400)" test "$(stat -c %a $SWD/irq_max_trace)" = 400
ts=$(cat $SWD/thread_size)
# cs FILTER [JQ-OPTION...]: the `cpu_stacks` part of the report, through jq.
cs() { local f=$1; shift; sw_jq cpu-stacks ".cpu_stacks | $f" "$@"; }

# --- sizes and presence: x86_64's IRQ stack is THREAD_SIZE (both
# PAGE_SIZE << (2 + KASAN_STACK_ORDER)), an exception stack half of it
# (EXCEPTION_STACK_ORDER 1 + KASAN_STACK_ORDER).
ncpu=$(nproc)
expect_eq "irq_stack_size is THREAD_SIZE" "$(cs .irq_stack_size)" "$ts"
expect_eq "an IRQ stack of THREAD_SIZE per online CPU" \
  "$(cs '[.stacks[] | select(.stack == "IRQ" and .size == $ts)] | length' --argjson ts "$ts")" "$ncpu"
for k in NMI '#DB' '#MC' '#DF'; do
  expect_eq "a $k stack of THREAD_SIZE/2 per CPU" \
    "$(cs '[.stacks[] | select(.stack == $k and .size == $ts / 2)] | length' --arg k "$k" --argjson ts "$ts")" "$ncpu"
done
expect_eq "no #VC stack without SEV-ES" "$(cs '[.stacks[] | select(.stack | startswith("#VC"))] | length')" 0
expect_eq "every online CPU's IRQ stack found and used (timer interrupts at least)" \
  "$(cs '[.stacks[] | select(.stack == "IRQ" and (.used // 0) > 0 and .left == .size - .used)] | length')" "$ncpu"

# --- the workload: NFS over TCP on XFS on a virtio disk, a virtio-net NIC.
XFS_MNT=/mnt/xfs NFS_MNT=/mnt/nfs
check "XFS on a virtio disk" storage_up
check "NFS v3 over TCP, mounted back" nfs_up 3
dev=
modprobe virtio_net 2>/dev/null
for d in /sys/class/net/*; do [ "${d##*/}" = lo ] || { dev=${d##*/}; break; }; done
if [ -n "$dev" ]; then
  ip link set "$dev" up && ip addr add 10.0.2.15/24 dev "$dev" 2>/dev/null
  echo "virtio-net: $dev up"
fi
# net_traffic: packets on the virtio NIC (QEMU user networking answers
# 10.0.2.2): its receive interrupt and softirq, whatever else is answered.
net_traffic() {
  [ -n "$dev" ] || return 0
  ping -q -c 50 -i 0.2 -W 1 10.0.2.2 >/dev/null 2>&1
  return 0
}
round() {
  in_background net_traffic
  wl_fio $NFS_MNT "$secs" >/dev/null
  dd if=/dev/zero of=$XFS_MNT/direct bs=64k count=400 oflag=direct 2>/dev/null
  wait_background
}
round
mkdir -p /tmp/irq1 /tmp/irq2
sw_save /tmp/irq1 cpu_stacks irq_max_trace
# NMIs: an all-CPU backtrace sends one to every other CPU.
echo 1 > /proc/sys/kernel/sysrq
echo l > /proc/sysrq-trigger
round
sw_save /tmp/irq2 cpu_stacks irq_max_trace tasks
[ -n "${SW_OUT:-}" ] && cp /tmp/irq2/cpu_stacks /tmp/irq2/irq_max_trace /tmp/irq2/tasks "$SW_OUT/"
SW_FROM=/tmp/irq2 sw_jq cpu-stacks . > "${SW_OUT:-/tmp}/irqstacks.json" 2>/dev/null

# --- probe hits on the IRQ stack, against its deepest point.
c2() { SW_FROM=/tmp/irq2 cs "$@"; }
irq_hits=$(c2 .all.hits)
deepest_hit=$(c2 .all.max_used)
deepest_irq=$(c2 '[.stacks[] | select(.stack == "IRQ") | .used // 0] | max')
expect_cmp "probe hits on IRQ stacks (softirq-context functions)" "$irq_hits" -gt 0
expect_cmp "the deepest IRQ stack is at least as deep as the deepest probe hit on one" "$deepest_irq" -ge "$deepest_hit"
expect_cmp "no function's IRQ-stack depth beyond the IRQ stack" \
  "$(c2 '[.functions[] | select(.max_used > $s or .min_remaining != $s - .max_used)] | length' --argjson s "$ts")" -eq 0
chain_used=$(SW_FROM=/tmp/irq2 sw_jq cpu-stacks '.irq_max_trace.used // 0')
chain_frames=$(SW_FROM=/tmp/irq2 sw_jq cpu-stacks '.irq_max_trace.frames | length')
expect_cmp "a chain taken on an IRQ stack" "$chain_frames" -ge 2
expect_cmp "the deepest IRQ stack is at least as deep as that chain" "$deepest_irq" -ge "$chain_used"
expect_eq "that chain is the deepest hit's" "$chain_used" "$deepest_hit"
SW_FROM=/tmp/irq2 sw_jq cpu-stacks '.irq_max_trace | "deepest chain on an IRQ stack: \(.used) bytes of \(.used + .remaining), \(.frames | length) frames"'
SW_FROM=/tmp/irq2 sw_jq cpu-stacks '.irq_max_trace.frames[] | "  \(.size) \(.symbol)"' | head -n 40

# --- off-stack classification: every IRQ-stack hit is an off-stack hit,
# none counted against a task.
off=$(SW_FROM=/tmp/irq2 sw_jq counters .counters.off_stack)
expect_cmp "IRQ-stack hits are among the off-stack hits" "$off" -ge "$irq_hits"
expect_cmp "no task-stack entry beyond THREAD_SIZE" \
  "$(SW_FROM=/tmp/irq2 sw_jq table '[.functions[] | select(.max_used > $ts)] | length' --argjson ts "$ts")" -eq 0

# --- never shrinking: each stack's deepest point, read again later.
shrunk=$(jq -n --slurpfile a <(SW_FROM=/tmp/irq1 cs .stacks) --slurpfile b <(SW_FROM=/tmp/irq2 cs .stacks) -r '
  [$a[0][] as $x | $b[0][] | select(.cpu == $x.cpu and .stack == $x.stack and (.used // 0) < ($x.used // 0))
   | "\(.cpu)/\(.stack)"] | join(" ")')
expect_eq "no stack's deepest point shrank between reads" "$shrunk" ""
expect_cmp "the deepest probe hit on IRQ stacks did not shrink" "$deepest_hit" -ge "$(SW_FROM=/tmp/irq1 cs .all.max_used)"
# (The CPU that asks prints its own backtrace without an NMI: with one CPU
# there is none.)
if [ "$ncpu" -ge 2 ]; then
  expect_cmp "NMI stacks used after an all-CPU backtrace" \
    "$(c2 '[.stacks[] | select(.stack == "NMI") | .used // 0] | max')" -gt 0
fi
expect_cmp "return addresses above the deepest IRQ stack's deepest point" \
  "$(c2 '[.stacks[] | select(.stack == "IRQ")] | max_by(.used) | .frames | length')" -gt 0

# --- the population: every thread by its deepest point (vmstat's kstack_*
# buckets), counted whole; the deepest thread in the highest bucket used.
pop=$(SW_FROM=/tmp/irq2 sw_jq tasks '.tasks | [.threads, (.population.buckets | map(.threads) | add),
  (.rows[0].used as $u | [.population.buckets[] | select(.threads > 0)] | last
   | if .le == null then 1 elif $u <= .le then 1 else 0 end),
  .population.fit_4k, .population.fit_8k, .population.fit_16k] | join(" ")')
read -r threads counted top_ok fit4 fit8 fit16 <<< "$pop"
expect_eq "every thread read is in the kstack_* population" "$counted" "$threads"
expect_eq "the deepest thread is in the highest bucket used" "$top_ok" 1
expect_cmp "threads fitting 4K <= 8K <= 16K <= all" "$fit4" -le "$fit8"
expect_cmp "threads fitting 8K <= 16K" "$fit8" -le "$fit16"
expect_cmp "threads fitting 16K <= all" "$fit16" -le "$threads"
echo "population: $threads threads, would fit 4K: $fit4, 8K: $fit8, 16K: $fit16"
SW_FROM=/tmp/irq2 sw_jq tasks '.tasks.population.buckets | map("\(.name) \(.threads)") | join(" ")'

# --- what the report says.
"$SWC" report --sections cpu-stacks --all --from /tmp/irq2 | sed 's/^/  /' | head -n 60
check "report --sections cpu-stacks names the IRQ stacks" sh -c "'$SWC' report --sections cpu-stacks | grep -q 'IRQ  stack'"
check "Prometheus export has the per-CPU stacks" sh -c "'$SWC' export | grep -q '^stackwatch_cpu_stack_used_bytes{cpu=\"0\",stack=\"IRQ\"}'"
nfs_down
storage_down >/dev/null 2>&1
check "rmmod stackwatch" sw_unload
finish
