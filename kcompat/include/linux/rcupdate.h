/* SPDX-License-Identifier: MIT */
/*
 * linux/rcupdate.h - read-copy-update on real grace periods, from Debian's liburcu (membarrier
 * flavour, liburcu-memb; docs/rcu.md says why that one).
 *
 *   rcu_read_lock(), rcu_read_unlock()       a read-side critical section (nests)
 *   synchronize_rcu()                        waits for one full grace period
 *   call_rcu(head, func)                     func(head) after a grace period
 *   rcu_barrier()                            waits for every call_rcu() callback queued before it
 *   rcu_assign_pointer(), rcu_dereference()  publish and read an RCU-protected pointer
 *
 * A thread is registered with liburcu the first time it uses any of these (workers, softirq and
 * interrupt threads included) and unregistered when it exits: nothing to call by hand.
 * call_rcu() callbacks run on liburcu's callback thread, in task context (the kernel runs them in
 * softirq context); like the kernel's they must not sleep. Compiles as C11 (gnu11) and as C++.
 */
#ifndef CMWQ_LINUX_RCUPDATE_H
#define CMWQ_LINUX_RCUPDATE_H

#include <linux/compiler.h>
#include <linux/types.h>
/* What the kernel's <linux/rcupdate.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/preempt.h>

/* The kernel's callback_head, which it also calls rcu_head (same size and layout as liburcu's). */
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
};
#define rcu_head callback_head
typedef void (*rcu_callback_t)(struct rcu_head *head);

/* Sparse annotation: means nothing to the compiler. */
#ifndef __rcu
#define __rcu
#endif

CMWQ_EXTERN_C_BEGIN

/**
 * rcu_read_lock - enter an RCU read-side critical section
 *
 * Sections nest. Objects reached through rcu_dereference() inside stay valid until the outermost
 * rcu_read_unlock(). Context: any; never sleeps.
 */
void rcu_read_lock(void);
/**
 * rcu_read_unlock - leave an RCU read-side critical section
 *
 * An unlock without a lock WARNs and does nothing. Context: any; never sleeps.
 */
void rcu_read_unlock(void);
/**
 * rcu_read_lock_held - whether the calling thread is inside a read-side critical section
 *
 * Return: true inside rcu_read_lock()/rcu_read_unlock().
 */
bool rcu_read_lock_held(void);
/**
 * synchronize_rcu - wait until every read-side critical section that began before the call ended
 *
 * Context: process context; sleeps. Inside a read-side critical section it would wait for
 * itself: it WARNs and returns at once.
 */
void synchronize_rcu(void);
/**
 * call_rcu - call @func(@head) after a grace period
 * @head: embedded in the object to reclaim; untouched by the caller until @func runs
 * @func: runs on liburcu's callback thread; must not sleep
 *
 * Context: any; never sleeps.
 */
void call_rcu(struct rcu_head *head, rcu_callback_t func);
/**
 * rcu_barrier - wait until every callback queued by call_rcu() before the call has run
 *
 * Context: process context; sleeps. Inside a read-side critical section it WARNs and returns.
 */
void rcu_barrier(void);

CMWQ_EXTERN_C_END

#define call_rcu_hurry(head, func) call_rcu((head), (func))
#define synchronize_rcu_expedited() synchronize_rcu()
#define rcu_read_lock_bh() rcu_read_lock()
#define rcu_read_unlock_bh() rcu_read_unlock()
#define rcu_read_lock_sched() rcu_read_lock()
#define rcu_read_unlock_sched() rcu_read_unlock()

/* rcu_assign_pointer - publish @v in @p: a reader that sees it sees what was written before. */
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (__typeof__(p))(v), __ATOMIC_RELEASE)
/* RCU_INIT_POINTER - store @v in @p without ordering (NULL, or before readers can see @p). */
#define RCU_INIT_POINTER(p, v) __atomic_store_n(&(p), (__typeof__(p))(v), __ATOMIC_RELAXED)
/* rcu_dereference - read an RCU-protected pointer inside a read-side critical section. */
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_bh(p) rcu_dereference(p)
#define rcu_dereference_sched(p) rcu_dereference(p)
#define rcu_dereference_raw(p) rcu_dereference(p)
#define rcu_dereference_check(p, c) rcu_dereference(p)
/* rcu_dereference_protected - read @p where updates are excluded (the update-side lock held). */
#define rcu_dereference_protected(p, c) __atomic_load_n(&(p), __ATOMIC_RELAXED)
/* rcu_access_pointer - the value of @p, not to be dereferenced (a NULL test). */
#define rcu_access_pointer(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

#endif /* CMWQ_LINUX_RCUPDATE_H */
