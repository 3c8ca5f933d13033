/* SPDX-License-Identifier: MIT */
/*
 * linux/workqueue_cmwq.h - cmwq's own C calls beside the kernel's workqueue API, included by
 * <linux/workqueue.h> (so kernel-style code that includes only that header sees them too).
 *
 *   the log and its WARNING count: cmwq_warn_count(), cmwq_set_log_hook();
 *   tunables the kernel sets on its command line: cmwq_set_power_efficient(),
 *   cmwq_set_cpu_intensive_thresh_us(), cmwq_set_timeout_scale_permille(), cmwq_cm_observe();
 *   statistics, dumps, the lockup watchdog and the timeline (docs/observability.md).
 *
 * None of these exists in the kernel; code meant to build there too keeps them behind #ifdef.
 */
#ifndef CMWQ_LINUX_WORKQUEUE_CMWQ_H
#define CMWQ_LINUX_WORKQUEUE_CMWQ_H

#include <linux/compiler.h>
#include <linux/types.h>

struct workqueue_struct;
struct task_struct;

CMWQ_EXTERN_C_BEGIN

/**
 * cmwq_warn_count - WARNINGs printed since start (D4)
 *
 * Context: any.
 * Return: the count.
 */
unsigned long cmwq_warn_count(void);
/**
 * cmwq_set_log_hook - redirect log lines (printk, WARN) to @hook
 * @hook: called with each line; NULL restores standard error
 * @ctx: passed to @hook
 *
 * Context: any.
 */
void cmwq_set_log_hook(void (*hook)(const char *line, void *ctx), void *ctx);
/**
 * cmwq_fault_fail_worker_creation - make worker-thread creation fail, or work again
 * @fail: true: fail
 *
 * Shorthand of cmwq_fault_inject("worker_create") (linux/fault-inject.h): a test hook for
 * rescuers.
 *
 * Context: any.
 */
void cmwq_fault_fail_worker_creation(bool fail);
/**
 * cmwq_set_power_efficient - the switch behind WQ_POWER_EFFICIENT (workqueue.power_efficient)
 * @on: true: such queues made from now on are unbound
 *
 * Context: any.
 */
void cmwq_set_power_efficient(bool on);
/**
 * cmwq_set_cpu_intensive_thresh_us - workqueue.cpu_intensive_thresh_us
 * @usecs: run time after which an item stops counting for concurrency management; 0 disables
 *
 * Context: any.
 */
void cmwq_set_cpu_intensive_thresh_us(unsigned long usecs);
/**
 * cmwq_set_timeout_scale_permille - scale IDLE_WORKER_TIMEOUT, MAYDAY_* and CREATE_COOLDOWN
 * @permille: 1000 = the kernel's values; tests use less
 *
 * Context: any.
 */
void cmwq_set_timeout_scale_permille(unsigned int permille);
/*
 * cmwq_cm_observe - how concurrency management learns of blocking it was not told about
 * Chosen once per process (CMWQ_CM_OBSERVE=perf|proc|off, else perf where perf_event_open() is
 * allowed, else proc); turns to "proc" if a worker's scheduler events cannot be opened later.
 * Return: "perf" (scheduler events), "proc" (the /proc sampler) or "off".
 */
const char *cmwq_cm_observe(void);

struct cmwq_wq_stats {
	unsigned long long started, completed, cpu_time_us, cpu_intensive, cm_wakeup, repatriated, mayday, rescued;
	int max_active, nr_active, nr_inactive;
};
/**
 * cmwq_workqueue_stats - copy @wq's statistics, summed over its pwqs
 * @wq: the workqueue
 * @out: filled on success
 *
 * Context: any.
 * Return: 0, or -EINVAL for a bad handle or NULL @out.
 */
int cmwq_workqueue_stats(struct workqueue_struct *wq, struct cmwq_wq_stats *out);
/**
 * cmwq_live_workqueues - workqueues allocated and not yet destroyed (system queues excluded)
 *
 * Context: any.
 * Return: the count, for leak reports.
 */
size_t cmwq_live_workqueues(void);
/* Worker threads started since start-up (rescuers included) and those that have ended. */
struct cmwq_worker_counts {
	unsigned long long created, exited;
};
/**
 * cmwq_get_worker_counts - worker threads started since start-up (rescuers included) and ended
 * @out: filled; NULL is ignored
 *
 * Context: any.
 */
void cmwq_get_worker_counts(struct cmwq_worker_counts *out);
/**
 * cmwq_current_worker_comm - the calling worker's display name, e.g. "kworker/1:2+events"
 * @buf: destination, NUL-terminated; empty off a worker
 * @size: size of @buf
 *
 * Context: any.
 */
void cmwq_current_worker_comm(char *buf, size_t size);

/* ---- observability (docs/observability.md) ---- */
/* in_flight: items executing now (wq_monitor's infl); flags: the queue's WQ_* flags. */
struct cmwq_wq_stats_ext {
	struct cmwq_wq_stats base;
	unsigned long long in_flight;
	unsigned int flags;
	char name[32];
};
/**
 * cmwq_workqueue_stats_ext - @wq's statistics plus its name and flags
 * @wq: the workqueue
 * @out: filled on success
 *
 * Context: any.
 * Return: 0, or -EINVAL for a bad handle.
 */
int cmwq_workqueue_stats_ext(struct workqueue_struct *wq, struct cmwq_wq_stats_ext *out);
/**
 * cmwq_list_workqueues - copy up to @n live queue handles (system queues included) to @out
 * @out: destination
 * @n: its capacity
 *
 * Context: any.
 * Return: the number of live queues (may exceed @n).
 */
size_t cmwq_list_workqueues(struct workqueue_struct **out, size_t n);
struct cmwq_pool_stats {
	int id, cpu, nice;   /* cpu: -1 for unbound pools */
	int nr_workers;      /* attached workers */
	int nr_idle;         /* idle workers */
	int nr_busy;         /* workers executing an item ("running") */
	int nr_running;      /* concurrency-counted runnable workers (0 for unbound pools) */
	int nr_pending;      /* items on the worklist waiting for a worker */
	unsigned long hung_ms; /* ms without forward progress while items are pending, else 0 */
};
/**
 * cmwq_pool_stats - pool @id's counters
 * @id: pool ids are dense from 0: iterate until -ENOENT
 * @out: filled on success
 *
 * Context: any; takes the pool lock.
 * Return: 0, -ENOENT past the last pool, or -EINVAL for a NULL @out.
 */
int cmwq_pool_stats(int id, struct cmwq_pool_stats *out);
/**
 * cmwq_show_all_workqueues_to - show_all_workqueues(), line by line to @sink instead of the log
 * @sink: called per line; a slow sink holds no lock
 * @ctx: passed to @sink
 *
 * Context: any.
 */
void cmwq_show_all_workqueues_to(void (*sink)(const char *line, void *ctx), void *ctx);
/**
 * cmwq_show_one_workqueue_to - show_one_workqueue(), line by line to @sink
 * @wq: the workqueue
 * @sink: called per line
 * @ctx: passed to @sink
 *
 * Context: any.
 */
void cmwq_show_one_workqueue_to(struct workqueue_struct *wq, void (*sink)(const char *line, void *ctx),
				void *ctx);
/**
 * cmwq_worker_comm - wq_worker_comm() by thread id
 * @buf: destination, NUL-terminated
 * @size: size of @buf
 * @tid: the thread id
 *
 * Context: any.
 * Return: 0, or -ENOENT if @tid is not a worker.
 */
int cmwq_worker_comm(char *buf, size_t size, int tid);
/**
 * cmwq_set_watchdog_thresh - the lockup watchdog's threshold
 * @seconds: CMWQ_WATCHDOG_THRESH, default 30; 0 turns it off
 *
 * Context: any.
 */
void cmwq_set_watchdog_thresh(unsigned int seconds);
/**
 * cmwq_watchdog_thresh - the lockup watchdog's threshold in seconds
 *
 * Context: any.
 * Return: 0 when off.
 */
unsigned int cmwq_watchdog_thresh(void);
/**
 * cmwq_watchdog_stalls - lockups reported since start (one per stalled pool per stall)
 *
 * Context: any.
 * Return: the count.
 */
unsigned long long cmwq_watchdog_stalls(void);
/**
 * cmwq_trace_start - record queueing and execution in a ring (the timeline)
 * @path: written at exit, on SIGUSR2 and by cmwq_trace_write(NULL), in the Chrome trace event format
 * @capacity: events kept; 0: 65536
 *
 * CMWQ_TRACE=path.json does the same at start-up.
 *
 * Context: any.
 * Return: 0, -EINVAL (empty path) or -ENOMEM.
 */
int cmwq_trace_start(const char *path, size_t capacity);
/**
 * cmwq_trace_stop - stop recording the timeline
 *
 * Context: any.
 */
void cmwq_trace_stop(void);
/**
 * cmwq_trace_write - write the timeline ring now
 * @path: destination; NULL: the path of cmwq_trace_start()
 *
 * Context: may sleep (file I/O).
 * Return: 0 or -errno.
 */
int cmwq_trace_write(const char *path);
/**
 * cmwq_task_tid - the thread id of @task (its pid)
 * @task: the task; NULL means the calling thread
 *
 * Context: any.
 * Return: the thread id.
 */
int cmwq_task_tid(const struct task_struct *task);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_WORKQUEUE_CMWQ_H */
