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
FN=$(st_getppid_fn)
[ -n "$FN" ] || { not_ok "a traceable function under getppid()" "none of the candidates"; finish; }

for kind in kprobe fprobe; do
  probe=$FN; [ $kind = fprobe ] && probe="${FN%?}[${FN: -1}]"   # a glob of FN alone
  read -r added sw uw other < <(st_capture "$SW_OUT/capture-$kind" "$FN" "$probe")
  echo "measure: taking a chain ($kind on $FN): $added bytes above $FN: stackwatch $sw, unwinder $uw, probe mechanism $other"
  [ -f "$SW_OUT/capture-$kind.note" ] && echo "  ($(cat "$SW_OUT/capture-$kind.note"))"
  sed 's/^/  /' "$SW_OUT/capture-$kind.raw"
  expect_cmp "$kind: the stack tracer saw a chain being taken above $FN (bytes)" "${added/-/0}" -gt 0
  expect_cmp "$kind: stack stackwatch adds while taking a chain (its frames + the unwinder's) <= $GOAL" "$(( ${sw/-/99999} + ${uw/-/0} ))" -le "$GOAL"
done

# b) the load path.
read -r load_depth load_sw < <(st_load "$SW_OUT/load")
echo "measure: loading: $load_depth bytes deep at $(awk 'NR == 1 { print $4 }' "$SW_OUT/load"), stackwatch's frames $load_sw of them"
sed 's/^/  /' "$SW_OUT/load.raw"
expect_cmp "loading: the stack tracer saw register_kprobe/register_fprobe (bytes)" "${load_depth:-0}" -gt 0

# c) the unwinder's own stack: the most any of the loads above used, from
# their unload lines.
read -r used size < <(dmesg | sed -n "s/.*stackwatch: unloaded; the unwinder's stack used at most \([0-9]*\) of \([0-9]*\) bytes.*/\1 \2/p" | sort -n | tail -n1)
if [ -n "${size:-}" ]; then
  echo "measure: the unwinder's stack: at most $used of $size bytes used"
  expect_cmp "chains were taken on the unwinder's stack (bytes used)" "${used:-0}" -gt 0
  expect_cmp "the unwinder's stack used at most half of it" "$(( ${used:-99999} * 2 ))" -le "$size"
else
  echo "measure: chains are taken on the current stack on this architecture"
fi
finish
