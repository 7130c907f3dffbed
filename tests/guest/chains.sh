# shellcheck shell=bash
# Issue 24 (arm64, any architecture): the chains stackwatch takes are exact.
# With a kprobe (kprobe:FN, a BRK trap on arm64), stackwatch's ftrace ops
# (FN) on a function under getppid(), a glob over the VFS under a file
# workload, and functions that run in softirq or hard interrupt context
# (chains on the IRQ stack): every chain's per-frame sizes sum to its used
# bytes exactly, every frame is a function the running kernel's
# /proc/kallsyms names (a return address still carrying its
# pointer-authentication code would print as a bare 0x... address, or as
# no symbol at all), every frame between the first and the last has a
# size (its saved return address was recognised on the stack: PAC
# stripped), and chains go deeper than the probed function (at least 3
# frames). Also prints the deepest chain and its frames, and stackwatch's
# deepest hit beside the ftrace stack tracer's over the same workload.
# The module's files are saved and checked through the stackwatch command,
# here or, in a guest it does not run in (riscv64, arm64), on the host:
#   chains.sh                the guest's part, then the checks
#   chains.sh --check OUT    the checks of the copies in OUT
. "$(dirname "$0")/lib.sh"

RUNS="kprobe ftrace glob irq tracer"

# chains_checks OUT: the checks of what the guest's part saved in OUT.
chains_checks() {
  local out=$1 run n bad unknown deep ts ncpu
  for run in $RUNS; do
    [ -f "$out/$run/summary" ] || { not_ok "$run: its files were saved" "no $out/$run/summary"; continue; }
    at() { sw_jq_in "$out/$run" chains "$@"; }
    n=$(at '.chains | length')
    expect_cmp "$run: chains taken" "${n:-0}" -ge 1
    expect_cmp "$run: a chain of at least 3 frames" "$(at '[.chains[].frames | length] | max // 0')" -ge 3
    bad=$(at '[.chains[] | select(([.frames[].size] | add) != .used) | "\(.function):\([.frames[].size] | add)!=\(.used)"] | join(" ")')
    expect_eq "$run: every chain's frame sizes sum to its used bytes" "${bad:-none}" none
    # A return address is found in the stack words only as the unwinder
    # reports it, PAC stripped: else the frame below it gets size 0. (Not for
    # the interrupt run: a chain that leaves the IRQ stack has frames
    # beyond the stack its used bytes measure.)
    if [ "$run" != irq ]; then
      bad=$(at '[.chains[] | select([.frames[1:-1][] | select(.size == 0)] | length > 0) | .function] | join(" ")')
      expect_eq "$run: every frame between the first and the last has a size (its return address found on the stack)" "${bad:-none}" none
    fi
    unknown=$(at '.chains[].frames[].function' | sort -u | LC_ALL=C comm -23 - "$out/kallsyms-names" | head -n 5 | paste -sd ' ')
    expect_eq "$run: every frame is a function in /proc/kallsyms (no PAC bits)" "${unknown:-none}" none
    deep=$(at '[.chains[]] | max_by(.used) | "\(.function) used \(.used) in \(.frames | length) frames: \([.frames[] | "\(.function) \(.size)"] | join(", "))"')
    echo "measure: $run: deepest chain: $deep"
  done
  # Beside the ftrace stack tracer (every function), over the same workload.
  if [ -f "$out/tracer/stack_max_size" ]; then
    echo "measure: beside the stack tracer: stackwatch's deepest vfs_* hit $(sw_jq_in "$out/tracer" table .all.max_used) bytes, the tracer's deepest $(cat "$out/tracer/stack_max_size") bytes ($(sed -n 's/.*(\([0-9]*\) entries).*/\1/p' "$out/tracer/stack_trace") entries in its stack_trace; it finds a frame only where the saved return address equals the unwinder's, PAC stripped)"
  fi
  # The IRQ stacks (arm64: found from an irq_work's self-IPI), after the
  # interrupt run: one per online CPU, each used (timer interrupts at least).
  cs() { local f=$1; shift; sw_jq_in "$out/irq" cpu-stacks ".cpu_stacks | $f" "$@"; }
  ts=$(cat "$out/thread_size") ncpu=$(cat "$out/ncpu")
  expect_eq "irq_stack_size is THREAD_SIZE" "$(cs .irq_stack_size)" "$ts"
  expect_eq "every online CPU's IRQ stack found and used" \
    "$(cs '[.stacks[] | select(.stack == "IRQ" and .size == $ts and (.used // 0) > 0 and .left == .size - .used)] | length' --argjson ts "$ts")" "$ncpu"
  echo "measure: IRQ stacks: $(cs '[.stacks[] | select(.stack == "IRQ") | "cpu \(.cpu) used \(.used)"] | join(", ")')"
  # The deepest chain taken on an IRQ stack (hard interrupts, and softirqs
  # run there), if any: exact too, and every frame a kernel function.
  irq() { sw_jq_in "$out/irq" cpu-stacks ".irq_max_trace | $1"; }
  if [ "$(irq 'if . == null then 0 else (.frames | length) end')" -gt 0 ]; then
    expect_eq "the deepest IRQ-stack chain's frame sizes sum to its used bytes" "$(irq '[.frames[].size] | add')" "$(irq .used)"
    unknown=$(irq '.frames[].function' | sort -u | LC_ALL=C comm -23 - "$out/kallsyms-names" | head -n 5 | paste -sd ' ')
    expect_eq "every frame of the deepest IRQ-stack chain is in /proc/kallsyms" "${unknown:-none}" none
    echo "measure: deepest IRQ-stack chain: $(irq '"\(.function) used \(.used) in \(.frames | length) frames"')"
  else echo "no chain was taken on an IRQ stack"; fi
}
if [ "${1:-}" = --check ]; then chains_checks "$2"; finish; fi

FN=$(sw_getppid_fn)
[ -n "$FN" ] || { not_ok "a traceable function under getppid()" "none of the candidates"; finish; }
echo "kernel $(uname -r) on $(uname -m); probed function $FN"
# Softirq and hard-interrupt functions, as far as this kernel has them.
IRQ_FNS=$(for f in run_timer_softirq rcu_core net_rx_action blk_mq_complete_request vring_interrupt; do
  grep -qx "$f" <(cut -d' ' -f1 /sys/kernel/tracing/available_filter_functions) && echo "$f"; done | paste -sd ,)
# run NAME PROBES CMD...: loads with PROBES and threshold 0, runs CMD, saves the files.
run() {
  local name=$1 probes=$2; shift 2
  if check "$name: insmod stackwatch probes=$probes" sw_load "probes=$probes" threshold=0; then
    cat $SWD/thread_size > "$SW_OUT/thread_size"
    "$@"
    sw_save "$SW_OUT/$name" traces max_trace cpu_stacks irq_max_trace
    check "$name: rmmod stackwatch" sw_unload
  fi
}
workload() { for _ in 1 2 3; do find /usr/lib -xdev -name '*.so*' > /dev/null 2>&1; cat /etc/* > /dev/null 2>&1; done; }
irq_load() { workload; sleep 2; }
run kprobe "kprobe:$FN" sw_getppid 200
run ftrace "$FN" sw_getppid 200
run glob 'vfs_*' workload
run irq "${IRQ_FNS:-run_timer_softirq}" irq_load
# tracer_load: the workload with the ftrace stack tracer on every function.
tracer_load() {
  echo 0 > /sys/kernel/tracing/stack_max_size
  echo 1 > /proc/sys/kernel/stack_tracer_enabled
  workload
  echo 0 > /proc/sys/kernel/stack_tracer_enabled
  mkdir -p "$SW_OUT/tracer"
  cat /sys/kernel/tracing/stack_max_size > "$SW_OUT/tracer/stack_max_size"
  cat /sys/kernel/tracing/stack_trace > "$SW_OUT/tracer/stack_trace"
}
run tracer 'vfs_*' tracer_load
nproc > "$SW_OUT/ncpu"
awk '{ print $3 }' /proc/kallsyms | LC_ALL=C sort -u > "$SW_OUT/kallsyms-names"
if sw_checks_here; then chains_checks "$SW_OUT"; fi
finish
