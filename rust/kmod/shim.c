// SPDX-License-Identifier: GPL-2.0
/*
 * The few lines of stackwatch that Rust cannot reach from an out-of-tree
 * module: the ftrace_ops and kprobe registration (struct layouts, ftrace's
 * recursion guard and register accessors are not in the kernel crate's
 * bindings), module notifiers and a module's
 * name and symbols (struct notifier_block, struct module), THREAD_SIZE/current
 * macros, and the module parameters bar two. All policy lives in Rust; see
 * shim.h.
 */
#include <linux/kprobes.h>
#include <linux/bsearch.h>
#include <linux/sort.h>
#include <linux/trace_recursion.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/rcupdate.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#ifdef CONFIG_X86_64
#include <asm/irq_stack.h>
#include <asm/unwind.h>
#include <asm/cpu_entry_area.h>
#include <linux/cc_platform.h>
#include <linux/irq_work.h>
#endif
#ifdef CONFIG_ARM64
#include <linux/irq_work.h>
#include <asm/insn.h>
#include <asm/stack_pointer.h>
#endif
#include "shim.h"

/*
 * The control parameters under /sys/module/stackwatch/parameters/: probes,
 * threshold, budgets, enabled (0600) and reset (0200), which integrity
 * lockdown leaves writable where it refuses debugfs's control files.
 *
 * Until the module's init has taken their values (sw_params_take()), a
 * write keeps the value init reads: insmod's probes=..., budgets=... (set
 * before init runs) or the boot command line. Once init has published the
 * state (sw_params_publish()), a write is a control write, parsed, checked
 * and applied by the Rust code that handles a write to the debugfs file of
 * the same name (stackwatch_param_store), and a read shows what that file
 * shows (stackwatch_param_show). In between, and from the start of
 * teardown on (sw_params_publish(NULL) before the state is freed), a write
 * fails with EBUSY and touches nothing. sysfs reads and writes run under
 * kernel_param_lock(THIS_MODULE), which the switches take too.
 */
static char sw_probes_param[4096];
static const struct kparam_string sw_probes_str = { sizeof(sw_probes_param), sw_probes_param };
static char sw_budgets_param[128] = "default";
static const struct kparam_string sw_budgets_str = { sizeof(sw_budgets_param), sw_budgets_param };
static unsigned int sw_threshold_param = 2048;
static bool sw_enabled_param = true;

static void *sw_param_state;
static bool sw_params_taken;

struct sw_param {
	int ctl;				/* SW_CTL_* */
	const struct kernel_param_ops *load;	/* keeps a value set before init */
	const void *arg;			/* ...here */
};

static struct sw_param sw_param_probes_def = { SW_CTL_PROBES, &param_ops_string, &sw_probes_str };
static struct sw_param sw_param_threshold_def = { SW_CTL_THRESHOLD, &param_ops_uint, &sw_threshold_param };
static struct sw_param sw_param_budgets_def = { SW_CTL_BUDGETS, &param_ops_string, &sw_budgets_str };
static struct sw_param sw_param_enabled_def = { SW_CTL_ENABLED, &param_ops_bool, &sw_enabled_param };
static struct sw_param sw_param_reset_def = { SW_CTL_RESET, NULL, NULL };

static int sw_param_set(const char *val, const struct kernel_param *kp)
{
	const struct sw_param *p = kp->arg;
	struct kernel_param load = *kp;

	if (sw_param_state)
		return stackwatch_param_store(sw_param_state, p->ctl, val, strlen(val));
	if (!p->load) {
		pr_warn("stackwatch: %s: only once loaded (EBUSY)\n", kp->name);
		return -EBUSY;
	}
	if (sw_params_taken) {
		pr_warn("stackwatch: %s: not running (starting or stopping) (EBUSY)\n", kp->name);
		return -EBUSY;
	}
	load.arg = (void *)p->arg;
	return p->load->set(val, &load);
}

static int sw_param_get(char *buf, const struct kernel_param *kp)
{
	const struct sw_param *p = kp->arg;
	struct kernel_param load = *kp;

	if (sw_param_state)
		return stackwatch_param_show(sw_param_state, p->ctl, buf, PAGE_SIZE);
	if (!p->load)
		return -EPERM;
	load.arg = (void *)p->arg;
	return p->load->get(buf, &load);
}

static const struct kernel_param_ops sw_param_ops = {
	.set = sw_param_set,
	.get = sw_param_get,
};

static const struct kernel_param_ops sw_param_ops_wo = {
	.set = sw_param_set,
};

module_param_cb(probes, &sw_param_ops, &sw_param_probes_def, 0600);
MODULE_PARM_DESC(probes,
	"Comma-separated symbols and globs to watch; 'default' is the built-in set (used when empty). Once loaded: the probes file's commands (+name, -name, clear) and report");
module_param_cb(threshold, &sw_param_ops, &sw_param_threshold_def, 0600);
MODULE_PARM_DESC(threshold, "Warn when fewer than this many stack bytes remain (0: off)");
module_param_cb(budgets, &sw_param_ops, &sw_param_budgets_def, 0600);
MODULE_PARM_DESC(budgets, "What-if stack sizes in bytes, up to 4, 'none', or 'default' (4096,8192 where smaller than THREAD_SIZE)");
module_param_cb(enabled, &sw_param_ops, &sw_param_enabled_def, 0600);
MODULE_PARM_DESC(enabled, "Count from load (write 0/1 to pause/resume)");
module_param_cb(reset, &sw_param_ops_wo, &sw_param_reset_def, 0200);
MODULE_PARM_DESC(reset, "Write 1 to clear statistics and chains");

/*
 * One attachment: a kprobe on one function, or a share of the ftrace_ops
 * below (the sorted fentry addresses of the functions its spec covers).
 */
struct sw_probe {
	bool is_ftrace;
	void *cookie;
	unsigned long functions;
	unsigned long *ips;
	struct list_head node;
	struct kprobe kp;
};

/*
 * What sw_save_trace() unwinds from: a kprobe's full registers, or ftrace's
 * partial ones (ip, sp, fp and, on riscv64, ra are what an unwinder starts
 * from), and the probed function's address as stackwatch_hit() got it.
 */
struct sw_ctx {
	struct pt_regs *regs;
	struct ftrace_regs *fregs;
	unsigned long ip;
};

/*
 * The one address a probed function is known by (its statistics' key), from
 * its ftrace call site (rec->ip, what an ftrace_ops callback gets): where a
 * kprobe on its name sits, so that a function has one key whatever reaches
 * it. On x86_64 both are the fentry call (a kprobe on sym+0 is moved past the
 * endbr64, arch_adjust_kprobe_addr()). On riscv64 a kprobe sits on sym+0, and
 * rec->ip is the jalr after the auipc (ftrace_call_adjust()): its function
 * is arch_ftrace_get_symaddr()'s fentry_ip - MCOUNT_AUIPC_SIZE
 * (arch/riscv/kernel/ftrace.c; not exported, so repeated here). On arm64
 * (patchable-function-entry) a kprobe sits on sym+0, and rec->ip (the ip the
 * ops' callback gets: ftrace_caller passes the BL's address) is the BL to
 * the trampoline at sym+4, or sym+8 after a BTI C at sym+0
 * (arch_ftrace_get_symaddr() in arch/arm64/kernel/ftrace.c, not exported;
 * Debian's arm64 kernels have no ARM64_BTI_KERNEL, so it is sym+4 there).
 */
#ifdef CONFIG_ARM64
static inline bool sw_bti_at(unsigned long addr)
{
	u32 insn;

	return IS_ENABLED(CONFIG_ARM64_BTI_KERNEL) &&
	       !get_kernel_nofault(insn, (u32 *)addr) && aarch64_insn_is_bti(le32_to_cpu(insn));
}
#endif

static inline unsigned long sw_func_addr(unsigned long entry_ip)
{
#if defined(CONFIG_RISCV) && defined(CONFIG_DYNAMIC_FTRACE)
	return entry_ip - MCOUNT_AUIPC_SIZE;
#elif defined(CONFIG_ARM64) && defined(CONFIG_DYNAMIC_FTRACE)
	return entry_ip - (sw_bti_at(entry_ip - 2 * AARCH64_INSN_SIZE) ? 2 : 1) * AARCH64_INSN_SIZE;
#else
	return entry_ip;
#endif
}

/* The inverse: the ftrace call site of the function a kprobe on its name sits at. */
static inline unsigned long sw_fentry_of(unsigned long kprobe_addr)
{
#if defined(CONFIG_RISCV) && defined(CONFIG_DYNAMIC_FTRACE)
	return kprobe_addr + MCOUNT_AUIPC_SIZE;
#elif defined(CONFIG_ARM64) && defined(CONFIG_DYNAMIC_FTRACE)
	return kprobe_addr + (sw_bti_at(kprobe_addr) ? 2 : 1) * AARCH64_INSN_SIZE;
#else
	return kprobe_addr;
#endif
}

static int sw_kprobe_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct sw_probe *p = container_of(kp, struct sw_probe, kp);
	struct sw_ctx ctx = { .regs = regs, .ip = (unsigned long)kp->addr };

	stackwatch_hit(p->cookie, ctx.ip, kernel_stack_pointer(regs), &ctx);
	return 0;
}
NOKPROBE_SYMBOL(sw_kprobe_pre);

/*
 * The ftrace_ops every ftrace attachment shares (its filter is the union of
 * their functions), as the ftrace stack tracer's own: flags 0, so its
 * trampoline calls sw_ftrace_hit() directly with the entry stack pointer in
 * fregs. Registered while its filter is not empty (an empty filter traces
 * every function). sw_match_ops is never registered: ftrace_set_filter()
 * finds a glob's functions in its filter. Both under sw_ft_lock, with
 * sw_ft_probes, the attachments that have a share.
 */
static void sw_ftrace_hit(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			  struct ftrace_regs *fregs);
static struct ftrace_ops sw_ops = { .func = sw_ftrace_hit };
static struct ftrace_ops sw_match_ops;
static bool sw_ops_on;
static DEFINE_MUTEX(sw_ft_lock);
static LIST_HEAD(sw_ft_probes);

/*
 * The callback: notrace, recursion-guarded by ftrace's own per-context bits
 * (which also disable preemption), as kprobes and fprobe have. It does
 * nothing where RCU is not watching (the idle loop's entry and exit), as the
 * stack tracer does: so every running call is in an RCU-sched read-side
 * section, which synchronize_rcu() waits for.
 */
static void notrace sw_ftrace_hit(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	struct sw_ctx ctx = { .fregs = fregs, .ip = sw_func_addr(ip) };
	int bit = ftrace_test_recursion_trylock(ip, parent_ip);

	if (bit < 0) {
		stackwatch_ftrace_missed(ctx.ip);
		return;
	}
	if (likely(rcu_is_watching()))
		stackwatch_hit(NULL, ctx.ip, ftrace_regs_get_stack_pointer(fregs), &ctx);
	ftrace_test_recursion_unlock(bit);
}

#ifdef CONFIG_MODULES
/*
 * within_module_init() and within_module() with constant memory types: the
 * kernel's loop over the types indexes mod->mem[] with a variable, which
 * UBSAN bounds-checks (a report call in the module, which has none).
 */
static bool sw_within_init(unsigned long addr, const struct module *mod)
{
	return within_module_mem_type(addr, mod, MOD_INIT_TEXT) ||
	       within_module_mem_type(addr, mod, MOD_INIT_DATA) ||
	       within_module_mem_type(addr, mod, MOD_INIT_RODATA);
}

static bool sw_within(unsigned long addr, const struct module *mod)
{
	return sw_within_init(addr, mod) ||
	       within_module_mem_type(addr, mod, MOD_TEXT) ||
	       within_module_mem_type(addr, mod, MOD_DATA) ||
	       within_module_mem_type(addr, mod, MOD_RODATA) ||
	       within_module_mem_type(addr, mod, MOD_RO_AFTER_INIT);
}
#endif

/*
 * What no ftrace attachment may cover. Init text that is freed while the
 * ops' filter could hold its address: that of the modules in mods (whose
 * init has not finished), and, built into the image, the kernel's own until
 * free_initmem() (a glob of stackwatch.probes= attaches at boot);
 * ftrace_free_mem() drops their records but not the ips in an ops' filter
 * (it cleans only trace arrays' ops), whose removal then fails for the
 * whole batch (__ftrace_match_addr(): -EINVAL for an ip with no record).
 * The module going away (its records still there at its GOING notifier,
 * where its functions are taken out). And, as a module, stackwatch's own
 * code (a `sw_*` glob): its functions run inside the handler.
 */
static bool sw_left_out(unsigned long addr, const struct module *const *mods, unsigned int n,
			const struct module *going)
{
#ifdef MODULE
	if (sw_within(addr, THIS_MODULE))
		return true;
#endif
#ifndef MODULE
	if (system_state < SYSTEM_FREEING_INITMEM && is_kernel_inittext(addr))
		return true;
#endif
#ifdef CONFIG_MODULES
	{
		unsigned int k;

		if (going && sw_within(addr, going))
			return true;
		for (k = 0; k < n; k++)
			if (sw_within_init(addr, mods[k]))
				return true;
	}
#endif
	return false;
}

/*
 * The private head of struct ftrace_hash (kernel/trace/trace.h, 7.3: not in
 * the headers): its bucket count's log and its buckets, whose entries are
 * the public struct ftrace_func_entry. Only read, under the ops' regex_lock;
 * sw_match_glob() checks the count it walks against the hash's own.
 */
struct sw_ftrace_hash_head {
	unsigned long size_bits;
	struct hlist_head *buckets;
	unsigned long count;
};

static int sw_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The fentry addresses of the functions glob matches (ftrace's own filter
 * syntax and matching, over every ftrace record), sorted, those left out
 * (sw_left_out()) dropped: into *ipsp (kmalloc'd) and *np. -ENOENT if none.
 * Under sw_ft_lock.
 */
static int sw_match_glob(const char *glob, const struct module *const *mods, unsigned int nmods,
			 const struct module *going, unsigned long **ipsp, unsigned long *np)
{
	struct sw_ftrace_hash_head *h;
	struct ftrace_func_entry *e;
	unsigned long i, nb, n = 0, seen = 0, *ips = NULL;
	char *buf = kstrdup(glob, GFP_KERNEL);
	int ret;

	if (!buf)
		return -ENOMEM;
	/* ftrace parses the filter in place; 0 or -EINVAL (nothing matched). */
	ret = ftrace_set_filter(&sw_match_ops, buf, strlen(buf), 1);
	kfree(buf);
	if (ret)
		return ret == -EINVAL ? -ENOENT : ret;
	mutex_lock(&sw_match_ops.func_hash->regex_lock);
	h = (struct sw_ftrace_hash_head *)rcu_dereference_protected(
		sw_match_ops.func_hash->filter_hash,
		lockdep_is_held(&sw_match_ops.func_hash->regex_lock));
	ret = -ENOENT;
	/* At most FTRACE_HASH_MAX_BITS (12); a doubling loop, not a shift UBSAN checks. */
	for (i = 0, nb = 1; h && i < h->size_bits && i < 16; i++)
		nb *= 2;
	if (h && h->count && h->size_bits <= 16) {
		ips = kvmalloc_array(h->count, sizeof(*ips), GFP_KERNEL);
		ret = ips ? 0 : -ENOMEM;
		for (i = 0; ips && i < nb; i++) {
			hlist_for_each_entry(e, &h->buckets[i], hlist) {
				if (seen++ >= h->count)
					break;
				if (!sw_left_out(e->ip, mods, nmods, going))
					ips[n++] = e->ip;
			}
		}
		if (ips && seen != h->count) {
			pr_warn("stackwatch: ftrace's filter hash has %lu entries, not %lu: layout changed?\n",
				seen, h->count);
			ret = -EPROTO;
		}
	}
	mutex_unlock(&sw_match_ops.func_hash->regex_lock);
	ftrace_free_filter(&sw_match_ops);
	if (!ret && !n)
		ret = -ENOENT;
	if (ret) {
		kvfree(ips);
		return ret;
	}
	sort(ips, n, sizeof(*ips), sw_cmp_ulong, NULL);
	*ipsp = ips;
	*np = n;
	return 0;
}

/* Whether ip is an ftrace call site: ftrace_location() is not exported. */
static bool sw_is_ftrace_site(unsigned long ip)
{
	int ret = ftrace_set_filter_ips(&sw_match_ops, &ip, 1, 0, 1);

	ftrace_free_filter(&sw_match_ops);
	return !ret;
}

static bool sw_probe_covers(const struct sw_probe *p, unsigned long ip)
{
	return bsearch(&ip, p->ips, p->functions, sizeof(ip), sw_cmp_ulong) != NULL;
}

/* Adds p's functions to the ops (registering it if it was off). Under sw_ft_lock. */
static int sw_ft_add(struct sw_probe *p)
{
	int ret = ftrace_set_filter_ips(&sw_ops, p->ips, p->functions, 0, 0);

	if (!ret && !sw_ops_on) {
		ret = register_ftrace_function(&sw_ops);
		if (ret)
			ftrace_free_filter(&sw_ops);
		else
			sw_ops_on = true;
	}
	if (!ret)
		list_add_tail(&p->node, &sw_ft_probes);
	return ret;
}

/*
 * Takes the n attachments in gone (off sw_ft_probes already) out of the ops:
 * the functions no attachment left covers leave its filter, or, with none
 * left, the ops is unregistered (which waits until no call is in its
 * callback or trampoline) and its filter freed. Under sw_ft_lock.
 */
static void sw_ft_remove(struct sw_probe **gone, unsigned int n)
{
	struct sw_probe *q;
	unsigned long *ips, j, k, m = 0, total = 0;
	unsigned int i;
	int ret;

	if (list_empty(&sw_ft_probes)) {
		if (sw_ops_on)
			unregister_ftrace_function(&sw_ops);
		sw_ops_on = false;
		ftrace_free_filter(&sw_ops);
		return;
	}
	for (i = 0; i < n; i++)
		total += gone[i]->functions;
	ips = kvmalloc_array(total ? total : 1, sizeof(*ips), GFP_KERNEL);
	for (i = 0; ips && i < n; i++) {
		for (k = 0; k < gone[i]->functions; k++) {
			bool kept = false;

			list_for_each_entry(q, &sw_ft_probes, node)
				if (sw_probe_covers(q, gone[i]->ips[k])) {
					kept = true;
					break;
				}
			if (!kept)
				ips[m++] = gone[i]->ips[k];
		}
	}
	/*
	 * Each once: two of the attachments going may cover one function, and
	 * removing an ip the filter no longer has fails the batch (-ENOENT).
	 */
	if (ips && m) {
		sort(ips, m, sizeof(*ips), sw_cmp_ulong, NULL);
		for (j = 0, k = 0; k < m; k++)
			if (!k || ips[k] != ips[k - 1])
				ips[j++] = ips[k];
		m = j;
	}
	ret = ips ? (m ? ftrace_set_filter_ips(&sw_ops, ips, m, 1, 0) : 0) : -ENOMEM;
	kvfree(ips);
	if (!ret)
		return;
	/*
	 * One of them had no record any more (all or nothing), or no memory:
	 * the filter is rebuilt from what is left, one attachment at a time.
	 */
	pr_warn("stackwatch: taking functions out of the ftrace filter failed (%d); rebuilding it\n",
		ret);
	ret = 0;
	list_for_each_entry(q, &sw_ft_probes, node) {
		ret = ftrace_set_filter_ips(&sw_ops, q->ips, q->functions, 0,
					    list_is_first(&q->node, &sw_ft_probes));
		if (ret)
			break;
	}
	if (ret) {
		pr_err("stackwatch: rebuilding the ftrace filter failed (%d): ftrace attachments stop\n",
		       ret);
		unregister_ftrace_function(&sw_ops);
		sw_ops_on = false;
		ftrace_free_filter(&sw_ops);
		/* Each keeps its list node for sw_probes_detach(). */
		while (!list_empty(&sw_ft_probes))
			list_del_init(sw_ft_probes.next);
	}
}

/*
 * Resolves a name with a kprobe registered disabled (kallsyms, the kprobe
 * blacklist, "module:name"): 0 with *kp registered, or -errno.
 */
static int sw_kprobe_resolve(struct sw_probe *p, const char *symbol)
{
	int ret;

	p->kp.symbol_name = kstrdup(symbol, GFP_KERNEL);
	if (!p->kp.symbol_name)
		return -ENOMEM;
	p->kp.pre_handler = sw_kprobe_pre;
	p->kp.flags = KPROBE_FLAG_DISABLED;
	ret = register_kprobe(&p->kp);
	if (ret) {
		kfree(p->kp.symbol_name);
		p->kp.symbol_name = NULL;
	}
	return ret;
}

int sw_probe_attach(const char *spec, int glob, int kprobe_only, void *cookie,
		    const struct module *const *initing, unsigned int ninit,
		    const struct module *going, struct sw_probe **out)
{
	struct sw_probe *p = kzalloc(sizeof(*p), GFP_KERNEL);
	unsigned long site;
	int ret;

	if (!p)
		return -ENOMEM;
	p->cookie = cookie;
	INIT_LIST_HEAD(&p->node);
	mutex_lock(&sw_ft_lock);
	if (glob) {
		ret = sw_match_glob(spec, initing, ninit, going, &p->ips, &p->functions);
		p->is_ftrace = true;
	} else {
		ret = sw_kprobe_resolve(p, spec);
		p->functions = 1;
		site = ret ? 0 : sw_fentry_of((unsigned long)p->kp.addr);
		if (!ret && !kprobe_only && !sw_left_out(site, initing, ninit, going) &&
		    sw_is_ftrace_site(site)) {
			/* An ftrace site: the ops, not the kprobe, watches it. */
			unregister_kprobe(&p->kp);
			kfree(p->kp.symbol_name);
			p->kp.symbol_name = NULL;
			p->ips = kmalloc(sizeof(*p->ips), GFP_KERNEL);
			ret = p->ips ? 0 : -ENOMEM;
			if (p->ips)
				p->ips[0] = site;
			p->is_ftrace = true;
		} else if (!ret) {
			ret = enable_kprobe(&p->kp);
			if (ret) {
				unregister_kprobe(&p->kp);
				kfree(p->kp.symbol_name);
			}
		}
	}
	if (!ret && p->is_ftrace)
		ret = sw_ft_add(p);
	mutex_unlock(&sw_ft_lock);
	if (ret) {
		kvfree(p->ips);
		kfree(p);
		return ret;
	}
	*out = p;
	return 0;
}

void sw_probes_detach(struct sw_probe **probes, unsigned int n)
{
	struct kprobe **kps = kmalloc_array(n, sizeof(*kps), GFP_KERNEL);
	struct sw_probe **fts = kmalloc_array(n, sizeof(*fts), GFP_KERNEL);
	unsigned int i, nk = 0, nf = 0;

	mutex_lock(&sw_ft_lock);
	for (i = 0; i < n; i++) {
		if (!probes[i]->is_ftrace)
			continue;
		list_del_init(&probes[i]->node);
		if (fts)
			fts[nf++] = probes[i];
		else
			sw_ft_remove(&probes[i], 1);
	}
	if (nf)
		sw_ft_remove(fts, nf);
	mutex_unlock(&sw_ft_lock);
	for (i = 0; i < n; i++) {
		if (probes[i]->is_ftrace)
			continue;
		if (kps)
			kps[nk++] = &probes[i]->kp;
		else
			unregister_kprobe(&probes[i]->kp);
	}
	if (kps && nk)
		unregister_kprobes(kps, nk);
	kfree(kps);
	kfree(fts);
	for (i = 0; i < n; i++) {
		kfree(probes[i]->kp.symbol_name);
		kvfree(probes[i]->ips);
		kfree(probes[i]);
	}
}

unsigned long sw_probe_missed(const struct sw_probe *p)
{
	return p->is_ftrace ? 0 : READ_ONCE(p->kp.nmissed);
}

unsigned long sw_probe_addr(const struct sw_probe *p)
{
	return p->is_ftrace ? 0 : (unsigned long)p->kp.addr;
}

int sw_probe_is_ftrace(const struct sw_probe *p)
{
	return p->is_ftrace;
}

unsigned long sw_probe_functions(const struct sw_probe *p)
{
	return p->functions;
}

unsigned long sw_probe_key(const struct sw_probe *p, unsigned long i)
{
	if (!p->is_ftrace)
		return i ? 0 : (unsigned long)p->kp.addr;
	return i < p->functions ? sw_func_addr(p->ips[i]) : 0;
}

#ifdef CONFIG_MODULES
int sw_probe_in_module(const struct sw_probe *p, const struct module *mod, int init_only)
{
	bool (*within)(unsigned long, const struct module *) =
		init_only ? sw_within_init : sw_within;
	unsigned long i;

	if (!p->is_ftrace)
		return within((unsigned long)p->kp.addr, mod);
	for (i = 0; i < p->functions; i++)
		if (within(p->ips[i], mod))
			return 1;
	return 0;
}

int sw_module_within(const struct module *mod, unsigned long addr)
{
	return sw_within(addr, mod);
}

/*
 * Module notifiers: one for modules coming up, run after kprobes' own
 * (priority 0) has added the module's kprobe blacklist; one for modules
 * going away, run before kprobes' own (priority 0) marks our
 * probes gone, so that they come off as from any live function, while the
 * module's text and ftrace records are intact.
 */
struct sw_modwatch {
	struct notifier_block coming;
	struct notifier_block going;
	void *cookie;
};

static int sw_module_coming(struct notifier_block *nb, unsigned long state, void *data)
{
	struct sw_modwatch *w = container_of(nb, struct sw_modwatch, coming);

	if (state == MODULE_STATE_COMING)
		stackwatch_module_event(w->cookie, 0, data);
	else if (state == MODULE_STATE_LIVE)
		stackwatch_module_event(w->cookie, 2, data);
	return NOTIFY_DONE;
}

static int sw_module_going(struct notifier_block *nb, unsigned long state, void *data)
{
	struct sw_modwatch *w = container_of(nb, struct sw_modwatch, going);

	if (state == MODULE_STATE_GOING)
		stackwatch_module_event(w->cookie, 1, data);
	return NOTIFY_DONE;
}

int sw_modwatch_register(void *cookie, struct sw_modwatch **out)
{
	struct sw_modwatch *w = kzalloc(sizeof(*w), GFP_KERNEL);
	int ret;

	if (!w)
		return -ENOMEM;
	w->cookie = cookie;
	w->coming.notifier_call = sw_module_coming;
	w->coming.priority = -1;
	w->going.notifier_call = sw_module_going;
	w->going.priority = 1;
	/* Going first: a module seen coming is always seen going. */
	ret = register_module_notifier(&w->going);
	if (!ret) {
		ret = register_module_notifier(&w->coming);
		if (ret)
			unregister_module_notifier(&w->going);
	}
	if (ret) {
		kfree(w);
		return ret;
	}
	*out = w;
	return 0;
}

void sw_modwatch_unregister(struct sw_modwatch *w)
{
	/* Each waits for a running callback of its chain. */
	unregister_module_notifier(&w->coming);
	unregister_module_notifier(&w->going);
	kfree(w);
}

const char *sw_module_name(const struct module *mod)
{
	return mod->name;
}

int sw_module_function(const struct module *mod, unsigned int i, char *buf,
		       unsigned long len, unsigned long *addr)
{
#ifdef CONFIG_KALLSYMS
	const struct mod_kallsyms *ks;
	const Elf_Sym *sym;

	guard(rcu)();
	ks = rcu_dereference(mod->kallsyms);
	if (!ks || i >= ks->num_symtab)
		return -ENOENT;
	sym = &ks->symtab[i];
	if (sym->st_shndx == SHN_UNDEF ||
	    !within_module_mem_type(sym->st_value, mod, MOD_TEXT))
		return 0;
	if (strscpy(buf, ks->strtab + sym->st_name, len) < 0)
		return 0;
	*addr = sym->st_value;
	return 1;
#else
	return -ENOENT;
#endif
}
#else /* !CONFIG_MODULES */
int sw_probe_in_module(const struct sw_probe *p, const struct module *mod, int init_only)
{
	return 0;
}

int sw_module_within(const struct module *mod, unsigned long addr)
{
	return 0;
}

int sw_modwatch_register(void *cookie, struct sw_modwatch **out)
{
	return -EOPNOTSUPP;
}

void sw_modwatch_unregister(struct sw_modwatch *w)
{
}

const char *sw_module_name(const struct module *mod)
{
	return "";
}

int sw_module_function(const struct module *mod, unsigned int i, char *buf,
		       unsigned long len, unsigned long *addr)
{
	return -ENOENT;
}
#endif /* CONFIG_MODULES */

static int sw_file_show(struct seq_file *m, void *v)
{
	return stackwatch_file_show(m->private, m);
}

static int sw_file_open(struct inode *inode, struct file *file)
{
	unsigned long hint = stackwatch_file_size_hint(inode->i_private);

	if (hint > PAGE_SIZE)
		return single_open_size(file, sw_file_show, inode->i_private, hint);
	return single_open(file, sw_file_show, inode->i_private);
}

static ssize_t sw_file_write(struct file *file, const char __user *buf, size_t len,
			     loff_t *ppos)
{
	struct seq_file *m = file->private_data;

	return stackwatch_file_store(m->private, (const char __force *)buf, len);
}

/* .owner: debugfs's proxy takes a module reference for each open file. */
static const struct file_operations sw_file_fops = {
	.owner = THIS_MODULE,
	.open = sw_file_open,
	.read = seq_read,
	.write = sw_file_write,
	.llseek = seq_lseek,
	.release = single_release,
};

struct dentry *sw_debugfs_dir(const char *name)
{
	struct dentry *d = debugfs_create_dir(name, NULL);

	return IS_ERR_OR_NULL(d) ? NULL : d;
}

int sw_debugfs_file(struct dentry *dir, const char *name, unsigned short mode, void *data)
{
	struct dentry *d = debugfs_create_file(name, mode, dir, data, &sw_file_fops);

	return IS_ERR(d) ? PTR_ERR(d) : 0;
}

void sw_debugfs_remove(struct dentry *dir)
{
	debugfs_remove(dir);
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

/*
 * RCU keeps the task_structs walked here, not their stacks (7.3
 * kernel/fork.c): an exiting thread's stack goes straight to a per-CPU cache
 * (try_release_thread_stack_to_cache(), no grace period), from which a fork
 * reuses it or free_vm_stack_cache() vfree()s it when the CPU goes offline
 * (as does alloc_thread_stack_node() when a fork's memcg charge fails); or
 * it is freed through call_rcu(), whose rcu_head then fills its lowest words.
 * put_task_stack() is not exported, so the stack cannot be pinned
 * (try_get_task_stack()); fn reads it without faulting and checks
 * sw_thread_stack() after. Exiting threads are skipped.
 */
void sw_for_each_thread_stack(void (*fn)(void *ctx, const struct task_struct *t, int pid,
					  const char *comm, unsigned long stack,
					  unsigned long words),
			      void *ctx)
{
	struct task_struct *p, *t;
	char comm[TASK_COMM_LEN];

	rcu_read_lock();
	for_each_process_thread(p, t) {
		unsigned long stack = sw_thread_stack(t);

		if (!stack)
			continue;
		memcpy(comm, t->comm, TASK_COMM_LEN);
		comm[TASK_COMM_LEN - 1] = 0;
		fn(ctx, t, task_pid_nr(t), comm, stack, THREAD_SIZE / sizeof(unsigned long));
	}
	rcu_read_unlock();
}

/*
 * PF_EXITING is set (exit_signals()) long before the stack is released
 * (finish_task_switch() of the dead task, after the scheduler's full
 * barriers), and t->stack is cleared after; smp_rmb() orders the caller's
 * reads of the stack before these loads, so a read that saw the release
 * (the rcu_head, a reused or cleared stack) sees PF_EXITING here.
 */
unsigned long sw_thread_stack(const struct task_struct *t)
{
	unsigned long stack;

	smp_rmb();
	stack = (unsigned long)READ_ONCE(t->stack);
	if (READ_ONCE(t->exit_state) || (READ_ONCE(t->flags) & PF_EXITING))
		return 0;
	return stack;
}

int sw_read_kernel(void *dst, unsigned long src, unsigned long len)
{
	return copy_from_kernel_nofault(dst, (const void *)src, len);
}

#if defined(CONFIG_X86_64) || defined(CONFIG_ARM64)
/*
 * The per-CPU IRQ stack's place is not exported (x86_64's hardirq_stack_ptr,
 * arm64's irq_stack_ptr): it is found from inside an interrupt on that CPU,
 * where sw_irq_stack_here() (one per architecture) tells the IRQ stack the
 * interrupt runs on. The interrupt is an irq_work raised on the CPU itself,
 * from a kworker bound to it (a self-IPI, whose handler runs on the IRQ
 * stack); IRQ_WORK_INIT_HARD so that PREEMPT_RT runs it in hard interrupt
 * context too.
 */
static unsigned long sw_irq_stack_here(void);

struct sw_irq_find {
	struct irq_work work;
	unsigned int cpu;
	unsigned long begin;
};

static void sw_irq_find_fn(struct irq_work *work)
{
	struct sw_irq_find *f = container_of(work, struct sw_irq_find, work);

	if (smp_processor_id() == f->cpu)
		f->begin = sw_irq_stack_here();
}

static long sw_irq_find_here(void *arg)
{
	struct sw_irq_find *f = arg;

	f->work = IRQ_WORK_INIT_HARD(sw_irq_find_fn);
	if (irq_work_queue(&f->work))
		irq_work_sync(&f->work);
	return 0;
}

unsigned long sw_irq_stack(unsigned int cpu)
{
	struct sw_irq_find f = { .cpu = cpu };

	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return 0;
	work_on_cpu(cpu, sw_irq_find_here, &f);
	return f.begin;
}

unsigned long sw_irq_stack_size(void)
{
	return IRQ_STACK_SIZE;
}
#endif

#ifdef CONFIG_X86_64
#include "shim_x86.c"
#else /* !CONFIG_X86_64 */
#ifndef CONFIG_ARM64
/* riscv64: no separate IRQ or exception stacks looked for. */
unsigned long sw_irq_stack(unsigned int cpu)
{
	return 0;
}

unsigned long sw_irq_stack_size(void)
{
	return 0;
}

int sw_exception_stack(unsigned int cpu, unsigned int kind, unsigned long *begin,
		       unsigned long *size)
{
	return -ENOENT;
}
#endif
#if (defined(CONFIG_RISCV) && defined(CONFIG_64BIT) && defined(CONFIG_FRAME_POINTER)) || \
	defined(CONFIG_ARM64)
/*
 * riscv64 (and arm64 alike: shim_arm64.c): the chain from the probed context's registers, by the kernel's own
 * frame-pointer unwinder, on the current stack (arch_stack_walk() and
 * stack_trace_save_regs() are not exported; stack_trace_save() is).
 *
 * Every probe sits at the probed function's entry (a kprobe on its first
 * instruction, the ftrace ops from ftrace's call in its first two), before its
 * prologue: its return address is still in ra, and s0 is still its caller's
 * frame pointer, whose frame record {fp, ra} at s0 - 16 leads on to the
 * caller's caller. Walking up from the handler, as stack_trace_save() does,
 * loses ra (at the kprobe's trap frame, walk_stackframe() goes from epc to
 * the record at s0; ftrace_caller has no record, so the walk
 * goes from the handler to the caller's caller and the probed function is
 * missing too). Started from the registers, walk_stackframe() takes ra only
 * for a leaf whose record at s0 holds just the previous fp (not the case at
 * an entry: the caller's record holds a return address), so it loses it too.
 *
 * So sw_walk_from() calls stack_trace_save() under a frame record of its own
 * making, {fp = the probed s0, ra = the probed ra}, with s0 pointing above
 * it: the walk goes up to sw_walk_from() (its return address
 * sw_walk_from_ret), then to the probed ra, then through the caller's record
 * and on, with ftrace graph returns and exception frames handled as
 * everywhere. What it reports up to sw_walk_from_ret (stackwatch's and the
 * probe's frames) is dropped. The record lies below the probed sp, on the
 * task stack, as walk_stackframe()'s checks want (fp above the previous one,
 * within the same THREAD_SIZE).
 */
unsigned int sw_walk_from(unsigned long *store, unsigned int size, unsigned long fp,
			  unsigned long ra);
extern const char sw_walk_from_ret[];
#ifdef CONFIG_ARM64
#include "shim_arm64.c"
#else
asm(
"	.pushsection .text, \"ax\", @progbits\n"
"	.balign 4\n"
"	.globl sw_walk_from\n"
"	.type sw_walk_from, @function\n"
"sw_walk_from:\n"
"	addi	sp, sp, -32\n"
"	sd	ra, 24(sp)\n"
"	sd	s0, 16(sp)\n"
"	sd	a2, 0(sp)\n"		/* the record's fp (at s0 - 16) */
"	sd	a3, 8(sp)\n"		/* the record's ra (at s0 - 8) */
"	addi	s0, sp, 16\n"
"	li	a2, 0\n"			/* skipnr */
"	call	stack_trace_save\n"
"	.globl sw_walk_from_ret\n"
"sw_walk_from_ret:\n"
"	ld	ra, 24(sp)\n"
"	ld	s0, 16(sp)\n"
"	addi	sp, sp, 32\n"
"	ret\n"
"	.size sw_walk_from, . - sw_walk_from\n"
"	.popsection\n");

/* A kprobe's registers at the probed function's entry: its return address and its caller's frame pointer. */
static __always_inline void sw_kprobe_entry_regs(const struct pt_regs *regs, unsigned long *ra,
						 unsigned long *fp)
{
	*ra = regs->ra;
	*fp = regs->s0;
}
#endif
NOKPROBE_SYMBOL(sw_walk_from);

/*
 * The probed function's return address and its caller's frame pointer, from
 * a kprobe's registers or ftrace's (the frame pointer is in ftrace_regs:
 * riscv64's HAVE_FUNCTION_GRAPH_FP_TEST, arm64's ftrace_caller saves x29).
 * PAC stripped on arm64: x30 holds a plain address at an entry, but a tail
 * call through an authenticated return leaves what the strip keeps as it is.
 */
static __always_inline void sw_entry_regs(const struct sw_ctx *ctx, unsigned long *ra,
					  unsigned long *fp)
{
	if (ctx->regs) {
		sw_kprobe_entry_regs(ctx->regs, ra, fp);
	} else {
		*ra = ftrace_regs_get_return_address(ctx->fregs);
		*fp = ftrace_regs_get_frame_pointer(ctx->fregs);
	}
	*ra = sw_strip_pac(*ra);
}

unsigned int sw_save_trace(unsigned long *store, unsigned int size, const struct sw_ctx *ctx,
			   unsigned long *stack_top)
{
	unsigned long ra, fp;
	unsigned int i, n;

	if (!ctx || size < 2)
		return stack_trace_save(store, size, 0);
	sw_entry_regs(ctx, &ra, &fp);
	n = sw_walk_from(store + 1, size - 1, fp, ra);
	for (i = 0; i < n && store[1 + i] != (unsigned long)sw_walk_from_ret; i++)
		;
	/* Not found (cannot happen but with a full store): the function alone. */
	n = i < n ? n - i - 1 : 0;
	memmove(store + 1, store + 2 + i, n * sizeof(*store));
	store[0] = ctx->ip;
	return n + 1;
}
NOKPROBE_SYMBOL(sw_save_trace);

int sw_trace_off_stack(void)
{
	return 0;
}
#else
unsigned int sw_save_trace(unsigned long *store, unsigned int size, const struct sw_ctx *ctx,
			   unsigned long *stack_top)
{
	return stack_trace_save(store, size, 0);
}

int sw_trace_off_stack(void)
{
	return 0;
}
#endif
#endif /* CONFIG_X86_64 */

/*
 * sw_save_trace() with interrupts off: for a chain taken on the IRQ stack in
 * softirq context, where an interrupt arriving while the unwinder runs on
 * the separate stack would run there whole (the kernel does not switch
 * stacks again when the IRQ stack is in use), not just build its entry
 * frame. raw_: no irq-flags tracing in probe context.
 */
unsigned int sw_save_trace_irqs_off(unsigned long *store, unsigned int size,
				    const struct sw_ctx *ctx, unsigned long *stack_top)
{
	unsigned long flags;
	unsigned int n;

	raw_local_irq_save(flags);
	n = sw_save_trace(store, size, ctx, stack_top);
	raw_local_irq_restore(flags);
	return n;
}
NOKPROBE_SYMBOL(sw_save_trace_irqs_off);

/*
 * Another frame's stack word: the handler scans the stack between the probed
 * context's stack pointer and the top for return addresses, words that other
 * code owns. READ_ONCE_NOCHECK, as the ftrace stack tracer and the unwinders
 * do: exempt from KASAN (a stack word below a live frame may be poisoned) and
 * KCSAN. Read as a return address: see sw_strip_pac().
 */
unsigned long sw_stack_word(const unsigned long *addr)
{
	return sw_strip_pac(READ_ONCE_NOCHECK(*addr));
}
NOKPROBE_SYMBOL(sw_stack_word);

/*
 * A word as a return address: on arm64 (ARM64_PTR_AUTH_KERNEL) a saved lr
 * carries a pointer-authentication code in its upper bits, which the
 * kernel's helper strips (XPACLRI, a hint: a no-op on a CPU without PAuth,
 * which signs nothing); any other word comes out as some other value that is
 * no return address either. Unchanged elsewhere.
 */
unsigned long sw_strip_pac(unsigned long word)
{
#ifdef CONFIG_ARM64
	return ptrauth_strip_kernel_insn_pac(word);
#else
	return word;
#endif
}
NOKPROBE_SYMBOL(sw_strip_pac);

int sw_symbol(char *buf, unsigned long len, unsigned long addr, int name_only)
{
	char *sp;
	int n;

	if (len < KSYM_SYMBOL_LEN)
		return -EINVAL;
	/*
	 * Into buf: not %pS, whose symbol_string() puts 512+ bytes on the stack.
	 * The length as sprint_symbol returns it, not strnlen(): its fortified
	 * form would add a __fortify_panic call.
	 */
	if (!name_only)
		return sprint_symbol(buf, addr);
	n = sprint_symbol_no_offset(buf, addr);
	sp = strchr(buf, ' ');
	if (sp) {
		*sp = 0;
		n = sp - buf;
	}
	return n;
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

unsigned int sw_param_threshold(void)
{
	return sw_threshold_param;
}

int sw_param_enabled(void)
{
	return sw_enabled_param;
}

void sw_params_take(void)
{
	kernel_param_lock(THIS_MODULE);
	sw_params_taken = true;
	kernel_param_unlock(THIS_MODULE);
}

void sw_params_publish(void *state)
{
	kernel_param_lock(THIS_MODULE);
	sw_param_state = state;
	kernel_param_unlock(THIS_MODULE);
}

#ifndef MODULE
/*
 * Built into the kernel image (CONFIG_STACKWATCH=y): attach what
 * stackwatch.probes= names in two steps, so that boot-time overflows are
 * seen too. The Rust module init (a device_initcall) then adds the debugfs
 * files over the same state.
 *
 * Names right after kprobes come up (a name is resolved with a kprobe):
 * init_kprobes is an early_initcall in kernel/, linked before drivers/.
 * Globs at core_initcall_sync, after every core_initcall and before the
 * postcore, arch, subsys, fs and device initcalls in which the boot-time
 * overflows come: matching a glob walks every ftrace record with a symbol
 * lookup each, so the names, a lookup each, are watched first.
 *
 * Each step runs on a kworker's fresh stack (kworkers exist by now:
 * workqueue_init() precedes the early initcalls): the init task is already
 * some way down its own, and allocating the state and attaching probes
 * (vmalloc, text patching) nested under it overflows a 4K stack.
 */
struct sw_boot_step {
	struct work_struct work;
	int (*fn)(void);
	int ret;
};

static void sw_boot_work(struct work_struct *work)
{
	struct sw_boot_step *step = container_of(work, struct sw_boot_step, work);

	step->ret = step->fn();
}

static int __init sw_run_boot_step(int (*fn)(void))
{
	struct sw_boot_step step = { .fn = fn };

	INIT_WORK_ONSTACK(&step.work, sw_boot_work);
	schedule_work(&step.work);
	flush_work(&step.work);
	destroy_work_on_stack(&step.work);
	return step.ret;
}

static int __init sw_early_init(void)
{
	return sw_run_boot_step(stackwatch_early_init);
}
early_initcall(sw_early_init);

static int __init sw_boot_globs_init(void)
{
	return sw_run_boot_step(stackwatch_boot_globs);
}
core_initcall_sync(sw_boot_globs_init);
#endif
