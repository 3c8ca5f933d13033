// SPDX-License-Identifier: MIT
/*
 * bh_tasklet.c - the bottom halves of an interrupt: tasklets and a WQ_BH workqueue.
 *
 * The interrupt handler does the least it can: it counts the interrupt and schedules two
 * tasklets, the receive path on the normal softirq (tasklet_schedule) and the transmit
 * completion on the high-priority one (tasklet_hi_schedule). The receive tasklet hands the rest
 * of its work to a BH work item on the module's own WQ_BH queue. Every bottom half checks that it
 * runs in softirq context and never sleeps; a burst of interrupts coalesces into fewer tasklet
 * runs, since a scheduled tasklet runs once however often it is scheduled.
 *
 * module_exit() undoes module_init() in reverse: free the interrupt (no new schedules), kill the
 * tasklets (waits for scheduled and running ones), cancel the BH item, destroy the queue.
 *
 *   ./bh_tasklet --irq 4:2000:50 --report        (irq=N selects another line)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/workqueue.h>

static int irq = 4;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "interrupt line of the device");

struct bh_dev {
	struct tasklet_struct rx_tasklet;
	struct work_struct rx_work;
	unsigned long rx_batches;	/* touched only by rx_work: BH items never run concurrently */
};

static struct bh_dev dev;
static struct workqueue_struct *bh_wq;

static atomic_long_t irqs = ATOMIC_LONG_INIT(0);
static atomic_long_t rx_runs = ATOMIC_LONG_INIT(0);
static atomic_long_t tx_runs = ATOMIC_LONG_INIT(0);
static atomic_long_t bh_items = ATOMIC_LONG_INIT(0);
static atomic_long_t wrong_context = ATOMIC_LONG_INIT(0);

static void check_softirq(void)
{
	if (!in_softirq() || in_hardirq())
		atomic_long_inc(&wrong_context);
}

static void rx_work_fn(struct work_struct *work)
{
	struct bh_dev *d = container_of(work, struct bh_dev, rx_work);

	check_softirq();
	d->rx_batches++;
	atomic_long_inc(&bh_items);
}

static void rx_tasklet_fn(struct tasklet_struct *t)
{
	struct bh_dev *d = from_tasklet(d, t, rx_tasklet);

	check_softirq();
	atomic_long_inc(&rx_runs);
	queue_work(bh_wq, &d->rx_work);
}

static void tx_tasklet_fn(struct tasklet_struct *t)
{
	(void)t;
	check_softirq();
	atomic_long_inc(&tx_runs);
}

static DECLARE_TASKLET(tx_tasklet, tx_tasklet_fn);

static irqreturn_t bh_irq(int line, void *dev_id)
{
	struct bh_dev *d = dev_id;

	(void)line;
	atomic_long_inc(&irqs);
	tasklet_schedule(&d->rx_tasklet);
	tasklet_hi_schedule(&tx_tasklet);
	return IRQ_HANDLED;
}

static int __init bh_tasklet_init(void)
{
	int ret;

	bh_wq = alloc_workqueue("bh_tasklet", WQ_BH | WQ_PERCPU, 0);
	if (!bh_wq)
		return -ENOMEM;
	tasklet_setup(&dev.rx_tasklet, rx_tasklet_fn);
	INIT_WORK(&dev.rx_work, rx_work_fn);

	ret = request_irq(irq, bh_irq, 0, "bh_tasklet", &dev);
	if (ret) {
		pr_err("cannot get irq %d: %d\n", irq, ret);
		destroy_workqueue(bh_wq);
		return ret;
	}

	/* cmwq: show the counters in the module runner's report (not kernel API). */
	cmwq_module_report_counter("interrupts", &irqs);
	cmwq_module_report_counter("rx tasklet runs", &rx_runs);
	cmwq_module_report_counter("tx tasklet runs", &tx_runs);
	cmwq_module_report_counter("bh items run", &bh_items);
	cmwq_module_report_counter("outside softirq", &wrong_context);
	pr_info("listening on irq %d\n", irq);
	return 0;
}

static void __exit bh_tasklet_exit(void)
{
	free_irq(irq, &dev);			/* 1. no new schedules */
	tasklet_kill(&dev.rx_tasklet);		/* 2. scheduled and running runs are over */
	tasklet_kill(&tx_tasklet);
	cancel_work_sync(&dev.rx_work);		/* 3. the BH item the last rx run queued */
	destroy_workqueue(bh_wq);		/* 4. empty and idle */
	pr_info("%ld interrupts, %ld rx runs in %lu batches, %ld tx runs\n", atomic_long_read(&irqs),
		atomic_long_read(&rx_runs), dev.rx_batches, atomic_long_read(&tx_runs));
}

module_init(bh_tasklet_init);
module_exit(bh_tasklet_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("cmwq authors");
MODULE_DESCRIPTION("tasklets and a WQ_BH workqueue behind an interrupt handler");
