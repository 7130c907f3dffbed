# Sourced by guest scripts (torture.sh, smoke.sh): the checks of a run with
# the ftrace stack tracer beside stackwatch over the same workload (issue
# 13), on files saved from it, so that they run in the guest or, where the
# guest has no stackwatch command (riscv64, arm64), on the host.

# bt_nfsd_chain DIR: a chain nfsd -> XFS -> dm/block, innermost first in a
# trace record (dm/block: a dm_ function, or one starting with a name of the
# default set's block group), in DIR's saved `traces`. Prints the chain's
# function (empty: none).
bt_nfsd_chain() {
  SW_FROM=$1 sw_chain_through "^(dm_|$(sw_defaults block | tr ' ' '|'))" '^xfs_' '^nfsd'
}

# bt_checks THREADS_DIR THREAD_SIZE GLOBAL TRACER_MAX TRACER_TRACE NFSD_ENTRY:
# stackwatch's deepest probe entry GLOBAL against the tracer's maximum; the
# `tasks` file saved in THREADS_DIR (each thread's lowest written stack word,
# which sees what runs below the probes -- leaves, interrupts, the scheduler
# -- and so is at least as deep as the tracer, which checks the stack at the
# entry of every function); its deepest nfsd thread against the deepest
# nfsd* probe entry NFSD_ENTRY and, when the tracer's deepest stack (its
# stack_trace file, TRACER_TRACE) ran in nfsd, against the tracer. The
# tracer's deepest stack may have run in a thread that has exited since (a
# reader of `summary` did once): compared only where the thread lives on.
# nfsd's threads do: every nfsd* probe entry ran in one of them.
bt_checks() {
  local dir=$1 ts=$2 global=$3 tracer_max=$4 trace=$5 nfsd_entry=$6 bad deepest nfsd_thread
  expect_cmp "stackwatch max is not above the stack tracer's (same run)" "$global" -le "$tracer_max"
  expect_cmp "stackwatch max within a factor 2 of the stack tracer's" $((global * 2)) -ge "$tracer_max"
  threads() { sw_jq_in "$dir" tasks "$@"; }
  expect_eq "tasks: thread_size in its header" "$(threads .tasks.thread_size)" "$ts"
  expect_cmp "tasks: threads scanned" "$(threads .tasks.threads)" -gt 20
  bad=$(SW_FROM=$dir sw_tasks_bad "$ts")
  expect_eq "tasks: used in (0, THREAD_SIZE], left = THREAD_SIZE - used, deepest first" "${bad:-none}" none
  deepest=$(threads '.tasks.rows[0] | "\(.used) (\(.comm) pid \(.pid))"')
  nfsd_thread=$(threads '[.tasks.rows[] | select(.comm == "nfsd") | .used] | max // 0')
  expect_cmp "return addresses found above the deepest points" "$(threads '[.tasks.points[].frames[] | select(test("^[A-Za-z_]"))] | length')" -ge 3
  echo "measure: deepest probe entry $global bytes; deepest nfsd* probe entry ${nfsd_entry:-?}; deepest thread stack $deepest; deepest nfsd thread $nfsd_thread; stack tracer $tracer_max"
  expect_cmp "the deepest nfsd thread stack is at least its deepest nfsd* probe entry" "$nfsd_thread" -ge "${nfsd_entry:-1}"
  echo "where the deepest points are (return addresses just above them, innermost first):"
  sed -n '/^point /,$p' "$dir/tasks" | head -n 40 | sed 's/^/   /'
  echo "the tracer's deepest stack:"; sed 's/^/   /' "$trace"
  if grep -q ' nfsd' "$trace"; then
    expect_cmp "the tracer's deepest stack ran in nfsd: an nfsd thread's deepest point is within 128 bytes of it, or deeper" "$nfsd_thread" -ge $((tracer_max - 128))
  else
    echo "note: the tracer's deepest stack is not in nfsd this run; the nfsd comparison is skipped"
  fi
}
