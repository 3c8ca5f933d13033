// SPDX-License-Identifier: MIT
/* bench/kc_ops.c - the micro-benchmarks' operations written against the kernel-style C API
 * (gnu11), as kernel code would call them. */
#include <linux/workqueue.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/slab.h>

#include "kc_ops.h"

/* ---- micro-benchmarks -------------------------------------------------------------------------- */

struct kc_micro {
	struct workqueue_struct *percpu;
	struct workqueue_struct *gated;    /* unbound, max_active 1, kept busy by ->gate */
	struct workqueue_struct *ordered;
	struct work_struct empty;
	struct work_struct idle;
	struct work_struct gate;
	struct work_struct pend;
	struct delayed_work dwork;
	struct work_struct *batch;
	int nbatch;
	int gate_open;                     /* futex-free: the gate item polls with msleep(1) */
};

static void empty_fn(struct work_struct *w) { (void)w; }

static void gate_fn(struct work_struct *w)
{
	struct kc_micro *m = (struct kc_micro *)((char *)w - offsetof(struct kc_micro, gate));
	while (!__atomic_load_n(&m->gate_open, __ATOMIC_ACQUIRE))
		msleep(1);
}

struct kc_micro *kc_micro_new(void)
{
	struct kc_micro *m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return NULL;
	m->percpu = alloc_workqueue("kc_percpu", WQ_PERCPU, 0);
	m->gated = alloc_workqueue("kc_gated", WQ_UNBOUND, 1);
	m->ordered = alloc_ordered_workqueue("kc_ordered", 0);
	INIT_WORK(&m->empty, empty_fn);
	INIT_WORK(&m->idle, empty_fn);
	INIT_WORK(&m->gate, gate_fn);
	INIT_WORK(&m->pend, empty_fn);
	INIT_DELAYED_WORK(&m->dwork, empty_fn);
	queue_work(m->gated, &m->gate);    /* occupies the only active slot until kc_micro_free() */
	return m;
}

void kc_micro_free(struct kc_micro *m)
{
	__atomic_store_n(&m->gate_open, 1, __ATOMIC_RELEASE);
	cancel_work_sync(&m->pend);
	cancel_delayed_work_sync(&m->dwork);
	destroy_workqueue(m->gated);
	destroy_workqueue(m->percpu);
	destroy_workqueue(m->ordered);
	kfree(m->batch);
	kfree(m);
}

void kc_queue_flush(struct kc_micro *m, int cpu)
{
	queue_work_on(cpu < 0 ? WORK_CPU_UNBOUND : cpu, m->percpu, &m->empty);
	flush_work(&m->empty);
}

bool kc_flush_idle(struct kc_micro *m) { return flush_work(&m->idle); }

void kc_pending_cancel(struct kc_micro *m)
{
	queue_work(m->gated, &m->pend);
	cancel_work(&m->pend);
}

void kc_delayed_arm_cancel(struct kc_micro *m)
{
	queue_delayed_work(m->percpu, &m->dwork, msecs_to_jiffies(1000));
	cancel_delayed_work(&m->dwork);
}

void kc_ordered_batch(struct kc_micro *m, int n)
{
	int i;
	if (n > m->nbatch) {
		kfree(m->batch);
		m->batch = kcalloc(n, sizeof(*m->batch), GFP_KERNEL);
		m->nbatch = n;
		for (i = 0; i < n; i++)
			INIT_WORK(&m->batch[i], empty_fn);
	}
	for (i = 0; i < n; i++)
		queue_work(m->ordered, &m->batch[i]);
	flush_workqueue(m->ordered);
}
