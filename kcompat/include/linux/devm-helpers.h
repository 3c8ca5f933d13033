/* SPDX-License-Identifier: MIT */
/*
 * linux/devm-helpers.h - device-managed work items: initialised now, cancelled at driver detach.
 *
 *   devm_work_autocancel()          INIT_WORK() + cancel_work_sync() at detach.
 *   devm_delayed_work_autocancel()  INIT_DELAYED_WORK() + cancel_delayed_work_sync() at detach.
 *
 * Register the queue first (devm_alloc_workqueue()), then these, then the interrupt that queues
 * them: devres releases in reverse order, so the interrupt is freed before the items are cancelled
 * and the items are cancelled before the queue is destroyed (semantics.md section 8, assertion 117).
 */
#ifndef CMWQ_LINUX_DEVM_HELPERS_H
#define CMWQ_LINUX_DEVM_HELPERS_H

#include <linux/device.h>
#include <linux/workqueue.h>

CMWQ_EXTERN_C_BEGIN

/*
 * devm_work_autocancel - INIT_WORK(@w, @worker) and cancel_work_sync(@w) when @dev detaches
 * Return: 0, or -ENOMEM when the action cannot be registered; @w is initialised either way and no
 * action is registered on failure (this is not an _or_reset helper).
 * Context: may sleep. At detach: a queued @w is cancelled (never runs), a running one is waited for.
 */
int devm_work_autocancel(struct device *dev, struct work_struct *w, work_func_t worker);

/*
 * devm_delayed_work_autocancel - INIT_DELAYED_WORK(@w, @worker) and cancel_delayed_work_sync(@w)
 * when @dev detaches. Return and context as devm_work_autocancel().
 */
int devm_delayed_work_autocancel(struct device *dev, struct delayed_work *w, work_func_t worker);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_DEVM_HELPERS_H */
