# The first end-to-end test: load stackwatch, read THREAD_SIZE back from
# debugfs and compare it with what the kernel was built with, unload, and
# check nothing is left behind. The runner fails the run on any kernel
# warning in the console.
. "$(dirname "$0")/lib.sh"
want=${1:-16384}

check "insmod stackwatch" sw_load
check "debugfs directory exists" test -d $SWD
expect_eq "thread_size matches the kernel" "$(cat $SWD/thread_size)" "$want"
cfg=$(sw_kconfig | sed -n 's/^CONFIG_THREAD_SIZE_ORDER=//p')
[ -n "$cfg" ] && expect_eq "thread_size = PAGE_SIZE << THREAD_SIZE_ORDER" "$(cat $SWD/thread_size)" $((4096 << cfg))
attached=$(grep -c '^attached ' $SWD/probes)
expect_cmp "default probes attached" "$attached" -gt 10
skipped=$(awk '$1 == "skipped" { printf "%s(%s) ", $2, $3 }' $SWD/probes)
echo "skipped default names: ${skipped:-none}"
expect_eq "module parameter budgets (sysfs)" "$(cat /sys/module/stackwatch/parameters/budgets)" default
# budgets=default: the what-if sizes 4096 and 8192 that are below THREAD_SIZE.
expected_budgets=$(for b in 4096 8192; do [ "$b" -lt "$want" ] && echo "$b"; done | tr '\n' ' ')
expect_eq "default budgets below THREAD_SIZE" "$(awk '!/^#/ { printf "%s ", $1 }' $SWD/budgets)" "$expected_budgets"
expect_eq "threshold default" "$(cat $SWD/threshold)" 2048
# Every live thread's deepest point, read off its stack (issue 13).
cat $SWD/tasks > "$SW_OUT/tasks"
read -r t_ts t_threads < <(awk '/^# stackwatch tasks:/ { print $5, $7 }' "$SW_OUT/tasks")
expect_eq "tasks: thread_size in its header" "$t_ts" "$want"
nproc_threads=$(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)
expect_cmp "tasks: scanned about as many threads as /proc lists ($nproc_threads)" "$t_threads" -ge $((nproc_threads * 8 / 10))
bad=$(awk -v ts="$want" '/^# deepest points/ { exit } !/^#/ { if ($2 <= 0 || $2 > ts || $3 != ts - $2 || (NR > 3 && $2 > prev)) print $1; prev = $2 }' "$SW_OUT/tasks")
expect_eq "tasks: used in (0, THREAD_SIZE], left = THREAD_SIZE - used, deepest first" "${bad:-none}" none
read -r pid used comm < <(awk '!/^#/ { print $1, $2, $4; exit }' "$SW_OUT/tasks")
# (/proc adds a kworker's workqueue to its comm: compare the start.)
pcomm=$(cat /proc/"$pid"/comm 2>/dev/null)
case "$comm:$pcomm" in
  ?*:"$comm"*) ok "tasks: the deepest thread's comm starts its /proc comm ($comm, $pcomm)" ;;
  *) not_ok "tasks: the deepest thread's comm" "'$comm' does not start /proc/$pid/comm '$pcomm'" ;;
esac
# Where the deepest points are: return addresses found just above them, each
# a symbol of kernel or module text.
npoints=$(grep -c '^point ' "$SW_OUT/tasks")
nframes=$(grep -c '^  [A-Za-z_][A-Za-z0-9_.]*+0x[0-9a-f]*/0x[0-9a-f]*' "$SW_OUT/tasks")
badframes=$(grep '^  ' "$SW_OUT/tasks" | grep -vc '^  [A-Za-z_][A-Za-z0-9_.]*+0x[0-9a-f]*/0x[0-9a-f]*')
expect_cmp "tasks: deepest points listed" "$npoints" -ge 1
expect_cmp "tasks: return addresses found above the deepest points" "$nframes" -ge 3
expect_eq "tasks: every frame is a symbol+offset" "$badframes" 0
sed -n '/^point /,$p' "$SW_OUT/tasks" | head -n 14
# A thread never shallower than at its last look: stacks are not re-zeroed.
again=$(awk -v p="$pid" '!/^#/ && $1 == p { print $2 }' $SWD/tasks)
expect_cmp "tasks: pid $pid's deepest point does not shrink between reads ($used, then ${again:-gone})" "${again:-$used}" -ge "$used"

# A write to probes is applied in the order written (issue 14, finding 2),
# all or nothing.
attached() { awk '$1 == "attached" { printf "%s ", $2 }' $SWD/probes; }
expect_eq "write 'clear' then '+vfs_rea*' in one write" "$(sw_write $SWD/probes $'clear\n+vfs_rea*\n')" OK
expect_eq "clear then +glob: the glob is what is attached" "$(attached)" "vfs_rea* "
expect_eq "write '+vfs_write' then '-vfs_write'" "$(sw_write $SWD/probes $'+vfs_write\n-vfs_write\n')" OK
expect_eq "+name then -name: not attached" "$(attached)" "vfs_rea* "
expect_eq "write '-vfs_rea*' then '+vfs_rea*'" "$(sw_write $SWD/probes $'-vfs_rea*\n+vfs_rea*\n')" OK
expect_eq "-glob then +glob: attached again" "$(attached)" "vfs_rea* "
expect_eq "write '+vfs_write' then a '-' of a spec not there" "$(sw_write $SWD/probes $'+vfs_write\n-vfs_fsync\n')" ENOENT
expect_eq "the refused write changed nothing" "$(attached)" "vfs_rea* "
expect_eq "write 'clear' then '+vfs_write' then '+vfs_write'" "$(sw_write $SWD/probes $'clear\n+vfs_write\n+vfs_write\n')" EEXIST
expect_eq "the refused write changed nothing (clear not applied)" "$(attached)" "vfs_rea* "

# Writing budgets starts their counts afresh (finding 4): no count is shown
# under a size it was not taken against.
expect_eq "+vfs_read (a kprobe that the reads below hit)" "$(sw_write $SWD/probes +vfs_read)" OK
expect_eq "budgets 64" "$(sw_write $SWD/budgets 64)" OK
for _ in 1 2 3; do cat $SWD/summary $SWD/histogram >/dev/null; done
over64=$(awk '$1 == 64 { print $2 }' $SWD/budgets)
expect_cmp "hits over a 64-byte budget counted" "${over64:-0}" -gt 0
expect_eq "budgets $want (THREAD_SIZE)" "$(sw_write $SWD/budgets "$want")" OK
expect_eq "nothing counted over THREAD_SIZE: the 64-byte counts are gone" "$(awk -v b="$want" '$1 == b { print $2 }' $SWD/budgets)" 0
expect_eq "summary's over_$want column is 0 too" "$(sw_field $SWD/summary '(all)' 6)" 0
check "rmmod stackwatch" sw_unload
check "debugfs directory removed" test ! -e $SWD
check "module gone" sh -c '! grep -q "^stackwatch " /proc/modules'
finish
