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
# mechanism: ftrace, kprobes). "- - - -" if OUTER is not there.
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

# The functions a chain is taken through: stackwatch's entry point to the
# capture, and the unwinder's (on x86_64 they run on a stack of their own,
# which the tracer does not measure).
ST_CAPTURE_FUNCS="sw_save_trace stack_trace_save arch_stack_walk __unwind_start unwind_next_frame unwind_get_return_address"

# st_take_chains: stackwatch's maxima reset before each of a few getppid()
# calls, so that every hit on a function under it takes a chain (and, with a
# threshold above its depth, warns).
st_take_chains() {
  for _ in 1 2 3 4 5 6 7 8; do
    echo 1 > $SWD/reset
    perl -e 'getppid() for 1..3'
  done
}

# st_capture OUT FN PROBE: stackwatch loaded on PROBE (FN, or a glob of it),
# its maxima reset before each of a few getppid() calls so that every hit
# takes a chain, under the tracer filtered to ST_CAPTURE_FUNCS; the frames in
# OUT; prints st_split's "ADDED STACKWATCH UNWINDER OTHER" above FN.
# If the deepest stack seen there is not a capture (the probed function not
# in it: under KASAN every allocation saves a stack trace, deeper than ours),
# measures again at sw_save_trace alone, which on x86_64 is the deepest
# point a capture reaches on the task stack, and leaves OUT.note saying so.
st_capture() {
  local funcs
  rm -f "$1.note"
  for funcs in "$ST_CAPTURE_FUNCS" sw_save_trace; do
    sw_load "probes=$3" threshold=0 || { echo "- - - -"; return; }
    # shellcheck disable=SC2086  # a list of names
    st_on $funcs > /dev/null
    st_take_chains
    st_off
    st_frames "$1"
    sw_unload
    awk -v f="$2" '$4 == f { found = 1 } END { exit !found }' "$1" && break
    echo "the deepest stack at the unwinder's functions was not a capture (other users' stack traces went deeper); measured at sw_save_trace alone" > "$1.note"
  done
  st_split "$1" "$2"
}

# st_load OUT [PARAMS...]: insmod with PARAMS under the tracer filtered to
# register_kprobe and ftrace's filter and registration; the frames in OUT; prints "DEPTH
# STACKWATCH": the deepest stack at those, and stackwatch's frames in it.
st_load() {
  local out=$1; shift
  st_on register_kprobe register_ftrace_function ftrace_set_filter_ips ftrace_set_filter > /dev/null
  sw_load "$@"
  st_off
  st_frames "$out"
  sw_unload
  awk '$5 == "[stackwatch]" { s += $3 } NR == 1 { d = $2 } END { print d + 0, s + 0 }' "$out"
}

# st_getppid_fn: the probed function for st_capture, the first under
# getppid() that ftrace can trace (Debian's kernel does not trace the syscall
# wrappers); empty if none.
st_getppid_fn() {
  local f
  for f in __x64_sys_getppid __do_sys_getppid __task_pid_nr_ns; do
    if cut -d' ' -f1 $T/available_filter_functions | grep -qx "$f"; then echo "$f"; return; fi
  done
}
