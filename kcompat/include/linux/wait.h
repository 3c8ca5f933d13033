/* SPDX-License-Identifier: MIT */
/*
 * linux/wait.h - the system's <linux/wait.h> (WNOHANG, ...), plus the kernel's wait queues:
 * sleep until a condition becomes true, woken by whoever makes it true.
 *
 *   wait_queue_head_t, DECLARE_WAIT_QUEUE_HEAD(), init_waitqueue_head(), wake_up(),
 *   wake_up_all(), wake_up_interruptible(), wake_up_interruptible_all(), waitqueue_active(),
 *   wait_event(), wait_event_timeout(), wait_event_interruptible(),
 *   wait_event_interruptible_timeout(), wait_event_killable(), wait_event_idle().
 *
 * wait_event(wq, cond) returns once @cond is true; it re-evaluates @cond after every wake-up of
 * @wq (and possibly spuriously), so @cond must be cheap and free of side effects. The waker
 * makes the condition true, then calls wake_up(&wq). All waiters of cmwq's wait_event*() are
 * non-exclusive, so wake_up() wakes them all, exactly like wake_up_all().
 *
 * Memory ordering: whatever the waker wrote before wake_up() is visible to the condition check
 * that follows the wake-up (wake_up() is a full barrier, as in the kernel when it wakes someone).
 *
 * Waits may sleep: they check might_sleep() and, when they really block, tell the concurrency
 * manager (semantics.md 5.15). wake_up*() never sleep and are callable from any context. Signals
 * never interrupt the waits: the _interruptible and _killable forms return 0 (or the time left).
 *
 * glibc's <sys/wait.h> declares P_ALL, P_PID, P_PGID and P_PIDFD as enumerators, which the system
 * header's macros of the same names would break, so those four macros are removed again below
 * (design.md, "A trap in the kernel-style headers"); their values are the same either way.
 */
#include_next <linux/wait.h>

#ifndef CMWQ_LINUX_WAIT_H
#define CMWQ_LINUX_WAIT_H

#undef P_ALL
#undef P_PID
#undef P_PGID
#undef P_PIDFD

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/types.h>
/* What the kernel's <linux/wait.h> brings in as well (kernel code relies on it). */
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>

struct wait_queue_head {
	unsigned int cmwq_seq;     /* bumped by every wake-up (futex word) */
	unsigned int cmwq_waiters; /* threads inside a wait_event*() (implementation detail) */
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) { 0, 0 }
#define DECLARE_WAIT_QUEUE_HEAD(name) wait_queue_head_t name = __WAIT_QUEUE_HEAD_INITIALIZER(name)
#define DECLARE_WAIT_QUEUE_HEAD_ONSTACK(name) DECLARE_WAIT_QUEUE_HEAD(name)
#define init_waitqueue_head(wq_head) cmwq_init_waitqueue_head(wq_head)

CMWQ_EXTERN_C_BEGIN

void cmwq_init_waitqueue_head(struct wait_queue_head *wq_head);
/* cmwq_wake_up - wake every thread waiting in a wait_event*() on @wq_head. Never sleeps. */
void cmwq_wake_up(struct wait_queue_head *wq_head);
/* waitqueue_active - true if some thread waits on @wq_head (a racy snapshot). */
bool waitqueue_active(struct wait_queue_head *wq_head);

/*
 * The pieces of wait_event*(). cmwq_wait_prepare() registers the caller as a waiter and returns
 * the wake-up sequence to sleep on; the caller then tests its condition; cmwq_wait_sleep() sleeps
 * until a wake-up after that sequence or until *@deadline (a cmwq_wait_deadline() value; NULL: no
 * limit), and returns false on time-out; cmwq_wait_finish() unregisters the caller.
 */
unsigned int cmwq_wait_prepare(struct wait_queue_head *wq_head, const char *func);
bool cmwq_wait_sleep(struct wait_queue_head *wq_head, unsigned int seq, const long long *deadline);
void cmwq_wait_finish(struct wait_queue_head *wq_head);
/* The deadline @timeout jiffies from now; cmwq_wait_remaining() the jiffies left (0 if past). */
long long cmwq_wait_deadline(long timeout);
long cmwq_wait_remaining(const long long *deadline);

CMWQ_EXTERN_C_END

#define wake_up(wq_head) cmwq_wake_up(wq_head)
#define wake_up_all(wq_head) cmwq_wake_up(wq_head)
#define wake_up_nr(wq_head, nr) cmwq_wake_up(wq_head)
#define wake_up_interruptible(wq_head) cmwq_wake_up(wq_head)
#define wake_up_interruptible_all(wq_head) cmwq_wake_up(wq_head)
#define wake_up_interruptible_nr(wq_head, nr) cmwq_wake_up(wq_head)
#define wake_up_locked(wq_head) cmwq_wake_up(wq_head)

/* wait_event - sleep until @condition is true. */
#define wait_event(wq_head, condition)                                                          \
	do {                                                                                    \
		might_sleep();                                                                  \
		if (condition)                                                                  \
			break;                                                                  \
		for (;;) {                                                                      \
			unsigned int cmwq_seq = cmwq_wait_prepare(&(wq_head), __func__);       \
			if (condition) {                                                        \
				cmwq_wait_finish(&(wq_head));                                   \
				break;                                                          \
			}                                                                       \
			cmwq_wait_sleep(&(wq_head), cmwq_seq, NULL);                            \
			cmwq_wait_finish(&(wq_head));                                           \
		}                                                                               \
	} while (0)

/*
 * wait_event_timeout - sleep until @condition is true or @timeout jiffies have passed
 * Return: 0 if @condition is still false when the time is up; 1 if it was true only then;
 * otherwise the jiffies left (at least 1) when it became true.
 */
#define wait_event_timeout(wq_head, condition, timeout)                                         \
	({                                                                                      \
		long cmwq_ret = (long)(timeout);                                                \
		might_sleep();                                                                  \
		if (!(condition)) {                                                             \
			long long cmwq_deadline = cmwq_wait_deadline(cmwq_ret);                 \
			for (;;) {                                                              \
				unsigned int cmwq_seq = cmwq_wait_prepare(&(wq_head), __func__); \
				bool cmwq_in_time;                                              \
				if (condition) {                                                \
					cmwq_wait_finish(&(wq_head));                           \
					cmwq_ret = cmwq_wait_remaining(&cmwq_deadline);         \
					if (cmwq_ret == 0)                                      \
						cmwq_ret = 1;                                   \
					break;                                                  \
				}                                                               \
				cmwq_in_time = cmwq_wait_sleep(&(wq_head), cmwq_seq, &cmwq_deadline); \
				cmwq_wait_finish(&(wq_head));                                   \
				if (!cmwq_in_time) {                                            \
					cmwq_ret = (condition) ? 1 : 0;                         \
					break;                                                  \
				}                                                               \
			}                                                                       \
		} else if (cmwq_ret == 0) {                                                     \
			cmwq_ret = 1;                                                           \
		}                                                                               \
		cmwq_ret;                                                                       \
	})

/* Signals never interrupt cmwq's waits: these return 0, or the time left. */
#define wait_event_interruptible(wq_head, condition) ({ wait_event(wq_head, condition); 0; })
#define wait_event_killable(wq_head, condition) ({ wait_event(wq_head, condition); 0; })
#define wait_event_idle(wq_head, condition) wait_event(wq_head, condition)
#define wait_event_interruptible_timeout(wq_head, condition, timeout) \
	wait_event_timeout(wq_head, condition, timeout)
#define wait_event_killable_timeout(wq_head, condition, timeout) wait_event_timeout(wq_head, condition, timeout)
#define wait_event_idle_timeout(wq_head, condition, timeout) wait_event_timeout(wq_head, condition, timeout)
#define wait_event_idle_exclusive(wq_head, condition) wait_event(wq_head, condition)
#define wait_event_idle_exclusive_timeout(wq_head, condition, timeout) \
	wait_event_timeout(wq_head, condition, timeout)
#define wait_event_freezable(wq_head, condition) ({ wait_event(wq_head, condition); 0; })

/* --- the open-coded wait loop: DEFINE_WAIT, prepare_to_wait(), schedule(), finish_wait() ---------
 *
 *	DEFINE_WAIT(wait);
 *	for (;;) {
 *		prepare_to_wait(&wq, &wait, TASK_INTERRUPTIBLE);
 *		if (condition)
 *			break;
 *		schedule();
 *	}
 *	finish_wait(&wq, &wait);
 *
 * schedule() after prepare_to_wait() sleeps until a wake_up() of the queue that comes after the
 * prepare_to_wait() (so one between the condition test and schedule() is not lost), or until
 * wake_up_process() of the task. One wait entry per task at a time, as in the kernel.
 */
struct wait_queue_entry {
	unsigned int flags;
#ifdef __cplusplus
	void *cmwq_private;                  /* `private` is a keyword in C++ */
#else
	void *private;                       /* unused: the task is the calling thread */
#endif
	struct wait_queue_head *cmwq_head;   /* the queue prepared for; NULL when not queued */
	unsigned int cmwq_seq;               /* the queue's wake-up sequence at prepare time */
};
typedef struct wait_queue_entry wait_queue_entry_t;

#define WQ_FLAG_EXCLUSIVE 0x01
#define DEFINE_WAIT(name) struct wait_queue_entry name = { 0, NULL, NULL, 0 }
#define DEFINE_WAIT_FUNC(name, function) DEFINE_WAIT(name)
#define init_wait(wait) ((void)((wait)->flags = 0, (wait)->cmwq_head = NULL))

CMWQ_EXTERN_C_BEGIN

/*
 * prepare_to_wait - queue the calling task on @wq_head and set its state to @state
 * @wq_head: the wait queue
 * @wq_entry: the task's entry (DEFINE_WAIT()); may be prepared again on every loop iteration
 * @state: TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE, TASK_IDLE, ...
 * Context: process context; the following schedule() may sleep. Preparing a second entry while
 * one is queued WARNs and leaves the first one queued.
 */
void prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry, int state);
/* prepare_to_wait_exclusive - the same (cmwq's wake_up() wakes every waiter). Return: true. */
bool prepare_to_wait_exclusive(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			       int state);
/*
 * finish_wait - end the wait: state back to TASK_RUNNING, @wq_entry off @wq_head
 * Context: any the task may be in; calling it when the entry is not queued does nothing.
 */
void finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_WAIT_H */
