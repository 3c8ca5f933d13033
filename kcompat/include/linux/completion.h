/* SPDX-License-Identifier: MIT */
/*
 * linux/completion.h - completions: "wait until some event has happened", with a count.
 *
 *   struct completion, DECLARE_COMPLETION(), DECLARE_COMPLETION_ONSTACK(), init_completion(),
 *   reinit_completion(), complete(), complete_all(), wait_for_completion*(),
 *   try_wait_for_completion(), completion_done().
 *
 * Model: a completion holds a count of "done" events. complete() adds one and wakes one waiter;
 * every successful wait consumes one. complete_all() makes the completion done for good: every
 * present and future wait succeeds at once, until reinit_completion().
 *
 * Memory ordering: everything the completing thread wrote before complete() or complete_all()
 * happens-before the return of the wait that consumes that completion (or that sees
 * complete_all()), and of a try_wait_for_completion() that returns true.
 *
 * Waits may sleep: they check might_sleep() (a WARNING in hard-IRQ, softirq or atomic context)
 * and, when they really block, tell the concurrency manager (semantics.md 5.15). complete(),
 * complete_all(), try_wait_for_completion() and completion_done() never sleep and are callable
 * from any context. Signals do not interrupt the waits: the _interruptible and _killable forms
 * behave like the plain ones and return 0 / the remaining time.
 *
 * The structure is two 32-bit words (futex-based), so a zero-initialised or statically declared
 * completion is ready to use; it holds no resources and needs no destroy.
 */
#ifndef CMWQ_LINUX_COMPLETION_H
#define CMWQ_LINUX_COMPLETION_H

#include <linux/compiler.h>
#include <linux/types.h>
/* What the kernel's <linux/completion.h> brings in as well (kernel code relies on it). */
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

struct completion {
	unsigned int done;         /* events not yet consumed; UINT_MAX after complete_all() */
	unsigned int cmwq_waiters; /* threads in a wait (implementation detail) */
};

#define COMPLETION_INITIALIZER(work) { 0, 0 }
#define COMPLETION_INITIALIZER_ONSTACK(work) COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION(work) struct completion work = COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION_ONSTACK(work) struct completion work = COMPLETION_INITIALIZER_ONSTACK(work)
#define DECLARE_COMPLETION_ONSTACK_MAP(work, map) DECLARE_COMPLETION_ONSTACK(work)

CMWQ_EXTERN_C_BEGIN

/* init_completion - make @x not done, with no waiters. Not while anyone waits on it. */
void init_completion(struct completion *x);
/* reinit_completion - forget all done events (also a complete_all()); waiters keep waiting. */
void reinit_completion(struct completion *x);

/* complete - signal one event: wakes one waiter, or lets the next wait succeed at once. */
void complete(struct completion *x);
/* complete_all - signal for good: wakes every waiter; all later waits succeed until reinit. */
void complete_all(struct completion *x);

/* wait_for_completion - sleep until @x is done, then consume one event. */
void wait_for_completion(struct completion *x);
void wait_for_completion_io(struct completion *x);
/*
 * wait_for_completion_timeout - wait_for_completion() with a limit
 * @timeout: jiffies (MAX_SCHEDULE_TIMEOUT waits for ever)
 * Return: 0 if it timed out (nothing consumed), otherwise the jiffies left, at least 1.
 */
unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout);
unsigned long wait_for_completion_io_timeout(struct completion *x, unsigned long timeout);
/* Return: 0 (signals never interrupt cmwq's waits; the kernel could return -ERESTARTSYS). */
int wait_for_completion_interruptible(struct completion *x);
int wait_for_completion_killable(struct completion *x);
int wait_for_completion_state(struct completion *x, unsigned int state);
/* Return: as wait_for_completion_timeout(). */
long wait_for_completion_interruptible_timeout(struct completion *x, unsigned long timeout);
long wait_for_completion_killable_timeout(struct completion *x, unsigned long timeout);

/* try_wait_for_completion - consume one event if there is one, without sleeping. */
bool try_wait_for_completion(struct completion *x);
/* completion_done - true if a wait would succeed now (a racy snapshot; consumes nothing). */
bool completion_done(struct completion *x);

CMWQ_EXTERN_C_END

#endif /* CMWQ_LINUX_COMPLETION_H */
