# The torture suite's memory squeeze alone (issue 14, finding 7), for
# showing that it reaches direct reclaim whatever the machine's speed: run
# it on a deliberately slowed guest: `tests/run.sh squeeze` throttles the
# guest's disk writes to 128 KiB/s once this prints its marker
# (tests/host/throttle-disk.py), so that the writer, held back by dirty
# throttling, takes minutes to fill the cgroup; the squeeze of c92e6d2 (a
# 60 s budget) stopped there at 10 MiB with pgscan_direct 0. A writer on XFS
# over LVM in a 16 MiB memory cgroup, with stackwatch's default probes
# (direct reclaim among them).
# Usage: squeeze.sh [CAP_MIB]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
cap=${1:-48}
echo "guest CPU: $(awk '/^bogomips/ { print "bogomips", $3; exit }' /proc/cpuinfo), $(nproc) CPUs"
check "XFS on a linear LV" storage_up
check "insmod stackwatch (default probes)" sw_load threshold=0
# The marker the host's throttle waits for, and a moment for it.
echo "squeeze: writers start"; sleep 3
t0=$(cut -d' ' -f1 /proc/uptime)
wl_squeeze squeeze "$cap" $XFS_MNT/squeeze
echo "measure: squeeze took $(awk -v a="$t0" '{ printf "%.0f", $1 - a }' /proc/uptime) s of guest time for $SQUEEZE_MIB MiB"
expect_cmp "the writer hit the cgroup's limit: memory.events max" "${SQUEEZE_MAX:-0}" -gt 0
expect_cmp "the writer entered direct (memcg) reclaim: pgscan_direct" "${SQUEEZE_SCAN:-0}" -gt 0
expect_cmp "stackwatch counted hits in try_to_free_mem_cgroup_pages" \
  "$(sw_jq table '.functions[] | select(.name == "try_to_free_mem_cgroup_pages") | .hits')" -gt 0
check "rmmod stackwatch" sw_unload
check "storage torn down" storage_down
finish
