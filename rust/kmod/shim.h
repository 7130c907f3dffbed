/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between stackwatch's Rust code and its C shim: only what
 * bindgen cannot express from an out-of-tree build (struct kprobe and ftrace_ops
 * layouts, macros such as THREAD_SIZE and current, inline register accessors,
 * string module parameters). Plain C types only: bindgen reads this header
 * with no kernel flags at build time (see Kbuild).
 */
#ifndef STACKWATCH_SHIM_H
#define STACKWATCH_SHIM_H

/** An attached kprobe or ftrace attachment; owned by the Rust side, opaque to it. */
struct sw_probe;
/** A registered pair of module notifiers; owned by the Rust side. */
struct sw_modwatch;
/** The kernel's module, opaque here; only passed back to the shim. */
struct module;
/** debugfs entries and seq_files, opaque here. */
struct dentry;
struct seq_file;
/* The probed context's registers, as the probe gave them: opaque to Rust. */
struct sw_ctx;

/*
 * Implemented in Rust: called from probe context (possibly NMI-like) with the
 * attachment's cookie, the probed function's address, the probed context's
 * stack pointer and its registers (ctx: for sw_save_trace only).
 */
void stackwatch_hit(void *cookie, unsigned long ip, unsigned long sp, const struct sw_ctx *ctx);
/* Implemented in Rust: the ftrace_ops' callback found itself nested (recursion). */
void stackwatch_ftrace_missed(unsigned long ip);

/*
 * Implemented in Rust, called once each when stackwatch is built into the
 * kernel image: from an early_initcall (attaches the names of
 * stackwatch.probes=), then from a core_initcall_sync
 * (attaches its globs); 0 or -errno.
 */
int stackwatch_early_init(void);
int stackwatch_boot_globs(void);

/*
 * Implemented in Rust, called from the module notifiers (process context)
 * with the cookie of sw_modwatch_register(): mod is coming up (event 0: its
 * code is in place, its init has not run), going away (event 1: its exit,
 * or its failed init, has run; its code is still in place), or live (event
 * 2: its init has run; its init text is still there, freed after this).
 * mod is valid for the call only.
 */
void stackwatch_module_event(void *cookie, int event, const struct module *mod);

/*
 * Attach spec: a glob (every function it matches at an ftrace site, through
 * stackwatch's one ftrace_ops), or a symbol ("name" or "module:name": through
 * the ftrace_ops if it is an ftrace site and kprobe_only is 0, else a
 * kprobe); 0 or -errno (-ENOENT: nothing matches). Leaves out the init text
 * of the ninit modules in initing (modules whose COMING notifier has run or
 * is running, and not their LIVE or GOING one yet: their init text is freed
 * once they are live), and all of going (NULL: none), whose GOING notifier
 * is running. Hits reach stackwatch_hit() with cookie (kprobes) or NULL
 * (the ftrace_ops).
 */
int sw_probe_attach(const char *spec, int glob, int kprobe_only, void *cookie,
		    const struct module *const *initing, unsigned int ninit,
		    const struct module *going, struct sw_probe **out);
/* 1 if the probe sits on a function of mod (init_only: in its init text), else 0. */
int sw_probe_in_module(const struct sw_probe *p, const struct module *mod, int init_only);
/* 1 if addr is in mod's memory (init or not), else 0. */
int sw_module_within(const struct module *mod, unsigned long addr);
/*
 * Detach and free n probes: the ftrace ones' functions leave the ops (once
 * no other attachment covers them), the kprobes with one RCU grace period.
 */
void sw_probes_detach(struct sw_probe **probes, unsigned int n);
/* Times a kprobe could not run (recursion, busy); 0 for an ftrace attachment. */
unsigned long sw_probe_missed(const struct sw_probe *p);
/* Address a kprobe sits at (0 for an ftrace attachment). */
unsigned long sw_probe_addr(const struct sw_probe *p);
/* 1 for an ftrace attachment, 0 for a kprobe. */
int sw_probe_is_ftrace(const struct sw_probe *p);
/* Functions the probe covers (1 for a kprobe). */
unsigned long sw_probe_functions(const struct sw_probe *p);
/* The key (stackwatch_hit()'s ip) of function i < functions; 0 past them. */
unsigned long sw_probe_key(const struct sw_probe *p, unsigned long i);

/*
 * Module notifiers calling stackwatch_module_event(cookie, ...) until
 * unregistered; 0 or -errno. Unregistering waits for a running call.
 */
int sw_modwatch_register(void *cookie, struct sw_modwatch **out);
void sw_modwatch_unregister(struct sw_modwatch *w);
/* The module's name. */
const char *sw_module_name(const struct module *mod);
/*
 * Symbol i of mod: 1 with its name in buf (NUL-terminated, at most len
 * bytes) and its address in *addr if it is in the module's (non-init) text,
 * 0 if it is something else, -ENOENT past the last one.
 */
int sw_module_function(const struct module *mod, unsigned int i, char *buf,
		       unsigned long len, unsigned long *addr);

/*
 * debugfs files whose file_operations name this module as their owner, so
 * that an open file pins the module: a file held open across rmmod would
 * otherwise be released into the freed module's file_operations. (The
 * kernel crate's debugfs files have no owner.) Reading a file shows
 * stackwatch_file_show(data, m), writing it calls stackwatch_file_store(data,
 * buf, len), with the data given at creation.
 */
struct dentry *sw_debugfs_dir(const char *name);
int sw_debugfs_file(struct dentry *dir, const char *name, unsigned short mode, void *data);
/* Removes dir and its files, waiting for running reads and writes. */
void sw_debugfs_remove(struct dentry *dir);
/* Implemented in Rust: a file's contents into m; a write of len bytes at buf
 * (user memory); the buffer size to open it with (0: seq_file's own). */
int stackwatch_file_show(void *data, struct seq_file *m);
long stackwatch_file_store(void *data, const char *buf, unsigned long len);
unsigned long stackwatch_file_size_hint(void *data);

/* Bytes of one attachment (struct sw_probe), for the footprint report. */
unsigned long sw_probe_bytes(void);

/* The running kernel's THREAD_SIZE and the current task's stack base. */
unsigned long sw_thread_size(void);
unsigned long sw_stack_base(void);
/* Current CPU (preemption is off in probe context) and the CPU count. */
unsigned int sw_cpu(void);
unsigned int sw_nr_cpu_ids(void);
/* Current task's pid and comm (16 bytes, NUL-padded). */
int sw_current_pid(void);
void sw_current_comm(char *buf16);
struct task_struct;
/*
 * Every thread, under rcu_read_lock(): fn(ctx, t, pid, comm, stack, words)
 * with its stack's base and size in words (word 0 is the end-of-stack
 * canary). t stays valid until fn returns (RCU); the stack does not: it may
 * be freed, even unmapped, at any moment (7.3 kernel/fork.c), so fn reads
 * it with sw_read_kernel() only and keeps what it read only if
 * sw_thread_stack(t) still returns stack after the read. fn must not sleep.
 * Threads already exiting, or without a stack, are skipped.
 */
void sw_for_each_thread_stack(void (*fn)(void *ctx, const struct task_struct *t, int pid,
					  const char *comm, unsigned long stack,
					  unsigned long words),
			      void *ctx);
/*
 * t's stack base, or 0 if it has none or has begun to exit; ordered after the
 * caller's earlier reads (of that stack): a thread is marked exiting before
 * its stack is released, so a non-zero answer equal to the base read before
 * means those reads were of t's own stack. t: as sw_for_each_thread_stack()
 * passes it, during that call.
 */
unsigned long sw_thread_stack(const struct task_struct *t);
/* len bytes of kernel memory at src into dst without faulting; 0 or -errno. */
int sw_read_kernel(void *dst, unsigned long src, unsigned long len);
/*
 * The bottom of cpu's IRQ stack (x86_64, arm64), found from an interrupt raised on
 * it; 0 if it is offline or not found (or elsewhere). Process context: it
 * waits for a work item on that CPU.
 */
unsigned long sw_irq_stack(unsigned int cpu);
/* IRQ_STACK_SIZE (x86_64, arm64), 0 elsewhere. */
unsigned long sw_irq_stack_size(void);
/*
 * cpu's exception stack kind (as swcore::cpu_stacks::KINDS: 1 #DF, 2 NMI,
 * 3 #DB, 4 #MC, 5 #VC, 6 #VC2) into begin and size; 0, -ENOENT where it is
 * not mapped (#VC without SEV-ES, or not x86_64), -ENODEV for no such CPU.
 */
int sw_exception_stack(unsigned int cpu, unsigned int kind, unsigned long *begin,
		       unsigned long *size);
/* A word of the current task's stack read without KASAN/KCSAN checks
 * (READ_ONCE_NOCHECK), as a return address (sw_strip_pac()). */
unsigned long sw_stack_word(const unsigned long *addr);
/* A stack word as a return address: its PAC stripped (arm64), else itself. */
unsigned long sw_strip_pac(unsigned long word);
/*
 * The probed context's call chain, from its own function outwards, into
 * store. On x86_64 the unwinder runs on the separate stack whose top word is
 * stack_top (16-byte aligned, stack_bytes below it), so that taking a chain
 * adds nothing to the stack being measured but this call; elsewhere (or
 * with stack_top NULL) on the current stack, from the current context.
 */
unsigned int sw_save_trace(unsigned long *store, unsigned int size, const struct sw_ctx *ctx,
			   unsigned long *stack_top);
/* sw_save_trace() with interrupts off for its duration. */
unsigned int sw_save_trace_irqs_off(unsigned long *store, unsigned int size,
				    const struct sw_ctx *ctx, unsigned long *stack_top);
/* 1 if sw_save_trace() runs the unwinder on the stack it is given. */
int sw_trace_off_stack(void);
/*
 * "name+off/size [module]" (name_only: just "name") of addr into buf, with
 * buf as the lookup's only buffer: len must be at least KSYM_SYMBOL_LEN, else
 * -EINVAL. Returns the length. Used by the warning, on a nearly exhausted
 * stack, so not %pS (its 512+ bytes of stack).
 */
int sw_symbol(char *buf, unsigned long len, unsigned long addr, int name_only);
/*
 * printk_deferred (not exported to modules): into the log buffer now, to the
 * consoles later from irq_work, not on the caller's stack.
 */
int sw_printk_deferred(const char *fmt, ...);
/* jiffies and HZ, for the warning's rate limit. */
unsigned long sw_jiffies(void);
unsigned long sw_hz(void);
/*
 * The control parameters (module_param_cb: Rust module! has neither string
 * parameters nor writable ones in 7.3). Their values as set before init
 * (insmod, boot command line), stable once sw_params_take() has run.
 */
const char *sw_param_probes(void);
const char *sw_param_budgets(void);
unsigned int sw_param_threshold(void);
int sw_param_enabled(void);
/* From now on a write to a parameter no longer sets its load-time value. */
void sw_params_take(void);
/*
 * Writes and reads of the parameters go to state (the Rust State) from now
 * on, or, with NULL, fail with EBUSY; returns once no write or read is
 * running on the previous state.
 */
void sw_params_publish(void *state);

/* Which control a parameter is: the same order as the Rust side's `Ctl`. */
enum sw_ctl {
	SW_CTL_PROBES = 0,
	SW_CTL_THRESHOLD = 1,
	SW_CTL_BUDGETS = 2,
	SW_CTL_ENABLED = 3,
	SW_CTL_RESET = 4,
};
/* Implemented in Rust (params.rs), called with the parameter lock held. */
int stackwatch_param_store(void *state, int ctl, const char *val, unsigned long len);
int stackwatch_param_show(void *state, int ctl, char *buf, unsigned long size);

#endif /* STACKWATCH_SHIM_H */
