# The stress suite (issue 14's stress parts that need no debug kernel), on
# XFS over LVM with a writer running the whole time:
#  a) CYCLES insmod/rmmod cycles with globs attached, readers reading every
#     file, and on every third cycle a probes write in flight at the unload;
#  b) four concurrent writers adding and removing probes (names and globs,
#     OPS operations each) while readers read every file; afterwards the
#     attached set is exactly the one at the start;
#  c) a generated fuzz of at least FUZZ writes to every writable file
#     (stress_fuzz.py): each must end OK or with an errno, the attached set
#     and the settings must equal what a simple model of the commands
#     predicts, and the module must still answer;
#  d) rmmod while a debugfs file is held open, then the file read and closed;
#  e) on a debug kernel: lockdep still on at the end, and a kmemleak scan
#     with nothing of stackwatch's in it.
# The runner fails the run on any oops, BUG, WARNING or lockup report.
# Usage: stress.sh [CYCLES] [OPS] [FUZZ]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
cycles=${1:-100} ops=${2:-200} fuzz=${3:-1000}
# Each writer's operations go in add/remove pairs: an odd count would leave
# its last add attached and fail the "set as before" check for no fault.
ops=$(( (ops + 1) / 2 * 2 ))
FILES="summary traces max_trace histogram probes threshold budgets enabled thread_size"
started=$SECONDS

check "XFS on a linear LV" storage_up
stop=/tmp/stress.stop
# A writer on XFS the whole time (xfs_* functions hit under the globs).
background_writer() {
  local i=0
  while [ ! -e $stop ]; do
    dd if=/dev/zero of=$XFS_MNT/bg.$((i % 4)) bs=64k count=64 conv=fsync status=none 2>/dev/null
    i=$((i + 1))
  done
}
background_writer & bgpid=$!
# readers: read every file until the directory is gone (or $stop appears).
reader() {
  local f
  while [ -e $SWD ] && [ ! -e $stop ]; do
    for f in $FILES; do cat $SWD/$f >/dev/null 2>&1; done
    sleep 0.1  # a pause in which rmmod can go through (an open file pins the module)
  done
}
# attached_set: the attached and pending specs, sorted.
attached_set() { sw_jq probes '[.probes.attached[].spec, .probes.pending[].name] | sort | join(" ")'; }

# --- a) load/unload cycles ----------------------------------------------------
echo "stress a: $cycles insmod/rmmod cycles with globs, readers, writes in flight"
t0=$SECONDS loaded=0 inflight=0 busy=0
for c in $(seq 1 "$cycles"); do
  if ! sw_load 'probes=submit_bio,xfs_buf_lock,xfs_trans_*,vfs_rea*' threshold=4096; then
    not_ok "insmod in cycle $c" "failed"; break
  fi
  loaded=$((loaded + 1))
  reader & r1=$!
  reader & r2=$!
  w=
  if [ $((c % 3)) = 0 ]; then
    ( while [ -e $SWD/probes ]; do
        { echo '+vfs_write' > $SWD/probes; } 2>/dev/null
        { echo '-vfs_write' > $SWD/probes; } 2>/dev/null
        sleep 0.05  # a gap for rmmod (a write in progress pins the module)
      done ) & w=$!
    inflight=$((inflight + 1))
  fi
  cat $SWD/summary >/dev/null
  # A file open in a reader pins the module: rmmod may find it busy.
  until rmmod stackwatch 2>/dev/null; do busy=$((busy + 1)); done
  wait $r1 $r2 $w
  if grep -q '^stackwatch ' /proc/modules || [ -e $SWD ]; then not_ok "cycle $c" "stackwatch left behind"; break; fi
  [ $((c % 10)) = 0 ] && echo "  cycle $c/$cycles ($((SECONDS - t0)) s)"
done
expect_eq "load/unload cycles completed" "$loaded" "$cycles"
echo "measure: stress a: $loaded cycles ($inflight with a probes write in flight at rmmod, $busy busy rmmod retries) in $((SECONDS - t0)) s"
expect_eq "no kprobe left behind" "$(grep -c -E 'vfs_write|vfs_read' /sys/kernel/debug/kprobes/list 2>/dev/null)" 0
expect_eq "no ftrace-patched vfs_read left behind" "$(grep -c '^vfs_rea' /sys/kernel/tracing/enabled_functions 2>/dev/null)" 0

# --- b) four concurrent writers ----------------------------------------------------
echo "stress b: 4 writers x $ops operations, readers on every file"
t0=$SECONDS
check "insmod stackwatch (default probes)" sw_load threshold=4096
before=$(attached_set)
# Each writer its own specs (names and a glob): every operation must succeed.
specs=("vfs_read vfs_write xfs_trans_*" "vfs_fsync vfs_rename xfs_buf_*" "vfs_mkdir vfs_unlink xfs_log_*" "vfs_open vfs_getattr xfs_bmap*")
conc_writer() {  # conc_writer N SPECS: prints "ok fail"
  local n=$1 i=0 ok=0 bad=0 s op r list
  read -r -a list <<<"$2"
  while [ $i -lt "$ops" ]; do
    s=${list[$(( (i / 2) % ${#list[@]} ))]}
    if [ $((i % 2)) = 0 ]; then op=+; else op=-; fi
    # One write(2) of the line (bash's echo); the error message names the errno.
    if r=$( { echo "$op$s" > $SWD/probes; } 2>&1 ); then ok=$((ok + 1))
    else bad=$((bad + 1)); echo "  writer $n: $op$s: ${r##*: }" >&2; fi
    i=$((i + 1))
  done
  echo "$ok $bad" > /tmp/stress.w$n
}
reader & r1=$!
reader & r2=$!
pids=()
for n in 0 1 2 3; do conc_writer $n "${specs[$n]}" & pids+=($!); done
wait "${pids[@]}"
touch $stop; wait $r1 $r2; rm -f $stop
background_writer & bgpid=$!
okops=0 badops=0
for n in 0 1 2 3; do read -r o b < /tmp/stress.w$n; okops=$((okops + o)); badops=$((badops + b)); done
echo "measure: stress b: $((okops + badops)) concurrent operations in $((SECONDS - t0)) s"
expect_eq "concurrent probes writes that failed" "$badops" 0
expect_eq "concurrent probes writes that succeeded" "$okops" $((4 * ops))
expect_eq "the attached set is the one before the writers" "$(attached_set)" "$before"
check "summary still readable" cat $SWD/summary
check "rmmod after the writers" sw_unload

# --- c) generated fuzz of the control files -------------------------------------------
echo "stress c: fuzz of $fuzz writes against a model"
t0=$SECONDS
check "insmod stackwatch (no probes)" sw_load probes=vfs_read threshold=2048
python3 "$(dirname "$0")/stress_fuzz.py" $SWD "$fuzz" "$(cat $SWD/thread_size)" 14
echo "measure: stress c: fuzz took $((SECONDS - t0)) s"
check "rmmod after the fuzz" sw_unload

# --- d) rmmod with a debugfs file held open ------------------------------------------
# An open file pins the module (its file operations name it as owner):
# rmmod is refused until the file is closed. (Before, rmmod went through
# and closing the file afterwards oopsed in full_proxy_release, reading the
# freed module's file operations.)
echo "stress d: rmmod while a file is held open"
for f in summary probes reset; do
  check "insmod stackwatch ($f held open)" sw_load
  if [ $f = reset ]; then exec 3>>$SWD/$f; else exec 3< $SWD/$f; head -n1 <&3 >/dev/null; fi
  check "rmmod refused while $f is open" sh -c '! rmmod stackwatch 2>/dev/null'
  check "module still there, $f still open" grep -q '^stackwatch ' /proc/modules
  exec 3>&-
  check "rmmod once $f is closed" sw_unload
done
check "module gone" sh -c '! grep -q "^stackwatch " /proc/modules'

touch $stop; wait $bgpid; rm -f $stop $XFS_MNT/bg.*
check "storage torn down" storage_down

# --- e) the debug kernel's own checkers, where the kernel has them ------------------
# The runner fails the run on any lockdep, KASAN, might_sleep, RCU-stall or
# hung-task report in the console; here: lockdep was still checking at the
# end (a report switches it off), and kmemleak finds nothing stackwatch
# allocated and lost over all the cycles above.
if [ -r /proc/lockdep_stats ]; then
  expect_eq "lockdep still on after the stress (debug_locks)" "$(awk '$1 == "debug_locks:" { print $2 }' /proc/lockdep_stats)" 1
fi
if [ -e /sys/kernel/debug/kmemleak ]; then
  read -r total ours < <(sw_kmemleak_scan "$SW_OUT/kmemleak")
  echo "measure: kmemleak: $total unreferenced objects in all, $ours allocated by stackwatch"
  expect_eq "kmemleak: objects stackwatch allocated and lost" "$ours" 0
fi
echo "measure: stress suite took $((SECONDS - started)) s of guest time"
finish
