// SPDX-License-Identifier: MIT
/*
 * pf_wq_worker_hides_sleep.c - a work item that hides its sleep from concurrency management.
 *
 * In the kernel a worker is a task with PF_WQ_WORKER in current->flags, and the scheduler tells
 * the workqueue code that it sleeps only while that flag is set. A work function that clears it
 * sleeps "invisibly": the other items of its CPU wait, as if it were still running. Set again,
 * the next sleep hands the CPU on to another worker.
 *
 * Two items on one CPU of a per-CPU queue: hider clears the flag, sleeps, checks that follower
 * has not run, sets the flag, sleeps again and checks that follower ran meanwhile. A wrong
 * answer is a WARNING (the runner then exits with status 1).
 *
 *   ./pf_wq_worker_hides_sleep --report
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

static struct workqueue_struct *wq;
static struct work_struct hider, follower;
static atomic_t follower_ran = ATOMIC_INIT(0);

static void follower_fn(struct work_struct *work)
{
	(void)work;
	atomic_set(&follower_ran, 1);
}

static void hider_fn(struct work_struct *work)
{
	int i;

	(void)work;
	WARN_ON(!(current->flags & PF_WQ_WORKER));
	current->flags &= ~PF_WQ_WORKER;
	msleep(50);
	WARN(atomic_read(&follower_ran), "follower ran during a hidden sleep");
	current->flags |= PF_WQ_WORKER;
	for (i = 0; i < 1000 && !atomic_read(&follower_ran); i++)
		msleep(5);
	WARN(!atomic_read(&follower_ran), "a visible sleep did not let the follower run");
	pr_info("hidden sleep: follower waited; visible sleep: follower ran\n");
}

static int __init pf_wq_worker_init(void)
{
	int cpu = raw_smp_processor_id();

	wq = alloc_workqueue("pf_wq_worker", WQ_PERCPU, 0);
	if (!wq)
		return -ENOMEM;
	INIT_WORK(&hider, hider_fn);
	INIT_WORK(&follower, follower_fn);
	queue_work_on(cpu, wq, &hider);
	queue_work_on(cpu, wq, &follower);
	flush_workqueue(wq);
	return 0;
}

static void __exit pf_wq_worker_exit(void)
{
	destroy_workqueue(wq);
}

module_init(pf_wq_worker_init);
module_exit(pf_wq_worker_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a worker hides a sleep by clearing PF_WQ_WORKER");
