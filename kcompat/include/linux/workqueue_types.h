/* SPDX-License-Identifier: MIT */
/*
 * linux/workqueue_types.h - struct work_struct and work_func_t, as the kernel's header of that name
 * gives them to headers that embed a work item without the whole API; cmwq adds the WQ_* flags and
 * limits (enum wq_flags, enum wq_consts) and the WORK_* constants. Included by <linux/workqueue.h>.
 */
#ifndef CMWQ_LINUX_WORKQUEUE_TYPES_H
#define CMWQ_LINUX_WORKQUEUE_TYPES_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/threads.h>
#include <linux/types.h>

struct workqueue_struct;
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

/* Public fields as in the kernel: drivers read work->func and use container_of(). */
struct work_struct {
	atomic_long_t data;
	struct list_head entry;
	work_func_t func;
	/* The (work_completion) lockdep class: a static map of the INIT_WORK() call site, or NULL
	 * (DECLARE_WORK, cmwq_init_work()), and then the function is the class. A pointer, not the
	 * kernel's embedded map, so that struct delayed_work stays within 100 bytes. */
	const struct lockdep_map *lockdep_map;
};

enum wq_flags {
	WQ_BH = 1 << 0,
	WQ_UNBOUND = 1 << 1,
	WQ_FREEZABLE = 1 << 2,
	WQ_MEM_RECLAIM = 1 << 3,
	WQ_HIGHPRI = 1 << 4,
	WQ_CPU_INTENSIVE = 1 << 5,
	WQ_SYSFS = 1 << 6,
	WQ_POWER_EFFICIENT = 1 << 7,
	WQ_PERCPU = 1 << 8,
	/* D5: seed patch "workqueue: Add interface to teach lockdep to warn on reclaim violations" */
	WQ_MEM_WARN_ON_RECLAIM = 1 << 9,

	__WQ_DESTROYING = 1 << 15,
	__WQ_DRAINING = 1 << 16,
	__WQ_ORDERED = 1 << 17,
	__WQ_LEGACY = 1 << 18,
	__WQ_DEPRECATED = 1 << 19,

	__WQ_BH_ALLOWS = WQ_BH | WQ_HIGHPRI | WQ_PERCPU,
};

enum wq_consts {
	WQ_MAX_ACTIVE = 2048,
	WQ_UNBOUND_MAX_ACTIVE = WQ_MAX_ACTIVE,
	WQ_DFL_ACTIVE = WQ_MAX_ACTIVE / 2,
	WQ_DFL_MIN_ACTIVE = 8,
};

enum {
	WORK_CPU_UNBOUND = NR_CPUS,
	WORK_BUSY_PENDING = 1 << 0,
	WORK_BUSY_RUNNING = 1 << 1,
	WORKER_DESC_LEN = 32,
	WQ_NAME_LEN = 32,
};

#endif /* CMWQ_LINUX_WORKQUEUE_TYPES_H */
