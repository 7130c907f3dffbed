// SPDX-License-Identifier: GPL-2.0
/*
 * The few lines of stackwatch that Rust cannot reach from an out-of-tree
 * module: kprobe/fprobe registration (struct layouts and register accessors
 * are not in the kernel crate's bindings), THREAD_SIZE/current macros, and
 * the string module parameters. All policy lives in Rust; see shim.h.
 */
#include <linux/kprobes.h>
#include <linux/fprobe.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/workqueue.h>
#include "shim.h"

static char sw_probes_param[4096];
module_param_string(probes, sw_probes_param, sizeof(sw_probes_param), 0400);
MODULE_PARM_DESC(probes,
	"Comma-separated symbols and globs to watch; 'default' is the built-in set (used when empty)");

static char sw_budgets_param[128] = "default";
module_param_string(budgets, sw_budgets_param, sizeof(sw_budgets_param), 0400);
MODULE_PARM_DESC(budgets, "What-if stack sizes in bytes, up to 4, 'none', or 'default' (4096,8192 where smaller than THREAD_SIZE)");

struct sw_probe {
	bool is_fprobe;
	void *cookie;
	unsigned long functions;
	union {
		struct kprobe kp;
		struct fprobe fp;
	};
};

static int sw_kprobe_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct sw_probe *p = container_of(kp, struct sw_probe, kp);

	stackwatch_hit(p->cookie, (unsigned long)kp->addr, kernel_stack_pointer(regs));
	return 0;
}
NOKPROBE_SYMBOL(sw_kprobe_pre);

static int sw_fprobe_entry(struct fprobe *fp, unsigned long entry_ip, unsigned long ret_ip,
			   struct ftrace_regs *fregs, void *data)
{
	struct sw_probe *p = container_of(fp, struct sw_probe, fp);

	stackwatch_hit(p->cookie, entry_ip, ftrace_regs_get_stack_pointer(fregs));
	return 0;
}
NOKPROBE_SYMBOL(sw_fprobe_entry);

int sw_kprobe_attach(const char *symbol, void *cookie, struct sw_probe **out)
{
	struct sw_probe *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int ret;

	if (!p)
		return -ENOMEM;
	p->cookie = cookie;
	p->functions = 1;
	p->kp.symbol_name = kstrdup(symbol, GFP_KERNEL);
	if (!p->kp.symbol_name) {
		kfree(p);
		return -ENOMEM;
	}
	p->kp.pre_handler = sw_kprobe_pre;
	ret = register_kprobe(&p->kp);
	if (ret) {
		kfree(p->kp.symbol_name);
		kfree(p);
		return ret;
	}
	*out = p;
	return 0;
}

int sw_fprobe_attach(const char *glob, void *cookie, struct sw_probe **out)
{
	struct sw_probe *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int ret;

	if (!p)
		return -ENOMEM;
	p->is_fprobe = true;
	p->cookie = cookie;
	p->fp.entry_handler = sw_fprobe_entry;
	ret = register_fprobe(&p->fp, glob, NULL);
	if (!ret && (!p->fp.hlist_array || !p->fp.hlist_array->size)) {
		unregister_fprobe(&p->fp);
		ret = -ENOENT;
	}
	if (ret) {
		kfree(p);
		return ret;
	}
	p->functions = p->fp.hlist_array->size;
	*out = p;
	return 0;
}

void sw_probes_detach(struct sw_probe **probes, unsigned int n)
{
	struct kprobe **kps = kmalloc_array(n, sizeof(*kps), GFP_KERNEL);
	unsigned int i, nk = 0;

	for (i = 0; i < n; i++) {
		if (probes[i]->is_fprobe)
			unregister_fprobe(&probes[i]->fp);
		else if (kps)
			kps[nk++] = &probes[i]->kp;
		else
			unregister_kprobe(&probes[i]->kp);
	}
	if (kps && nk)
		unregister_kprobes(kps, nk);
	kfree(kps);
	for (i = 0; i < n; i++) {
		if (!probes[i]->is_fprobe)
			kfree(probes[i]->kp.symbol_name);
		kfree(probes[i]);
	}
}

unsigned long sw_probe_missed(const struct sw_probe *p)
{
	return p->is_fprobe ? READ_ONCE(p->fp.nmissed) : READ_ONCE(p->kp.nmissed);
}

unsigned long sw_probe_addr(const struct sw_probe *p)
{
	return p->is_fprobe ? 0 : (unsigned long)p->kp.addr;
}

unsigned long sw_probe_functions(const struct sw_probe *p)
{
	return p->functions;
}

unsigned long sw_probe_bytes(void)
{
	return sizeof(struct sw_probe);
}

unsigned long sw_thread_size(void)
{
	return THREAD_SIZE;
}

unsigned long sw_stack_base(void)
{
	return (unsigned long)task_stack_page(current);
}

unsigned int sw_cpu(void)
{
	return raw_smp_processor_id();
}

unsigned int sw_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

int sw_current_pid(void)
{
	return task_pid_nr(current);
}

void sw_current_comm(char *buf16)
{
	memcpy(buf16, current->comm, 16);
	buf16[15] = 0;
}

unsigned int sw_save_trace(unsigned long *store, unsigned int size)
{
	return stack_trace_save(store, size, 0);
}

int sw_symbol(char *buf, unsigned long len, unsigned long addr, int name_only)
{
	char *sp;

	if (len < KSYM_SYMBOL_LEN)
		return -EINVAL;
	/* Into buf: not %pS, whose symbol_string() puts 512+ bytes on the stack. */
	if (name_only)
		sprint_symbol_no_offset(buf, addr);
	else
		sprint_symbol(buf, addr);
	sp = name_only ? strchr(buf, ' ') : NULL;
	if (sp)
		*sp = 0;
	return strnlen(buf, len);
}

int sw_printk_deferred(const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	/* LOGLEVEL_SCHED: what printk_deferred() does; fmt's KERN_ prefix sets the level. */
	ret = vprintk_emit(0, LOGLEVEL_SCHED, NULL, fmt, args);
	va_end(args);
	return ret;
}

unsigned long sw_jiffies(void)
{
	return jiffies;
}

unsigned long sw_hz(void)
{
	return HZ;
}

const char *sw_param_probes(void)
{
	return sw_probes_param;
}

const char *sw_param_budgets(void)
{
	return sw_budgets_param;
}

#ifndef MODULE
/*
 * Built into the kernel image (CONFIG_STACKWATCH=y): attach the probes named
 * by stackwatch.probes= right after kprobes come up (init_kprobes is an
 * early_initcall in kernel/, linked before drivers/), so that boot-time
 * overflows are seen too. The Rust module init (a device_initcall) then adds
 * the debugfs files over the same state.
 *
 * The work runs on a kworker's fresh stack (kworkers exist by now:
 * workqueue_init() precedes the early initcalls): the init task is already
 * some way down its own, and allocating the state and attaching probes
 * (vmalloc, text patching) nested under it overflows a 4K stack.
 */
static int sw_early_ret;

static void sw_early_work(struct work_struct *work)
{
	sw_early_ret = stackwatch_early_init();
}

static int __init sw_early_init(void)
{
	struct work_struct work;

	INIT_WORK_ONSTACK(&work, sw_early_work);
	schedule_work(&work);
	flush_work(&work);
	destroy_work_on_stack(&work);
	return sw_early_ret;
}
early_initcall(sw_early_init);
#endif
