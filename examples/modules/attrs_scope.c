// SPDX-License-Identifier: MIT
/*
 * attrs_scope.c - a module that moves its unbound workqueue with apply_workqueue_attrs().
 *
 * An unbound queue starts on every CPU the process may use, at nice 0, in the default affinity
 * scope. This module first confines it: nice 5, a cpumask of one CPU (the last online one),
 * affinity scope "cpu", strict affinity; every item queued afterwards must run on that CPU at
 * nice 5, wherever it was queued from. Then it widens it again: every CPU, scope "system", not
 * strict, nice 0. It also checks that an out-of-range nice is refused with -EINVAL and changes
 * nothing (docs/attrs.md A1-A4).
 *
 *   ./attrs_scope --report   prints where the items ran after each move and exits 0
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#define NR_ITEMS 8
#define CONFINED_NICE 5

struct probe {
	struct work_struct work;
	int cpu;
	int nice;
};

static struct workqueue_struct *scope_wq;
static struct probe probes[NR_ITEMS];

static void probe_fn(struct work_struct *work)
{
	struct probe *p = container_of(work, struct probe, work);

	p->cpu = raw_smp_processor_id();
	p->nice = task_nice(current);
}

/* Runs every probe once on scope_wq; returns how many ran at @nice (and on @cpu unless < 0). */
static int run_probes(int cpu, int nice)
{
	int i, matched = 0;

	for (i = 0; i < NR_ITEMS; i++) {
		INIT_WORK(&probes[i].work, probe_fn);
		probes[i].cpu = -1;
		queue_work(scope_wq, &probes[i].work);
	}
	flush_workqueue(scope_wq);
	for (i = 0; i < NR_ITEMS; i++)
		if (probes[i].nice == nice && (cpu < 0 || probes[i].cpu == cpu))
			matched++;
	return matched;
}

/* Applies nice, a cpumask of @cpu alone (or every CPU if @cpu < 0), @scope and @strict. */
static int move_queue(int nice, int cpu, enum wq_affn_scope scope, bool strict)
{
	struct workqueue_attrs *attrs = alloc_workqueue_attrs();
	int ret;

	if (!attrs)
		return -ENOMEM;
	attrs->nice = nice;
	if (cpu >= 0) {
		cpumask_clear(attrs->cpumask);
		cpumask_set_cpu(cpu, attrs->cpumask);
	}
	attrs->affn_scope = scope;
	attrs->affn_strict = strict;
	ret = apply_workqueue_attrs(scope_wq, attrs);
	free_workqueue_attrs(attrs);
	return ret;
}

static int scope_check(void)
{
	int cpu, target = 0, ret, matched;

	for_each_online_cpu(cpu)
		target = cpu;

	ret = move_queue(20, -1, WQ_AFFN_SYSTEM, false);
	if (ret != -EINVAL) {
		pr_err("nice 20 was not refused with -EINVAL: %d\n", ret);
		return -EIO;
	}
	matched = run_probes(-1, 0);
	if (matched != NR_ITEMS) {
		pr_err("%d of %d items ran at nice 0 before any move\n", matched, NR_ITEMS);
		return -EIO;
	}

	ret = move_queue(CONFINED_NICE, target, WQ_AFFN_CPU, true);
	if (ret) {
		pr_err("confining the queue failed: %d\n", ret);
		return ret;
	}
	matched = run_probes(target, CONFINED_NICE);
	if (matched != NR_ITEMS) {
		pr_err("%d of %d items ran on CPU %d at nice %d\n", matched, NR_ITEMS, target, CONFINED_NICE);
		return -EIO;
	}
	pr_info("confined: %d items ran on CPU %d at nice %d (scope cpu, strict)\n", matched, target, CONFINED_NICE);

	ret = move_queue(0, -1, WQ_AFFN_SYSTEM, false);
	if (ret) {
		pr_err("widening the queue failed: %d\n", ret);
		return ret;
	}
	matched = run_probes(-1, 0);
	if (matched != NR_ITEMS) {
		pr_err("%d of %d items ran at nice 0 after widening\n", matched, NR_ITEMS);
		return -EIO;
	}
	pr_info("widened: %d items ran at nice 0 (scope system, every CPU)\n", matched);
	return 0;
}

static int __init scope_init(void)
{
	int ret;

	scope_wq = alloc_workqueue("attrs_scope", WQ_UNBOUND, 0);
	if (!scope_wq)
		return -ENOMEM;
	ret = scope_check();
	if (ret)
		destroy_workqueue(scope_wq);
	return ret;
}

static void __exit scope_exit(void)
{
	destroy_workqueue(scope_wq);
}

module_init(scope_init);
module_exit(scope_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("move an unbound workqueue's scope with apply_workqueue_attrs");
