// SPDX-License-Identifier: GPL-2.0
/*
 * A test module whose init recurses until the kernel stack overflows, when
 * given depth=N (N frames of about 600 bytes each): for the pstore recipe's
 * test (tests/guest/pstore.sh), where stackwatch, probing
 * sw_overflow_recurse, must warn with the chain before the kernel dies of
 * its stack. depth=0 (the default) loads and does nothing.
 */
#include <linux/module.h>
#include <linux/string.h>

static unsigned int depth;
module_param(depth, uint, 0444);
MODULE_PARM_DESC(depth, "Frames of recursion in the init (0: none)");

/*
 * Each level's buffer is handed to the next, so every frame stays live on
 * the stack (no tail call, no loop); kallsyms names the function for a
 * kprobe.
 */
static noinline int sw_overflow_recurse(unsigned int n, char *up)
{
	char buf[512];

	memset(buf, (int)n, sizeof(buf));
	barrier_data(buf);
	if (n == 0)
		return up ? up[0] : 0;
	return sw_overflow_recurse(n - 1, buf) + (up ? up[n % sizeof(buf)] : 0);
}

static int __init sw_overflow_init(void)
{
	if (depth)
		pr_info("sw_overflow_test: recursing %u frames\n", depth);
	return depth ? (sw_overflow_recurse(depth, NULL) == -1 ? -EINVAL : 0) : 0;
}

static void __exit sw_overflow_exit(void)
{
}

module_init(sw_overflow_init);
module_exit(sw_overflow_exit);
MODULE_DESCRIPTION("stackwatch test: overflow the kernel stack on purpose");
MODULE_LICENSE("GPL");
