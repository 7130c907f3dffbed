// SPDX-License-Identifier: GPL-2.0
/*
 * A deliberately broken module for the test harness: on load it takes a
 * spinlock_t with preemption disabled. On PREEMPT_RT a spinlock_t is a
 * sleeping lock, so a kernel with DEBUG_ATOMIC_SLEEP reports "sleeping
 * function called from invalid context" and the QEMU runner must fail the
 * run and name it (on any other kernel it is a plain spinlock: no report).
 * The proof that the debug kernel's RT checks would see stackwatch doing so.
 */
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(sw_atomic_sleep_lock);

static int __init sw_atomic_sleep_init(void)
{
	preempt_disable();
	spin_lock(&sw_atomic_sleep_lock);
	spin_unlock(&sw_atomic_sleep_lock);
	preempt_enable();
	return 0;
}

static void __exit sw_atomic_sleep_exit(void)
{
}

module_init(sw_atomic_sleep_init);
module_exit(sw_atomic_sleep_exit);
MODULE_DESCRIPTION("Test module that takes a sleeping lock (on PREEMPT_RT) with preemption off");
MODULE_LICENSE("GPL");
