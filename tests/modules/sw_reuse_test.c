// SPDX-License-Identifier: GPL-2.0
/*
 * A test module loaded where another (sw_slowinit_test) was, after it went
 * away (issue 23): no function of it may be traced by what stackwatch
 * watched in the module before it at the same addresses. Its init and exit
 * call sw_reuse_work() `calls` times; its functions match no spec of the
 * harness's. It is as large as sw_slowinit_test, so that the module
 * allocator hands it the same place.
 */
#include <linux/module.h>

static unsigned int calls = 1000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "How many times init and exit call sw_reuse_work()");

static int sw_reuse_sink;

/* Its store keeps the compiler from dropping the calls. */
static noinline int sw_reuse_work(int x)
{
	WRITE_ONCE(sw_reuse_sink, x);
	return x + 1;
}

static int __init sw_reuse_init(void)
{
	unsigned int i;
	int v = 0;

	for (i = 0; i < calls; i++)
		v = sw_reuse_work(v);
	return v >= 0 ? 0 : -EINVAL;
}

static void __exit sw_reuse_exit(void)
{
	unsigned int i;

	for (i = 0; i < calls; i++)
		sw_reuse_work(0);
}

module_init(sw_reuse_init);
module_exit(sw_reuse_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test module loaded at a gone module's addresses (harness, stackwatch issue 23)");
