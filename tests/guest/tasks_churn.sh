# Issue 22, item 2: the `tasks` file read while threads come and go and a
# CPU goes offline and back. RCU does not keep a thread's stack (7.3
# kernel/fork.c): an exiting thread's stack goes straight to a per-CPU
# cache, which free_vm_stack_cache() vfree()s with no grace period when that
# CPU goes offline, so a reader preempted in it can fault on unmapped
# vmalloc space; and a stack freed through call_rcu() holds its rcu_head in
# its lowest words, which read as a stack used to within 8 bytes of
# THREAD_SIZE. So: a fork/clone/thread storm and CPU 1 offline/online cycles
# while `tasks` is read again and again, all under the
# ftrace stack tracer. Checked: no kernel report (the runner fails the run
# on an Oops, BUG or KASAN report), no row within 64 bytes of THREAD_SIZE,
# and no thread born during the run deeper than the tracer's maximum plus a
# margin (below). Bounded by amounts: READS reads; CPU 1 goes offline and
# back until they are done, at most CYCLES times; the storm runs in rounds
# of OPS operations until both are done.
#   tasks_churn.sh READS CYCLES OPS     (CYCLES 0: no CPU hotplug)
. "$(dirname "$0")/lib.sh"
T=/sys/kernel/tracing
reads=${1:-300} cycles=${2:-2000} ops=${3:-400}
CPU=/sys/devices/system/cpu/cpu1/online
sw_cli || { not_ok "the stackwatch command runs in this guest" "$SWC does not"; finish; }
# (Our debug kernel boots with one CPU: pci=noacpi, which qemu/run.sh gives
# it, skips the MADT's I/O APIC entries and without X86_MPPARSE nothing else
# finds the second CPU, "smpboot: SMP disabled". The storm and the reads
# still run there, under KASAN: tests/run.sh passes it CYCLES 0.)
if [ "$cycles" = 0 ]; then echo "no CPU hotplug asked for (CYCLES 0)"; hp=0
elif [ -w $CPU ]; then ok "CPU 1 can go offline"; hp=1
else not_ok "CPU 1 can go offline" "no $CPU ($(nproc) CPU online; $(dmesg | grep -m1 -oE 'SMP disabled|Limiting to [0-9]+ possible CPUs' || echo 'no reason logged'))"; hp=0; fi

check "insmod stackwatch" sw_load
TS=$(cat $SWD/thread_size)
# Threads alive now may have gone deep before the tracer was on (boot,
# module loading): the tracer bound is checked on threads born after this.
ls -d /proc/[0-9]*/task/[0-9]* 2>/dev/null | sed 's,.*/,,' | sort -u > "$SW_OUT/old-tids"
old=$(jq -Rn '[inputs | {key: ., value: true}] | from_entries' < "$SW_OUT/old-tids")
forks0=$(awk '$1 == "processes" { print $2 }' /proc/stat)
echo 0 > $T/stack_max_size
echo 1 > /proc/sys/kernel/stack_tracer_enabled

# The storm: processes forked and reaped, clones, and short-lived threads
# (stress-ng's pthread stressor), in rounds until the reads are done.
DONE=$SW_OUT/churn.done
rm -f "$DONE"
storm() {
  while [ ! -e "$DONE" ]; do
    stress-ng --quiet --fork 2 --fork-ops "$ops" --clone 1 --clone-ops "$ops" \
      --pthread 1 --pthread-ops "$ops" --pthread-max 8 >> "$SW_OUT/storm.log" 2>&1
  done
}
# CPU 1 offline and back (each offline vfree()s CPU 1's cached stacks) until
# the reads are done, at most CYCLES times; counts the cycles that went
# through.
hotplug() {
  local done=0
  while [ ! -e "$DONE" ] && [ $done -lt "$cycles" ]; do
    echo 0 > $CPU 2>/dev/null && echo 1 > $CPU 2>/dev/null && done=$((done + 1))
  done
  echo "$done" > "$SW_OUT/cycles-done"
}
in_background storm
[ $hp = 0 ] || in_background hotplug
# READS reads, among the storm's threads, which preempt the reader in the
# middle of a thread's stack. Each read gives one line: rows, the deepest
# row, the pids of rows within 64 bytes of THREAD_SIZE, the deepest row of a
# thread born during the run and its pid, and the header's dropped and
# faulted counts (none from a module that does not count them).
: > "$SW_OUT/reads"
t0=$(date +%s%N)
for i in $(seq "$reads"); do
  "$SWC" report --json --sections tasks 2>>"$SW_OUT/reads.err" | jq -r --argjson ts "$TS" --argjson old "$old" --arg i "$i" '
    .tasks | [.rows[] | select((.pid | tostring) as $p | $old | has($p) | not)] as $new
    | [$i, (.rows | length), ([.rows[].used] | max // 0),
       ([.rows[] | select(.used > $ts - 64) | "\(.pid):\(.comm | gsub(" "; "_")):\(.used)"] | join(",") | if . == "" then "-" else . end),
       ($new | max_by(.used) // {used: 0, pid: 0} | "\(.used) \(.pid) \(.comm | gsub(" "; "_"))"),
       (.dropped // "none"), (.faulted // "none")] | join(" ")' >> "$SW_OUT/reads"
done
read_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
touch "$DONE"
wait_background
echo 0 > /proc/sys/kernel/stack_tracer_enabled
tracer_max=$(cat $T/stack_max_size)
cp $T/stack_trace "$SW_OUT/ftrace_stack_trace"
forks=$(( $(awk '$1 == "processes" { print $2 }' /proc/stat) - forks0 ))
cycles_done=$(cat "$SW_OUT/cycles-done" 2>/dev/null)
[ $hp = 0 ] || echo 1 > $CPU

# Margin over the tracer's maximum, which is measured at traced function
# entries: below the deepest entry a thread's stack also holds what the
# tracer does not see -- the tracer's own check_stack() and, when that entry
# set a new maximum, stack_trace_save() and the ORC unwinder (up to 952
# bytes under KASAN: the unwinder's own stack in the debug-basic run), the
# notrace scheduler (__schedule, switch_to) and the interrupt entry frame
# (40 hardware + 168 pt_regs bytes) pushed on the task stack before the
# switch to the IRQ stack -- about 1.5 KiB on 16K stacks. Measured on the
# stock kernel (2026-12-07, four runs, 440 reads): the deepest new thread
# was the tracer's maximum + 792 to 864 bytes (5768/4904, 5880/5016,
# 5928/5064, 5776/4984). THREAD_SIZE / 8 (2 KiB at 16K; 4 KiB at KASAN's 32K, whose
# frames are twice as big) covers that, and is far below a freed stack's
# THREAD_SIZE - 8.
margin=$((TS / 8))
n=$(wc -l < "$SW_OUT/reads")
read -r maxall maxnew maxnew_pid maxnew_comm < <(awk '{ if ($3 > a) a = $3; if ($5 > b) { b = $5; p = $6; c = $7 } } END { print a + 0, b + 0, p + 0, c "" }' "$SW_OUT/reads")
full=$(awk '$4 != "-" { print "read " $1 ": " $4 }' "$SW_OUT/reads" | head -n 5)
# (A module that does not count them: "-".)
read -r dropped faulted < <(awk '$NF == "none" { no = 1 } { d += $(NF - 1); f += $NF } END { if (no) print "- -"; else print d + 0, f + 0 }' "$SW_OUT/reads")
echo "measure: $n reads in $read_ms ms, ${cycles_done:-0} hotplug cycles (at most $cycles), $forks forks; deepest row $maxall, deepest new thread $maxnew (pid $maxnew_pid $maxnew_comm); tracer max $tracer_max (margin $margin, THREAD_SIZE $TS); rows dropped $dropped, of them faulted $faulted"
expect_eq "every read of tasks parsed" "$n" "$reads"
[ $hp = 0 ] || expect_cmp "CPU 1 went offline and back while tasks was read (cycles)" "${cycles_done:-0}" -ge 10
expect_cmp "a fork storm ran (forks, at least 10 a read)" "$forks" -ge $((reads * 10))
expect_eq "no row within 64 bytes of THREAD_SIZE (a freed stack's rcu_head)" "${full:-none}" none
expect_cmp "no thread born during the run deeper than the stack tracer's maximum + THREAD_SIZE/8" "$maxnew" -le $((tracer_max + margin))
expect_cmp "threads born during the run were listed" "$maxnew" -gt 0
check "rmmod stackwatch" sw_unload
finish
