// SPDX-License-Identifier: MIT
/* bench/kc_workloads.c - the C API side of cmwq_compare's W4 (msleep) and W5 (struct delayed_work),
 * written as kernel code would be (gnu11). */
#include <linux/workqueue.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/slab.h>

#include "kc_ops.h"

long kc_live_workers(void)
{
	struct cmwq_worker_counts c;
	cmwq_get_worker_counts(&c);
	return (long)(c.created - c.exited);
}

size_t kc_sizeof_work(void) { return sizeof(struct work_struct); }
size_t kc_sizeof_delayed_work(void) { return sizeof(struct delayed_work); }

/* ---- W4: the blocking mix, sleeping in msleep() ------------------------------------------------ */

struct w4_item {
	struct work_struct work;
	int idx;
};

static struct workqueue_struct *w4_wq;
static struct w4_item *w4_items;
static int w4_n, w4_sleep_every;
static unsigned int w4_sleep_ms;

static void w4_fn(struct work_struct *w)
{
	struct w4_item *it = container_of(w, struct w4_item, work);
	bench_w4_cpu_part(it->idx);
	if (w4_sleep_every && it->idx % w4_sleep_every == 0) {
		bench_w4_sleep_enter();
		msleep(w4_sleep_ms);
		bench_w4_sleep_exit();
	}
	bench_w4_done();
}

bool kc_w4_prepare(int n)
{
	int i;
	w4_wq = alloc_workqueue("w4_msleep", WQ_PERCPU, 0);
	w4_items = kcalloc(n, sizeof(*w4_items), GFP_KERNEL);
	if (!w4_wq || !w4_items)
		return false;
	w4_n = n;
	for (i = 0; i < n; i++) {
		INIT_WORK(&w4_items[i].work, w4_fn);
		w4_items[i].idx = i;
	}
	return true;
}

void kc_w4_start(int ncpu, int sleep_every, unsigned int sleep_ms)
{
	int i;
	w4_sleep_every = sleep_every;
	w4_sleep_ms = sleep_ms;
	for (i = 0; i < w4_n; i++)
		queue_work_on(i % ncpu, w4_wq, &w4_items[i].work);
}

void kc_w4_finish(void) { flush_workqueue(w4_wq); }

/* ---- W5: timers as struct delayed_work --------------------------------------------------------- */

struct w5_item {
	struct delayed_work dw;
};

static struct workqueue_struct *w5_wq;
static struct w5_item *w5_items;

static void w5_fn(struct work_struct *w)
{
	struct w5_item *it = container_of(to_delayed_work(w), struct w5_item, dw);
	bench_w5_fired((int)(it - w5_items));
}

bool kc_w5_init(void)
{
	w5_wq = alloc_workqueue("w5_timers", WQ_PERCPU, 0);
	return w5_wq != NULL;
}

bool kc_w5_prepare(int n)
{
	int i;
	w5_items = kcalloc(n, sizeof(*w5_items), GFP_KERNEL);
	if (!w5_items)
		return false;
	for (i = 0; i < n; i++)
		INIT_DELAYED_WORK(&w5_items[i].dw, w5_fn);
	return true;
}

bool kc_w5_arm(int idx, unsigned int ms)
{
	return queue_delayed_work(w5_wq, &w5_items[idx].dw, msecs_to_jiffies(ms));
}

bool kc_w5_cancel(int idx) { return cancel_delayed_work(&w5_items[idx].dw); }
