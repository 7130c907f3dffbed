#!/usr/bin/env bash
# The multi-threaded TCG "Oops: int3" question (issue 14, README "TCG
# threading"): boots Debian's stock kernel under multi-threaded TCG once per
# patching mode of tests/guest/int3.sh (stackwatch's kprobes, the kernel's
# own kprobe_events, the ftrace stack tracer), ROUNDS times each, interleaved,
# CYCLES attach/detach cycles per boot, and prints per mode the boots, the
# cycles completed and the boots that oopsed (an `Oops: int3` in a patched
# site, or a call through a NULL pointer from one), each with its first
# lines. SW_INT3_TCG=single runs the same loops on single-threaded TCG (the
# control); SW_INT3_MODES picks modes. Not part of `make test`: it is an
# experiment whose answer the README records.
#   scripts/int3-experiment.sh [CYCLES] [ROUNDS]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cycles=${1:-100} rounds=${2:-2}
out="$SW_CACHE/results/int3-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
tcg=${SW_INT3_TCG:-multi}
read -r -a modes <<< "${SW_INT3_MODES:-stackwatch kprobe_events stack_tracer}"
declare -A boots=() done_cycles=() oopses=()
for r in $(seq 1 "$rounds"); do
  for m in "${modes[@]}"; do
    o="$out/$m-$r"
    SW_TCG_THREAD=$tcg "$SW_ROOT/qemu/run.sh" --kernel debian --disks 1 --disk-size 64M --timeout 3600 \
      --out "$o" "$SW_ROOT/tests/guest/int3.sh" "$m" "$cycles" 2> "$o.log" || true
    boots[$m]=$(( ${boots[$m]:-0} + 1 ))
    c=$(sed -n "s/.*measure: int3 $m: \([0-9]*\) attach.*/\1/p" "$o/console.log" | tail -n1)
    done_cycles[$m]=$(( ${done_cycles[$m]:-0} + ${c:-0} ))
    n=0; grep -aq 'Oops' "$o/console.log" && n=1
    oopses[$m]=$(( ${oopses[$m]:-0} + n ))
    [ "$n" = 0 ] || grep -a -m1 -B1 -A12 'Oops' "$o/console.log" | grep -E 'BUG:|Oops|RIP: 0010|^\[ *[0-9.]+\]  [a-z_]+\+0x' | head -n 6 | sed "s/^/  $m round $r: /"
    grep -q 'FAILED' "$o.log" && sed -n 's/.*FAILED: /  run failed: /p' "$o.log" | sed "s/^/  $m round $r:/"
  done
done
echo "TCG $tcg-threaded, $cycles attach/detach cycles per boot"
printf '%-14s %6s %8s %14s\n' mode boots cycles "boots_oopsed"
for m in "${modes[@]}"; do printf '%-14s %6s %8s %14s\n' "$m" "${boots[$m]}" "${done_cycles[$m]}" "${oopses[$m]}"; done
echo "results: $out"
