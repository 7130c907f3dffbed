// SPDX-License-Identifier: GPL-2.0
/*
 * The x86_64 part of the shim, #included by shim.c (one object, sharing its
 * struct sw_ctx and includes): where the IRQ stack an interrupt runs on
 * begins, the exception stacks, and the chain's walk on stackwatch's own
 * stack. Checked in 7.3's arch/x86 (kernel/irq.c, kernel/dumpstack_64.c,
 * mm/cpu_entry_area.c, include/asm/irq_stack.h).
 */

/*
 * x86_64 (7.3 arch/x86/kernel/irq.c): inside an interrupt, the unwinder's
 * get_stack_info() (through the exported __unwind_start()) reports the
 * stack it runs on, its type, begin and end.
 */
static unsigned long sw_irq_stack_here(void)
{
	struct unwind_state state;

	unwind_start(&state, current, NULL, NULL);
	if (state.stack_info.type == STACK_TYPE_IRQ &&
	    (unsigned long)state.stack_info.end - (unsigned long)state.stack_info.begin ==
		    IRQ_STACK_SIZE)
		return (unsigned long)state.stack_info.begin;
	return 0;
}

/*
 * The exception stacks are in each CPU's entry area (exported
 * get_cpu_entry_area(), 7.3 arch/x86/mm/cpu_entry_area.c), mapped for every
 * possible CPU at boot; the #VC ones only under SEV-ES.
 */
int sw_exception_stack(unsigned int cpu, unsigned int kind, unsigned long *begin,
		       unsigned long *size)
{
	struct cea_exception_stacks *es;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -ENODEV;
	es = &get_cpu_entry_area(cpu)->estacks;
	switch (kind) {
	case 1:
		*begin = CEA_ESTACK_BOT(es, DF);
		*size = CEA_ESTACK_SIZE(DF);
		return 0;
	case 2:
		*begin = CEA_ESTACK_BOT(es, NMI);
		*size = CEA_ESTACK_SIZE(NMI);
		return 0;
	case 3:
		*begin = CEA_ESTACK_BOT(es, DB);
		*size = CEA_ESTACK_SIZE(DB);
		return 0;
	case 4:
		*begin = CEA_ESTACK_BOT(es, MCE);
		*size = CEA_ESTACK_SIZE(MCE);
		return 0;
	case 5:
	case 6:
		if (!IS_ENABLED(CONFIG_AMD_MEM_ENCRYPT) ||
		    !cc_platform_has(CC_ATTR_GUEST_STATE_ENCRYPT))
			return -ENOENT;
		*begin = kind == 5 ? CEA_ESTACK_BOT(es, VC) : CEA_ESTACK_BOT(es, VC2);
		*size = kind == 5 ? CEA_ESTACK_SIZE(VC) : CEA_ESTACK_SIZE(VC2);
		return 0;
	}
	return -EINVAL;
}

/* One unwind, described for the function that runs on the separate stack. */
struct sw_walk {
	unsigned long *store;
	unsigned int size;
	unsigned int n;
	const struct sw_ctx *ctx;
};

/*
 * Runs on the separate stack: arch_stack_walk() from the probed context's
 * registers (its first entry is their ip, then the callers), with the
 * unwinder's exported entry points (stack_trace_save_regs() is not
 * exported). The registers describe the task stack, which the unwinder
 * checks every frame against; where it runs itself does not matter to it.
 * The ftrace ops' registers are partial: copied with what the unwinder reads
 * at a function's entry, so the probe's own are left as they are.
 */
static void sw_walk_regs(struct sw_walk *w)
{
	struct pt_regs partial, *regs = w->ctx->regs;
	struct unwind_state state;
	unsigned long addr;

	if (!regs) {
		memset(&partial, 0, sizeof(partial));
		partial.ip = ftrace_regs_get_instruction_pointer(w->ctx->fregs);
		partial.sp = ftrace_regs_get_stack_pointer(w->ctx->fregs);
		partial.bp = ftrace_regs_get_frame_pointer(w->ctx->fregs);
		partial.cs = __KERNEL_CS;
		partial.flags = X86_EFLAGS_FIXED;
		regs = &partial;
	}
	w->n = 0;
	if (!w->size)
		return;
	w->store[w->n++] = regs->ip;
	for (unwind_start(&state, current, regs, NULL); !unwind_done(&state) && w->n < w->size;
	     unwind_next_frame(&state)) {
		addr = unwind_get_return_address(&state);
		if (!addr)
			break;
		w->store[w->n++] = addr;
	}
}
NOKPROBE_SYMBOL(sw_walk_regs);

unsigned int sw_save_trace(unsigned long *store, unsigned int size, const struct sw_ctx *ctx,
			   unsigned long *stack_top)
{
	struct sw_walk w = { .store = store, .size = size, .ctx = ctx }, *wp = &w;

	if (!ctx || !stack_top)
		return stack_trace_save(store, size, 0);
	/*
	 * &w is the stack pointer itself: hidden, so that the compiler cannot
	 * hand the asm %rsp for it, which the asm changes before reading it.
	 */
	OPTIMIZER_HIDE_VAR(wp);
	/*
	 * As the kernel runs interrupt handlers on its IRQ stacks: the old
	 * stack pointer is kept in the new stack's top word, and restored after.
	 * An interrupt meanwhile is taken on this stack and moves to the IRQ
	 * stack; probe handlers run with preemption off, so nothing schedules.
	 */
	call_on_stack(stack_top, sw_walk_regs, ASM_CALL_ARG1, , [arg1] "r" (wp));
	return w.n;
}

int sw_trace_off_stack(void)
{
	return 1;
}
