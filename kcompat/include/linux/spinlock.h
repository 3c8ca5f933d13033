/* SPDX-License-Identifier: MIT */
/*
 * linux/spinlock.h - spinning locks, and the atomic context they create.
 *
 *   spinlock_t, raw_spinlock_t, DEFINE_SPINLOCK(), DEFINE_RAW_SPINLOCK(), spin_lock_init(),
 *   spin_lock(), spin_unlock(), spin_trylock(), spin_lock_bh()/spin_unlock_bh(),
 *   spin_lock_irq()/spin_unlock_irq(), spin_lock_irqsave()/spin_unlock_irqrestore(),
 *   spin_is_locked(), assert_spin_locked(), and raw_spin_*() (the same lock here).
 *
 * A spinlock never sleeps. Holding one puts the thread in atomic context: preempt_count() is
 * raised from lock to unlock, so might_sleep() warns and every sleeping compat call made under a
 * spinlock is reported. Waiting for a contended spinlock spins, then yields the CPU now and then
 * (the holder may have been preempted by the OS: user space cannot disable preemption); it is not
 * reported to the concurrency manager as blocking.
 *
 * The _irq, _irqsave and _bh forms take the same lock; @flags is set to 0 and ignored. Only the
 * owner unlocks; recursive locking warns and then spins for ever, as in the kernel.
 *
 * Memory ordering: everything written before spin_unlock() happens-before the return of the
 * spin_lock() or successful spin_trylock() that takes the lock next.
 */
#ifndef CMWQ_LINUX_SPINLOCK_H
#define CMWQ_LINUX_SPINLOCK_H

#include <linux/compiler.h>
#include <linux/preempt.h>
#include <linux/types.h>
/* What the kernel's <linux/spinlock.h> brings in as well (kernel code relies on it). */
#include <linux/bug.h>

typedef struct spinlock {
	int cmwq_locked;          /* 0 free, 1 held */
	int cmwq_owner;           /* thread id of the holder, 0 when free */
	const char *cmwq_name;    /* name for reports */
	const void *cmwq_key;     /* lock class: one per definition / spin_lock_init() call site */
} spinlock_t;
typedef struct spinlock raw_spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname) { 0, 0, #lockname, &(lockname) }
#define __RAW_SPIN_LOCK_UNLOCKED(lockname) __SPIN_LOCK_UNLOCKED(lockname)
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
#define DEFINE_RAW_SPINLOCK(x) raw_spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

#define spin_lock_init(lock)                                          \
	do {                                                          \
		static char cmwq_spin_key;                            \
		cmwq_spin_lock_init((lock), #lock, &cmwq_spin_key);   \
	} while (0)
#define raw_spin_lock_init(lock) spin_lock_init(lock)

CMWQ_EXTERN_C_BEGIN

void cmwq_spin_lock_init(spinlock_t *lock, const char *name, const void *key);

void spin_lock(spinlock_t *lock);
void spin_lock_nested(spinlock_t *lock, int subclass);
void spin_lock_bh(spinlock_t *lock);
void spin_lock_irq(spinlock_t *lock);
/* cmwq_spin_lock_irqsave - the function behind spin_lock_irqsave(); returns the flags (0). */
unsigned long cmwq_spin_lock_irqsave(spinlock_t *lock);
/* spin_trylock - take @lock if it is free. Return: 1 if taken (atomic context begins), else 0. */
int spin_trylock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
void spin_unlock_bh(spinlock_t *lock);
void spin_unlock_irq(spinlock_t *lock);
void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
/* spin_is_locked - true if anyone holds @lock (a racy snapshot). */
int spin_is_locked(spinlock_t *lock);
/* cmwq_spin_assert_held - warns unless the calling thread holds @lock. */
void cmwq_spin_assert_held(spinlock_t *lock, const char *func);

CMWQ_EXTERN_C_END

#define spin_lock_irqsave(lock, flags)                          \
	do {                                                    \
		(flags) = cmwq_spin_lock_irqsave(lock);         \
	} while (0)
#define spin_lock_irqsave_nested(lock, flags, subclass) spin_lock_irqsave(lock, flags)
#define spin_trylock_irqsave(lock, flags) ({ (flags) = 0; spin_trylock(lock); })
#define spin_trylock_bh(lock) spin_trylock(lock)
#define spin_trylock_irq(lock) spin_trylock(lock)
#define assert_spin_locked(lock) cmwq_spin_assert_held((lock), __func__)

#define raw_spin_lock(lock) spin_lock(lock)
#define raw_spin_lock_nested(lock, subclass) spin_lock_nested(lock, subclass)
#define raw_spin_lock_bh(lock) spin_lock_bh(lock)
#define raw_spin_lock_irq(lock) spin_lock_irq(lock)
#define raw_spin_lock_irqsave(lock, flags) spin_lock_irqsave(lock, flags)
#define raw_spin_trylock(lock) spin_trylock(lock)
#define raw_spin_unlock(lock) spin_unlock(lock)
#define raw_spin_unlock_bh(lock) spin_unlock_bh(lock)
#define raw_spin_unlock_irq(lock) spin_unlock_irq(lock)
#define raw_spin_unlock_irqrestore(lock, flags) spin_unlock_irqrestore(lock, flags)
#define raw_spin_is_locked(lock) spin_is_locked(lock)

#endif /* CMWQ_LINUX_SPINLOCK_H */
