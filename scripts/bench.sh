#!/usr/bin/env bash
# `make bench`: stackwatch's cost side by side with an empty ftrace_ops (and
# its kprobe, disabled), the ftrace stack tracer and no probe at all, in one guest boot (the
# machines are noisy: only ratios from one run are meaningful). Prints the
# table and keeps it under $STACKWATCH_CACHE/results/bench-*/.
#   scripts/bench.sh [REPS] [LOOP] [FIO_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
prepare debian
out="$SW_CACHE/results/bench-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
gcc -O2 -o "$out/syscall_loop" tests/bench/syscall_loop.c
# The empty ftrace_ops and the depth probe the bench compares with (tests/modules).
read -r -a kmake_args < "$KDIR/.stackwatch-make"
run_logged bench-test-modules scripts/toolroot.sh --run "$(cat "$KDIR/.stackwatch-toolroot")" \
  make -C "$KDIR" M="$PWD/tests/modules" "${kmake_args[@]}" modules
echo "SW_QEMU_VERSION='$(qemu-system-x86_64 --version | head -n1 | awk '{ print $4 }')'" > "$out/bench.env"
qemu/run.sh --out "$out" --disks 2 --disk-size 3G --timeout 3000 tests/guest/bench.sh "$@"
echo; cat "$out/bench-table.txt"
