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
