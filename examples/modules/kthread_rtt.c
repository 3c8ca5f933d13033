// SPDX-License-Identifier: MIT
/*
 * kthread_rtt.c - a kthread that times round trips through a workqueue.
 *
 * The producer thread queues one probe item at a time on the module's workqueue and waits for it
 * to run; each round trip (queue_work() to the item's complete()) is timed with ktime_get(). When
 * all rounds are done it sorts the samples with sort() and reports the minimum, median, 99th
 * percentile and maximum, then sleeps in the kernel's way (set_current_state() + schedule()) until
 * module_exit()'s kthread_stop() wakes it.
 *
 *   ./kthread_rtt [rounds=N] --report
 *
 * Built unmodified by cmwq's test suite (example.module.kthread_rtt) and, from the installed
 * package, by a C-only CMake project and by pkg-config (consumer.find_package).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

static unsigned int rounds = 200;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "round trips to time (1..100000)");

struct probe {
	struct work_struct work;
	struct completion ran;
};

static struct workqueue_struct *rtt_wq;
static struct task_struct *producer;
static struct probe probe;
static s64 *samples;		/* nanoseconds, one per round */
static unsigned int done_rounds;
static DECLARE_COMPLETION(measured);

static void probe_fn(struct work_struct *work)
{
	struct probe *p = container_of(work, struct probe, work);

	complete(&p->ran);
}

static int cmp_s64(const void *a, const void *b)
{
	s64 x = *(const s64 *)a, y = *(const s64 *)b;

	return x < y ? -1 : x > y;
}

static int producer_fn(void *data)
{
	unsigned int i;

	(void)data;
	for (i = 0; i < rounds && !kthread_should_stop(); i++) {
		ktime_t start = ktime_get();

		reinit_completion(&probe.ran);
		queue_work(rtt_wq, &probe.work);
		wait_for_completion(&probe.ran);
		samples[i] = ktime_to_ns(ktime_sub(ktime_get(), start));
	}
	done_rounds = i;
	sort(samples, done_rounds, sizeof(*samples), cmp_s64, NULL);
	complete(&measured);

	/* Nothing left to do: sleep until kthread_stop() wakes us. */
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init kthread_rtt_init(void)
{
	if (rounds == 0 || rounds > 100000)
		return -EINVAL;
	samples = kcalloc(rounds, sizeof(*samples), GFP_KERNEL);
	if (!samples)
		return -ENOMEM;
	rtt_wq = alloc_workqueue("rtt", WQ_UNBOUND, 0);
	if (!rtt_wq) {
		kfree(samples);
		return -ENOMEM;
	}
	INIT_WORK(&probe.work, probe_fn);
	init_completion(&probe.ran);
	producer = kthread_run(producer_fn, NULL, "rtt_producer");
	if (IS_ERR(producer)) {
		destroy_workqueue(rtt_wq);
		kfree(samples);
		return PTR_ERR(producer);
	}
	return 0;
}

static void __exit kthread_rtt_exit(void)
{
	unsigned int i;
	int ret;

	wait_for_completion(&measured);
	ret = kthread_stop(producer);
	WARN_ON(ret != 0);
	for (i = 1; i < done_rounds; i++)
		WARN_ON(samples[i - 1] > samples[i]);	/* sort() left them in order */
	if (done_rounds)
		pr_info("%u round trips: min %llu us, median %llu us, p99 %llu us, max %llu us\n",
			done_rounds, (u64)samples[0] / NSEC_PER_USEC,
			(u64)samples[done_rounds / 2] / NSEC_PER_USEC,
			(u64)samples[done_rounds * 99 / 100] / NSEC_PER_USEC,
			(u64)samples[done_rounds - 1] / NSEC_PER_USEC);
	destroy_workqueue(rtt_wq);
	kfree(samples);
}

module_init(kthread_rtt_init);
module_exit(kthread_rtt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("times workqueue round trips from a kthread");
