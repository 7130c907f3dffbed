# Sourced by guest scripts: the ftrace stack tracer as the measure of the
# stack stackwatch itself uses (issue 17): filtered to a few functions, it
# records the deepest stack seen at their entry, frame by frame.
T=/sys/kernel/tracing

# st_on FUNCTION...: the stack tracer on at the named functions (those that
# ftrace can trace), its maximum reset. Prints the functions it took.
st_on() {
  local f took=
  : > $T/stack_trace_filter
  for f in "$@"; do echo "$f" >> $T/stack_trace_filter 2>/dev/null && took+="$f "; done
  echo 0 > $T/stack_max_size
  echo 1 > /proc/sys/kernel/stack_tracer_enabled
  echo "$took"
}
st_off() { echo 0 > /proc/sys/kernel/stack_tracer_enabled; : > $T/stack_trace_filter; }

# st_frames OUT: the recorded stack as "INDEX DEPTH SIZE NAME [MODULE]"
# lines, deepest first, into OUT (the raw file beside it as OUT.raw).
st_frames() {
  cat $T/stack_trace > "$1.raw"
  awk '$1 ~ /^[0-9]+\)$/ { sub(/\)/, "", $1); n = $4; sub(/\+.*/, "", n); print $1, $2, $3, n, ($5 ~ /^\[/ ? $5 : "") }' "$1.raw" > "$1"
}

# st_split FRAMES OUTER: of the frames above the outermost row named OUTER
# (the probed function, or whatever frame the measure stops at), prints
# "ADDED STACKWATCH UNWINDER OTHER": bytes from the deepest frame up to
# OUTER's, and their split into stackwatch's own frames (the module's), the
# unwinder's (stack_trace_save and below), and the rest (the probe
# mechanism: ftrace, kprobes, fprobe). "- - - -" if OUTER is not there.
st_split() {
  awk -v outer="$2" '
    { idx[NR] = $1; depth[NR] = $2; size[NR] = $3; name[NR] = $4; mod[NR] = $5 }
    $4 == outer && !stop { stop = NR }
    END {
      if (!stop) { print "- - - -"; exit }
      for (i = 1; i < stop; i++) {
        if (mod[i] == "[stackwatch]" || name[i] ~ /^(sw_|stackwatch_)/) sw += size[i]
        else if (name[i] ~ /^(stack_trace_save|arch_stack_walk|__unwind_start|unwind_|__orc_find|orc_find|deref_stack|stack_access_ok|get_stack_info|in_task_stack|in_irq_stack|in_exception_stack|in_entry_stack|__kernel_text_address|kernel_text_address|is_bpf_text_address|is_ftrace_trampoline|is_module_text_address|stack_trace_consume_entry)/) uw += size[i]
        else other += size[i]
      }
      printf "%d %d %d %d\n", depth[1] - depth[stop], sw, uw, other
    }' "$1"
}
