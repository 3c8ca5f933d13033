// SPDX-License-Identifier: MIT
/*
 * rcu_config.c - an RCU-protected configuration, retired with rcu_work.
 *
 * The interrupt handler reads the current configuration inside rcu_read_lock() without taking a
 * lock. A delayed work item replaces it every few milliseconds: it publishes a new one with
 * rcu_assign_pointer() and hands the old one to an rcu_work, which frees it only after a grace
 * period, when no handler can still be reading it. Each configuration counts the readers inside
 * it; the retiring function checks that the count is 0 ("freed while read" stays 0) before kfree().
 *
 * module_exit(): free the interrupt, stop the updater, wait for the retirements queued so far
 * (rcu_barrier, then destroying their queue), free the last configuration.
 *
 *   ./rcu_config --irq 5:3000:50 --report        (irq=N selects another line)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

static int irq = 5;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "interrupt line of the device");
static int period_ms = 2;
module_param(period_ms, int, 0644);
MODULE_PARM_DESC(period_ms, "how often the configuration is replaced, in milliseconds");

struct config {
	unsigned long generation;
	atomic_t readers;		/* handlers inside this configuration now */
	struct rcu_work retire;		/* frees it after a grace period */
};

static struct config __rcu *current_config;
static struct delayed_work updater;
static struct workqueue_struct *retire_wq;
static unsigned long generation;	/* touched only by the updater */

static atomic_long_t reads = ATOMIC_LONG_INIT(0);
static atomic_long_t retired = ATOMIC_LONG_INIT(0);
static atomic_long_t freed_while_read = ATOMIC_LONG_INIT(0);

static void retire_config(struct work_struct *work)
{
	struct config *old = container_of(to_rcu_work(work), struct config, retire);

	if (atomic_read(&old->readers) != 0)
		atomic_long_inc(&freed_while_read);
	atomic_long_inc(&retired);
	kfree(old);
}

static struct config *new_config(gfp_t gfp)
{
	struct config *c = kzalloc(sizeof(*c), gfp);

	if (!c)
		return NULL;
	c->generation = ++generation;
	atomic_set(&c->readers, 0);
	INIT_RCU_WORK(&c->retire, retire_config);
	return c;
}

static void update_config(struct work_struct *work)
{
	struct config *c = new_config(GFP_KERNEL);
	struct config *old;

	(void)work;
	if (c) {
		old = rcu_dereference_protected(current_config, 1);	/* only the updater writes */
		rcu_assign_pointer(current_config, c);
		queue_rcu_work(retire_wq, &old->retire);
	}
	schedule_delayed_work(&updater, msecs_to_jiffies(period_ms));
}

static irqreturn_t config_irq(int line, void *dev_id)
{
	struct config *c;

	(void)line;
	(void)dev_id;
	rcu_read_lock();
	c = rcu_dereference(current_config);
	atomic_inc(&c->readers);
	udelay(2);	/* stay inside for a while (a busy-wait: no sleeping here) */
	atomic_dec(&c->readers);
	rcu_read_unlock();
	atomic_long_inc(&reads);
	return IRQ_HANDLED;
}

static int __init rcu_config_init(void)
{
	struct config *c = new_config(GFP_KERNEL);
	int ret;

	if (!c)
		return -ENOMEM;
	retire_wq = alloc_workqueue("rcu_config", WQ_UNBOUND, 0);
	if (!retire_wq) {
		kfree(c);
		return -ENOMEM;
	}
	RCU_INIT_POINTER(current_config, c);
	ret = request_irq(irq, config_irq, 0, "rcu_config", &current_config);
	if (ret) {
		pr_err("cannot get irq %d: %d\n", irq, ret);
		destroy_workqueue(retire_wq);
		kfree(c);
		return ret;
	}
	INIT_DELAYED_WORK(&updater, update_config);
	schedule_delayed_work(&updater, msecs_to_jiffies(period_ms));

	/* cmwq: show the counters in the module runner's report (not kernel API). */
	cmwq_module_report_counter("reads", &reads);
	cmwq_module_report_counter("configs retired", &retired);
	cmwq_module_report_counter("freed while read", &freed_while_read);
	return 0;
}

static void __exit rcu_config_exit(void)
{
	struct config *last;

	free_irq(irq, &current_config);		/* 1. no more readers */
	cancel_delayed_work_sync(&updater);	/* 2. no more updates */
	last = rcu_dereference_protected(current_config, 1);
	RCU_INIT_POINTER(current_config, NULL);
	rcu_barrier();				/* 3. every retire queued so far is on its queue */
	destroy_workqueue(retire_wq);		/*    ... and has run */
	kfree(last);
	pr_info("%ld reads, %ld configurations retired\n", atomic_long_read(&reads), atomic_long_read(&retired));
}

module_init(rcu_config_init);
module_exit(rcu_config_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("cmwq authors");
MODULE_DESCRIPTION("an RCU-protected configuration retired with rcu_work");
