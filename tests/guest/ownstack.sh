# Issue 17: the stack stackwatch itself adds, seen by the ftrace stack
# tracer (the measure the issue's numbers came from), on the running kernel:
#  a) taking a chain: a kprobe and a glob (fprobe) on a function under
#     getppid(), with the maximum reset before each call so that every hit
#     takes a chain; the tracer filtered to the capture's own entry point
#     (sw_save_trace) and the unwinder's. Bytes from the deepest frame up to
#     the probed function's, split into stackwatch's frames, the unwinder's
#     and the probe mechanism's. Goal: stackwatch's + the unwinder's <= GOAL.
#  b) loading: the deepest stack at register_kprobe/register_fprobe during
#     insmod of the default set, and stackwatch's frames in it.
#  c) the unwinder's own stack (x86_64): how much of it was ever used, from
#     the unload line. Goal: at most half of it.
#   ownstack.sh [GOAL]   (default 312: half of the 624 bytes before)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stack_tracer.sh"
GOAL=${1:-312}
# The probed function: the first of these that ftrace can trace (Debian's
# kernel does not trace the syscall wrappers).
FN=
for f in __x64_sys_getppid __do_sys_getppid __task_pid_nr_ns; do
  grep -qx "$f" <(cut -d' ' -f1 $T/available_filter_functions) && { FN=$f; break; }
done
[ -n "$FN" ] || { not_ok "a traceable function under getppid()" "none of the candidates"; finish; }
CAPTURE_FUNCS="sw_save_trace stack_trace_save arch_stack_walk __unwind_start unwind_next_frame unwind_get_return_address"

# measure_capture KIND PROBE: prints "ADDED STACKWATCH UNWINDER OTHER".
measure_capture() {
  local _
  sw_load "probes=$2" threshold=0 || { echo "- - - -"; return; }
  st_on $CAPTURE_FUNCS > /dev/null
  for _ in 1 2 3 4 5 6 7 8; do
    echo 1 > $SWD/reset
    perl -e 'getppid() for 1..3'
  done
  st_off
  st_frames "$SW_OUT/capture-$1"
  sw_unload
  st_split "$SW_OUT/capture-$1" "$FN"
}

for kind in kprobe fprobe; do
  probe=$FN; [ $kind = fprobe ] && probe="${FN%?}[${FN: -1}]"   # a glob of FN alone
  read -r added sw uw other < <(measure_capture $kind "$probe")
  echo "measure: taking a chain ($kind on $FN): $added bytes above $FN: stackwatch $sw, unwinder $uw, probe mechanism $other"
  sed 's/^/  /' "$SW_OUT/capture-$kind.raw"
  expect_cmp "$kind: the stack tracer saw a chain being taken above $FN (bytes)" "${added/-/0}" -gt 0
  expect_cmp "$kind: stack stackwatch adds while taking a chain (its frames + the unwinder's) <= $GOAL" "$(( ${sw/-/99999} + ${uw/-/0} ))" -le "$GOAL"
done

# b) the load path.
st_on register_kprobe register_fprobe > /dev/null
sw_load
st_off
st_frames "$SW_OUT/load"
sw_unload
load_depth=$(awk 'NR == 1 { print $2 }' "$SW_OUT/load")
load_sw=$(awk '$5 == "[stackwatch]" { s += $3 } END { print s + 0 }' "$SW_OUT/load")
echo "measure: loading: $load_depth bytes deep at $(awk 'NR == 1 { print $4 }' "$SW_OUT/load"), stackwatch's frames $load_sw of them"
sed 's/^/  /' "$SW_OUT/load.raw"
expect_cmp "loading: the stack tracer saw register_kprobe/register_fprobe (bytes)" "${load_depth:-0}" -gt 0

# c) the unwinder's own stack, from the unload lines above.
if line=$(dmesg | grep "stackwatch: unloaded; the unwinder's stack used at most" | tail -n1) && [ -n "$line" ]; then
  read -r used size < <(echo "$line" | sed -n 's/.*at most \([0-9]*\) of \([0-9]*\) bytes.*/\1 \2/p')
  echo "measure: the unwinder's stack: at most $used of $size bytes used"
  expect_cmp "chains were taken on the unwinder's stack (bytes used)" "${used:-0}" -gt 0
  expect_cmp "the unwinder's stack used at most half of it" "$(( ${used:-99999} * 2 ))" -le "${size:-0}"
else
  echo "measure: chains are taken on the current stack on this architecture"
fi
finish
