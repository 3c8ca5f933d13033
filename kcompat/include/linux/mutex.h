/* SPDX-License-Identifier: MIT */
/*
 * linux/mutex.h - sleeping mutual-exclusion locks.
 *
 *   struct mutex, DEFINE_MUTEX(), mutex_init(), mutex_lock(), mutex_lock_interruptible(),
 *   mutex_lock_killable(), mutex_lock_nested(), mutex_trylock(), mutex_unlock(),
 *   mutex_is_locked(), mutex_destroy().
 *
 * The kernel's rules hold: only the owner unlocks, no recursive locking, no use from interrupt
 * context. Breaking one warns (recursive locking warns and then deadlocks, as in the kernel).
 *
 * mutex_lock() may sleep: it checks might_sleep() (a WARNING in hard-IRQ, softirq or atomic
 * context) every time, and tells the concurrency manager that the caller blocks only while it
 * really waits for a contended lock (semantics.md 5.15). Fair enough, not FIFO.
 *
 * Memory ordering: everything written before mutex_unlock() happens-before the return of the
 * mutex_lock() or successful mutex_trylock() that takes the mutex next.
 *
 * cmwq_held_lock_count() counts the compat mutexes and spinlocks the calling thread holds; the
 * workqueue engine compares it before and after each work item ("BUG: workqueue leaked atomic,
 * lock or RCU", semantics.md R43).
 *
 * A zero-initialised or DEFINE_MUTEX() mutex is ready to use. Each mutex_init() call site gets its
 * own static key (as the kernel's lock classes do) for a lock validator.
 */
#ifndef CMWQ_LINUX_MUTEX_H
#define CMWQ_LINUX_MUTEX_H

#include <linux/compiler.h>
#include <linux/types.h>
/* What the kernel's <linux/mutex.h> brings in as well (kernel code relies on it). */
#include <linux/atomic.h>
#include <linux/list.h>

struct mutex {
	int cmwq_state;           /* 0 unlocked, 1 locked, 2 locked with waiters (futex word) */
	int cmwq_owner;           /* thread id of the owner, 0 when unlocked */
	const char *cmwq_name;    /* name for reports */
	const void *cmwq_key;     /* lock class: one per DEFINE_MUTEX / mutex_init() call site */
};

#define __MUTEX_INITIALIZER(lockname) { 0, 0, #lockname, &(lockname) }
#define DEFINE_MUTEX(mutexname) struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

#define mutex_init(mutex)                                              \
	do {                                                           \
		static char cmwq_mutex_key;                            \
		cmwq_mutex_init((mutex), #mutex, &cmwq_mutex_key);     \
	} while (0)

CMWQ_EXTERN_C_BEGIN

/* cmwq_mutex_init - the function behind mutex_init(): unlocked, named @name, class @key. */
void cmwq_mutex_init(struct mutex *lock, const char *name, const void *key);
/* mutex_destroy - end of use; warns if @lock is still locked. */
void mutex_destroy(struct mutex *lock);

void mutex_lock(struct mutex *lock);
void mutex_lock_nested(struct mutex *lock, unsigned int subclass);
void mutex_lock_io(struct mutex *lock);
/* Return: 0, always (signals never interrupt cmwq's waits). */
int __must_check mutex_lock_interruptible(struct mutex *lock);
int __must_check mutex_lock_killable(struct mutex *lock);
/* mutex_trylock - take @lock if it is free. Return: 1 if taken, 0 if not. Never sleeps. */
int mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
/* mutex_is_locked - true if anyone holds @lock (a racy snapshot). */
bool mutex_is_locked(struct mutex *lock);

/* cmwq_held_lock_count - compat mutexes and spinlocks the calling thread holds now. */
int cmwq_held_lock_count(void);

CMWQ_EXTERN_C_END

#define mutex_lock_interruptible_nested(lock, subclass) mutex_lock_interruptible(lock)
#define mutex_lock_killable_nested(lock, subclass) mutex_lock_killable(lock)

#endif /* CMWQ_LINUX_MUTEX_H */
