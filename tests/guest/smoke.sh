# A small XFS-on-LVM-over-NFS run for the riscv64 kernels (issue 5): stackwatch
# with its default set reads back the kernel's THREAD_SIZE, sees the nfsd, XFS
# and dm/block layers, keeps every maximum inside the stack, records a chain
# that runs nfsd -> XFS, warns (with the chain) exactly when the threshold
# (3/8 of the stack) is crossed, and unloads. Usage: smoke.sh THREAD_SIZE
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
want=${1:?usage: smoke.sh THREAD_SIZE}
echo "uname: $(uname -m) $(uname -r)"
thr=$((want * 3 / 8))
dmesg -c >/dev/null
check "insmod stackwatch threshold=$thr" sw_load threshold=$thr
expect_eq "thread_size read back" "$(cat $SWD/thread_size)" "$want"
check "storage up (XFS on LVM)" storage_up
check "NFS v4.1 export mounted back" nfs_up 4.1
wl_smallfiles $NFS_MNT 100
wl_fio $NFS_MNT 10
cp $SWD/summary $SWD/traces $SWD/max_trace $SWD/probes "$SW_OUT/" 2>/dev/null
expect_cmp "nfsd probes were hit" "$(sw_sum_hits '^nfsd')" -gt 0
expect_cmp "XFS probes were hit" "$(sw_sum_hits '^xfs_')" -gt 0
expect_cmp "dm/block probes were hit" "$(sw_sum_hits '^(dm_submit_bio|submit_bio|submit_bio_noacct|__submit_bio|blk_mq_submit_bio|virtio_queue_rq)$')" -gt 0
global=$(sw_field $SWD/summary '(all)' 3)
expect_cmp "deepest stack is above 0" "$global" -gt 0
expect_cmp "deepest stack is inside THREAD_SIZE" "$global" -lt "$want"
chain=$(awk '/^#/ { next } /^[^ ]/ { if (x >= 0 && n > x) { print name; exit } name = $1; i = 0; x = n = -1; next }
  { split($2, s, "+"); i++; if (x < 0 && s[1] ~ /^xfs_/) x = i; if (x >= 0 && n < 0 && s[1] ~ /^nfsd/) n = i }
  END { if (x >= 0 && n > x) print name }' $SWD/traces | head -n1)
expect_eq "a captured chain runs nfsd -> XFS" "$([ -n "$chain" ] && echo yes || echo no)" yes
# The warning is due when a hit left fewer than $thr bytes, and only then.
minrem=$(sw_field $SWD/summary '(all)' 4)
warnings=$(sed -n 's/.* warnings \([0-9]*\) .*/\1/p' $SWD/summary)
dmesg > "$SW_OUT/dmesg.txt"
if [ "$minrem" -lt "$thr" ]; then
  expect_cmp "warned: $minrem bytes left is below the threshold $thr" "${warnings:-0}" -gt 0
  expect_cmp "the warning on the console carries the chain" "$(grep -A3 'bytes of stack left' "$SW_OUT/dmesg.txt" | grep -c 'stackwatch:   ')" -gt 0
  grep -m1 -A6 'bytes of stack left' "$SW_OUT/dmesg.txt"
else
  expect_eq "no warning: $minrem bytes left is above the threshold $thr" "${warnings:-0}" 0
fi
# What-if budgets (the default: 4096 and 8192 where below THREAD_SIZE): a
# budget counts hits over it exactly when the deepest hit is over it.
while read -r b over; do
  if [ "$global" -gt "$b" ]; then expect_cmp "what-if $b: the deepest ($global) is over it, so hits are counted" "$over" -gt 0
  else expect_eq "what-if $b: the deepest ($global) is not over it, so no hit is counted" "$over" 0; fi
  echo "what-if: $b $over"
done < <(grep -v '^#' $SWD/budgets)
echo "deepest: $(awk '!/^#/ && $1 != "(all)" { print $1, $3, "bytes used,", $4, "left"; exit }' $SWD/summary)"
echo "measure: $(uname -m) THREAD_SIZE $want: deepest $global bytes, $((want - global)) left"
nfs_down
check "storage down" storage_down
check "rmmod stackwatch" sw_unload
finish
