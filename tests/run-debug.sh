# The x86_64 debug kernel's suites (issues 13, 14, 26), sourced by
# tests/run.sh, which runs debug_suites in the background beside the stock
# kernel's suites: a TCG guest keeps one host core busy, and once the debug
# kernel is built (in the background from the start) the other core is free
# for the debug kernel's guests, in two streams of about the same length
# (the second in the background again), so that once the stock kernel's
# suites are done both cores run them. Uses run.sh's pass, fail, step, say, guest_suite,
# wait_kernel, in_background, merge_background and $results.
# shellcheck shell=bash
# shellcheck disable=SC2154  # results and SW_LOGS are run.sh's
# Our x86_64 build with the kernel's checkers for code like ours (lockdep and
# PROVE_RCU, DEBUG_ATOMIC_SLEEP, KASAN, kmemleak, debug objects), on
# PREEMPT_RT since issue 24 (spinlocks sleep, IRQ handlers and softirqs run in
# threads: a sleeping lock taken where stackwatch must not sleep is reported;
# the runner
# fails a run on any of their reports) and DEBUG_STACK_USAGE, whose per-task
# numbers (sysrq-t's "stack:") the `tasks` file must match. KASAN doubles
# x86_64 stacks: THREAD_SIZE is read back (32K). On it: `basic`, the `tasks`
# file against stack_not_used(), `tasks` under thread churn and CPU hotplug,
# the stress suite (load/unload cycles,
# concurrent writers, the debugfs fuzz, rmmod with a file open, a kmemleak
# scan), and the harness's proof that a lock-order inversion and a leak are
# caught.
# The stress suite's amounts there (cycles, operations per writer, fuzz writes).
# 8 cycles, not the stock suite's 100: one cycle with its globs takes about
# 17 s under KASAN and lockdep beside a build (SW_DEBUG_STRESS="100 200 1000" for the full
# amounts, about 36 minutes).
DEBUG_STRESS=${SW_DEBUG_STRESS:-8 40 1000}
# The churn suite's there (reads, at most this many hotplug cycles, storm
# operations per round): fewer reads, each several times slower under KASAN,
# and no CPU hotplug: the debug kernel boots with one CPU (pci=noacpi skips
# the MADT's I/O APIC entries and without X86_MPPARSE nothing finds CPU 1);
# the stock kernel's churn suite covers hotplug.
DEBUG_CHURN=${SW_DEBUG_CHURN:-10 0 200}
debug_suites() {
  step "x86_64 debug kernel (PREEMPT_RT, lockdep, KASAN, kmemleak, DEBUG_STACK_USAGE), its stackwatch.ko and test modules"
  if wait_kernel x86_64-debug && dko=$(scripts/build-module.sh x86_64-debug) && dtests=$(scripts/build-module.sh --tests x86_64-debug); then
    pass "build x86_64-debug (${KSECS}s, in the background), stackwatch.ko and the test modules for it"
    dkdir=$(qemu/build-kernel.sh --print-dir x86_64-debug)
    dts=16384; grep -qx 'CONFIG_KASAN=y' "$dkdir/.config" && dts=32768
    in_background debug-stream-b debug_stream_b
    debug_stream_a
    merge_background debug-stream-b
  else
    fail "build x86_64-debug or its modules (logs: $results/build-x86_64-debug.log, $SW_LOGS/kernel-x86_64-debug-build.log, $SW_LOGS/module-x86_64-debug.log)"
  fi
}

# The two streams of the debug kernel's suites: dko (stackwatch.ko for it),
# dtests (its test modules), dkdir (its build) and dts (its THREAD_SIZE) are
# debug_suites'.
debug_stream_a() {
  guest_suite debug-basic --kernel x86_64-debug --module "$dko" --timeout 1500 -- tests/guest/basic.sh "$dts"
  # Signed, booted with lockdown=integrity (issue 26): the module signed
  # with this kernel's own key (MODULE_SIG: certs/signing_key.pem from its
  # build) loads, the unsigned one is refused with the kernel's message,
  # and the controls and the command work through the module parameters
  # (100 fuzzed writes: each is several times slower under KASAN).
  if grep -qx 'CONFIG_MODULE_SIG=y' "$dkdir/.config"; then
    dsigned=${dko%.ko}-signed.ko
    if "$dkdir/scripts/sign-file" "$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$dkdir/.config")" \
         "$dkdir/certs/signing_key.pem" "$dkdir/certs/signing_key.x509" "$dko" "$dsigned"; then
      guest_suite debug-lockdown --kernel x86_64-debug --module "$dko" --append lockdown=integrity --timeout 1500 -- \
        tests/guest/lockdown.sh signed "$dsigned" 100
    else fail "sign stackwatch.ko with the debug kernel's key ($dkdir/certs/signing_key.pem)"; fi
  else fail "the debug kernel has no MODULE_SIG (qemu/configs/x86_64-debug.config)"; fi
  # The unwinder's own stack under KASAN's larger frames (it grows them
  # all): the most any unload of the basic run reports, at most half of it.
  read -r cs_used cs_size < <(sed -n "s/.*stackwatch: unloaded; the unwinder's stack used at most \([0-9]*\) of \([0-9]*\) bytes.*/\1 \2/p" "$results/debug-basic/console.log" 2>/dev/null | sort -n | tail -n1)
  if [ -n "${cs_size:-}" ] && [ "${cs_used:-0}" -gt 0 ] && [ $((cs_used * 2)) -le "$cs_size" ]; then
    pass "debug kernel: the unwinder's own stack used at most $cs_used of $cs_size bytes under KASAN (at most half)"
  else fail "debug kernel: the unwinder's own stack: '${cs_used:-no unload line}' of '${cs_size:-?}' bytes (want > 0 and at most half)"; fi
  step "harness self-test on the debug kernel: a lock-order inversion must fail the run"
  out="$results/harness-lockdep"
  if qemu/run.sh --kernel x86_64-debug --quiet --out "$out" --timeout 600 tests/guest/load_module.sh "$dtests/sw_lockdep_test.ko" 2>"$out.log"; then
    fail "runner passed a guest whose module inverted a lock order"
  elif grep -q 'FAILED: the kernel reported: .*possible circular locking' "$out.log"; then
    pass "runner fails a lock-order inversion and names lockdep's report"
  else fail "lock-order inversion run failed without naming lockdep's report: $(tail -n1 "$out.log")"; fi
  # PREEMPT_RT with DEBUG_ATOMIC_SLEEP: a spinlock_t (a sleeping lock there)
  # taken with preemption off must be reported, and fail the run.
  step "harness self-test on the debug kernel: a sleeping lock taken with preemption off must fail the run"
  if grep -qx 'CONFIG_PREEMPT_RT=y' "$dkdir/.config" && grep -aq 'Linux version .*PREEMPT_RT' "$results/debug-basic/console.log" 2>/dev/null; then
    pass "the debug kernel is PREEMPT_RT ($(grep -ao 'Linux version [^ ]* .*PREEMPT_RT' "$results/debug-basic/console.log" | head -n1 | grep -o 'SMP.*PREEMPT_RT'))"
  else fail "the debug kernel is not PREEMPT_RT (CONFIG_PREEMPT_RT in $dkdir/.config, the banner in debug-basic's console)"; fi
  out="$results/harness-atomic-sleep"
  if qemu/run.sh --kernel x86_64-debug --quiet --out "$out" --timeout 600 tests/guest/load_module.sh "$dtests/sw_atomic_sleep_test.ko" 2>"$out.log"; then
    fail "runner passed a guest whose module took a sleeping lock with preemption off"
  elif grep -q 'FAILED: the kernel reported: .*sleeping function called from invalid context' "$out.log"; then
    pass "runner fails a sleeping lock taken with preemption off and names the report ($(grep -o 'BUG: sleeping function.*' "$out.log" | head -n1 | cut -c1-60))"
  else fail "sleeping-lock run failed without naming the sleeping-function report: $(tail -n1 "$out.log")"; fi
  guest_suite debug-stackusage --kernel x86_64-debug --module "$dko" --timeout 900 -- tests/guest/stackusage.sh
  guest_suite debug-leak-check --kernel x86_64-debug --module "$dko" --timeout 600 -- tests/guest/leak_check.sh "$dtests"
}

debug_stream_b() {
  # shellcheck disable=SC2086  # the amounts, word-split
  guest_suite debug-churn --kernel x86_64-debug --module "$dko" --timeout 2400 -- tests/guest/tasks_churn.sh $DEBUG_CHURN
  # shellcheck disable=SC2086  # the amounts, word-split
  guest_suite debug-stress --kernel x86_64-debug --module "$dko" --disks 1 --disk-size 2G --timeout 3600 -- tests/guest/stress.sh $DEBUG_STRESS
  # What the kernel's checkers said over the whole stress run, from its console.
  con="$results/debug-stress/console.log"
  counts=$(for w in 'possible circular locking|inconsistent lock state|possible recursive locking|suspicious RCU usage:lockdep' \
                    'KASAN:KASAN' 'sleeping function called from invalid context:might_sleep' 'scheduling while atomic:atomic' \
                    'Invalid wait context:wait context' 'WARNING:WARN' \
                    'detected stalls:RCU stall' 'blocked for more than:hung task'; do
             n=$(grep -acE "${w%:*}" "$con" 2>/dev/null); printf '%s %s / ' "${n:-?}" "${w##*:}"; done)
  leaks=$(sed -n 's/.*measure: kmemleak: \([0-9]*\) unreferenced objects in all, \([0-9]*\) allocated by stackwatch.*/\2 kmemleak (of \1 unreferenced objects in all)/p' "$con" 2>/dev/null)
  if [ -f "$con" ] && [ "$(grep -acE 'possible circular locking|inconsistent lock state|possible recursive locking|suspicious RCU usage|KASAN:|sleeping function called from invalid context|scheduling while atomic|Invalid wait context|WARNING:|detected stalls|blocked for more than' "$con")" = 0 ] && [ -n "$leaks" ]; then
    pass "debug kernel, console of the stress run: ${counts}${leaks}"
  else fail "debug kernel, console of the stress run: ${counts}${leaks:-no kmemleak scan}"; fi
}
