// SPDX-License-Identifier: MIT
/*
 * embedded.c - a driver whose deferred work lives inside its device structure.
 *
 * Most drivers do not allocate a work item per event: they embed a work_struct (and a
 * delayed_work, and a timer) in their private structure and find the structure again with
 * container_of() when the callback runs. The item is then reused: queueing it while it is
 * still pending does nothing, which coalesces bursts of interrupts into one run.
 *
 *   irq_work    bottom half of the interrupt, on the system workqueue (schedule_work)
 *   poll_work   a delayed work that re-arms itself every poll_ms (schedule_delayed_work)
 *   watchdog    a kernel timer that re-arms itself and checks that polling makes progress
 *
 * remove() undoes probe() in reverse: free the interrupt (no new irq_work), shut the timer down
 * (timer_shutdown_sync also stops it from re-arming itself), cancel the self-requeueing poll
 * (cancel_delayed_work_sync copes with that), cancel irq_work, then free the structure.
 *
 *   ./embedded --run-ms 300 --irq 2:1000:200 --report
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

static int irq = 2;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "interrupt line of the sensor");
static int poll_ms = 5;
module_param(poll_ms, int, 0644);
MODULE_PARM_DESC(poll_ms, "polling period in milliseconds");

struct sensor {
	struct device *dev;
	struct work_struct irq_work;
	struct delayed_work poll_work;
	struct timer_list watchdog;
	spinlock_t lock;		/* guards the counters below */
	unsigned long events;		/* irq_work runs */
	unsigned long polls;		/* poll_work runs */
	unsigned long last_polls;	/* polls seen by the watchdog last time */
	unsigned long stalls;		/* watchdog periods without a poll */
};

static atomic_long_t irq_count = ATOMIC_LONG_INIT(0);
static atomic_long_t event_count = ATOMIC_LONG_INIT(0);
static atomic_long_t poll_count = ATOMIC_LONG_INIT(0);

static void sensor_irq_work(struct work_struct *work)
{
	struct sensor *s = container_of(work, struct sensor, irq_work);
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	s->events++;
	spin_unlock_irqrestore(&s->lock, flags);
	atomic_long_inc(&event_count);
}

static void sensor_poll_work(struct work_struct *work)
{
	struct sensor *s = container_of(to_delayed_work(work), struct sensor, poll_work);
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	s->polls++;
	spin_unlock_irqrestore(&s->lock, flags);
	atomic_long_inc(&poll_count);
	schedule_delayed_work(&s->poll_work, msecs_to_jiffies(poll_ms));
}

static void sensor_watchdog(struct timer_list *t)
{
	struct sensor *s = from_timer(s, t, watchdog);
	unsigned long flags;

	spin_lock_irqsave(&s->lock, flags);
	if (s->polls == s->last_polls)
		s->stalls++;
	s->last_polls = s->polls;
	spin_unlock_irqrestore(&s->lock, flags);
	mod_timer(&s->watchdog, jiffies + msecs_to_jiffies(20 * poll_ms));
}

static irqreturn_t sensor_irq(int line, void *dev_id)
{
	struct sensor *s = dev_id;

	(void)line;
	atomic_long_inc(&irq_count);
	schedule_work(&s->irq_work);	/* false while still pending: bursts coalesce */
	return IRQ_HANDLED;
}

static int sensor_probe(struct device *dev)
{
	struct sensor *s;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->dev = dev;
	spin_lock_init(&s->lock);
	INIT_WORK(&s->irq_work, sensor_irq_work);
	INIT_DELAYED_WORK(&s->poll_work, sensor_poll_work);
	timer_setup(&s->watchdog, sensor_watchdog, 0);
	dev_set_drvdata(dev, s);

	ret = request_irq(irq, sensor_irq, IRQF_SHARED, "sensor", s);
	if (ret) {
		dev_err(dev, "cannot get irq %d: %d\n", irq, ret);
		kfree(s);
		return ret;
	}
	schedule_delayed_work(&s->poll_work, 0);
	mod_timer(&s->watchdog, jiffies + msecs_to_jiffies(20 * poll_ms));
	dev_info(dev, "probed, irq %d, polling every %d ms\n", irq, poll_ms);
	return 0;
}

static int sensor_remove(struct device *dev)
{
	struct sensor *s = dev_get_drvdata(dev);

	free_irq(irq, s);			/* no handler runs after this: no new irq_work */
	timer_shutdown_sync(&s->watchdog);	/* disarmed, and cannot re-arm itself */
	cancel_delayed_work_sync(&s->poll_work);	/* copes with the self-requeueing */
	cancel_work_sync(&s->irq_work);
	dev_info(dev, "removed: %lu events, %lu polls, %lu watchdog stalls\n", s->events, s->polls, s->stalls);
	kfree(s);
	return 0;
}

static struct device_driver sensor_driver = {
	.name = "sensor",
	.probe = sensor_probe,
	.remove = sensor_remove,
};

static struct device *sensor_dev;

static int __init sensor_init(void)
{
	int ret;

	/* cmwq has no bus: create the device and bind the driver to it by hand. */
	sensor_dev = cmwq_device_new("sensor0");
	if (!sensor_dev)
		return -ENOMEM;
	ret = device_driver_attach(&sensor_driver, sensor_dev);
	if (ret) {
		cmwq_device_free(sensor_dev);
		return ret;
	}
	cmwq_module_report_counter("interrupts", &irq_count);
	cmwq_module_report_counter("irq_work runs", &event_count);
	cmwq_module_report_counter("poll_work runs", &poll_count);
	return 0;
}

static void __exit sensor_exit(void)
{
	cmwq_device_unbind(sensor_dev);	/* calls sensor_remove() */
	cmwq_device_free(sensor_dev);
}

module_init(sensor_init);
module_exit(sensor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("embedded work_struct, delayed_work and timer_list with container_of");
