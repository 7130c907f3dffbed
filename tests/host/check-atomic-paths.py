#!/usr/bin/env python3
"""What stackwatch's probe handlers can call, read from a built stackwatch.ko.

On PREEMPT_RT a spinlock_t, a mutex, a semaphore and the slab allocator
may sleep; the handlers run with preemption off (under a kprobe's int3 or
ftrace's recursion guard), where sleeping is a bug that Debian's stock rt
kernel cannot report (it has neither lockdep nor DEBUG_ATOMIC_SLEEP). This
walks the module's call graph (objdump -dr: direct calls and tail calls,
and the relocations of the calls the linker has not resolved) from the
handlers' entry points, collects every kernel function reachable from them,
and fails if one may sleep or take a sleeping lock on PREEMPT_RT. An
indirect call inside the module fails the check too (its target cannot be
followed), except the kernel's retpoline thunks, named, and a paravirt
operation (`call *pv_ops+N(%rip)`: on a PARAVIRT kernel the irq-flags
helpers raw_local_irq_save/restore are such calls, patched to pushf/cli/sti
on bare metal; pv_ops are hypervisor hooks that never sleep), listed as
pv_ops+N among the kernel functions reached.

    check-atomic-paths.py STACKWATCH.KO [ENTRY...]

Prints "ok - ..."/"not ok - ..." lines (tests/run.sh counts them) and the
kernel functions the handlers reach.
"""
import re
import subprocess
import sys

# Entry points the kernel calls in atomic context: the kprobe pre-handler and
# the ftrace ops' callback (rust/kmod/shim.c), both ending in stackwatch_hit;
# and the `tasks` scan's per-thread callback, called under rcu_read_lock()
# (sw_for_each_thread_stack; "re:" names a regular expression: the generic
# callback's instances).
ENTRIES = ["sw_kprobe_pre", "sw_ftrace_hit", "re:^_R.*15for_each_thread5visit"]

# Kernel functions that may sleep, or that are a sleeping lock on PREEMPT_RT
# (spinlock_t and rwlock_t become rt_mutex-based; the slab allocator takes
# them), or that schedule.
SLEEPING = re.compile(
    r"^(rt_spin_lock|rt_read_lock|rt_write_lock|rt_mutex\w*|__rt_mutex\w*|"
    r"_?mutex_lock\w*|mutex_trylock|down\w*|up_read|up_write|__might_sleep|"
    r"__might_resched|__might_fault|might_sleep\w*|__cond_resched\w*|_cond_resched|"
    r"schedule\w*|msleep\w*|usleep_range\w*|ssleep|wait_for_completion\w*|"
    r"synchronize_\w+|rcu_barrier\w*|flush_work|flush_workqueue|__flush_work|"
    r"__?kmalloc\w*|kmalloc\w*|kzalloc\w*|kvmalloc\w*|vmalloc\w*|__vmalloc\w*|"
    r"kfree\w*|kvfree\w*|vfree|krealloc\w*|kmem_cache_\w+|alloc_pages\w*|"
    r"__get_free_pages|get_zeroed_page\w*|spin_lock\w*|_raw_spin_lock_bh|"
    r"rwsem\w*|percpu_down\w*|copy_from_user|copy_to_user|_copy_\w+_user|"
    r"console_lock|console_trylock)$"
)

# Indirect-call thunks: the call's target is a register; reaching one means
# a function pointer is called.
THUNK = re.compile(r"^__x86_indirect_(call_)?thunk_\w+$|^__x86_indirect_its_thunk\w*$")


def disassemble(ko):
    """Per function: the set of symbols it calls or tail-calls."""
    out = subprocess.run(
        ["objdump", "-dr", "--no-show-raw-insn", ko],
        check=True, capture_output=True, text=True,
    ).stdout
    calls = {}
    starts = {}  # section -> [(address, function)], in order
    cur = None
    section = None
    pending = False  # the last instruction was a call/jmp awaiting its relocation
    pending_indirect = False  # the last instruction was `call *...`: a pv_ops relocation may follow
    for line in out.splitlines():
        m = re.match(r"^Disassembly of section (\S+):$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^([0-9a-f]+) <([^>]+)>:$", line)
        if m:
            if pending_indirect:
                calls[cur].add("(indirect call)")
                pending_indirect = False
            cur = m.group(2)
            calls.setdefault(cur, set())
            starts.setdefault(section, []).append((int(m.group(1), 16), cur))
            pending = False
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+[0-9a-f]+: (R_\w+)\s+(\S+?)([-+]0x[0-9a-f]+)?$", line)
        if m:
            if pending_indirect:
                # call *pv_ops+N(%rip): a paravirt operation; any other
                # memory-indirect call stays unfollowable.
                calls[cur].add(f"pv_ops{m.group(3) or ''}" if m.group(2) == "pv_ops" else "(indirect call)")
                pending_indirect = False
                continue
            if pending:
                sym = m.group(2)
                if sym.startswith(".") and m.group(3):
                    # Section-relative (a local function): the call's target is
                    # the addend + 4 (PC-relative from the instruction's end).
                    sym = ("@", sym, int(m.group(3).replace("+", ""), 16) + 4)
                calls[cur].add(sym)
                pending = False
            continue
        if pending_indirect:
            # No relocation after `call *...`: a register or a fixed address.
            calls[cur].add("(indirect call)")
            pending_indirect = False
        m = re.match(r"^\s+[0-9a-f]+:\s+(call|jmp)\w*\s+(.*)$", line)
        if not m:
            pending = False
            continue
        target = m.group(2)
        if target.startswith("*"):
            # call *%rax, or a jump table within the function: not a call.
            pending_indirect = m.group(1) == "call"
            pending = False
            continue
        t = re.search(r"<([^>+]+)(\+0x[0-9a-f]+)?>", target)
        if t and t.group(2) is None and t.group(1) != cur:
            calls[cur].add(t.group(1))
        # An unresolved call's displayed target is bogus; its relocation follows.
        pending = True
    # Section-relative targets to the function that holds the address.
    for f, cs in calls.items():
        for c in [c for c in cs if isinstance(c, tuple)]:
            cs.discard(c)
            inside = [name for addr, name in starts.get(c[1], []) if addr <= c[2]]
            cs.add(inside[-1] if inside else f"{c[1]}+{c[2]:#x}")
    return calls


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    ko = sys.argv[1]
    calls = disassemble(ko)
    entries, missing = [], []
    for e in sys.argv[2:] or ENTRIES:
        found = [f for f in calls if re.search(e[3:], f)] if e.startswith("re:") else [e] if e in calls else []
        entries += found
        if not found:
            missing.append(e)
    if missing:
        print(f"not ok - atomic paths: no entry point {' '.join(missing)} in {ko}")
        return 1
    seen, todo, external = set(entries), list(entries), {}
    while todo:
        f = todo.pop()
        for c in sorted(calls.get(f, ())):
            if c in calls:
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
            else:
                external.setdefault(c, f)
    bad = {c: f for c, f in external.items() if SLEEPING.match(c)}
    indirect = {c: f for c, f in external.items() if c == "(indirect call)" or THUNK.match(c)}
    ext = sorted(c for c in external if c != "(indirect call)")
    print(f"# {len(seen)} functions of the module reachable from {len(entries)} entry points "
          f"({', '.join(e[:60] for e in entries)}); "
          f"kernel functions they call: {' '.join(ext)}")
    rc = 0
    if bad:
        print("not ok - atomic paths: the probe handlers reach functions that may sleep on PREEMPT_RT: "
              + ", ".join(f"{c} (from {f})" for c, f in sorted(bad.items())))
        rc = 1
    else:
        print(f"ok - atomic paths: the probe handlers and the tasks scan's callback reach {len(ext)} kernel functions, "
              "none that may sleep or takes a sleeping lock on PREEMPT_RT")
    if indirect:
        print("not ok - atomic paths: an indirect call the check cannot follow: "
              + ", ".join(f"{c} (from {f})" for c, f in sorted(indirect.items())))
        rc = 1
    else:
        print("ok - atomic paths: no indirect call below the probe handlers (the walk is complete)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
