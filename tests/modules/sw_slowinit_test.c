// SPDX-License-Identifier: GPL-2.0
/*
 * A test module whose init runs for init_ms milliseconds (default 4000)
 * after calling an __init function: for the harness to attach a glob while
 * a module's init runs (issue 22, defect 8). sw_slowinit_setup() is init
 * text, freed once the module is live; sw_slowinit_core() stays.
 */
#include <linux/delay.h>
#include <linux/module.h>

static unsigned int init_ms = 4000;
module_param(init_ms, uint, 0444);
MODULE_PARM_DESC(init_ms, "How long the init runs, in milliseconds");

static noinline int sw_slowinit_core(int x)
{
	return x + 1;
}

static noinline int __init sw_slowinit_setup(int x)
{
	return sw_slowinit_core(x) * 2;
}

static int __init sw_slowinit_init(void)
{
	int v = sw_slowinit_setup(1);

	msleep(init_ms);
	return v > 0 ? 0 : -EINVAL;
}

static void __exit sw_slowinit_exit(void)
{
	sw_slowinit_core(0);
}

module_init(sw_slowinit_init);
module_exit(sw_slowinit_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test module with a slow init (harness, stackwatch issue 22)");
