# A small XFS-on-LVM-over-NFS run for the riscv64 kernels (issue 5): stackwatch
# with its default set reads back the kernel's THREAD_SIZE, sees the nfsd, XFS
# and dm/block layers, keeps every maximum inside the stack, records a chain
# that runs nfsd -> XFS, warns (with the chain) exactly when the threshold
# (3/8 of the stack) is crossed, and unloads.
# With `tracer` (arm64: the torture suite's checks, in a run of a few
# minutes), the ftrace stack tracer runs beside stackwatch over the same
# workload, and the checks add: a chain nfsd -> XFS -> dm/block, the `tasks`
# file's deepest nfsd thread against the deepest nfsd* probe entry and, when
# the tracer's deepest stack ran in nfsd, against the tracer's maximum.
# The module's files and the kernel log are saved to the results folder and
# read by field name through the stackwatch command (smoke_checks, below):
# here if it runs here, else (riscv64, arm64) by the host's runner on the copies:
#   smoke.sh THREAD_SIZE [tracer]               the guest's part, then the checks
#   smoke.sh --check OUT THREAD_SIZE [tracer]   the checks of the copies in OUT
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
. "$(dirname "$0")/beside_tracer.sh"

# smoke_checks OUT THREAD_SIZE: the checks of what the guest's part saved in OUT.
smoke_checks() {
  local out=$1 want=$2 thr global chain minrem warnings b over
  thr=$((want * 3 / 8))
  at() { sw_jq_in "$out" "$@"; }
  expect_cmp "nfsd probes were hit" "$(SW_FROM=$out sw_sum_hits '^nfsd')" -gt 0
  expect_cmp "XFS probes were hit" "$(SW_FROM=$out sw_sum_hits '^xfs_')" -gt 0
  expect_cmp "dm/block probes were hit" "$(SW_FROM=$out sw_sum_hits "$(sw_re "$(sw_defaults block)")")" -gt 0
  global=$(at table .all.max_used)
  expect_cmp "deepest stack is above 0" "$global" -gt 0
  expect_cmp "deepest stack is inside THREAD_SIZE" "$global" -lt "$want"
  chain=$(SW_FROM=$out sw_chain_through '^xfs_' '^nfsd')
  expect_eq "a captured chain runs nfsd -> XFS" "$([ -n "$chain" ] && echo yes || echo no)" yes
  # The warning is due when a hit left fewer than $thr bytes, and only then.
  minrem=$(at table .all.min_remaining)
  warnings=$(at counters .counters.warnings)
  if [ "$minrem" -lt "$thr" ]; then
    expect_cmp "warned: $minrem bytes left is below the threshold $thr" "${warnings:-0}" -gt 0
    expect_cmp "the warning on the console carries the chain" "$(grep -A3 'bytes of stack left' "$out/dmesg.txt" | grep -c 'stackwatch:   ')" -gt 0
    grep -m1 -A6 'bytes of stack left' "$out/dmesg.txt"
  else
    expect_eq "no warning: $minrem bytes left is above the threshold $thr" "${warnings:-0}" 0
  fi
  # What-if budgets (the default: 4096 and 8192 where below THREAD_SIZE): a
  # budget counts hits over it exactly when the deepest hit is over it.
  while read -r b over; do
    if [ "$global" -gt "$b" ]; then expect_cmp "what-if $b: the deepest ($global) is over it, so hits are counted" "$over" -gt 0
    else expect_eq "what-if $b: the deepest ($global) is not over it, so no hit is counted" "$over" 0; fi
    echo "what-if: $b $over"
  done < <(at budgets '.budget_totals[] | "\(.budget) \(.over)"')
  echo "deepest: $(at table '.functions[0] | "\(.name) \(.max_used) bytes used, \(.min_remaining) left"')"
  echo "measure: $(cat "$out/machine") THREAD_SIZE $want: deepest $global bytes, $((want - global)) left"
  [ "${3:-}" = tracer ] && smoke_tracer_checks "$out" "$want" "$global"
}

# smoke_tracer_checks OUT THREAD_SIZE GLOBAL: torture.sh's checks beside the
# stack tracer (beside_tracer.sh), on the copies.
smoke_tracer_checks() {
  local out=$1 chain nfsd_entry
  chain=$(bt_nfsd_chain "$out")
  expect_eq "a captured chain runs nfsd -> XFS -> dm/block in that order" "$([ -n "$chain" ] && echo yes || echo no)" yes
  [ -n "$chain" ] && echo "chain found in the trace of $chain:" && sw_jq_in "$out" chains '.chains[] | select(.function == $n)
    | "  \(.function) \(.used) bytes used, \(.comm), \(.frames | length) frames", (.frames[] | "    \(.size) \(.symbol)")' --arg n "$chain" | head -n 50
  nfsd_entry=$(sw_jq_in "$out" table '[.functions[] | select(.name | test("^nfsd")) | .max_used] | max // 0')
  bt_checks "$out" "$2" "$3" "$(cat "$out/ftrace_stack_max_size")" "$out/ftrace_stack_trace" "$nfsd_entry"
}

if [ "${1:-}" = --check ]; then smoke_checks "${2:?usage: smoke.sh --check OUT THREAD_SIZE [tracer]}" "${3:?}" "${4:-}"; finish; fi
want=${1:?usage: smoke.sh THREAD_SIZE [tracer]} tracer=${2:-}
T=/sys/kernel/tracing
echo "uname: $(uname -m) $(uname -r)"
uname -m > "$SW_OUT/machine"
thr=$((want * 3 / 8))
dmesg -c >/dev/null
check "insmod stackwatch threshold=$thr" sw_load threshold=$thr
expect_eq "thread_size read back" "$(cat $SWD/thread_size)" "$want"
check "storage up (XFS on LVM)" storage_up
check "NFS v4.1 export mounted back" nfs_up 4.1
if [ "$tracer" = tracer ]; then echo 0 > $T/stack_max_size; echo 1 > /proc/sys/kernel/stack_tracer_enabled; fi
wl_smallfiles $NFS_MNT 100
wl_fio $NFS_MNT 10
if [ "$tracer" = tracer ]; then
  echo 0 > /proc/sys/kernel/stack_tracer_enabled
  cat $T/stack_max_size > "$SW_OUT/ftrace_stack_max_size"; cat $T/stack_trace > "$SW_OUT/ftrace_stack_trace"
  sw_save "$SW_OUT" tasks
fi
sw_save "$SW_OUT" traces max_trace probes budgets
dmesg > "$SW_OUT/dmesg.txt"
nfs_down
check "storage down" storage_down
check "rmmod stackwatch" sw_unload
if sw_checks_here; then smoke_checks "$SW_OUT" "$want" "$tracer"; fi
finish
