# The multi-threaded TCG "Oops: int3" question (issue 14): attach and detach
# entry probes on the block layer's submit path, CYCLES times, while two
# direct-I/O loops keep both vCPUs in those functions. MODE says who patches:
#   stackwatch     insmod with the functions as kprobes (kprobes on ftrace),
#                  rmmod;
#   kprobe_events  the kernel's own kprobes on the same functions through
#                  tracefs, enabled and removed (the same kprobes-on-ftrace
#                  patching, no stackwatch);
#   stack_tracer   the ftrace stack tracer filtered to the same functions,
#                  switched on and off (ftrace's own patching only).
# The runner fails the run on an Oops; scripts/int3-experiment.sh runs each
# mode under SW_TCG_THREAD=multi and counts.
# Usage: int3.sh MODE CYCLES
. "$(dirname "$0")/lib.sh"
mode=${1:?mode} cycles=${2:?cycles}
FUNCS="submit_bio_noacct submit_bio blk_mq_submit_bio"
T=/sys/kernel/tracing
stop=/tmp/int3.stop
io_loop() {
  while [ ! -e $stop ]; do
    dd if=/dev/zero of=/dev/vda bs=4k count=64 seek="$1" oflag=direct status=none
    dd if=/dev/vda of=/dev/null bs=4k count=64 skip="$1" iflag=direct status=none
  done
}
io_loop 0 & l1=$!
io_loop 1024 & l2=$!
done_cycles=0
for _ in $(seq 1 "$cycles"); do
  case $mode in
    stackwatch)
      sw_load "probes=${FUNCS// /,}" || break
      sleep 0.2   # the same dwell in every mode: I/O runs through the probes
      sw_unload || break ;;
    kprobe_events)
      for f in $FUNCS; do echo "p:int3_$f $f" >> $T/kprobe_events || break 2; done
      echo 1 > $T/events/kprobes/enable
      sleep 0.2
      echo 0 > $T/events/kprobes/enable
      echo > $T/kprobe_events ;;
    stack_tracer)
      echo "$FUNCS" > $T/stack_trace_filter
      echo 1 > /proc/sys/kernel/stack_tracer_enabled
      sleep 0.2
      echo 0 > /proc/sys/kernel/stack_tracer_enabled ;;
    *) not_ok "mode" "unknown mode $mode"; break ;;
  esac
  done_cycles=$((done_cycles + 1))
done
touch $stop; wait $l1 $l2
echo "measure: int3 $mode: $done_cycles attach/detach cycles under direct I/O"
expect_eq "cycles completed ($mode)" "$done_cycles" "$cycles"
finish
