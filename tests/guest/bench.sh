# Issues 7, 17 and 23: what stackwatch costs, measured side by side in one guest
# boot. Every condition is repeated, interleaved: medians for the absolute
# numbers, and for each goal the ratio of each round (conditions of one round
# ran next to each other) with its mean and 95% confidence interval, and
# met / missed / undecided (the interval straddles the goal). Prints a table;
# raw numbers go to $SW_OUT/bench-raw.txt.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
. "$(dirname "$0")/stack_tracer.sh"
REPS=${1:-3} LOOP=${2:-1000000} FIOSECS=${3:-15}
# Per-hit rounds are short (a second or so): many of them, interleaved, so
# that the medians stand up to a busy host.
HITREPS=$((REPS * 4 - 1))
T=/sys/kernel/tracing
RAW="$SW_OUT/bench-raw.txt"; : > "$RAW"
BIN="$SW_OUT/syscall_loop"
# The probed function: the first under getppid() that ftrace can trace (the
# stack tracer's filter needs it; Debian's kernel does not trace the syscall wrappers).
FN=$(st_getppid_fn)
[ -n "$FN" ] || { not_ok "a traceable function under getppid()" "none of the candidates"; finish; }
MODS=$SW_ROOT/tests/modules
# ci: reads one number per line; prints "MEAN LOW HIGH" (95%, Student's t).
ci() {
  awk 'function t(df) { if (df >= 30) return 1.96; split("12.71 4.30 3.18 2.78 2.57 2.45 2.36 2.31 2.26 2.23 2.20 2.18 2.16 2.14 2.13 2.12 2.11 2.10 2.09 2.09 2.08 2.07 2.07 2.06 2.06 2.06 2.05 2.05 2.05", q, " "); return q[df] }
       { x[NR] = $1; s += $1 } END {
         if (NR == 0) { print "nan nan nan"; exit }
         m = s / NR; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2
         h = NR > 1 ? t(NR - 1) * sqrt(v / (NR - 1)) / sqrt(NR) : 0
         printf "%.2f %.2f %.2f\n", m, m - h, m + h }'
}
# verdict "MEAN LOW HIGH" le|ge GOAL: met if the whole interval is on the goal's side.
verdict() {
  awk -v lo="$2" -v hi="$3" -v op="$4" -v g="$5" 'BEGIN {
    if (lo == "nan") print "unmeasured"
    else if (op == "le") print (hi <= g ? "met" : (lo > g ? "missed" : "undecided"))
    else print (lo >= g ? "met" : (hi < g ? "missed" : "undecided")) }'
}
# goal_line TEXT le|ge GOAL < ratios: one line of the goals table.
goal_line() {
  local m lo hi n
  n=$(tee "$SW_OUT/ratios.tmp" | wc -l)
  read -r m lo hi < <(ci < "$SW_OUT/ratios.tmp")
  printf '   %-58s %5s  [%s, %s] n=%-3s goal %s %s: %s\n' "$1" "$m" "$lo" "$hi" "$n" "$([ "$2" = le ] && echo '<=' || echo '>=')" "$3" "$(verdict "$m" "$lo" "$hi" "$2" "$3")"
}
# per_round KIND A B [BASE]: for each round, (A - BASE) / (B - BASE) of the raw
# lines "KIND COND VALUE ROUND" (BASE omitted: A / B).
per_round() {
  awk -v k="$1" -v a="$2" -v b="$3" -v base="${4:-}" '$1 == k { v[$4, $2] = $3; r[$4] = 1 }
    END { for (i in r) { bv = base == "" ? 0 : v[i, base]; d = v[i, b] - bv
          if ((i, a) in v && (i, b) in v && d > 0) printf "%.4f\n", (v[i, a] - bv) / d } }' "$RAW"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
tracer_off() { echo 0 > /proc/sys/kernel/stack_tracer_enabled; echo > $T/stack_trace_filter; }

# --- 1. per-hit cost ------------------------------------------------------------
cond_setup() {
  case $1 in
    none) ;;
    empty_ops) insmod $MODS/sw_emptyops_test.ko func=$FN ;;
    stackwatch_off) sw_load probes=$FN enabled=0 ;;
    stackwatch_ftrace) sw_load probes=$FN ;;
    empty_kprobe) sw_load probes=kprobe:$FN enabled=0 ;;
    stackwatch_kprobe) sw_load probes=kprobe:$FN ;;
    stack_tracer) echo $FN > $T/stack_trace_filter; echo 1 > /proc/sys/kernel/stack_tracer_enabled ;;
  esac
}
cond_teardown() {
  case $1 in none) ;; stack_tracer) tracer_off ;; empty_ops) rmmod sw_emptyops_test ;; *) sw_unload ;; esac
}
CONDS="none empty_ops stackwatch_off stackwatch_ftrace empty_kprobe stackwatch_kprobe stack_tracer"
for r in $(seq 1 "$HITREPS"); do
  for c in $CONDS; do
    cond_setup $c
    v=$("$BIN" "$LOOP"); echo "hit $c $v $r" >> "$RAW"
    [ "$c" = stackwatch_ftrace ] && [ "$r" = 1 ] && hits=$(awk '$1 == "attached" { print $5 }' $SWD/probes)
    cond_teardown $c
  done
  echo "  per-hit: round $r/$HITREPS done"
done
echo "  (stackwatch's ftrace ops counted $hits hits for $LOOP calls in round 1)"
declare -A H
for c in $CONDS; do H[$c]=$(awk -v c=$c '$1 == "hit" && $2 == c { print $3 }' "$RAW" | median); done

# --- 2. workload slowdown --------------------------------------------------------
storage_up linear >/dev/null || exit 1
fio_once() {
  fio --output-format=terse --terse-version=3 --directory=$XFS_MNT --time_based --runtime="$FIOSECS" \
      --ioengine=psync --size=48M --group_reporting --name=w --rw=randwrite --bs=4k --fsync=16 --numjobs=2 \
    | awk -F';' '{ print $48; exit }'
  rm -f $XFS_MNT/w.*
}
wl_setup() {
  case $1 in
    nothing) ;;
    stackwatch_default) sw_load ;;
    stackwatch_xfs) sw_load 'probes=xfs_*' ;;
    tracer_xfs) echo 'xfs_*' > $T/stack_trace_filter; echo 1 > /proc/sys/kernel/stack_tracer_enabled ;;
    tracer_all) echo 1 > /proc/sys/kernel/stack_tracer_enabled ;;
  esac
}
wl_teardown() { case $1 in nothing) ;; tracer_*) tracer_off ;; *) sw_unload ;; esac; }
WCONDS="nothing stackwatch_default stackwatch_xfs tracer_xfs tracer_all"
for r in $(seq 1 "$REPS"); do
  for c in $WCONDS; do wl_setup $c; v=$(fio_once); echo "fio $c $v $r" >> "$RAW"; wl_teardown $c; done
  echo "  workload: round $r/$REPS done"
done
declare -A W
for c in $WCONDS; do W[$c]=$(awk -v c=$c '$1 == "fio" && $2 == c { print $3 }' "$RAW" | median); done

# --- 3. attach/detach at scale, while a workload runs --------------------------------
sw_load probes=submit_bio
GLOBS="xfs_trans_* xfs_bmap* xfs_* *_alloc*"
in_background wl_fio $XFS_MNT $((REPS * 4 * 6 + 40))
sleep 8   # let fio lay out its files first
# One untimed round, so every timed one finds kallsyms and ftrace warm.
for g in $GLOBS; do sw_write $SWD/probes "+$g" >/dev/null; sw_write $SWD/probes "-$g" >/dev/null; done
for r in $(seq 1 "$REPS"); do
  # What an address list built in user space would cost to build: one read
  # of every ftrace site with its name (the CLI's side of
  # ftrace_set_filter_ips), against the glob matched in the kernel below.
  t0=$(date +%s%N); wc -l < $T/available_filter_functions_addrs > "$SW_OUT/addrs.n"; t1=$(date +%s%N)
  echo "addrs $(cat "$SW_OUT/addrs.n") $(( (t1 - t0) / 1000 )) $r" >> "$RAW"
  for g in $GLOBS; do
    # Timed with the shell's own echo (as for ftrace below): no process start-up inside the timing.
    t0=$(date +%s%N); echo "+$g" > $SWD/probes && a=OK || a=ERR; t1=$(date +%s%N)
    n=$(awk -v g="$g" '$1 == "attached" && $2 == g { print $4 }' $SWD/probes)
    sleep 1
    t2=$(date +%s%N); echo "-$g" > $SWD/probes && d=OK || d=ERR; t3=$(date +%s%N)
    echo "attach $g ${n:-0} $(( (t1 - t0) / 1000 )) $(( (t3 - t2) / 1000 )) $a $d $r" >> "$RAW"
    # The same done by ftrace's own stack tracer: matching the glob (its
    # filter, written while the tracer is off: no patching yet) and patching
    # (enabling), as stackwatch's attach matches and patches; then
    # unpatching and dropping the filter.
    t0=$(date +%s%N); echo "$g" > $T/stack_trace_filter; echo 1 > /proc/sys/kernel/stack_tracer_enabled; t1=$(date +%s%N)
    sleep 1
    t2=$(date +%s%N); echo 0 > /proc/sys/kernel/stack_tracer_enabled; echo > $T/stack_trace_filter; t3=$(date +%s%N)
    echo "ftrace $g - $(( (t1 - t0) / 1000 )) $(( (t3 - t2) / 1000 )) $r" >> "$RAW"
    # The same round's pair, in the per_round layout, for the goals.
    awk -v g="$g" -v r="$r" '($1 == "attach" || $1 == "ftrace") && $2 == g && $NF == r {
        w = $1 == "attach" ? "sw" : "ftrace"; print "on_" g, w, $4, r; print "off_" g, w, $5, r }' "$RAW" > "$SW_OUT/pair.tmp"
    cat "$SW_OUT/pair.tmp" >> "$RAW"
  done
done
# Where one attach and one detach of the largest glob spend their time: the
# function_graph tracer's own durations, over our entry points and the kernel
# functions below them that ftrace can trace (kernel/trace itself cannot be).
PROF_GLOB='xfs_*'
PROF_FUNCS="sw_probe_attach sw_probes_detach ftrace_set_filter ftrace_set_filter_ips register_ftrace_function unregister_ftrace_function synchronize_rcu synchronize_rcu_expedited synchronize_rcu_tasks
  synchronize_rcu_tasks_rude stop_machine stop_machine_cpuslocked smp_text_poke_batch_finish text_poke_bp_batch
  text_poke_finish text_poke_queue smp_text_poke_batch_add kallsyms_on_each_symbol kallsyms_on_each_match_symbol
  module_kallsyms_on_each_symbol kallsyms_lookup_name on_each_cpu_cond_mask text_poke_sync"
graph_profile() {  # graph_profile NAME CMD...: per-function call counts and total ms in $SW_OUT/profile-NAME.txt
  local name=$1 f; shift
  : > $T/set_ftrace_filter
  for f in $PROF_FUNCS; do echo "$f" >> $T/set_ftrace_filter 2>/dev/null; done
  echo 0 > $T/max_graph_depth
  echo $BASHPID > $T/set_ftrace_pid   # this shell only (it writes with its own echo), not fio
  echo function_graph > $T/current_tracer && echo > $T/trace
  cat $T/set_ftrace_filter > "$SW_OUT/graph-$name-filter.txt"
  local t0; t0=$(date +%s%N)
  "$@"
  local us=$(( ($(date +%s%N) - t0) / 1000 ))
  # Copied before switching back to nop: changing the tracer empties the buffer.
  echo 0 > $T/tracing_on; cp $T/trace "$SW_OUT/graph-$name.txt"
  echo nop > $T/current_tracer; echo 1 > $T/tracing_on; : > $T/set_ftrace_filter; : > $T/set_ftrace_pid
  # Durations sit left of the '|'. A call with children opens with "name() {"
  # and closes with "} ... us"; a leaf is "name();". One task is traced, so one
  # stack matches them even when it moves between CPUs. Times are inclusive.
  awk -F'|' -v total_us="$us" 'NF >= 2 {
      r = $2; gsub(/^ +| +$/, "", r)
      d = -1; if (match($1, /[0-9]+(\.[0-9]+)? us/)) d = substr($1, RSTART, RLENGTH - 3) + 0
      if (r ~ /\(\) \{$/) { sub(/\(\) \{$/, "", r); sub(/ \[.*\]$/, "", r); st[++sp] = r; next }
      if (r ~ /^\}/) { if (sp > 0) { f = st[sp--]; if (d >= 0) { n[f]++; t[f] += d } }; next }
      if (r ~ /\(\);$/ && d >= 0) { sub(/\(\);$/, "", r); sub(/ \[.*\]$/, "", r); n[r]++; t[r] += d } }
    END { printf "write(probes) 1 %.1f\n", total_us / 1000; for (f in t) printf "%s %d %.1f\n", f, n[f], t[f] / 1000 }' \
    "$SW_OUT/graph-$name.txt" | sort -k3,3nr > "$SW_OUT/profile-$name.txt"
}
probes_write() { echo "$1" > $SWD/probes; }   # the shell's own echo: no process start-up timed
graph_profile attach probes_write "+$PROF_GLOB"
PROF_N=$(awk -v g="$PROF_GLOB" '$1 == "attached" && $2 == g { print $4 }' $SWD/probes)
sleep 1
graph_profile detach probes_write "-$PROF_GLOB"
wait_background

# --- 5. the deepest-point measure (`tasks`): read-time only --------------------------
# Nothing of it runs in probe context (the per-hit numbers above include it);
# what it costs is one scan of every thread's stack per read. Interleaved with
# reads of `summary`, for scale.
for r in $(seq 1 $((REPS * 10))); do
  for f in tasks summary; do
    t0=$(date +%s%N); cat $SWD/$f > /dev/null; t1=$(date +%s%N)
    echo "read $f $(( (t1 - t0) / 1000 ))" >> "$RAW"
  done
done
TASKS_READ=$(awk '$1 == "read" && $2 == "tasks" { print $3 }' "$RAW" | median)
SUMMARY_READ=$(awk '$1 == "read" && $2 == "summary" { print $3 }' "$RAW" | median)
TASKS_THREADS=$(awk '/^# stackwatch tasks:/ { print $7 }' $SWD/tasks)

# --- 7. the stack stackwatch itself uses (the ftrace stack tracer's view) ------------
# Deterministic amounts, not timings: one measure each (tests/guest/ownstack.sh
# asserts the same).
sw_unload
read -r OWN_K_ADDED OWN_K_SW OWN_K_UW OWN_K_OTHER < <(st_capture "$SW_OUT/own-kprobe" "$FN" "kprobe:$FN")
read -r OWN_F_ADDED OWN_F_SW OWN_F_UW OWN_F_OTHER < <(st_capture "$SW_OUT/own-ftrace" "$FN" "$FN")
# What a hit adds below the probed function, from a fresh thread's own stack
# (tests/modules/sw_depth_test): nothing attached, then one mechanism at a
# time; deterministic amounts, measured REPS times each to show they are.
insmod $MODS/sw_depth_test.ko
depth_run() { echo 20 > /sys/module/sw_depth_test/parameters/run; cat /sys/module/sw_depth_test/parameters/deepest; }
for r in $(seq 1 "$REPS"); do
  echo "depth none $(depth_run) $r" >> "$RAW"
  sw_load probes=sw_depth_leaf; echo "depth stackwatch_ftrace $(depth_run) $r" >> "$RAW"; sw_unload
  sw_load probes=kprobe:sw_depth_leaf; echo "depth stackwatch_kprobe $(depth_run) $r" >> "$RAW"; sw_unload
  echo sw_depth_leaf > $T/stack_trace_filter; echo 1 > /proc/sys/kernel/stack_tracer_enabled
  echo "depth stack_tracer $(depth_run) $r" >> "$RAW"; tracer_off
done
rmmod sw_depth_test
declare -A DEP
for c in none stackwatch_ftrace stackwatch_kprobe stack_tracer; do
  DEP[$c]=$(awk -v c=$c '$1 == "depth" && $2 == c { print $3 }' "$RAW" | sort -n | tail -n1)
done
read -r LOAD_DEPTH LOAD_SW < <(st_load "$SW_OUT/own-load")
CAPTURE_STACK=$(dmesg | sed -n "s/.*stackwatch: unloaded; the unwinder's stack used at most \([0-9]*\) of \([0-9]*\) bytes.*/\1 of \2/p" | sort -n | tail -n1)
sw_load probes=submit_bio

# --- 4. memory ---------------------------------------------------------------------
modsize=$(awk '$1 == "stackwatch" { print $2 }' /proc/modules)
prealloc=$(dmesg | sed -n 's/.*slots of \([0-9]*\) bytes (\([0-9]*\) KiB preallocated), \([0-9]*\) of them.*/\1 \2 \3/p' | tail -n1)
perprobe=$(dmesg | sed -n 's/.*probes, \([0-9]*\) bytes each.*/\1/p' | tail -n1)
sw_unload
storage_down

# --- the table ----------------------------------------------------------------------
r() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
{
echo "stackwatch benchmark — kernel $(uname -r), THREAD_SIZE 16384, accelerator TCG (QEMU $SW_QEMU_VERSION), $(nproc) vCPUs, $REPS repetitions, medians"
echo
echo "1. per-hit cost: getppid() loop x $LOOP, probed function $FN, $HITREPS interleaved rounds"
printf '   %-20s %10s %12s\n' condition ns/call vs_none
for c in $CONDS; do printf '   %-20s %10s %12s\n' $c "${H[$c]}" "$(r "${H[$c]}" "${H[none]}")"; done
kp=$(awk -v a="${H[stackwatch_kprobe]}" -v e="${H[empty_kprobe]}" -v n="${H[none]}" 'BEGIN { if (e - n > 0) printf "%.2f", (a - n) / (e - n); else print "nan" }')
fp=$(awk -v a="${H[stackwatch_ftrace]}" -v e="${H[empty_ops]}" -v n="${H[none]}" 'BEGIN { if (e - n > 0) printf "%.2f", (a - n) / (e - n); else print "nan" }')
echo "   stackwatch cost / empty mechanism's cost (over none, medians): ftrace ops $fp (empty ops), kprobe $kp (stackwatch's kprobe, disabled)"
echo
echo "2. workload: fio randwrite 4k + fsync on XFS/LVM, ${FIOSECS}s per run, KiB/s"
printf '   %-20s %10s %12s\n' condition KiB/s vs_nothing
for c in $WCONDS; do printf '   %-20s %10s %12s\n' $c "${W[$c]}" "$(r "${W[$c]}" "${W[nothing]}")"; done
echo
echo "3. attach/detach while fio runs (median us; functions as the probes file reports them);"
echo "   ftrace_*: the stack tracer matching the same glob (its filter) and enabling, disabling and dropping it (same text patching)"
printf '   %-14s %9s %12s %12s %14s %14s\n' glob functions attach_us detach_us ftrace_on_us ftrace_off_us
for g in $GLOBS; do
  n=$(awk -v g="$g" '$1 == "attach" && $2 == g { print $3; exit }' "$RAW")
  at=$(awk -v g="$g" '$1 == "attach" && $2 == g { print $4 }' "$RAW" | median)
  dt=$(awk -v g="$g" '$1 == "attach" && $2 == g { print $5 }' "$RAW" | median)
  fa=$(awk -v g="$g" '$1 == "ftrace" && $2 == g { print $4 }' "$RAW" | median)
  fd=$(awk -v g="$g" '$1 == "ftrace" && $2 == g { print $5 }' "$RAW" | median)
  printf '   %-14s %9s %12s %12s %14s %14s\n' "$g" "$n" "$at" "$dt" "$fa" "$fd"
done
ADDRS_US=$(awk '$1 == "addrs" { print $3 }' "$RAW" | median)
echo "   reading available_filter_functions_addrs ($(awk '$1 == "addrs" { print $2; exit }' "$RAW") ftrace sites), what an address list from user space costs to build: $ADDRS_US us (median)"
echo
echo "3b. where the time goes: one attach and one detach of $PROF_GLOB (${PROF_N:-?} functions) under fio,"
echo "    function_graph durations (calls, total ms) of our entry points and the traceable kernel functions below them"
for k in attach detach; do
  printf '   %s:' $k; head -n 6 "$SW_OUT/profile-$k.txt" | awk '{ printf " %s x%d %.1f ms;", $1, $2, $3 }'; echo
done
echo
set -- $prealloc
echo "4. memory: module image $modsize bytes (/proc/modules); per attachment ${perprobe:-?} bytes (+ 8 per function it covers, + the kernel's own ftrace hash entries or kprobe);"
echo "   per function ${1:-?} bytes (statistics slot ${3:-?} bytes touched per hit, chain slot, table key), preallocated for max_functions: ${2:-?} KiB in all"
echo
echo "5. deepest point of every thread (\`tasks\`): no cost per hit (nothing in probe context);"
echo "   per read: ${TASKS_READ} us for ${TASKS_THREADS} threads ($(awk -v t="$TASKS_READ" -v n="$TASKS_THREADS" 'BEGIN { if (n > 0) printf "%.1f", t / n; else print "nan" }') us per thread's stack scanned),"
echo "   $(r "$TASKS_READ" "$SUMMARY_READ") x a read of \`summary\` (${SUMMARY_READ} us), median of $((REPS * 10)) interleaved reads each"
echo
own() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) print a + b; else print "nan" }'; }
echo "7. stack stackwatch adds while taking a chain, above $FN (the stack tracer filtered to the capture's entry and the unwinder):"
printf '   %-8s %8s %12s %10s %17s\n' probe added stackwatch unwinder probe_mechanism
printf '   %-8s %8s %12s %10s %17s\n' kprobe "$OWN_K_ADDED" "$OWN_K_SW" "$OWN_K_UW" "$OWN_K_OTHER"
printf '   %-8s %8s %12s %10s %17s\n' ftrace "$OWN_F_ADDED" "$OWN_F_SW" "$OWN_F_UW" "$OWN_F_OTHER"
echo "   the unwinder's own stack (x86_64): ${CAPTURE_STACK:-not used} bytes at most;"
echo "   loading the default set: $LOAD_DEPTH bytes deep at register_kprobe or ftrace's filter and registration, stackwatch's frames $LOAD_SW of them"
echo
echo "8. stack a hit adds below the probed function (a fresh thread 8 frames of 256 bytes deep calls sw_depth_leaf; its deepest point, $REPS runs, largest):"
for c in none stackwatch_ftrace stackwatch_kprobe stack_tracer; do
  printf '   %-20s %8s bytes deep, %6s added\n' $c "${DEP[$c]:-?}" "$(( ${DEP[$c]:-0} - ${DEP[none]:-0} ))"
done
echo
echo "6. goals (issues 17, 23): per-round ratios of conditions run side by side, mean [95% confidence interval]"
per_round hit stackwatch_ftrace stack_tracer none | goal_line "per hit: stackwatch (ftrace ops) / stack tracer on $FN" le 1.00
per_round hit stackwatch_ftrace empty_ops none | goal_line "per hit: stackwatch handler / empty ftrace_ops (over none)" le 1.10
per_round hit stackwatch_off empty_ops none | goal_line "(stackwatch disabled / empty ftrace_ops: the dispatch alone)" le 1.10
per_round hit stackwatch_kprobe empty_kprobe none | goal_line "kprobe: stackwatch handler / its kprobe disabled" le 1.10
per_round hit stackwatch_kprobe stack_tracer none | goal_line "per hit: stackwatch kprobe:$FN / stack tracer" le 1.00
per_round fio stackwatch_xfs tracer_xfs | goal_line "fio, xfs_* watched: stackwatch / stack tracer throughput" ge 1.00
per_round fio stackwatch_default nothing | goal_line "fio: default set / nothing loaded" ge 0.97
per_round 'on_xfs_*' sw ftrace | goal_line "attach xfs_*: stackwatch / ftrace enabling the same set" le 1.00
per_round 'off_xfs_*' sw ftrace | goal_line "detach xfs_*: stackwatch / ftrace disabling the same set" le 1.00
amount_line() {  # amount_line TEXT VALUE GOAL: an amount (no spread: not a timing) against an upper goal
  printf '   %-58s %5s  %-18s goal <= %s: %s\n' "$1" "$2" "(amount, bytes)" "$3" "$(awk -v v="$2" -v g="$3" 'BEGIN { if (v !~ /^[0-9]+$/) print "unmeasured"; else print (v <= g ? "met" : "missed") }')"
}
amount_line "stack added by a chain, kprobe (stackwatch + unwinder)" "$(own "$OWN_K_SW" "$OWN_K_UW")" 312
amount_line "stack added by a chain, ftrace (stackwatch + unwinder)" "$(own "$OWN_F_SW" "$OWN_F_UW")" 312
amount_line "stack a hit adds: ftrace ops + stackwatch (goal: the tracer's)" "$(( ${DEP[stackwatch_ftrace]:-0} - ${DEP[none]:-0} ))" "$(( ${DEP[stack_tracer]:-0} - ${DEP[none]:-0} ))"
} | tee "$SW_OUT/bench-table.txt"
finish
