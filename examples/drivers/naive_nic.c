// SPDX-License-Identifier: MIT
/*
 * naive_nic.c - the devres_nic driver written the way that looks fine and is not: the interrupt
 * is device-managed, but the workqueue is allocated by hand and destroyed in remove().
 *
 * The driver core calls remove() first and releases devres afterwards, so between
 * destroy_workqueue() in remove() and the devm free_irq() that follows it, the interrupt handler
 * still runs and queues work on a destroyed queue. In the kernel that is a use-after-free. cmwq
 * keeps queue handles generation-checked (semantics.md D3): it prints a WARNING and drops the
 * request instead, so the bug shows up as a warning and a failing exit status (the runner fails on
 * any WARNING), never as memory corruption.
 *
 * The fix is devres_nic.c: devm_alloc_workqueue() before devm_request_irq(), or, without devres,
 * free_irq() before destroy_workqueue() in remove().
 *
 *   ./naive_nic --run-ms 300 --irq 1:1000000:100      (expected: WARNING, exit status 1)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#define NIC_RINGS 8

static int irq = 1;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "interrupt line of the card");

struct nic_ring {
	struct work_struct work;
	atomic_t backlog;
};

struct nic {
	struct device *dev;
	struct workqueue_struct *rx_wq;
	struct nic_ring ring[NIC_RINGS];
	unsigned int next_ring;	/* hard handler only */
};

static atomic_long_t irqs = ATOMIC_LONG_INIT(0);
static atomic_long_t items_queued = ATOMIC_LONG_INIT(0);
static atomic_long_t queue_refused = ATOMIC_LONG_INIT(0);

static void nic_ring_work(struct work_struct *work)
{
	struct nic_ring *ring = container_of(work, struct nic_ring, work);

	atomic_xchg(&ring->backlog, 0);
	usleep_range(50, 100);
}

static irqreturn_t nic_irq(int line, void *dev_id)
{
	struct nic *nic = dev_id;
	struct nic_ring *ring = &nic->ring[nic->next_ring++ % NIC_RINGS];

	(void)line;
	atomic_long_inc(&irqs);
	atomic_inc(&ring->backlog);
	if (queue_work(nic->rx_wq, &ring->work))	/* after remove(): a destroyed queue */
		atomic_long_inc(&items_queued);
	else if (!work_pending(&ring->work))
		atomic_long_inc(&queue_refused);
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
	nic->rx_wq = alloc_workqueue("%s-rx", WQ_UNBOUND, 4, dev_name(dev));	/* not devm */
	if (!nic->rx_wq)
		return -ENOMEM;
	for (i = 0; i < NIC_RINGS; i++)
		INIT_WORK(&nic->ring[i].work, nic_ring_work);

	ret = devm_request_irq(dev, irq, nic_irq, 0, dev_name(dev), nic);
	if (ret) {
		destroy_workqueue(nic->rx_wq);
		return ret;
	}
	dev_set_drvdata(dev, nic);
	return 0;
}

static int nic_remove(struct device *dev)
{
	struct nic *nic = dev_get_drvdata(dev);

	destroy_workqueue(nic->rx_wq);	/* BUG: the devm interrupt is still live until after remove() */
	msleep(20);			/* "let the DMA engine settle": interrupts keep coming meanwhile */
	return 0;
}

static struct device_driver nic_driver = {
	.name = "naive_nic",
	.probe = nic_probe,
	.remove = nic_remove,
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
	cmwq_module_report_counter("queueing refused", &queue_refused);
	return 0;
}

static void __exit nic_exit(void)
{
	cmwq_device_unbind(nic_dev);
	cmwq_device_free(nic_dev);
}

module_init(nic_init);
module_exit(nic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("the teardown-order bug: manual workqueue, devm interrupt");
