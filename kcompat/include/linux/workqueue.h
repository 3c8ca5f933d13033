/* SPDX-License-Identifier: MIT */
/*
 * linux/workqueue.h - the kernel's workqueue API on cmwq (kernel-compatible C front door).
 *
 * Compiles as C11 (gcc -std=gnu11) and as C++. Every call is an exported C function; macros only
 * where the kernel itself uses macros. Semantics: ../shared/spec/semantics.md (the kernel's, with
 * cmwq's departures D1-D5). In short:
 *
 *  - queue_*() never sleep and may be called from any context; true means this call took the
 *    item's PENDING bit and the item will run once more. Every store the caller made before a
 *    queue_*() that returned true is visible to the work function when it runs.
 *  - flush_*(), drain_workqueue(), destroy_workqueue(), cancel_*_sync() and disable_*_sync() may
 *    sleep; they tell the pool they block when called from a worker.
 *  - A struct workqueue_struct * is an opaque, generation-checked handle: using it after
 *    destroy_workqueue() warns and fails instead of touching freed memory (D3).
 */
#ifndef CMWQ_LINUX_WORKQUEUE_H
#define CMWQ_LINUX_WORKQUEUE_H

#include <linux/compiler.h>
#include <linux/lockdep.h>
#include <linux/rcupdate.h>
#include <linux/threads.h>
#include <linux/timer.h>
#include <linux/types.h>
/* What the kernel's <linux/workqueue.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/list.h>

#include <linux/workqueue_types.h>

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	/* target workqueue and CPU ->timer uses to queue ->work */
	struct workqueue_struct *wq;
	int cpu;
};

/* ---- initialisation ---------------------------------------------------------------------- */

#define WORK_DATA_INIT() { 0 }
#define __WORK_INITIALIZER(n, f)                                                     \
	{ .data = WORK_DATA_INIT(), .entry = { &(n).entry, &(n).entry }, .func = (f), .lockdep_map = 0 }
#define __DELAYED_WORK_INITIALIZER(n, f, tflags)                                        \
	{ .work = __WORK_INITIALIZER((n).work, (f)),                                     \
	  .timer = { .entry = { 0, 0 }, .expires = 0, .function = delayed_work_timer_fn, \
		     .flags = (tflags) | TIMER_IRQSAFE },                                \
	  .wq = 0, .cpu = 0 }

#define DECLARE_WORK(n, f) struct work_struct n = __WORK_INITIALIZER(n, f)
#define DECLARE_DELAYED_WORK(n, f) struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, 0)
#define DECLARE_DEFERRABLE_WORK(n, f) struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, TIMER_DEFERRABLE)

/* Each call site has its own static lock_class_key: items initialised there share a lockdep class,
 * named "(work_completion)" and the item expression, as in the kernel. */
#define __INIT_WORK_KEY(_work, _func, _key)                                                      \
	do {                                                                                     \
		static const struct lockdep_map __map =                                          \
			STATIC_LOCKDEP_MAP_INIT("(work_completion)" #_work, (_key));             \
		cmwq_init_work_map((_work), (_func), &__map);                                   \
	} while (0)
#define __INIT_WORK(_work, _func)                              \
	do {                                                   \
		static struct lock_class_key __key;            \
		__INIT_WORK_KEY(_work, _func, &__key);         \
	} while (0)
#define __INIT_DELAYED_WORK(_work, _func, _tflags)                                           \
	do {                                                                                 \
		static struct lock_class_key __key;                                          \
		static const struct lockdep_map __map =                                      \
			STATIC_LOCKDEP_MAP_INIT("(work_completion)" #_work, &__key);         \
		cmwq_init_delayed_work_map((_work), (_func), (_tflags), &__map);            \
	} while (0)
#define INIT_WORK(_work, _func) __INIT_WORK((_work), (_func))
#define INIT_WORK_ONSTACK(_work, _func) __INIT_WORK((_work), (_func))
#define INIT_DELAYED_WORK(_work, _func) __INIT_DELAYED_WORK((_work), (_func), 0)
#define INIT_DELAYED_WORK_ONSTACK(_work, _func) __INIT_DELAYED_WORK((_work), (_func), 0)
#define INIT_DEFERRABLE_WORK(_work, _func) __INIT_DELAYED_WORK((_work), (_func), TIMER_DEFERRABLE)
#define INIT_DEFERRABLE_WORK_ONSTACK(_work, _func) __INIT_DELAYED_WORK((_work), (_func), TIMER_DEFERRABLE)
#define destroy_work_on_stack(work) do { (void)(work); } while (0)
#define destroy_delayed_work_on_stack(work) do { (void)(work); } while (0)

#define to_delayed_work(w) ((struct delayed_work *)((char *)(w) - offsetof(struct delayed_work, work)))

/*
 * struct rcu_work - a work item queued only after an RCU grace period (queue_rcu_work()): its
 * function may free what readers that began before the queueing could still see.
 */
struct rcu_work {
	struct work_struct work;
	struct rcu_head rcu;
	struct workqueue_struct *wq; /* the queue it goes to once the grace period is over */
};
#define INIT_RCU_WORK(_work, _func) INIT_WORK(&(_work)->work, (_func))
#define INIT_RCU_WORK_ONSTACK(_work, _func) INIT_WORK_ONSTACK(&(_work)->work, (_func))
/* from_work - the structure of type *@var that embeds @callback_work as @work_fieldname. */
#define from_work(var, callback_work, work_fieldname) \
	((__typeof__(var))((char *)(callback_work) - __builtin_offsetof(__typeof__(*(var)), work_fieldname)))
#define to_rcu_work(w) ((struct rcu_work *)((char *)(w) - offsetof(struct rcu_work, work)))

/* PENDING bit: queued, on a timer, or in the queue hand-off. A racy snapshot. */
#define work_pending(work) ((__atomic_load_n(&(work)->data.counter, __ATOMIC_RELAXED) & 1L) != 0)
#define delayed_work_pending(w) work_pending(&(w)->work)

CMWQ_EXTERN_C_BEGIN

/* Without a key (cmwq_init_work), the item's function is its lockdep class. */
/**
 * cmwq_init_work - INIT_WORK() without a lockdep key: the function is the class
 * @work: the item
 * @func: the function a worker calls with @work
 *
 * Re-initialising a pending item warns and cancels it first.
 *
 * Context: any; not while @work runs.
 */
void cmwq_init_work(struct work_struct *work, work_func_t func);
/**
 * cmwq_init_delayed_work - INIT_DELAYED_WORK() without a lockdep key
 * @dwork: the delayed item
 * @func: the function
 * @timer_flags: TIMER_* flags of its timer (TIMER_IRQSAFE is added)
 *
 * An armed timer is cancelled first, with a warning.
 *
 * Context: any; not while @dwork runs.
 */
void cmwq_init_delayed_work(struct delayed_work *dwork, work_func_t func, unsigned int timer_flags);
/* With @map, a static descriptor of the class (INIT_WORK() makes one per call site). */
/**
 * cmwq_init_work_map - INIT_WORK() with @map as the lockdep class
 * @work: the item
 * @func: the function
 * @map: a static descriptor of the class (INIT_WORK() makes one per call site)
 *
 * Context: any; not while @work runs.
 */
void cmwq_init_work_map(struct work_struct *work, work_func_t func, const struct lockdep_map *map);
/**
 * cmwq_init_delayed_work_map - INIT_DELAYED_WORK() with @map as the lockdep class
 * @dwork: the delayed item
 * @func: the function
 * @timer_flags: TIMER_* flags of its timer
 * @map: a static descriptor of the class
 *
 * Context: any; not while @dwork runs.
 */
void cmwq_init_delayed_work_map(struct delayed_work *dwork, work_func_t func, unsigned int timer_flags,
				const struct lockdep_map *map);
/**
 * delayed_work_timer_fn - the timer function of every delayed item: queues it
 * @t: the item's timer
 *
 * A queue destroyed meanwhile warns and the item is dropped (D3).
 *
 * Context: the timer thread; callers never call it, they compare against it.
 */
void delayed_work_timer_fn(struct timer_list *t);

/* ---- allocation ---------------------------------------------------------------------------- */

/**
 * alloc_workqueue - allocate a workqueue
 * @fmt: printf format for the name (truncated to WQ_NAME_LEN - 1 characters, with a warning)
 * @flags: WQ_* flags (invalid combinations: semantics.md section 3.4)
 * @max_active: 0 for WQ_DFL_ACTIVE; clamped to [1, WQ_MAX_ACTIVE] with a warning
 * Context: may sleep.
 * Return: the workqueue, or NULL on invalid flags or allocation failure.
 */
struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...) __printf(1, 4);
/**
 * destroy_workqueue - drain @wq, then free it
 * @wq: the workqueue
 *
 * Later use of the handle warns and fails (D3).
 *
 * Context: may sleep; not from an item of @wq.
 */
void destroy_workqueue(struct workqueue_struct *wq);

#define alloc_ordered_workqueue(fmt, flags, args...) \
	alloc_workqueue(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, ##args)
#define create_workqueue(name) alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM | WQ_PERCPU, 1, (name))
#define create_freezable_workqueue(name) \
	alloc_workqueue("%s", __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND | WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name) alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, name)

/* ---- queueing: never sleep, any context ---------------------------------------------------- */

/**
 * queue_work_on - queue @work on @wq, on @cpu's pool
 * @cpu: the CPU whose pool runs it; WORK_CPU_UNBOUND: the local CPU (unbound queues: a hint)
 * @wq: the workqueue
 * @work: the item
 *
 * Memory ordering: if it returns true, every store the caller made before the call is visible
 * to @work's function when it runs; e.g. with x initially 0, a caller that writes x = 1 and
 * gets true from this call cannot have the item read x == 0. If it returns false (already
 * pending) nothing is promised by this call.
 *
 * Context: any, including interrupt context; never sleeps.
 * Return: true if queued; false if @work was already pending or is disabled, or @wq is stale
 * or draining (warned).
 */
bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);
/**
 * queue_work_node - queue @work on @wq preferring a CPU of @node
 * @node: the NUMA node (one node in user space: any CPU)
 * @wq: the workqueue
 * @work: the item
 *
 * Same memory ordering as queue_work_on().
 *
 * Context: any; never sleeps.
 * Return: as queue_work_on().
 */
bool queue_work_node(int node, struct workqueue_struct *wq, struct work_struct *work);
/**
 * queue_delayed_work_on - queue @dwork on @wq after @delay
 * @cpu: the CPU whose pool runs it; WORK_CPU_UNBOUND: the local CPU (unbound queues: a hint)
 * @wq: the workqueue
 * @dwork: the delayed item
 * @delay: jiffies (milliseconds) to wait; 0 queues at once, never through a timer tick
 *
 * Context: any; never sleeps.
 * Return: false if @dwork was already pending (timer or queue) or is disabled; true if queued.
 */
bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay);
/**
 * mod_delayed_work_on - queue @dwork after @delay, pending or not
 * @cpu: the CPU whose pool runs it; WORK_CPU_UNBOUND: the local CPU (unbound queues: a hint)
 * @wq: the workqueue
 * @dwork: the delayed item
 * @delay: the new delay, from now
 *
 * A pending instance is taken back and queued again with the new delay; a disabled item
 * is not queued.
 *
 * Context: any; never sleeps.
 * Return: true if @dwork was pending before, false if it was idle.
 */
bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay);

/* ---- flushing, cancelling, disabling --------------------------------------------------------- */

/**
 * __flush_workqueue - wait for every item queued on @wq before the call (flush_workqueue())
 * @wq: the workqueue
 *
 * Items queued after the call starts are not waited for (R19).
 *
 * Context: may sleep.
 */
void __flush_workqueue(struct workqueue_struct *wq);
#define flush_workqueue(wq) __flush_workqueue(wq)
/**
 * drain_workqueue - flush @wq until it is empty
 * @wq: the workqueue
 *
 * Meanwhile only @wq's own items may queue on it; others warn and fail.
 *
 * Context: may sleep.
 */
void drain_workqueue(struct workqueue_struct *wq);
/**
 * flush_work - wait for the last queued instance of @work to finish
 * @work: the item
 *
 * An item that flushes itself warns and returns.
 *
 * Context: may sleep.
 * Return: true if it waited, false if @work was idle.
 */
bool flush_work(struct work_struct *work);
/**
 * flush_delayed_work - queue @dwork now if its timer is armed, then flush it
 * @dwork: the delayed item
 *
 * Context: may sleep.
 * Return: true if the timer was armed or it waited.
 */
bool flush_delayed_work(struct delayed_work *dwork);
/**
 * flush_scheduled_work - flush system_percpu_wq (deprecated in the kernel: flush your own items)
 *
 * Context: may sleep.
 */
void flush_scheduled_work(void);

/**
 * queue_rcu_work - queue @rwork on @wq after a full RCU grace period
 * @wq: the target queue
 * @rwork: the item (INIT_RCU_WORK)
 *
 * The item is queued, on the CPU where the grace period ended, once every RCU read-side critical
 * section running at the call has ended. An item that is disabled cannot be queued this way: it
 * WARNs and returns false.
 * Context: any; never sleeps.
 * Return: true if queued; false if @rwork was already pending (it will still run once).
 */
bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rwork);
/**
 * flush_rcu_work - wait for the grace period of a pending @rwork and then for its function
 * @rwork: the item
 *
 * Context: process context; sleeps.
 * Return: true if it was pending (queued or waiting for its grace period) or running; else false.
 */
bool flush_rcu_work(struct rcu_work *rwork);

/**
 * cancel_work - take a pending instance of @work off its queue
 * @work: the item
 *
 * Does not wait for a running instance.
 *
 * Context: any; never sleeps.
 * Return: true if @work was pending.
 */
bool cancel_work(struct work_struct *work);
/**
 * cancel_work_sync - cancel @work and wait for its running instance
 * @work: the item
 *
 * Requeues by the running instance are refused meanwhile (R27).
 *
 * Context: may sleep (a BH item from BH context busy-waits).
 * Return: true if @work was pending.
 */
bool cancel_work_sync(struct work_struct *work);
/**
 * cancel_delayed_work - cancel_work() for @dwork, its timer included
 * @dwork: the delayed item
 *
 * Context: any; never sleeps.
 * Return: true if @dwork was pending.
 */
bool cancel_delayed_work(struct delayed_work *dwork);
/**
 * cancel_delayed_work_sync - cancel_work_sync() for @dwork, its timer included
 * @dwork: the delayed item
 *
 * Context: may sleep.
 * Return: true if @dwork was pending.
 */
bool cancel_delayed_work_sync(struct delayed_work *dwork);

/**
 * disable_work - cancel @work and raise its disable count
 * @work: the item
 *
 * Queueing it fails until enable_work() brings the count back to zero.
 *
 * Context: any; never sleeps.
 * Return: true if @work was pending.
 */
bool disable_work(struct work_struct *work);
/**
 * disable_work_sync - disable_work(), then wait for the running instance
 * @work: the item
 *
 * Context: may sleep.
 * Return: true if @work was pending.
 */
bool disable_work_sync(struct work_struct *work);
/**
 * enable_work - lower @work's disable count (an underflow warns once)
 * @work: the item
 *
 * Context: any; never sleeps.
 * Return: true if the count is now zero.
 */
bool enable_work(struct work_struct *work);
/**
 * disable_delayed_work - disable_work() for @dwork, its timer included
 * @dwork: the delayed item
 *
 * Context: any; never sleeps.
 * Return: true if @dwork was pending.
 */
bool disable_delayed_work(struct delayed_work *dwork);
/**
 * disable_delayed_work_sync - disable_work_sync() for @dwork
 * @dwork: the delayed item
 *
 * Context: may sleep.
 * Return: true if @dwork was pending.
 */
bool disable_delayed_work_sync(struct delayed_work *dwork);
/**
 * enable_delayed_work - enable_work() for @dwork
 * @dwork: the delayed item
 *
 * Context: any; never sleeps.
 * Return: true if the count is now zero.
 */
bool enable_delayed_work(struct delayed_work *dwork);

/* ---- queries and tuning ---------------------------------------------------------------------- */

/**
 * work_busy - whether @work is pending and whether it runs
 * @work: the item
 *
 * Context: any.
 * Return: WORK_BUSY_PENDING | WORK_BUSY_RUNNING bits, a racy snapshot for reports.
 */
unsigned int work_busy(struct work_struct *work);
/**
 * current_work - the item the calling worker executes
 *
 * Context: any.
 * Return: the item, or NULL off a worker and in softirq context.
 */
struct work_struct *current_work(void);
/**
 * current_is_workqueue_rescuer - whether the caller is a rescuer executing an item
 *
 * Context: any.
 * Return: true in an item run by a rescuer.
 */
bool current_is_workqueue_rescuer(void);
/**
 * current_is_workqueue_mem_reclaim - whether the caller runs an item of a WQ_MEM_RECLAIM queue
 *
 * Context: any.
 * Return: true in an item of a (non-legacy) WQ_MEM_RECLAIM queue.
 */
bool current_is_workqueue_mem_reclaim(void);
/**
 * workqueue_congested - whether items of @wq wait for an active slot on @cpu
 * @cpu: the CPU; WORK_CPU_UNBOUND or an offline CPU: the caller's
 * @wq: the workqueue
 *
 * Context: any.
 * Return: a racy snapshot: true if @wq has inactive items there.
 */
bool workqueue_congested(int cpu, struct workqueue_struct *wq);
/**
 * workqueue_set_max_active - change the active limit of @wq
 * @wq: the workqueue
 * @max_active: the new limit, clamped to [1, WQ_MAX_ACTIVE]
 *
 * Ordered and BH queues warn and keep theirs.
 *
 * Context: may sleep.
 */
void workqueue_set_max_active(struct workqueue_struct *wq, int max_active);
/**
 * workqueue_set_min_active - set the minimum active items of an unbound queue
 * @wq: the workqueue
 * @min_active: the minimum, clamped to [1, max_active]
 *
 * A per-CPU or ordered queue warns and keeps its own.
 *
 * Context: may sleep.
 */
void workqueue_set_min_active(struct workqueue_struct *wq, int min_active);
/**
 * workqueue_is_reclaim_annotated - whether @wq has WQ_MEM_RECLAIM and WQ_MEM_WARN_ON_RECLAIM
 * @wq: the workqueue
 *
 * Context: any.
 * Return: true if both flags are set.
 */
bool workqueue_is_reclaim_annotated(struct workqueue_struct *wq);
/**
 * set_worker_desc - describe the calling worker in dumps and wq_worker_comm()
 * @fmt: printf format, truncated to WORKER_DESC_LEN - 1 characters
 *
 * Ignored unless called from an item.
 *
 * Context: an item's function.
 */
void set_worker_desc(const char *fmt, ...) __printf(1, 2);
/**
 * show_all_workqueues - dump busy queues, then busy pools, to the log (docs/observability.md)
 *
 * Context: any; takes each pool lock in turn.
 */
void show_all_workqueues(void);
/**
 * show_one_workqueue - dump @wq to the log if it is busy
 * @wq: the workqueue
 *
 * Context: any.
 */
void show_one_workqueue(struct workqueue_struct *wq);
/**
 * show_freezable_workqueues - dump the busy freezable queues (after a failed freeze)
 *
 * Context: any.
 */
void show_freezable_workqueues(void);

struct task_struct;
/**
 * print_worker_info - print "Workqueue: <wq> <func>[ (<desc>)]" if @task is a busy worker
 * @log_lvl: printk level prefix (cmwq's log has no levels: ignored)
 * @task: the task to describe; NULL means the calling thread
 * Context: any; takes the pool locks briefly.
 */
void print_worker_info(const char *log_lvl, struct task_struct *task);
/**
 * wq_worker_comm - the name ps would show for @task: "kworker/1:2+desc" while it runs an item,
 * "kworker/1:2-desc" after; an empty string if @task is not a worker
 * @buf: destination, NUL-terminated
 * @size: size of @buf
 * @task: the task; NULL means the calling thread
 *
 * Context: any; takes the pool locks briefly.
 */
void wq_worker_comm(char *buf, size_t size, struct task_struct *task);
/**
 * wq_watchdog_touch - tell the lockup watchdog that @cpu made progress
 * @cpu: a valid CPU id (anything else warns once)
 * Context: any. Cheap: one store, plus a shared one at most every watchdog_thresh / 4.
 */
void wq_watchdog_touch(int cpu);

/**
 * freeze_workqueues_begin - stop activating items of freezable queues
 *
 * Running items finish; queued ones wait until thaw_workqueues().
 *
 * Context: may sleep.
 */
void freeze_workqueues_begin(void);
/**
 * freeze_workqueues_busy - whether a freezable queue still runs items
 *
 * Context: after freeze_workqueues_begin().
 * Return: true while one does.
 */
bool freeze_workqueues_busy(void);
/**
 * thaw_workqueues - undo freeze_workqueues_begin() and activate what waited
 *
 * Context: may sleep.
 */
void thaw_workqueues(void);

/**
 * schedule_on_each_cpu - run @func once on every CPU and wait for all
 * @func: the function, called in a kworker of each online CPU
 *
 * Context: may sleep.
 * Return: 0, or -ENOMEM.
 */
int schedule_on_each_cpu(work_func_t func);
/**
 * work_on_cpu - run @fn(@arg) in a kworker bound to @cpu and wait for it
 * @cpu: the CPU
 * @fn: the function
 * @arg: its argument
 *
 * Context: process context; sleeps until @fn returned.
 * Return: what @fn returned.
 */
long work_on_cpu(int cpu, long (*fn)(void *), void *arg);

struct lock_class_key;
/**
 * work_on_cpu_key - work_on_cpu() with the lockdep key of the caller's work_on_cpu() site
 * @cpu: the CPU to run @fn on
 * @fn: called in a kworker bound to @cpu
 * @arg: its argument
 * @key: accepted for the kernel's signature; cmwq's lock checks need none
 *
 * Context: process context; sleeps until @fn returned.
 * Return: what @fn returned.
 */
long work_on_cpu_key(int cpu, long (*fn)(void *), void *arg, struct lock_class_key *key);
/**
 * work_on_cpu_safe - work_on_cpu() that refuses a CPU that is not online
 * @cpu: the CPU to run @fn on
 * @fn: called in a kworker bound to @cpu
 * @arg: its argument
 *
 * Context: process context; sleeps until @fn returned.
 * Return: what @fn returned; -ENODEV, without calling @fn, when @cpu is not one of the process's
 * CPUs (offline, U2).
 */
long work_on_cpu_safe(int cpu, long (*fn)(void *), void *arg);
/**
 * work_on_cpu_safe_key - work_on_cpu_safe() with a lockdep key
 * @cpu: the CPU
 * @fn: the function
 * @arg: its argument
 * @key: accepted for the kernel's signature
 *
 * Context: process context; sleeps.
 * Return: as work_on_cpu_safe().
 */
long work_on_cpu_safe_key(int cpu, long (*fn)(void *), void *arg, struct lock_class_key *key);

/* struct execute_work - the item execute_in_process_context() uses when it must defer. */
struct execute_work {
	struct work_struct work;
};
/**
 * execute_in_process_context - call @fn now if the caller is in process context, else later
 * @fn: the function; receives &@ew->work
 * @ew: storage for deferring, valid until @fn ran
 *
 * Context: any. In interrupt context (hard IRQ, BH items, tasklets) @fn is queued on
 * system_wq and runs in a kworker.
 * Return: 0 if @fn was called synchronously, 1 if it was queued.
 */
int execute_in_process_context(work_func_t fn, struct execute_work *ew);

/* ---- system workqueues: created lazily on first use, never destroyed ------------------------ */

/* events: per-CPU, short items; the target of schedule_*(). system_wq is the same queue (D1). */
extern struct workqueue_struct *system_percpu_wq;
extern struct workqueue_struct *system_wq;
/* events_highpri: per-CPU, nice -20 pools. */
extern struct workqueue_struct *system_highpri_wq;
/* events_long: per-CPU, for items that may run long; flushing it may take long. */
extern struct workqueue_struct *system_long_wq;
/* events_unbound: not bound to any CPU; system_unbound_wq is the same queue (D1). */
extern struct workqueue_struct *system_dfl_wq;
extern struct workqueue_struct *system_unbound_wq;
/* events_freezable: per-CPU, frozen by freeze_workqueues_begin(). */
extern struct workqueue_struct *system_freezable_wq;
/* events_power_efficient: per-CPU unless the power-efficient switch makes it unbound. */
extern struct workqueue_struct *system_power_efficient_wq;
/* events_freezable_pwr_efficient: both of the above. */
extern struct workqueue_struct *system_freezable_power_efficient_wq;
/* events_dfl_long: unbound, for long-running items that need no particular CPU. */
extern struct workqueue_struct *system_dfl_long_wq;
/*
 * events_bh: WQ_BH. Items run in softirq context (in_softirq() is true) on the CPU that queued
 * them, one at a time in queueing order, and must not sleep (docs/bh.md). Tasklets run here.
 */
extern struct workqueue_struct *system_bh_wq;
/* events_bh_highpri: WQ_BH | WQ_HIGHPRI; tasklet_hi_schedule() runs tasklets here. */
extern struct workqueue_struct *system_bh_highpri_wq;

/* ---- lockdep: sharing classes, as in the kernel (docs/lockdep.md) ---------------------------- */

/**
 * alloc_workqueue_lockdep_map - alloc_workqueue() whose (wq_completion) class is @lockdep_map
 * @fmt: printf format for the name
 * @flags: WQ_* flags
 * @max_active: as alloc_workqueue()
 * @lockdep_map: the caller's map, shared by every queue allocated with it; it must outlive them
 * Context: may sleep.
 * Return: the workqueue, or NULL.
 */
struct workqueue_struct *alloc_workqueue_lockdep_map(const char *fmt, unsigned int flags, int max_active,
						     struct lockdep_map *lockdep_map, ...) __printf(1, 5);
#define alloc_ordered_workqueue_lockdep_map(fmt, flags, lockdep_map, args...) \
	alloc_workqueue_lockdep_map(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, lockdep_map, ##args)
/* INIT_WORK_ONSTACK_KEY - INIT_WORK_ONSTACK() with the caller's class key @_key (a static key). */
#define INIT_WORK_ONSTACK_KEY(_work, _func, _key) __INIT_WORK_KEY((_work), (_func), (_key))

CMWQ_EXTERN_C_END

/* ---- inline wrappers, as in the kernel --------------------------------------------------------- */

/**
 * queue_work - queue @work on @wq, on the local CPU
 * @wq: the workqueue
 * @work: the item
 *
 * Memory ordering: if it returns true, every store the caller made before the call is visible
 * to @work's function when it runs; e.g. with x initially 0, a caller that writes x = 1 and
 * gets true from this call cannot have the item read x == 0. If it returns false (already
 * pending) nothing is promised by this call.
 *
 * Context: any; never sleeps.
 * Return: as queue_work_on().
 */
static inline bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	return queue_work_on(WORK_CPU_UNBOUND, wq, work);
}
/**
 * queue_delayed_work - queue_delayed_work_on() on the local CPU
 * @wq: the workqueue
 * @dwork: the delayed item
 * @delay: jiffies (milliseconds) to wait; 0 queues at once, never through a timer tick
 *
 * Context: any; never sleeps.
 * Return: as queue_delayed_work_on().
 */
static inline bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay)
{
	return queue_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}
/**
 * mod_delayed_work - mod_delayed_work_on() on the local CPU
 * @wq: the workqueue
 * @dwork: the delayed item
 * @delay: the new delay, from now
 *
 * Context: any; never sleeps.
 * Return: as mod_delayed_work_on().
 */
static inline bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay)
{
	return mod_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}
/**
 * schedule_work_on - queue @work on system_percpu_wq on @cpu
 * @cpu: the CPU whose pool runs it; WORK_CPU_UNBOUND: the local CPU (unbound queues: a hint)
 * @work: the item
 *
 * Same memory ordering as queue_work().
 *
 * Context: any; never sleeps.
 * Return: as queue_work_on().
 */
static inline bool schedule_work_on(int cpu, struct work_struct *work)
{
	return queue_work_on(cpu, system_percpu_wq, work);
}
/**
 * schedule_work - queue @work on system_percpu_wq
 * @work: the item
 *
 * Same memory ordering as queue_work().
 *
 * Context: any; never sleeps.
 * Return: as queue_work_on().
 */
static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_percpu_wq, work);
}
/**
 * schedule_delayed_work_on - queue @dwork on system_percpu_wq on @cpu after @delay
 * @cpu: the CPU whose pool runs it; WORK_CPU_UNBOUND: the local CPU (unbound queues: a hint)
 * @dwork: the delayed item
 * @delay: jiffies (milliseconds) to wait; 0 queues at once, never through a timer tick
 *
 * Context: any; never sleeps.
 * Return: as queue_delayed_work_on().
 */
static inline bool schedule_delayed_work_on(int cpu, struct delayed_work *dwork, unsigned long delay)
{
	return queue_delayed_work_on(cpu, system_percpu_wq, dwork, delay);
}
/**
 * schedule_delayed_work - queue @dwork on system_percpu_wq after @delay
 * @dwork: the delayed item
 * @delay: jiffies (milliseconds) to wait; 0 queues at once, never through a timer tick
 *
 * Context: any; never sleeps.
 * Return: as queue_delayed_work_on().
 */
static inline bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay)
{
	return queue_delayed_work(system_percpu_wq, dwork, delay);
}
/**
 * enable_and_queue_work - enable_work(), then queue @work if that made it enabled
 * @wq: the workqueue
 * @work: the item
 *
 * Context: any; never sleeps.
 * Return: true if @work is enabled now (and was queued, or already pending).
 */
static inline bool enable_and_queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	if (enable_work(work)) {
		queue_work(wq, work);
		return true;
	}
	return false;
}

/* struct workqueue_attrs, apply_workqueue_attrs() and the WQ_SYSFS attributes. */
#include <linux/workqueue_attrs.h>
#include <linux/workqueue_cmwq.h>

#endif /* CMWQ_LINUX_WORKQUEUE_H */
