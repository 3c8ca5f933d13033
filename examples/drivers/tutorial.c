// SPDX-License-Identifier: MIT
/*
 * tutorial.c - the first workqueue module: an interrupt handler that defers its work.
 *
 * The hard interrupt handler may not sleep, so it does the least it can: it allocates a small
 * work item with GFP_ATOMIC, records what arrived and queues the item on the module's own
 * workqueue. The work function runs later on a kworker, in process context, where it could sleep,
 * take mutexes or talk to slow hardware; it frees its item when done.
 *
 * Unloading is the part people get wrong: first stop the source of new work (free_irq() waits
 * for a running handler), then let the queued work finish (flush_workqueue()), then destroy the
 * queue. Any other order either loses items or queues onto a dead queue.
 *
 *   ./tutorial --irq 1:2000:50 --report       (irq=N selects another line)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

static int irq = 1;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "interrupt line to listen on");

struct rx_item {
	struct work_struct work;
	unsigned long seq;
};

static struct workqueue_struct *tutorial_wq;
static unsigned long rx_seq;	/* written only by the hard handler: a line's interrupts never overlap */
static atomic_long_t items_queued = ATOMIC_LONG_INIT(0);
static atomic_long_t items_run = ATOMIC_LONG_INIT(0);
static atomic_long_t items_dropped = ATOMIC_LONG_INIT(0);

static void rx_work_fn(struct work_struct *work)
{
	struct rx_item *item = container_of(work, struct rx_item, work);

	/* Process context: sleeping would be allowed here. */
	pr_debug("item %lu\n", item->seq);
	atomic_long_inc(&items_run);
	kfree(item);
}

static irqreturn_t tutorial_irq(int line, void *dev_id)
{
	struct rx_item *item;

	(void)line;
	(void)dev_id;
	item = kmalloc(sizeof(*item), GFP_ATOMIC);	/* never GFP_KERNEL here: it may sleep */
	if (!item) {
		atomic_long_inc(&items_dropped);
		return IRQ_HANDLED;
	}
	INIT_WORK(&item->work, rx_work_fn);
	item->seq = ++rx_seq;
	queue_work(tutorial_wq, &item->work);
	atomic_long_inc(&items_queued);
	return IRQ_HANDLED;
}

static int __init tutorial_init(void)
{
	int ret;

	tutorial_wq = alloc_workqueue("tutorial", WQ_UNBOUND, 0);
	if (!tutorial_wq)
		return -ENOMEM;

	ret = request_irq(irq, tutorial_irq, 0, "tutorial", &tutorial_wq);
	if (ret) {
		pr_err("cannot get irq %d: %d\n", irq, ret);
		destroy_workqueue(tutorial_wq);
		return ret;
	}

	/* cmwq: show the counters in the module runner's report (not kernel API). */
	cmwq_module_report_counter("items queued", &items_queued);
	cmwq_module_report_counter("items run", &items_run);
	cmwq_module_report_counter("items dropped", &items_dropped);

	pr_info("listening on irq %d\n", irq);
	return 0;
}

static void __exit tutorial_exit(void)
{
	free_irq(irq, &tutorial_wq);	/* 1. no new items: waits for a running handler */
	flush_workqueue(tutorial_wq);	/* 2. every queued item ran (and freed itself) */
	destroy_workqueue(tutorial_wq);	/* 3. the queue is empty and idle */
	pr_info("queued %ld, ran %ld, dropped %ld\n", atomic_long_read(&items_queued),
		atomic_long_read(&items_run), atomic_long_read(&items_dropped));
}

module_init(tutorial_init);
module_exit(tutorial_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("cmwq authors");
MODULE_DESCRIPTION("interrupt handler deferring work to a workqueue");
