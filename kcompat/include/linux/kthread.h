/* SPDX-License-Identifier: MIT */
/*
 * linux/kthread.h - kernel threads and kthread workers.
 *
 *   kthread_create(), kthread_run(), kthread_create_on_cpu(), kthread_run_on_cpu()
 *                               start a thread that runs fn(data) once woken
 *   kthread_stop(), kthread_stop_put(), kthread_should_stop()
 *                               ask it to return and wait for its result
 *   kthread_park(), kthread_unpark(), kthread_should_park(), kthread_parkme()
 *                               hold it at a point of its choosing
 *   kthread_bind(), kthread_data(), kthread_func()
 *   kthread_worker:             kthread_create_worker(), kthread_create_worker_on_cpu(),
 *                               kthread_init_worker() + kthread_worker_fn(), kthread_init_work(),
 *                               kthread_init_delayed_work(), kthread_queue_work(),
 *                               kthread_queue_delayed_work(), kthread_mod_delayed_work(),
 *                               kthread_flush_work(), kthread_flush_worker(),
 *                               kthread_cancel_work_sync(), kthread_cancel_delayed_work_sync(),
 *                               kthread_destroy_worker()
 *
 * A kthread is a thread of the process with a kernel-style life: created asleep (nothing runs
 * until wake_up_process(), which kthread_run() calls), told to stop by kthread_stop(), which
 * waits for fn's return value. Its struct task_struct is a handle for these calls and for
 * wake_up_process() (linux/sched.h); it stays valid until kthread_stop() returns, even when fn
 * returned earlier (the kernel needs get_task_struct() for that; cmwq keeps it anyway).
 * kthreads are not workqueue workers: concurrency management does not count them.
 *
 * A kthread_worker is one kthread that runs kthread_work items in queue order, one at a time -
 * what drivers use when the work needs a dedicated thread (priority, CPU binding). A work item
 * belongs to one worker from its first queueing on.
 *
 * Misuse (WARNs, counted, and the call fails as stated in docs/errors.md): kthread_stop() or
 * kthread_park() on a task that is not a live kthread (stopped already, or never one); queueing
 * on, flushing or destroying a worker that was destroyed; queueing an item on a second worker.
 *
 * Brings in, as the kernel's does: linux/err.h (IS_ERR: kthread_create returns ERR_PTR on
 * failure), linux/sched.h, linux/timer.h (delayed kthread work), linux/list.h, linux/spinlock.h.
 */
#ifndef CMWQ_LINUX_KTHREAD_H
#define CMWQ_LINUX_KTHREAD_H

#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>

struct task_struct;

CMWQ_EXTERN_C_BEGIN

/*
 * kthread_create_on_node - create a kthread, asleep
 * @threadfn: the function to run; its return value is kthread_stop()'s
 * @data: its argument
 * @node: NUMA node (ignored; NUMA_NO_NODE is fine)
 * @namefmt: printf-style name (the thread's name, cut to 15 characters)
 * Context: process context; may sleep.
 * Return: the task, or ERR_PTR(-ENOMEM) / ERR_PTR(-EAGAIN) when no thread could be started.
 * Wake it with wake_up_process(); kthread_stop() it before the program ends.
 */
struct task_struct *kthread_create_on_node(int (*threadfn)(void *data), void *data, int node,
					   const char namefmt[], ...) __printf(4, 5);
/* kthread_create_on_cpu - kthread_create() bound to @cpu; @namefmt may use %u for @cpu. */
struct task_struct *kthread_create_on_cpu(int (*threadfn)(void *data), void *data, unsigned int cpu,
					  const char *namefmt);

/*
 * kthread_stop - tell @k to stop and wait until its function returns
 * @k: a kthread from kthread_create(); invalid once this returns
 * Sets kthread_should_stop() for @k, unparks and wakes it, and waits for it to end.
 * Context: process context; sleeps (tells the concurrency manager it blocks).
 * Return: @k's function's result; -EINTR if @k was never woken (its function never ran);
 * -EINVAL, with a WARNING, if @k is not a live kthread (stopped twice, or never one).
 */
int kthread_stop(struct task_struct *k);
/* kthread_stop_put - kthread_stop() (cmwq has no task reference counts to drop). */
int kthread_stop_put(struct task_struct *k);
/* kthread_should_stop - true in a kthread once kthread_stop() was called on it; false elsewhere. */
bool kthread_should_stop(void);
/* kthread_should_park - true in a kthread between kthread_park() and kthread_unpark(). */
bool kthread_should_park(void);
/*
 * kthread_park - ask @k to park and wait until it does (in kthread_parkme())
 * Context: process context; may sleep. Return: 0; -ENOSYS if @k's function returned already;
 * -EINVAL (WARNING) if @k is not a live kthread. Parking an unwoken kthread wakes it.
 */
int kthread_park(struct task_struct *k);
/* kthread_unpark - let a parked @k go on (or clear a park request it has not seen yet). */
void kthread_unpark(struct task_struct *k);
/* kthread_parkme - called by a kthread that saw kthread_should_park(): wait until unparked. */
void kthread_parkme(void);
/*
 * kthread_bind - run @k only on @cpu
 * @k: a kthread not yet woken (binding a running one WARNs and does nothing, as in the kernel)
 * @cpu: a possible CPU; the thread's affinity is set where the machine has that CPU
 */
void kthread_bind(struct task_struct *k, unsigned int cpu);
/* kthread_data - the @data @k was created with. kthread_func - its function. */
void *kthread_data(struct task_struct *k);
void *kthread_func(struct task_struct *k);

CMWQ_EXTERN_C_END

#define kthread_create(threadfn, data, namefmt, ...) \
	kthread_create_on_node(threadfn, data, -1, namefmt, ##__VA_ARGS__)

/* kthread_run - kthread_create() and wake_up_process(): the thread starts at once. */
#define kthread_run(threadfn, data, namefmt, ...)                                       \
	({                                                                              \
		struct task_struct *cmwq_k = kthread_create(threadfn, data, namefmt, ##__VA_ARGS__); \
		if (!IS_ERR(cmwq_k))                                                     \
			wake_up_process(cmwq_k);                                         \
		cmwq_k;                                                                  \
	})
#define kthread_run_on_cpu(threadfn, data, cpu, namefmt)                                \
	({                                                                              \
		struct task_struct *cmwq_k = kthread_create_on_cpu(threadfn, data, cpu, namefmt); \
		if (!IS_ERR(cmwq_k))                                                     \
			wake_up_process(cmwq_k);                                         \
		cmwq_k;                                                                  \
	})

/* --- kthread_worker ------------------------------------------------------------------------ */
struct kthread_work;
struct kthread_worker;
typedef void (*kthread_work_func_t)(struct kthread_work *work);

#define KTW_FREEZABLE (1 << 2)

struct kthread_worker {
	unsigned int flags;
	raw_spinlock_t lock;                 /* guards everything below and the items' nodes */
	struct list_head work_list;          /* items ready to run, in order */
	struct list_head delayed_work_list;  /* items whose timer is armed */
	struct task_struct *task;            /* the kthread running kthread_worker_fn() */
	struct kthread_work *current_work;   /* the item running now */
};

struct kthread_work {
	struct list_head node;               /* on work_list or delayed_work_list while pending */
	kthread_work_func_t func;
	struct kthread_worker *worker;       /* set by the first queueing */
	int canceling;                       /* a cancel in progress refuses queueing */
};

struct kthread_delayed_work {
	struct kthread_work work;
	struct timer_list timer;
};

#define KTHREAD_WORK_INIT(work, fn) { LIST_HEAD_INIT((work).node), (fn), NULL, 0 }
#define DEFINE_KTHREAD_WORK(work, fn) struct kthread_work work = KTHREAD_WORK_INIT(work, fn)

CMWQ_EXTERN_C_BEGIN

/* kthread_init_work - prepare @work to run @fn. Context: any; the item must not be pending. */
void kthread_init_work(struct kthread_work *work, kthread_work_func_t fn);
/* kthread_init_delayed_work - prepare @dwork (its work and its timer) to run @fn. */
void kthread_init_delayed_work(struct kthread_delayed_work *dwork, kthread_work_func_t fn);
/*
 * kthread_init_worker - prepare a caller-owned @worker, to be run by
 * kthread_run(kthread_worker_fn, worker, ...) and stopped with kthread_flush_worker() and
 * kthread_stop() (kthread_destroy_worker() is for kthread_create_worker()'s workers only).
 */
void kthread_init_worker(struct kthread_worker *worker);
/* kthread_worker_fn - the loop of a worker's kthread: @worker_ptr is the kthread_worker. */
int kthread_worker_fn(void *worker_ptr);

/*
 * kthread_create_worker - allocate a worker and start its kthread
 * @flags: 0 or KTW_FREEZABLE (accepted; cmwq does not freeze kthreads)
 * @namefmt: printf-style name of its thread
 * Context: process context; may sleep.
 * Return: the worker, or ERR_PTR(-ENOMEM) (never NULL). Free it with kthread_destroy_worker().
 */
struct kthread_worker *kthread_create_worker(unsigned int flags, const char namefmt[], ...) __printf(2, 3);
/* kthread_create_worker_on_cpu - the same, its thread bound to @cpu (%d in @namefmt gets @cpu). */
struct kthread_worker *kthread_create_worker_on_cpu(int cpu, unsigned int flags, const char namefmt[], ...)
	__printf(3, 4);

/*
 * kthread_queue_work - queue @work on @worker
 * Context: any (spin lock only; never sleeps).
 * Return: true if queued; false if it was pending already, is being cancelled, belongs to another
 * worker (WARNING), or @worker was destroyed (WARNING).
 */
bool kthread_queue_work(struct kthread_worker *worker, struct kthread_work *work);
/*
 * kthread_queue_delayed_work - queue @dwork on @worker after @delay jiffies (0: now)
 * Return: as kthread_queue_work(); false also while its timer is armed.
 */
bool kthread_queue_delayed_work(struct kthread_worker *worker, struct kthread_delayed_work *dwork,
				unsigned long delay);
/*
 * kthread_mod_delayed_work - (re)queue @dwork to run @delay jiffies from now, whether or not
 * it is pending. Context: any. Return: true if it was pending (and is now re-timed), false if not.
 */
bool kthread_mod_delayed_work(struct kthread_worker *worker, struct kthread_delayed_work *dwork,
			      unsigned long delay);
/* kthread_flush_work - wait until @work, if pending or running, has run. Context: may sleep. */
void kthread_flush_work(struct kthread_work *work);
/* kthread_flush_worker - wait until everything queued on @worker before this call has run. */
void kthread_flush_worker(struct kthread_worker *worker);
/*
 * kthread_cancel_work_sync - take @work off its worker, and wait for a running instance
 * Context: may sleep. Return: true if it was pending.
 */
bool kthread_cancel_work_sync(struct kthread_work *work);
/* kthread_cancel_delayed_work_sync - the same for @dwork, its timer included. */
bool kthread_cancel_delayed_work_sync(struct kthread_delayed_work *dwork);
/*
 * kthread_destroy_worker - flush @worker, stop its kthread and free it
 * Context: may sleep. A worker destroyed twice, or not from kthread_create_worker(), WARNs.
 */
void kthread_destroy_worker(struct kthread_worker *worker);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_KTHREAD_H */
