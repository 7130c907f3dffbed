// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 part of the shim, #included by shim.c (one object, sharing its
 * struct sw_ctx): where the chain's walk starts from at a probe, and the
 * per-CPU IRQ stack. Checked in 7.3's arch/arm64 (kernel/stacktrace.c,
 * kernel/irq.c, kernel/entry-ftrace.S, include/asm/{memory.h,ftrace.h}).
 *
 * Every probe sits at the probed function's entry, before its prologue: a
 * kprobe (a BRK trap; KPROBES_ON_FTRACE is off) on sym+0, the ftrace ops at
 * the BL to ftrace_caller (which saves the callsite's x29, its LR, taken
 * from x9, and the entry sp in ftrace_regs). So the return address into the
 * caller is still in x30 and x29 is still the caller's frame pointer, whose
 * frame record {fp, lr} at [x29] leads on. The kernel's unwinder (kunwind,
 * reached through the exported stack_trace_save(); arch_stack_walk() and
 * stack_trace_save_regs() are not exported) accepts a record only on a
 * stack it knows (task, IRQ, overflow, ...) above the previous one, strips
 * the pointer-authentication code from every lr it reads
 * (ptrauth_strip_kernel_insn_pac()), and recovers graph-tracer and
 * kretprobe return addresses. sw_walk_from() gives it one record of its
 * own making, {fp = the probed x29, lr = the probed x30}, in its frame below
 * the probed sp, as its own frame pointer: the walk goes from
 * stack_trace_save() to sw_walk_from_ret, to the probed lr, then through
 * the caller's record and on. shim.c drops what comes before the probed lr.
 */

/*
 * sw_walk_from(store, size, fp, lr): stack_trace_save(store, size, 0) under
 * the record {fp, lr}. x29/x30 are saved in a record at sp (restored
 * after), the made-up one is at sp + 16, and x29 points at it. No PAC on
 * x30 here: it is never stored signed (the unwinder strips whatever it
 * reads anyway). BTI C as the landing pad, as the kernel's functions have
 * under ARM64_BTI_KERNEL (a hint: a no-op elsewhere).
 */
asm(
"	.pushsection .text, \"ax\", %progbits\n"
"	.balign 4\n"
"	.globl sw_walk_from\n"
"	.type sw_walk_from, %function\n"
"sw_walk_from:\n"
"	hint	34\n"			/* bti c */
"	stp	x29, x30, [sp, #-32]!\n"
"	stp	x2, x3, [sp, #16]\n"	/* the record: {fp, lr} */
"	add	x29, sp, #16\n"
"	mov	x2, #0\n"			/* skipnr */
"	bl	stack_trace_save\n"
"	.globl sw_walk_from_ret\n"
"sw_walk_from_ret:\n"
"	ldp	x29, x30, [sp], #32\n"
"	ret\n"
"	.size sw_walk_from, . - sw_walk_from\n"
"	.popsection\n");

/* A kprobe's registers at the probed function's entry: its return address and its caller's frame pointer. */
static __always_inline void sw_kprobe_entry_regs(const struct pt_regs *regs, unsigned long *lr,
						 unsigned long *fp)
{
	*lr = regs->regs[30];
	*fp = regs->regs[29];
}

/*
 * The IRQ stack this interrupt runs on (shim.c's sw_irq_stack() calls this
 * from an irq_work on the CPU): each CPU's irq_stack_ptr (7.3
 * arch/arm64/kernel/irq.c) is not exported. Under VMAP_STACK each is
 * IRQ_STACK_SIZE (= THREAD_SIZE) bytes, allocated THREAD_ALIGN (2 *
 * THREAD_SIZE) aligned (arch_alloc_vmap_stack()), and the kernel moves to it
 * on an interrupt taken on a task stack (call_on_irq_stack()): the stack
 * pointer here, off the task's stack, rounded down to IRQ_STACK_SIZE. The
 * overflow stack (per-CPU overflow_stack, not exported either) is used only
 * on the way to a panic: not looked for.
 */
static unsigned long sw_irq_stack_here(void)
{
	unsigned long sp = current_stack_pointer;

	if (IS_ENABLED(CONFIG_VMAP_STACK) && sp - (unsigned long)task_stack_page(current) >= THREAD_SIZE)
		return sp & ~(IRQ_STACK_SIZE - 1);
	return 0;
}

/* No exception stacks as x86_64's (the SDEI ones serve firmware events only). */
int sw_exception_stack(unsigned int cpu, unsigned int kind, unsigned long *begin,
		       unsigned long *size)
{
	return -ENOENT;
}
