/* SPDX-License-Identifier: MIT */
/*
 * capi_kernel_style_test.c - a small "driver" written the way kernel code uses workqueues,
 * compiled as plain C (gnu11) against cmwq's <linux/workqueue.h>.
 *
 * It exercises: DECLARE_WORK, DECLARE_DELAYED_WORK, INIT_WORK, INIT_DELAYED_WORK, container_of,
 * to_delayed_work, alloc_workqueue with a printf-style name, alloc_ordered_workqueue,
 * create_singlethread_workqueue, queue_work, queue_work_on, schedule_work, schedule_delayed_work,
 * queue_delayed_work, mod_delayed_work, flush_work, flush_delayed_work, flush_workqueue,
 * cancel_work_sync, cancel_delayed_work_sync, disable_work/enable_work, work_pending,
 * delayed_work_pending, work_busy, current_work, workqueue_congested, freeze/thaw,
 * destroy_workqueue and the system_* queues.
 *
 * It checks its own results: every failed check is printed with its line, and the program exits
 * non-zero if any failed. Every wait has a deadline (wait_for_completion_timeout).
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#define DEADLINE_MS 10000
#define NR_ORDERED 8

static int failures;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, \
				__func__, #cond);                                            \
			failures++;                                                          \
		}                                                                            \
	} while (0)

/* Waits for @c with the standard deadline; a timeout is a failure of the calling check. */
static bool wait_done(struct completion *c)
{
	return wait_for_completion_timeout(c, msecs_to_jiffies(DEADLINE_MS)) != 0;
}

/* ---- statically declared items ------------------------------------------------------------ */

static atomic_t static_runs = ATOMIC_INIT(0);
static DECLARE_COMPLETION(static_done);

static void static_work_fn(struct work_struct *work)
{
	(void)work;
	atomic_inc(&static_runs);
	complete(&static_done);
}
static DECLARE_WORK(static_work, static_work_fn);
static DECLARE_DELAYED_WORK(static_dwork, static_work_fn);

static void test_declared_items(void)
{
	CHECK(!work_pending(&static_work));
	CHECK(schedule_work(&static_work));
	CHECK(wait_done(&static_done));
	flush_work(&static_work);
	CHECK(atomic_read(&static_runs) == 1);

	CHECK(schedule_delayed_work(&static_dwork, msecs_to_jiffies(5)));
	CHECK(delayed_work_pending(&static_dwork));
	CHECK(wait_done(&static_done));
	flush_delayed_work(&static_dwork);
	CHECK(atomic_read(&static_runs) == 2);
	CHECK(!delayed_work_pending(&static_dwork));
}

/* ---- a device with an "interrupt" item and a polling item ---------------------------------- */

struct my_dev {
	int id;
	struct workqueue_struct *wq;
	struct work_struct irq_work;
	struct delayed_work poll_work;
	atomic_t irq_runs;
	atomic_t poll_runs;
	atomic_t current_ok;
	struct completion irq_done;
	struct completion poll_done;
};

static void my_irq_work(struct work_struct *work)
{
	struct my_dev *dev = container_of(work, struct my_dev, irq_work);

	if (current_work() == work && !work_pending(work))
		atomic_inc(&dev->current_ok);
	atomic_inc(&dev->irq_runs);
	complete(&dev->irq_done);
}

static void my_poll_work(struct work_struct *work)
{
	struct delayed_work *dwork = to_delayed_work(work);
	struct my_dev *dev = container_of(dwork, struct my_dev, poll_work);

	atomic_inc(&dev->poll_runs);
	complete(&dev->poll_done);
}

static struct my_dev *my_dev_probe(int id)
{
	struct my_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return NULL;
	dev->id = id;
	dev->wq = alloc_workqueue("mydev%d", WQ_UNBOUND | WQ_MEM_RECLAIM, 0, id);
	if (!dev->wq) {
		kfree(dev);
		return NULL;
	}
	INIT_WORK(&dev->irq_work, my_irq_work);
	INIT_DELAYED_WORK(&dev->poll_work, my_poll_work);
	init_completion(&dev->irq_done);
	init_completion(&dev->poll_done);
	return dev;
}

static void my_dev_remove(struct my_dev *dev)
{
	cancel_delayed_work_sync(&dev->poll_work);
	cancel_work_sync(&dev->irq_work);
	destroy_workqueue(dev->wq);
	kfree(dev);
}

static void test_device(void)
{
	struct my_dev *dev = my_dev_probe(3);

	CHECK(dev != NULL);
	if (!dev)
		return;

	/* interrupt path: queue, run, flush */
	CHECK(queue_work(dev->wq, &dev->irq_work));
	CHECK(wait_done(&dev->irq_done));
	flush_work(&dev->irq_work);
	CHECK(atomic_read(&dev->irq_runs) == 1);
	CHECK(atomic_read(&dev->current_ok) == 1);
	CHECK(work_busy(&dev->irq_work) == 0);
	CHECK(!flush_work(&dev->irq_work));

	/* polling path: arm, re-arm to now, run */
	CHECK(queue_delayed_work(dev->wq, &dev->poll_work, msecs_to_jiffies(DEADLINE_MS)));
	CHECK(delayed_work_pending(&dev->poll_work));
	CHECK(work_busy(&dev->poll_work.work) == WORK_BUSY_PENDING);
	CHECK(!queue_delayed_work(dev->wq, &dev->poll_work, 0));
	CHECK(mod_delayed_work(dev->wq, &dev->poll_work, 0));
	CHECK(wait_done(&dev->poll_done));
	flush_delayed_work(&dev->poll_work);
	CHECK(atomic_read(&dev->poll_runs) == 1);

	/* cancel an armed poll */
	CHECK(!mod_delayed_work(dev->wq, &dev->poll_work, msecs_to_jiffies(DEADLINE_MS)));
	CHECK(cancel_delayed_work_sync(&dev->poll_work));
	CHECK(!delayed_work_pending(&dev->poll_work));

	/*
	 * flush_delayed_work runs an armed poll at once. (Its return value is not checked here: the
	 * engine can return false when the item completes before flush_work() looks at it - see
	 * capi_delayed.DISABLED_flush_armed_item_returns_true_every_time.)
	 */
	CHECK(queue_delayed_work(dev->wq, &dev->poll_work, msecs_to_jiffies(DEADLINE_MS)));
	flush_delayed_work(&dev->poll_work);
	CHECK(atomic_read(&dev->poll_runs) == 2);

	/* disable while the device is suspended, enable on resume */
	CHECK(!disable_work(&dev->irq_work));
	CHECK(!queue_work(dev->wq, &dev->irq_work));
	CHECK(enable_work(&dev->irq_work));
	CHECK(queue_work(dev->wq, &dev->irq_work));
	CHECK(wait_done(&dev->irq_done));
	flush_workqueue(dev->wq);
	CHECK(atomic_read(&dev->irq_runs) == 2);

	my_dev_remove(dev);
}

/* ---- a gate: an item that blocks until released ---------------------------------------------- */

struct gate_item {
	struct work_struct work;
	struct completion started;
	struct completion release;
	bool timed_out;
};

static void gate_fn(struct work_struct *work)
{
	struct gate_item *g = container_of(work, struct gate_item, work);

	complete(&g->started);
	if (!wait_done(&g->release))
		g->timed_out = true;
}

static void gate_init(struct gate_item *g)
{
	INIT_WORK(&g->work, gate_fn);
	init_completion(&g->started);
	init_completion(&g->release);
	g->timed_out = false;
}

/* ---- ordered queues ------------------------------------------------------------------------ */

struct seq_item {
	struct work_struct work;
	int index;
	int *log;
	atomic_t *pos;
};

static void seq_fn(struct work_struct *work)
{
	struct seq_item *s = container_of(work, struct seq_item, work);
	int at = atomic_inc_return(s->pos) - 1;

	msleep(1);
	if (at >= 0 && at < NR_ORDERED)
		s->log[at] = s->index;
}

static void check_ordered(struct workqueue_struct *wq, const char *what)
{
	struct seq_item items[NR_ORDERED];
	int log[NR_ORDERED];
	atomic_t pos = ATOMIC_INIT(0);
	int i;

	for (i = 0; i < NR_ORDERED; i++) {
		INIT_WORK(&items[i].work, seq_fn);
		items[i].index = i;
		items[i].log = log;
		items[i].pos = &pos;
		log[i] = -1;
	}
	for (i = 0; i < NR_ORDERED; i++)
		CHECK(queue_work(wq, &items[i].work));
	flush_workqueue(wq);
	for (i = 0; i < NR_ORDERED; i++) {
		if (log[i] != i) {
			fprintf(stderr, "%s: position %d ran item %d\n", what, i, log[i]);
			failures++;
		}
	}
}

static void test_ordered_queues(void)
{
	struct workqueue_struct *ord = alloc_ordered_workqueue("ord-%s", 0, "c");
	struct workqueue_struct *st = create_singlethread_workqueue("c-st");
	struct gate_item g;
	struct work_struct *pending = kzalloc(sizeof(*pending), GFP_KERNEL);

	CHECK(ord != NULL && st != NULL && pending != NULL);
	if (!ord || !st || !pending)
		return;
	check_ordered(ord, "alloc_ordered_workqueue");
	check_ordered(st, "create_singlethread_workqueue");

	/* an item behind a blocked ordered queue is pending; queueing it again returns false */
	gate_init(&g);
	INIT_WORK(pending, seq_fn);
	CHECK(queue_work(ord, &g.work));
	CHECK(wait_done(&g.started));
	CHECK(queue_work(ord, pending));
	CHECK(work_pending(pending));
	CHECK(!queue_work(ord, pending));
	CHECK(cancel_work_sync(pending));
	CHECK(!work_pending(pending));
	complete_all(&g.release);
	flush_work(&g.work);
	CHECK(!g.timed_out);

	destroy_workqueue(ord);
	destroy_workqueue(st);
	kfree(pending);
}

/* ---- congestion on a per-CPU queue with max_active 1 ------------------------------------------- */

static void nop_fn(struct work_struct *work)
{
	(void)work;
}

static void test_congested(void)
{
	struct workqueue_struct *wq = alloc_workqueue("c-cong", WQ_PERCPU, 1);
	struct gate_item g;
	struct work_struct second;
	int cpu = raw_smp_processor_id();

	CHECK(wq != NULL);
	if (!wq)
		return;
	gate_init(&g);
	INIT_WORK(&second, nop_fn);
	CHECK(queue_work_on(cpu, wq, &g.work));
	CHECK(wait_done(&g.started));
	CHECK(!workqueue_congested(cpu, wq));
	CHECK(queue_work_on(cpu, wq, &second));
	CHECK(workqueue_congested(cpu, wq));
	CHECK(work_busy(&second) == WORK_BUSY_PENDING);
	CHECK(work_busy(&g.work) == WORK_BUSY_RUNNING);
	complete_all(&g.release);
	flush_workqueue(wq);
	CHECK(!workqueue_congested(cpu, wq));
	CHECK(!g.timed_out);
	destroy_workqueue(wq);
}

/* ---- freezing ---------------------------------------------------------------------------------- */

static atomic_t frozen_runs = ATOMIC_INIT(0);
static DECLARE_COMPLETION(frozen_done);

static void frozen_fn(struct work_struct *work)
{
	(void)work;
	atomic_inc(&frozen_runs);
	complete(&frozen_done);
}

static void test_freezing(void)
{
	struct workqueue_struct *wq = alloc_workqueue("c-frz", WQ_FREEZABLE | WQ_PERCPU, 0);
	struct work_struct w;

	CHECK(wq != NULL);
	if (!wq)
		return;
	INIT_WORK(&w, frozen_fn);
	freeze_workqueues_begin();
	CHECK(queue_work(wq, &w));
	msleep(50);
	CHECK(atomic_read(&frozen_runs) == 0);
	CHECK(!freeze_workqueues_busy());
	thaw_workqueues();
	CHECK(wait_done(&frozen_done));
	flush_workqueue(wq);
	CHECK(atomic_read(&frozen_runs) == 1);
	destroy_workqueue(wq);
}

/* ---- every system queue runs items --------------------------------------------------------------- */

struct sys_item {
	struct work_struct work;
	struct completion done;
};

static void sys_fn(struct work_struct *work)
{
	complete(&container_of(work, struct sys_item, work)->done);
}

static void test_system_queues(void)
{
	struct workqueue_struct *queues[] = {
		system_wq, system_percpu_wq, system_highpri_wq, system_long_wq,
		system_dfl_wq, system_unbound_wq, system_freezable_wq,
		system_power_efficient_wq, system_freezable_power_efficient_wq,
	};
	struct sys_item item;
	size_t i;

	CHECK(system_wq == system_percpu_wq);       /* D1 */
	CHECK(system_unbound_wq == system_dfl_wq);  /* D1 */
	for (i = 0; i < ARRAY_SIZE(queues); i++) {
		INIT_WORK(&item.work, sys_fn);
		init_completion(&item.done);
		CHECK(queues[i] != NULL);
		CHECK(queue_work(queues[i], &item.work));
		if (!wait_done(&item.done)) {
			fprintf(stderr, "system queue #%zu did not run its item\n", i);
			failures++;
		}
		flush_work(&item.work);
	}
}

int main(void)
{
	size_t live = cmwq_live_workqueues();

	test_declared_items();
	test_device();
	test_ordered_queues();
	test_congested();
	test_freezing();
	test_system_queues();
	CHECK(cmwq_live_workqueues() == live);

	if (failures) {
		fprintf(stderr, "capi_kernel_style_test: %d check(s) failed\n", failures);
		return 1;
	}
	printf("capi_kernel_style_test: all checks passed\n");
	return 0;
}
