# Issue 3 acceptance: stackwatch's default probes over an XFS-on-LVM
# workload, side by side with the ftrace stack tracer, then every control
# path: reset, threshold warning, run-time globs, bad writes, rmmod under load.
# The module's files are saved at each step (OUT/STEP/) and read through the
# stackwatch command (wd_checks, below): here if it runs here, else (arm64)
# by the host's runner on the copies; the stackwatch command's own live
# commands (report, export, probes add/remove) only where it runs:
#   watchdog.sh               the guest's part, then the checks
#   watchdog.sh --check OUT   the checks of the copies in OUT
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
T=/sys/kernel/tracing
# attached_count SPEC: how many attached rows of probes have SPEC (0 or 1).
attached_count() { sw_jq probes '[.probes.attached[] | select(.spec == $s)] | length' --arg s "$1"; }
# attached_set: the attached specs, sorted.
attached_set() { sw_jq probes '[.probes.attached[].spec] | sort | join(" ")'; }
# budget_sizes: the budgets file's sizes.
budget_sizes() { sw_jq budgets '[.budget_totals[].budget | tostring] | join(" ")'; }

# wd_checks OUT: the checks of what the guest's part saved in OUT.
wd_checks() {
  local out=$1 TS tracer_max blk xfs_hits dm_hits blk_hits bad ntraces depth sum rows global nf nx h0 h1
  TS=$(cat "$out/thread_size"); tracer_max=$(cat "$out/tracer_max")
  # shellcheck disable=SC2034  # read by sw_jq (lib.sh)
  local SW_FROM=$out
  # The block layer: the default set's block group but device-mapper (dm_*, above).
  blk=$(for n in $(sw_defaults block); do case $n in dm_*) ;; *) echo "$n" ;; esac; done | paste -sd ' ')
  xfs_hits=$(sw_sum_hits '^xfs_'); dm_hits=$(sw_sum_hits '^dm_'); blk_hits=$(sw_sum_hits "$(sw_re "$blk")")
  expect_cmp "XFS probes were hit" "$xfs_hits" -gt 0
  expect_cmp "device-mapper probes were hit" "$dm_hits" -gt 0
  expect_cmp "block-layer probes were hit" "$blk_hits" -gt 0
  bad=$(sw_jq table '[.functions[], .all | select(.max_used <= 0 or .max_used > $ts or .min_remaining != $ts - .max_used) | .name] | join(" ")' --argjson ts "$TS")
  expect_eq "every max_used in (0, THREAD_SIZE] and min_remaining = THREAD_SIZE - max_used" "${bad:-none}" none
  # Each per-function chain starts in its own function.
  read -r ntraces bad < <(sw_jq chains '"\(.chains | length) \([.chains[] | select(.frames[0].function != .function) | "\(.function)->\(.frames[0].symbol)"] | join(" "))"')
  expect_eq "each trace starts in its own probed function" "${bad:-none}" none
  expect_cmp "traces recorded" "$ntraces" -gt 3
  read -r depth sum rows < <(sw_jq max-trace '.max_trace // {used: 0, frames: []} | "\(.used) \([.frames[].size] | add // 0) \(.frames | length)"')
  global=$(sw_jq table .all.max_used)
  expect_cmp "max_trace has frames" "$rows" -gt 3
  expect_cmp "max_trace depth is the global maximum" "$depth" -eq "$global"
  expect_eq "max_trace frame sizes sum to its depth" "$sum" "$depth"
  expect_cmp "global max is not above the stack tracer's" "$global" -le "$tracer_max"
  expect_cmp "global max is within a factor 2 of the stack tracer's" $((global * 2)) -ge "$tracer_max"
  echo "measure: stackwatch global max $global bytes, ftrace stack tracer $tracer_max bytes (THREAD_SIZE $TS)"
  echo "deepest: $(sw_jq table '.functions[0] | "\(.name) \(.max_used) bytes used"'); the tracer's deepest stack:"
  sed -n '1,3p;$p' "$out/ftrace_stack_trace"

  expect_eq "after reset: global hits" "$(SW_FROM=$out/reset sw_jq table .all.hits)" 0
  expect_eq "after reset: no function rows" "$(SW_FROM=$out/reset sw_jq table '.functions | length')" 0
  expect_eq "after reset: max_trace empty" "$(SW_FROM=$out/reset sw_jq max-trace 'if .max_trace then "\(.max_trace.used) bytes" else "empty" end')" empty
  expect_cmp "after reset: counting resumed" "$(SW_FROM=$out/resumed sw_jq table .all.hits)" -gt 0
  expect_cmp "warnings counted" "$(SW_FROM=$out/warned sw_jq counters .counters.warnings)" -gt 0

  nf=$(SW_FROM=$out/glob-attached sw_jq probes '.probes.attached[] | select(.spec == "xfs_*") | .functions')
  expect_cmp "xfs_* covers many functions" "${nf:-0}" -gt 200
  echo "measure: xfs_* covered $nf functions"
  nx=$(SW_FROM=$out/glob-work sw_jq table '[.functions[] | select((.name | startswith("xfs_")) and .hits > 0)] | length')
  expect_cmp "xfs_* glob reports many distinct XFS functions" "$nx" -gt 30
  expect_eq "xfs_* no longer attached" "$(SW_FROM=$out/glob-detached attached_count 'xfs_*')" 0

  expect_eq "rejected writes changed no probe" "$(SW_FROM=$out/bad-after attached_set)" "$(SW_FROM=$out/bad-before attached_set)"
  expect_eq "budgets still 4096 8192" "$(SW_FROM=$out/bad-after budget_sizes)" "4096 8192"
  h0=$(SW_FROM=$out/bad-after sw_jq table .all.hits); h1=$(SW_FROM=$out/count-after sw_jq table .all.hits)
  expect_cmp "still counting after bad writes" "$h1" -gt "$h0"
  expect_eq "three budgets reported" "$(SW_FROM=$out/budgets-3 sw_jq budgets '.budget_totals | length')" 3
}

if [ "${1:-}" = --check ]; then wd_checks "${2:?usage: watchdog.sh --check OUT}"; finish; fi

check "storage stack up (LVM linear + XFS)" storage_up linear

# The stack tracer and stackwatch at the same time, over the same workload.
echo 0 > $T/stack_max_size
echo 1 > /proc/sys/kernel/stack_tracer_enabled
check "insmod stackwatch (default set)" sw_load
TS=$(cat $SWD/thread_size)
dmesg | grep 'stackwatch: watching' | tail -n1
wl_fio $XFS_MNT 20
wl_smallfiles $XFS_MNT 400
echo 0 > /proc/sys/kernel/stack_tracer_enabled
tracer_max=$(cat $T/stack_max_size)
cp $SWD/summary $SWD/traces $SWD/max_trace $SWD/histogram $SWD/probes "$SW_OUT/" 2>/dev/null
cp $T/stack_trace "$SW_OUT/ftrace_stack_trace"
echo "$tracer_max" > "$SW_OUT/tracer_max"; echo "$TS" > "$SW_OUT/thread_size"
head -n 12 $SWD/summary

# The companion command on live data (issue 6), and a snapshot for the host tests.
if sw_cli; then
  "$SWC" report --color never > /tmp/report.txt 2>&1; rc=$?
  expect_eq "stackwatch report on live data exits 0" "$rc" 0
  check "report has the global row and a what-if section" sh -c "grep -q '(all)' /tmp/report.txt && grep -qi 'would overflow\|budget' /tmp/report.txt"
  head -n 25 /tmp/report.txt
  "$SWC" export --prometheus > /tmp/prom.txt 2>&1
  check "prometheus export has per-function max_used" grep -q '^stackwatch_max_used_bytes{function="submit_bio"}' /tmp/prom.txt
  cli_add_remove() {
    "$SWC" probes add vfs_fsync_range && [ "$(attached_count vfs_fsync_range)" = 1 ] && "$SWC" probes remove vfs_fsync_range
  }
  check "stackwatch probes add/remove through the CLI" cli_add_remove
  "$SWC" probes add no_such_function_xyz > /tmp/cli-err.txt 2>&1; rc=$?
  check "CLI reports ENOENT for an unknown symbol (exit $rc)" sh -c "[ $rc -ne 0 ] && grep -q ENOENT /tmp/cli-err.txt"
  check "stackwatch snapshot" "$SWC" snapshot "$SW_OUT/cli-snapshot"
elif [ "$(uname -m)" = x86_64 ]; then
  not_ok "stackwatch CLI present" "$SWC not built"
else
  echo "no stackwatch command on $(uname -m): its live commands (report, export, probes add/remove, snapshot) are left out"
fi

# Reset zeroes, counting resumes.
echo 0 > $SWD/enabled
check "reset" test "$(sw_write $SWD/reset 1)" = OK
sw_save "$SW_OUT/reset" max_trace
echo 1 > $SWD/enabled
wl_smallfiles $XFS_MNT/again 100
sw_save "$SW_OUT/resumed"

# Threshold warning with the chain, through printk.
dmesg -C
echo $((TS - 256)) > $SWD/threshold
wl_smallfiles $XFS_MNT/warn 50
warn_lines=$(dmesg | grep -c 'stackwatch: .*: only [0-9]* bytes of stack left')
chain_lines=$(dmesg | grep -cE 'stackwatch:  +[0-9]+ [a-z_]')
expect_cmp "threshold crossing printed a warning" "$warn_lines" -gt 0
expect_cmp "the warning carries a call chain" "$chain_lines" -gt 2
dmesg | grep -A6 -m1 'bytes of stack left'
echo 0 > $SWD/threshold
sw_save "$SW_OUT/warned"

# Run-time probes: a glob over every xfs_* function while the workload runs.
in_background wl_fio $XFS_MNT 25
sleep 3
t0=$(date +%s%N); echo '+xfs_*' > $SWD/probes && r=OK || r=ERR; t1=$(date +%s%N)
expect_eq "attach xfs_* while the workload runs" "$r" OK
sw_save "$SW_OUT/glob-attached" probes
echo "measure: attach xfs_* took $(( (t1 - t0) / 1000000 )) ms"
# A fixed amount of XFS work once the glob is in (attaching 2340 functions
# takes longer than the fio run on a slow or busy machine).
wl_smallfiles $XFS_MNT/glob 200
sw_save "$SW_OUT/glob-work"
t0=$(date +%s%N); echo '-xfs_*' > $SWD/probes && r=OK || r=ERR; t1=$(date +%s%N)
expect_eq "detach xfs_* while the workload runs" "$r" OK
echo "measure: detach xfs_* took $(( (t1 - t0) / 1000000 )) ms"
sw_save "$SW_OUT/glob-detached" probes
expect_eq "attach one symbol" "$(sw_write $SWD/probes '+submit_bio_wait')" OK
expect_eq "detach one symbol" "$(sw_write $SWD/probes '-submit_bio_wait')" OK
wait_background

# Bad writes: each rejected with its errno, nothing changed, still counting.
sw_save "$SW_OUT/bad-before" probes
expect_eq "unknown symbol -> ENOENT" "$(sw_write $SWD/probes '+no_such_function_xyz')" ENOENT
expect_eq "blacklisted function -> EINVAL" "$(sw_write $SWD/probes '+get_kprobe')" EINVAL
expect_eq "malformed line -> EINVAL" "$(sw_write $SWD/probes 'submit_bio')" EINVAL
expect_eq "bad character -> EINVAL" "$(sw_write $SWD/probes '+bad name!')" EINVAL
expect_eq "oversized write -> E2BIG" "$(sw_write $SWD/probes "$(printf '+a%.0s\n' $(seq 1 2000))")" E2BIG
expect_eq "remove unattached -> ENOENT" "$(sw_write $SWD/probes '-vfs_read')" ENOENT
expect_eq "already attached -> EEXIST" "$(sw_write $SWD/probes '+submit_bio')" EEXIST
expect_eq "bad line in a batch -> ENOENT" "$(sw_write $SWD/probes $'+submit_bio_wait\n+no_such_function_xyz')" ENOENT
expect_eq "threshold not a number -> EINVAL" "$(sw_write $SWD/threshold abc)" EINVAL
expect_eq "threshold above THREAD_SIZE -> ERANGE" "$(sw_write $SWD/threshold 99999999)" ERANGE
expect_eq "enabled 2 -> EINVAL" "$(sw_write $SWD/enabled 2)" EINVAL
expect_eq "five budgets -> E2BIG" "$(sw_write $SWD/budgets '1 2 3 4 5')" E2BIG
expect_eq "zero budget -> ERANGE" "$(sw_write $SWD/budgets 0)" ERANGE
sw_save "$SW_OUT/bad-after" probes budgets
wl_smallfiles "$XFS_MNT/after" 50
sw_save "$SW_OUT/count-after"
expect_eq "budgets can be changed" "$(sw_write $SWD/budgets '2048 4096 8192')" OK
sw_save "$SW_OUT/budgets-3" budgets

# Unload in the middle of the workload.
in_background wl_fio $XFS_MNT 15
sleep 5
check "rmmod during the workload" sw_unload
check "module gone" sh -c '! grep -q "^stackwatch " /proc/modules'
wait_background
check "reload after unload" sw_load probes=default,xfs_buf_*
check "final unload" sw_unload
check "storage stack torn down" storage_down
if sw_checks_here; then wd_checks "$SW_OUT"; fi
finish
