// SPDX-License-Identifier: MIT
/*
 * devres_nic.c - a network-card-like driver that is safe to unbind under interrupt load,
 * because every resource is device-managed and registered in dependency order.
 *
 * probe() registers, in this order:
 *   1. the private structure          devm_kzalloc()
 *   2. the receive workqueue           devm_alloc_workqueue()
 *   3. one work item per receive ring  devm_work_autocancel()
 *   4. a delayed statistics item       devm_delayed_work_autocancel()
 *   5. the interrupt                   devm_request_threaded_irq()
 * and there is no remove(): when the driver detaches, devres releases in reverse order, so the
 * interrupt is freed first (free_irq() waits for a running handler; none runs afterwards), the
 * items are cancelled next (nothing can queue them any more), the queue is drained and destroyed
 * after that, and the structure that embeds it all goes last. Unbinding while interrupts keep
 * arriving is therefore safe, with no ordering code in the driver at all.
 *
 * Interrupts: the hard handler picks a ring, counts the packet and queues the ring's work item
 * (a pending item absorbs the packet: NAPI-like coalescing); every 64th interrupt it also wakes
 * the threaded handler, which takes a mutex (allowed there: process context) and arms the
 * statistics item unless it is armed already. Ring work sleeps a little to imitate DMA completion, which is what lets the
 * concurrency manager run several rings at once.
 *
 *   ./cmwq_demo --run-ms 3000 --irq 1:20000:100 --report
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/devm-helpers.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#define NIC_RINGS 8

static int irq = 1;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "interrupt line of the card");
static int max_active = 4;
module_param(max_active, int, 0444);
MODULE_PARM_DESC(max_active, "receive rings processed at once (workqueue max_active)");
static int ring_us = 200;
module_param(ring_us, int, 0644);
MODULE_PARM_DESC(ring_us, "simulated DMA wait per ring run, microseconds");

struct nic;

struct nic_ring {
	struct work_struct work;
	struct nic *nic;
	atomic_t backlog;	/* packets waiting for this ring's work item */
};

struct nic {
	struct device *dev;
	struct workqueue_struct *rx_wq;
	struct nic_ring ring[NIC_RINGS];
	struct delayed_work stats_work;
	struct mutex cfg_lock;		/* threaded-handler state */
	unsigned long slow_path_runs;	/* guarded by cfg_lock */
	unsigned int next_ring;		/* hard handler only: a line's interrupts never overlap */
};

static atomic_long_t irqs = ATOMIC_LONG_INIT(0);
static atomic_long_t items_queued = ATOMIC_LONG_INIT(0);
static atomic_long_t items_run = ATOMIC_LONG_INIT(0);
static atomic_long_t packets = ATOMIC_LONG_INIT(0);
static atomic_long_t stats_runs = ATOMIC_LONG_INIT(0);
static atomic_long_t max_concurrency = ATOMIC_LONG_INIT(0);
static atomic_t running = ATOMIC_INIT(0);

static void note_concurrency(long now)
{
	long max = atomic_long_read(&max_concurrency);

	while (now > max && !atomic_long_try_cmpxchg(&max_concurrency, &max, now))
		;
}

static void nic_ring_work(struct work_struct *work)
{
	struct nic_ring *ring = container_of(work, struct nic_ring, work);
	int batch;

	note_concurrency(atomic_inc_return(&running));
	batch = atomic_xchg(&ring->backlog, 0);
	usleep_range(ring_us, 2 * ring_us);	/* wait for the "DMA": a sleep the pool sees */
	atomic_long_add(batch, &packets);
	atomic_long_inc(&items_run);
	atomic_dec(&running);
}

static void nic_stats_work(struct work_struct *work)
{
	struct nic *nic = container_of(to_delayed_work(work), struct nic, stats_work);

	(void)nic;
	atomic_long_inc(&stats_runs);
}

static irqreturn_t nic_irq(int line, void *dev_id)
{
	struct nic *nic = dev_id;
	struct nic_ring *ring = &nic->ring[nic->next_ring++ % NIC_RINGS];
	long n = atomic_long_inc_return(&irqs);

	(void)line;
	atomic_inc(&ring->backlog);
	if (queue_work(nic->rx_wq, &ring->work))
		atomic_long_inc(&items_queued);
	return (n % 64) == 0 ? IRQ_WAKE_THREAD : IRQ_HANDLED;
}

static irqreturn_t nic_irq_thread(int line, void *dev_id)
{
	struct nic *nic = dev_id;

	(void)line;
	mutex_lock(&nic->cfg_lock);
	nic->slow_path_runs++;
	queue_delayed_work(nic->rx_wq, &nic->stats_work, msecs_to_jiffies(10));	/* at most every 10 ms */
	mutex_unlock(&nic->cfg_lock);
	return IRQ_HANDLED;
}

static int nic_probe(struct device *dev)
{
	struct nic *nic;
	int i, ret;

	nic = devm_kzalloc(dev, sizeof(*nic), GFP_KERNEL);
	if (!nic)
		return -ENOMEM;
	nic->dev = dev;
	mutex_init(&nic->cfg_lock);

	nic->rx_wq = devm_alloc_workqueue(dev, "%s-rx", WQ_UNBOUND, max_active, dev_name(dev));
	if (!nic->rx_wq)
		return -ENOMEM;

	for (i = 0; i < NIC_RINGS; i++) {
		nic->ring[i].nic = nic;
		ret = devm_work_autocancel(dev, &nic->ring[i].work, nic_ring_work);
		if (ret)
			return ret;
	}
	ret = devm_delayed_work_autocancel(dev, &nic->stats_work, nic_stats_work);
	if (ret)
		return ret;

	/* Last: from here on interrupts may arrive and everything they use exists. */
	ret = devm_request_threaded_irq(dev, irq, nic_irq, nic_irq_thread, 0, dev_name(dev), nic);
	if (ret) {
		dev_err(dev, "cannot get irq %d: %d\n", irq, ret);
		return ret;
	}
	dev_set_drvdata(dev, nic);
	dev_info(dev, "probed: %d rings, irq %d, max_active %d\n", NIC_RINGS, irq, max_active);
	return 0;
}

static struct device_driver nic_driver = {
	.name = "devres_nic",
	.probe = nic_probe,
	/* no .remove: devres does all of it, in the right order */
};

static struct device *nic_dev;

static int __init nic_init(void)
{
	int ret;

	nic_dev = cmwq_device_new("nic0");
	if (!nic_dev)
		return -ENOMEM;
	ret = device_driver_attach(&nic_driver, nic_dev);
	if (ret) {
		cmwq_device_free(nic_dev);
		return ret;
	}
	cmwq_module_report_counter("interrupts", &irqs);
	cmwq_module_report_counter("items queued", &items_queued);
	cmwq_module_report_counter("items run", &items_run);
	cmwq_module_report_counter("packets", &packets);
	cmwq_module_report_counter("stats runs", &stats_runs);
	cmwq_module_report_counter("max concurrency", &max_concurrency);
	return 0;
}

static void __exit nic_exit(void)
{
	/* Interrupts may still be arriving: devres frees the IRQ before anything it uses. */
	cmwq_device_unbind(nic_dev);
	cmwq_device_free(nic_dev);
	pr_info("unbound: %ld interrupts, %ld items queued, %ld run (the rest cancelled), %ld packets\n",
		atomic_long_read(&irqs), atomic_long_read(&items_queued), atomic_long_read(&items_run),
		atomic_long_read(&packets));
}

module_init(nic_init);
module_exit(nic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("devres-managed workqueue, work items and threaded IRQ, unbound under load");
