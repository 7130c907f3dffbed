// SPDX-License-Identifier: GPL-2.0
/*
 * An ftrace_ops that does nothing, on the one function named by `func` (an
 * ftrace filter string, no glob), registered as stackwatch registers its
 * own (flags 0, recursion-guarded the same way): the bench's "empty ops",
 * against which stackwatch's handler is measured (issue 23).
 */
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/trace_recursion.h>

static char func[128];
module_param_string(func, func, sizeof(func), 0444);
MODULE_PARM_DESC(func, "The function to put the empty ops on");

static void notrace sw_emptyops_call(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	int bit = ftrace_test_recursion_trylock(ip, parent_ip);

	if (bit >= 0)
		ftrace_test_recursion_unlock(bit);
}

static struct ftrace_ops sw_emptyops = { .func = sw_emptyops_call };

static int __init sw_emptyops_init(void)
{
	int ret;

	if (!func[0])
		return -EINVAL;
	ret = ftrace_set_filter(&sw_emptyops, func, strlen(func), 1);
	if (!ret)
		ret = register_ftrace_function(&sw_emptyops);
	if (ret)
		ftrace_free_filter(&sw_emptyops);
	return ret;
}

static void __exit sw_emptyops_exit(void)
{
	unregister_ftrace_function(&sw_emptyops);
	ftrace_free_filter(&sw_emptyops);
}

module_init(sw_emptyops_init);
module_exit(sw_emptyops_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("An empty ftrace_ops on one function (harness, stackwatch issue 23)");
