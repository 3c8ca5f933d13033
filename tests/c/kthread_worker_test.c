/* SPDX-License-Identifier: MIT */
/*
 * The kthread_worker API from plain C (gnu11): items run in queue order on one thread, a pending
 * item is not queued twice, flush waits, delayed items wait for their delay and can be cancelled
 * or re-timed, cancel_sync waits for a running item, a caller-owned worker runs under
 * kthread_worker_fn, and the misuses (queueing on a destroyed worker, destroying twice, an item on
 * two workers) WARN and fail. Every wait has a deadline. Exits 0 on success, 1 on the first
 * failed check.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>

#include "c_check.h"

enum { n_items = 50, deadline_ms = 10000 };

struct item {
	struct kthread_work work;
	int id;
};

static int order[n_items];
static atomic_t ran = ATOMIC_INIT(0);

static void record_fn(struct kthread_work *work)
{
	struct item *it = container_of(work, struct item, work);

	order[atomic_inc_return(&ran) - 1] = it->id;
}

static void test_order_and_flush(void)
{
	struct kthread_worker *w = kthread_create_worker(0, "kw_%s", "order");
	static struct item items[n_items];
	int i;

	CHECK(!IS_ERR(w));
	for (i = 0; i < n_items; i++) {
		items[i].id = i;
		kthread_init_work(&items[i].work, record_fn);
		CHECK(kthread_queue_work(w, &items[i].work));
	}
	kthread_flush_worker(w);
	CHECK(atomic_read(&ran) == n_items);
	for (i = 0; i < n_items; i++)
		CHECK(order[i] == i); /* one thread, queue order */
	kthread_destroy_worker(w);
}

/* An item that blocks until released: pending-twice, flush_work and cancel_sync against it. */
static DECLARE_COMPLETION(gate_entered);
static DECLARE_COMPLETION(gate_open);
static atomic_t gate_runs = ATOMIC_INIT(0);

static void gate_fn(struct kthread_work *work)
{
	(void)work;
	complete(&gate_entered);
	CHECK(wait_for_completion_timeout(&gate_open, msecs_to_jiffies(deadline_ms)) > 0);
	atomic_inc(&gate_runs);
}

static atomic_t plain_runs = ATOMIC_INIT(0);

static void plain_fn(struct kthread_work *work)
{
	(void)work;
	atomic_inc(&plain_runs);
}

static int opener_fn(void *data)
{
	msleep(20);
	complete_all((struct completion *)data);
	return 0;
}

static void test_pending_flush_cancel(void)
{
	struct kthread_worker *w = kthread_create_worker(0, "kw_gate");
	struct kthread_work gate, behind;
	struct task_struct *opener;

	CHECK(!IS_ERR(w));
	kthread_init_work(&gate, gate_fn);
	kthread_init_work(&behind, plain_fn);
	CHECK(kthread_queue_work(w, &gate));
	CHECK(wait_for_completion_timeout(&gate_entered, msecs_to_jiffies(deadline_ms)) > 0);
	CHECK(kthread_queue_work(w, &behind));
	CHECK(!kthread_queue_work(w, &behind)); /* pending: not queued twice */
	CHECK(kthread_cancel_work_sync(&behind)); /* it was pending: taken off */
	CHECK(!kthread_cancel_work_sync(&behind));
	/* cancel_sync of the running gate waits for it; someone else opens the gate. */
	opener = kthread_run(opener_fn, &gate_open, "opener");
	CHECK(!IS_ERR(opener));
	CHECK(!kthread_cancel_work_sync(&gate)); /* running, not pending */
	CHECK(atomic_read(&gate_runs) == 1);     /* ...and it has finished */
	CHECK(kthread_stop(opener) == 0);
	kthread_flush_work(&behind);             /* idle: returns at once */
	CHECK(atomic_read(&plain_runs) == 0);
	CHECK(kthread_queue_work(w, &behind));
	kthread_flush_work(&behind);
	CHECK(atomic_read(&plain_runs) == 1);
	kthread_destroy_worker(w);
}

static void test_delayed(void)
{
	struct kthread_worker *w = kthread_create_worker(0, "kw_delayed");
	struct kthread_delayed_work d;
	unsigned long start;

	CHECK(!IS_ERR(w));
	atomic_set(&plain_runs, 0);
	kthread_init_delayed_work(&d, plain_fn);
	start = jiffies;
	CHECK(kthread_queue_delayed_work(w, &d, msecs_to_jiffies(30)));
	CHECK(!kthread_queue_delayed_work(w, &d, 0)); /* timer armed: pending */
	while (atomic_read(&plain_runs) == 0 && time_before(jiffies, start + deadline_ms))
		msleep(1);
	CHECK(atomic_read(&plain_runs) == 1);
	CHECK(time_after_eq(jiffies, start + msecs_to_jiffies(30))); /* not before its delay */

	CHECK(kthread_queue_delayed_work(w, &d, msecs_to_jiffies(deadline_ms)));
	CHECK(kthread_cancel_delayed_work_sync(&d)); /* armed: cancelled */
	msleep(10);
	CHECK(atomic_read(&plain_runs) == 1);

	CHECK(!kthread_mod_delayed_work(w, &d, msecs_to_jiffies(deadline_ms))); /* was idle */
	CHECK(kthread_mod_delayed_work(w, &d, 0));                              /* re-timed: now */
	kthread_flush_worker(w);
	CHECK(atomic_read(&plain_runs) == 2);
	kthread_destroy_worker(w);
}

static void test_caller_owned_worker(void)
{
	struct kthread_worker worker;
	struct kthread_work work;
	struct task_struct *t;

	kthread_init_worker(&worker);
	t = kthread_run(kthread_worker_fn, &worker, "kw_owned");
	CHECK(!IS_ERR(t));
	atomic_set(&plain_runs, 0);
	kthread_init_work(&work, plain_fn);
	CHECK(kthread_queue_work(&worker, &work));
	kthread_flush_worker(&worker);
	CHECK(atomic_read(&plain_runs) == 1);
	CHECK(kthread_stop(t) == 0);
	{
		unsigned long warns = cmwq_warn_count();

		kthread_destroy_worker(&worker); /* not ours to free: WARNs, left alone */
		CHECK(cmwq_warn_count() == warns + 1);
	}
}

static void test_misuse(void)
{
	struct kthread_worker *a = kthread_create_worker(0, "kw_a");
	struct kthread_worker *b = kthread_create_worker(0, "kw_b");
	struct kthread_work work;
	unsigned long warns = cmwq_warn_count();

	CHECK(!IS_ERR(a) && !IS_ERR(b));
	kthread_init_work(&work, plain_fn);
	CHECK(kthread_queue_work(a, &work));
	kthread_flush_work(&work);
	CHECK(!kthread_queue_work(b, &work)); /* belongs to a */
	CHECK(cmwq_warn_count() == warns + 1);
	kthread_destroy_worker(b);
	{
		struct kthread_worker *c = kthread_create_worker(0, "kw_c");
		struct kthread_delayed_work armed;

		CHECK(!IS_ERR(c));
		kthread_init_delayed_work(&armed, plain_fn);
		CHECK(kthread_queue_delayed_work(c, &armed, msecs_to_jiffies(deadline_ms)));
		kthread_destroy_worker(c); /* armed: WARNs, disarms it, nothing fires later */
		CHECK(cmwq_warn_count() == warns + 2);
		warns++;
	}
	kthread_destroy_worker(a);
	CHECK(!kthread_queue_work(a, &work)); /* destroyed: WARNs, no use after free */
	CHECK(cmwq_warn_count() == warns + 2);
	kthread_destroy_worker(a); /* twice */
	CHECK(cmwq_warn_count() == warns + 3);
}

int main(void)
{
	test_order_and_flush();
	test_pending_flush_cancel();
	test_delayed();
	test_caller_owned_worker();
	test_misuse();
	printf("kthread_worker: ok\n");
	return 0;
}
