/* SPDX-License-Identifier: MIT */
/*
 * linux/sched.h - the system's <linux/sched.h> (clone flags, scheduling policies), plus the kernel's
 * sleeping calls: task states, schedule(), schedule_timeout*(), wake_up_process() and
 * cond_resched(). Brings in, as the kernel's does: linux/jiffies.h, linux/preempt.h, linux/smp.h
 * (raw_smp_processor_id()), linux/kernel.h's basics through them.
 *
 * The system file comes first so that code which expects the user-space header still gets it
 * (design.md, "A trap in the kernel-style headers").
 *
 * The kernel's sleep protocol holds: set_current_state(TASK_INTERRUPTIBLE), test the condition,
 * schedule(); a wake_up_process() between the two sets the state back to TASK_RUNNING so
 * schedule() does not sleep. Every thread has a task state; wake_up_process() takes the
 * struct task_struct of a kthread (linux/kthread.h). A thread sleeping in schedule*() or in a
 * wait_event*() is woken by wake_up_process() as in the kernel (kthread_stop() relies on it).
 */
#include_next <linux/sched.h>

#ifndef CMWQ_LINUX_SCHED_H
#define CMWQ_LINUX_SCHED_H

#include <limits.h>

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/types.h>
/* What the kernel's <linux/sched.h> brings in as well (kernel code relies on it). */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/mutex.h>

#define TASK_RUNNING 0x00000000
#define TASK_INTERRUPTIBLE 0x00000001
#define TASK_UNINTERRUPTIBLE 0x00000002
#define TASK_WAKEKILL 0x00000100
#define TASK_NOLOAD 0x00000400
#define TASK_KILLABLE (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)

/* A timeout that never expires. */
#define MAX_SCHEDULE_TIMEOUT LONG_MAX

CMWQ_EXTERN_C_BEGIN

/* cmwq_set_current_state - set the calling thread's task state (TASK_*). */
void cmwq_set_current_state(unsigned int state);
/* cmwq_get_current_state - the calling thread's task state. */
unsigned int cmwq_get_current_state(void);

/*
 * schedule_timeout - sleep for @timeout jiffies in the state set before
 * @timeout: jiffies, or MAX_SCHEDULE_TIMEOUT
 * In state TASK_RUNNING it returns at once (with @timeout). Otherwise it sleeps the whole
 * timeout and sets the state back to TASK_RUNNING.
 * Context: may sleep (checks might_sleep() and tells the concurrency manager it blocks).
 * Return: the jiffies left: 0 after a full sleep, @timeout when it did not sleep.
 */
long schedule_timeout(long timeout);
long schedule_timeout_interruptible(long timeout);
long schedule_timeout_killable(long timeout);
long schedule_timeout_uninterruptible(long timeout);
long schedule_timeout_idle(long timeout);

/*
 * cond_resched - a point where a long-running loop lets others run
 * Checks might_sleep() (it is a sleeping point in the kernel); the OS scheduler preempts threads
 * anyway, so it does not yield.
 * Return: 0 (nothing was rescheduled).
 */
int cond_resched(void);

/* --- schedule() and wake_up_process() (kthreads and the sleep protocol) ----------------------- */
struct task_struct;

/*
 * schedule - give up the CPU until woken, if the task state says so
 * In TASK_RUNNING it returns at once. In a sleeping state it sleeps until wake_up_process() (or,
 * between prepare_to_wait() and finish_wait(), a wake_up() of that queue) and returns in
 * TASK_RUNNING. A task that nobody wakes sleeps for ever, as in the kernel.
 * Context: may sleep (checks might_sleep(); tells the concurrency manager it blocks).
 */
void schedule(void);

/*
 * wake_up_process - make a sleeping task runnable
 * @p: a kthread (kthread_create()); NULL is ignored
 * Sets @p's state to TASK_RUNNING and wakes it from schedule*(), wait_event*() or
 * prepare_to_wait() + schedule(). A newly created kthread starts running its function.
 * Context: any; never sleeps.
 * Return: 1 if @p was not running (it was woken), 0 if it already was.
 */
int wake_up_process(struct task_struct *p);

/* io_schedule(), io_schedule_timeout() - schedule() for tasks waiting for I/O (same here). */
void io_schedule(void);
long io_schedule_timeout(long timeout);

/* yield - let other threads run (sched_yield()). Context: may sleep. */
void yield(void);

CMWQ_EXTERN_C_END

#define set_current_state(state) cmwq_set_current_state(state)
#define __set_current_state(state) cmwq_set_current_state(state)
/* The state a task is in, for code that inspects it (READ_ONCE(current->__state) in the kernel). */
#define get_current_state() cmwq_get_current_state()
#define signal_pending(p) 0
#define fatal_signal_pending(p) 0

/* ---- current and struct task_struct (issue 10) -------------------------------------------- */
#include <sys/types.h>

#define TASK_COMM_LEN 16
/* The task is a workqueue worker: concurrency management sees its sleeps (as in the kernel). */
#define PF_WQ_WORKER 0x00000020

/*
 * struct task_struct - the calling thread as the kernel would see it
 * @pid: the thread id (gettid())
 * @comm: the thread name (a worker's is kworker/...), truncated to TASK_COMM_LEN - 1
 * @flags: PF_* bits. Workers start with PF_WQ_WORKER; a worker that clears it is invisible to
 *	concurrency management (its blocking wakes no other worker) until it sets it again. The
 *	manager thread reads the field, so it is _Atomic in C (`current->flags &= ~PF_WQ_WORKER` is
 *	an atomic operation there); C++, which has no _Atomic, sees a plain unsigned int of the same
 *	layout and changes it with __atomic builtins (__atomic_fetch_and(&t->flags, ...)).
 */
struct task_struct {
	pid_t pid;
	char comm[TASK_COMM_LEN];
#ifdef __cplusplus
	unsigned int flags;
#else
	_Atomic unsigned int flags;
#endif
};

CMWQ_EXTERN_C_BEGIN
/*
 * get_current - the calling thread's task
 * Context: any thread; the task lives as long as the thread.
 * Return: the task (never NULL). C code reads it as `current`.
 */
struct task_struct *get_current(void);

/*
 * task_nice - the nice value @p runs at now
 * @p: a task whose thread is alive (current, a kthread's handle)
 * Context: any.
 * Return: the thread's nice, in [-20, 19] (getpriority() of its thread id); a worker's is its
 * pool's (an unbound queue's attrs->nice, semantics.md U3).
 */
int task_nice(const struct task_struct *p);
CMWQ_EXTERN_C_END

/* C only: C++ headers use `current` as an identifier (std::reverse_iterator); C++ calls get_current(). */
#ifndef __cplusplus
#define current get_current()
#endif
/* ---- end of current and struct task_struct --------------------------------------------------- */

#endif /* CMWQ_LINUX_SCHED_H */
