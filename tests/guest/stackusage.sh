# Issue 13: stackwatch's `tasks` file against the kernel's own
# DEBUG_STACK_USAGE. With that option, sysrq-t (sched_show_task) prints each
# task's "stack:" -- stack_not_used(), the bytes its stack never used -- for
# every task at once. `tasks` must give the same "left" for the same threads:
# same algorithm, read live from a module, on a kernel that was not built for
# it. Threads that ran between the two reads may only have gone deeper.
# Needs a kernel with CONFIG_DEBUG_STACK_USAGE and CONFIG_MAGIC_SYSRQ (every
# test kernel of ours: qemu/configs/required.txt).
. "$(dirname "$0")/lib.sh"
export LC_ALL=C  # join(1) wants the sort order it compares with

sw_kconfig | grep -qx 'CONFIG_DEBUG_STACK_USAGE=y' || { not_ok "kernel has DEBUG_STACK_USAGE" "not set"; finish; }
check "insmod stackwatch" sw_load
TS=$(cat $SWD/thread_size)
echo "THREAD_SIZE read back: $TS"
# Some stack use to look at: file system and process work in a few threads.
# (Bounded, and off the 9p root: a walk of the host's file system through 9p
# takes many minutes on the debug kernel.)
for i in 1 2 3; do
  (find /sys/kernel -maxdepth 3 >/dev/null 2>&1; ls -lR /proc/self >/dev/null 2>&1
   dd if=/dev/zero of=/tmp/stackusage.$i bs=64k count=16 conv=fsync status=none; rm -f /tmp/stackusage.$i) &
done; wait

# The two reads, back to back; sysrq-t's lines go to the kernel log.
dmesg -C
echo 1 > /proc/sys/kernel/sysrq
sw_save "$SW_OUT/before" tasks
echo t > /proc/sysrq-trigger
sw_save "$SW_OUT/after" tasks
dmesg > "$SW_OUT/sysrq-t"
# "task:NAME state:S stack:FREE pid:PID ..." -> "PID FREE"
sed -n 's/.*task:.* stack:\([0-9]*\) *pid:\([0-9]*\) .*/\2 \1/p' "$SW_OUT/sysrq-t" | LC_ALL=C sort -k1,1 > "$SW_OUT/kernel-free"
# Ours: "PID LEFT" of every row of `tasks`, before and after.
for w in before after; do
  sw_jq_in "$SW_OUT/$w" tasks '.tasks.rows[] | "\(.pid) \(.left)"' | LC_ALL=C sort -k1,1 > "$SW_OUT/ours-$w"
done
expect_cmp "sysrq-t listed tasks with their free stack" "$(wc -l < "$SW_OUT/kernel-free")" -gt 20
# For each thread in both: before >= kernel >= after (deeper only over
# time), and equal for threads that did not run in between.
read -r common equal disorder < <(join "$SW_OUT/ours-before" "$SW_OUT/kernel-free" | join - "$SW_OUT/ours-after" |
  awk '{ n++; if ($2 == $3 && $3 == $4) e++; if (!($2 >= $3 && $3 >= $4)) { d++; print "  out of order: pid " $1 ": ours " $2 ", kernel " $3 ", ours after " $4 > "/dev/stderr" } }
       END { print n + 0, e + 0, d + 0 }')
echo "measure: $common threads in both; $equal with the same bytes left in all three reads; $disorder out of order"
join "$SW_OUT/ours-before" "$SW_OUT/kernel-free" | head -n 12 | awk '{ print "  pid " $1 ": stackwatch " $2 " bytes left, DEBUG_STACK_USAGE " $3 }'
expect_cmp "threads read by both" "${common:-0}" -ge 16
expect_eq "no thread shallower later than earlier" "${disorder:-x}" 0
expect_cmp "at least 3 in 4 threads agree to the byte with the kernel's stack_not_used()" $(( ${equal:-0} * 4 )) -ge $(( ${common:-0} * 3 ))
check "rmmod stackwatch" sw_unload
finish
