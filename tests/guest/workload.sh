# Sourced by guest scripts: bounded workloads on a mounted file system, each
# printing a progress line at least every 10 seconds.

# wl_fio DIR SECONDS [EXTRA FIO ARGS]: buffered random writes with frequent
# fsync plus direct sequential writes, two jobs each.
wl_fio() {
  local dir=$1 secs=$2 out=/tmp/fio.$BASHPID.out; shift 2
  fio --output-format=terse --terse-version=3 --directory="$dir" --time_based --runtime="$secs" \
      --ioengine=psync --size=48M --group_reporting \
      --name=buffered --rw=randwrite --bs=4k --fsync=16 --numjobs=2 \
      --name=direct --rw=write --bs=64k --direct=1 --numjobs=1 "$@" > "$out" 2>&1 &
  local pid=$! t=0
  while kill -0 $pid 2>/dev/null; do sleep 1; t=$((t + 1)); [ $((t % 10)) = 0 ] && echo "  workload: fio $t/${secs}s"; done
  wait $pid; local rc=$?
  # terse v3: field 48 is write KiB/s of the group.
  awk -F';' '{ printf "  workload: fio done, write %s KiB/s\n", $48 }' "$out" | head -n1
  return $rc
}

# wl_smallfiles DIR N: N small files with fsync across many directories.
wl_smallfiles() {
  local dir=$1 n=$2 i
  mkdir -p "$dir/small"
  for i in $(seq 1 "$n"); do
    mkdir -p "$dir/small/d$((i % 50))"
    head -c $((512 + (i * 37) % 8192)) /dev/urandom > "$dir/small/d$((i % 50))/f$i"
    [ $((i % 25)) = 0 ] && sync -f "$dir/small" 
    [ $((i % 500)) = 0 ] && echo "  workload: $i/$n small files"
  done
  sync
}

# wl_squeeze NAME CAP_MIB DIR...: buffered writers (one dd per DIR) in a
# memory cgroup NAME whose memory.max, 16 MiB, is far below what they write,
# so that their page cache allocations reclaim in their own context, below
# their NFS/XFS write path (memcg direct reclaim). Runs until the cgroup has
# hit its limit and entered direct reclaim (memory.events "max" and
# memory.stat pgscan_direct above 0), or until every writer has written
# CAP_MIB: bounded by what is written, not by time, so a slow or busy
# machine only takes longer (writers on a time budget once stopped at 10 MiB
# of the 16). Dirty limits are lowered meanwhile, so that reclaim finds clean
# pages rather than OOM-killing the writers. Sets SQUEEZE_SCAN (pgscan_direct),
# SQUEEZE_MAX (memory.events max) and SQUEEZE_MIB (MiB written in all).
wl_squeeze() {
  local name=$1 cap=$2 cg=/sys/fs/cgroup d pids=() p polls=0 dirty
  shift 2
  mountpoint -q $cg || mount -t cgroup2 none $cg
  echo +memory > $cg/cgroup.subtree_control
  cg=$cg/$name
  mkdir -p "$cg" && echo $((16 << 20)) > "$cg/memory.max"
  dirty=$(cat /proc/sys/vm/dirty_bytes /proc/sys/vm/dirty_background_bytes /proc/sys/vm/dirty_ratio /proc/sys/vm/dirty_background_ratio)
  echo $((8 << 20)) > /proc/sys/vm/dirty_bytes; echo $((4 << 20)) > /proc/sys/vm/dirty_background_bytes
  # One long-running dd per writer, moved into the cgroup by PID: nothing in
  # the cgroup forks (a fork's page-table charge reclaims below
  # copy_process, deeper than the write path) and nothing sits in pselect6
  # (fio's main thread did: its page faults reclaimed below
  # core_sys_select's 440-byte frame). So the cgroup's reclaim is the
  # writers' own, below their write path.
  for d in "$@"; do
    mkdir -p "$d"
    dd if=/dev/zero of="$d/squeeze" bs=1M count="$cap" status=none 2>/dev/null &
    pids+=($!); echo $! > "$cg/cgroup.procs"
  done
  squeeze_counter() { awk -v k="$1" '$1 == k { print $2 }' "$cg/$2"; }
  SQUEEZE_SCAN=0 SQUEEZE_MAX=0
  while :; do
    SQUEEZE_SCAN=$(squeeze_counter pgscan_direct memory.stat)
    SQUEEZE_MAX=$(squeeze_counter max memory.events)
    [ "${SQUEEZE_SCAN:-0}" -gt 0 ] && [ "${SQUEEZE_MAX:-0}" -gt 0 ] && break
    p=0; for d in "${pids[@]}"; do kill -0 "$d" 2>/dev/null && p=1; done
    [ $p = 0 ] && break
    sleep 1; polls=$((polls + 1))
    [ $((polls % 10)) = 0 ] && echo "  workload: squeeze: cgroup at $(( $(cat "$cg/memory.current") >> 20 )) MiB, limit hit ${SQUEEZE_MAX:-0} times, pgscan_direct ${SQUEEZE_SCAN:-0}"
  done
  SQUEEZE_MIB=0
  for d in "$@"; do SQUEEZE_MIB=$((SQUEEZE_MIB + $(stat -c %s "$d/squeeze" 2>/dev/null || echo 0) / 1048576)); done
  kill "${pids[@]}" 2>/dev/null
  for d in "${pids[@]}"; do wait "$d" 2>/dev/null; done
  echo "  workload: squeeze: stopped after ${SQUEEZE_MIB} MiB written (cap $cap MiB per writer), cgroup peak $(( $(cat "$cg/memory.peak" 2>/dev/null || echo 0) >> 20 )) MiB"
  echo "  memcg: $(grep -E '^(pgscan_direct|pgsteal_direct|pgscan_kswapd) ' "$cg/memory.stat" | tr '\n' ' ')limit hit $SQUEEZE_MAX times, oom_kill $(squeeze_counter oom_kill memory.events)"
  for d in "$@"; do rm -f "$d/squeeze"; done
  # shellcheck disable=SC2086
  set -- $dirty
  echo "$3" > /proc/sys/vm/dirty_ratio; echo "$4" > /proc/sys/vm/dirty_background_ratio
  [ "$1" != 0 ] && echo "$1" > /proc/sys/vm/dirty_bytes; [ "$2" != 0 ] && echo "$2" > /proc/sys/vm/dirty_background_bytes
  rmdir "$cg"
  return 0
}
