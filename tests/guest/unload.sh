# Unload raced against control writes (issue 14, finding 1): in each cycle
# a writer adds and removes probes through `probes` (a name and a glob) in a
# loop while readers read the report files, and stackwatch is unloaded
# under them (an open file pins the module, so rmmod goes through in the
# gaps between their opens, and their next open fails). The teardown must hold by construction: files gone,
# then module notifiers and probes off (handlers drained), then memory
# freed; the runner fails the run on any oops, KASAN report or WARNING in
# the console. After every cycle nothing of stackwatch may remain: no
# module, no directory, no kprobe or ftrace-patched function left behind.
# Usage: unload.sh [CYCLES]
. "$(dirname "$0")/lib.sh"
cycles=${1:-30}
KPROBES=/sys/kernel/debug/kprobes/list
ENABLED=/sys/kernel/tracing/enabled_functions

writer() {  # adds and removes until the file is gone; prints the writes that went in
  local n=0
  while [ -e $SWD/probes ]; do
    { echo +vfs_read > $SWD/probes; } 2>/dev/null && n=$((n + 1))
    { echo '+vfs_rea*' > $SWD/probes; } 2>/dev/null && n=$((n + 1))
    { echo -vfs_read > $SWD/probes; } 2>/dev/null && n=$((n + 1))
    { echo '-vfs_rea*' > $SWD/probes; } 2>/dev/null && n=$((n + 1))
    sleep 0.05  # a gap for rmmod (a write in progress pins the module)
  done
  echo "$n"
}
# An open file pins the module, so rmmod goes through in the readers'
# pauses (without them, back-to-back reads under TCG kept it refused).
reader() {
  while [ -e $SWD/summary ]; do cat $SWD/summary $SWD/probes $SWD/traces >/dev/null 2>&1; sleep 0.1; done
}

writes=0 busy=0 left=0 started=$SECONDS
for c in $(seq 1 "$cycles"); do
  sw_load probes=submit_bio || { not_ok "insmod in cycle $c" "failed"; break; }
  out=$(mktemp)
  writer > "$out" & wpid=$!
  reader & rpid=$!
  # Let the writer get going (a write in flight at the unload, most cycles).
  for _ in 1 2 3; do cat $SWD/probes >/dev/null; done
  # An open file pins the module: rmmod may find it busy; try again.
  until rmmod stackwatch 2>/dev/null; do busy=$((busy + 1)); done
  wait $wpid $rpid
  writes=$((writes + $(cat "$out"))); rm -f "$out"
  if grep -q '^stackwatch ' /proc/modules || [ -e $SWD ]; then left=$((left + 1)); fi
  if grep -q 'vfs_read' $KPROBES 2>/dev/null || grep -q '^vfs_rea' $ENABLED 2>/dev/null; then
    not_ok "cycle $c: a probe of stackwatch's outlived it" "$(grep vfs_rea $KPROBES $ENABLED | head -n 3)"
  fi
done
echo "measure: $cycles unload cycles, $writes probes writes accepted, $busy busy rmmod retries, $((SECONDS - started)) s"
expect_eq "cycles that left the module or its directory behind" "$left" 0
expect_cmp "writes landed during the cycles" "$writes" -gt "$cycles"
expect_eq "no kprobe left on vfs_read" "$(grep -c vfs_read $KPROBES 2>/dev/null)" 0
finish
