// SPDX-License-Identifier: GPL-2.0
/*
 * How much stack a probe hit adds, seen from the stack itself (issue 23):
 * writing N to `run` starts a kernel thread (a fresh stack: the kernel
 * zeroes a thread stack it hands out) that goes `depth` frames of 256 bytes
 * deep and calls sw_depth_leaf() N times there, then finds the deepest word
 * of its stack ever written (the lowest non-zero one, as stackwatch's
 * `tasks` does) and exits; `deepest` then reads that depth in bytes. With
 * nothing on sw_depth_leaf() it is the thread's own depth; with a probe
 * mechanism on it, that plus what the mechanism and its handler put below
 * the leaf. The write returns once the thread is done.
 */
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/task_stack.h>

static unsigned int depth = 8;
module_param(depth, uint, 0644);
MODULE_PARM_DESC(depth, "Frames of 256 bytes above the calls (1 to 32)");

static unsigned long deepest;
module_param(deepest, ulong, 0444);
MODULE_PARM_DESC(deepest, "The last run's deepest point, in bytes from the top of its stack");

static unsigned long calls;
static int sw_depth_sink;
static DECLARE_COMPLETION(sw_depth_done);

/* Its store keeps the compiler from dropping the calls. */
static noinline int sw_depth_leaf(int x)
{
	WRITE_ONCE(sw_depth_sink, x);
	return x + 1;
}

static noinline int sw_depth_down(unsigned int level)
{
	volatile char pad[256];
	unsigned long i;
	int v = 0;

	pad[0] = (char)level;
	if (level > 1)
		return sw_depth_down(level - 1) + pad[0];
	for (i = 0; i < calls; i++)
		v = sw_depth_leaf(v);
	return v + pad[0];
}

static int sw_depth_thread(void *unused)
{
	unsigned long *base = (unsigned long *)task_stack_page(current);
	unsigned long i, n = THREAD_SIZE / sizeof(*base);

	WRITE_ONCE(sw_depth_sink, sw_depth_down(clamp(depth, 1U, 32U)));
	/* Word 0 is end_of_stack()'s STACK_END_MAGIC. */
	for (i = 1; i < n && !READ_ONCE_NOCHECK(base[i]); i++)
		;
	deepest = (n - i) * sizeof(*base);
	complete(&sw_depth_done);
	return 0;
}

static int sw_depth_run(const char *val, const struct kernel_param *kp)
{
	struct task_struct *t;
	int ret = kstrtoul(val, 0, &calls);

	if (ret)
		return ret;
	reinit_completion(&sw_depth_done);
	t = kthread_run(sw_depth_thread, NULL, "sw_depth");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wait_for_completion(&sw_depth_done);
	return 0;
}

static const struct kernel_param_ops sw_depth_run_ops = { .set = sw_depth_run };
module_param_cb(run, &sw_depth_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "Write N: a fresh thread calls sw_depth_leaf() N times, deep down");

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Measures the stack a probe hit adds (harness, stackwatch issue 23)");
