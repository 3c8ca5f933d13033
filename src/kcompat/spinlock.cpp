// src/kcompat/spinlock.cpp - kernel spinlocks: a test-and-test-and-set lock plus atomic context.
//
// The problem: in the kernel a spinlock holder cannot be preempted, so spinning is short. In user
// space the OS may preempt the holder at any time, and on a loaded 2-CPU machine a spinner could
// then burn its whole time slice. The approach: spin on a relaxed load with the CPU's pause hint,
// and after a bounded number of rounds yield the CPU (sched_yield()), which lets a preempted
// holder run. Spinning is not blocking in the kernel's sense, so the concurrency manager is not
// told; the CPU-hog detector sees it like any busy loop.
//
// Atomic context: spin_lock() raises the thread's preemption count before it takes the lock and
// spin_unlock() lowers it after releasing, so sleeping compat calls made under a spinlock warn.
//
// Lockdep: announced to the validator (src/lockdep) before spinning, a trylock after it
// succeeded; the class is the spin_lock_init() call site or the DEFINE_SPINLOCK() variable.
//
// Memory ordering: the acquiring exchange (acquire) reads the value written by the previous
// holder's release store in spin_unlock(), so that holder's critical section happens-before this
// one.
#include <sched.h>

#include <linux/spinlock.h>

#include "core/warn.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/task.hpp"
#include "lockdep/lockdep.hpp"

namespace cmwq::kcompat {
namespace {

constexpr int spins_before_yield = 128;

void set_owner(spinlock_t* lock, int tid) noexcept { __atomic_store_n(&lock->cmwq_owner, tid, __ATOMIC_RELAXED); }
int owner_of(const spinlock_t* lock) noexcept { return __atomic_load_n(&lock->cmwq_owner, __ATOMIC_RELAXED); }
const char* name_of(const spinlock_t* lock) noexcept { return lock->cmwq_name ? lock->cmwq_name : "spinlock"; }

bool try_take(spinlock_t* lock) noexcept {
  // Pairs with the release store in unlock_common().
  return __atomic_exchange_n(&lock->cmwq_locked, 1, __ATOMIC_ACQUIRE) == 0;
}

// lockdep's view (validated before spinning, so a deadlock is reported before it happens).
void lockdep_acquire(spinlock_t* lock, unsigned subclass, bool trylock, std::uintptr_t ip) noexcept {
  if (lockdep::active())
    lockdep::acquire(lock, lock->cmwq_key, name_of(lock), subclass, trylock, lockdep::mode::exclusive, ip);
}

void lock_common(spinlock_t* lock, unsigned subclass, std::uintptr_t ip) noexcept {
  cmwq_preempt_disable();
  lockdep_acquire(lock, subclass, false, ip);
  const int me = current_tid();
  if (!try_take(lock)) {
    if (owner_of(lock) == me)
      CMWQ_WARN("BUG: spinlock recursion: %s (%p) is already held by this thread; it will spin for ever",
                name_of(lock), static_cast<void*>(lock));
    do {
      int spins = 0;
      while (__atomic_load_n(&lock->cmwq_locked, __ATOMIC_RELAXED) != 0) {
        if (++spins < spins_before_yield) {
          cpu_relax();
        } else {
          spins = 0;
          sched_yield();  // the holder may have been preempted: let it run
        }
      }
    } while (!try_take(lock));
  }
  set_owner(lock, me);
  note_lock_acquired();
}

void unlock_common(spinlock_t* lock) noexcept {
  const int me = current_tid();
  const int owner = owner_of(lock);
  if (__atomic_load_n(&lock->cmwq_locked, __ATOMIC_RELAXED) == 0) {
    CMWQ_WARN("BUG: spinlock already unlocked: %s (%p)", name_of(lock), static_cast<void*>(lock));
    return;
  }
  if (owner != me)
    CMWQ_WARN("BUG: spinlock wrong owner: %s (%p) is held by thread %d, unlocked by %d", name_of(lock),
              static_cast<void*>(lock), owner, me);
  else
    note_lock_released();
  if (lockdep::active()) lockdep::release(lock);
  set_owner(lock, 0);
  // Pairs with the acquire exchange in try_take().
  __atomic_store_n(&lock->cmwq_locked, 0, __ATOMIC_RELEASE);
  cmwq_preempt_enable();
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void cmwq_spin_lock_init(spinlock_t* lock, const char* name, const void* key) {
  __atomic_store_n(&lock->cmwq_locked, 0, __ATOMIC_RELAXED);
  kcompat::set_owner(lock, 0);
  lock->cmwq_name = name;
  lock->cmwq_key = key;
}

void spin_lock(spinlock_t* lock) { kcompat::lock_common(lock, 0, CMWQ_RET_IP()); }

void spin_lock_nested(spinlock_t* lock, int subclass) {
  kcompat::lock_common(lock, static_cast<unsigned>(subclass), CMWQ_RET_IP());
}

void spin_lock_bh(spinlock_t* lock) { kcompat::lock_common(lock, 0, CMWQ_RET_IP()); }
void spin_lock_irq(spinlock_t* lock) { kcompat::lock_common(lock, 0, CMWQ_RET_IP()); }

unsigned long cmwq_spin_lock_irqsave(spinlock_t* lock) {
  kcompat::lock_common(lock, 0, CMWQ_RET_IP());
  return 0;
}

int spin_trylock(spinlock_t* lock) {
  cmwq_preempt_disable();
  if (!kcompat::try_take(lock)) {
    cmwq_preempt_enable();
    return 0;
  }
  kcompat::set_owner(lock, kcompat::current_tid());
  kcompat::note_lock_acquired();
  kcompat::lockdep_acquire(lock, 0, true, CMWQ_RET_IP());
  return 1;
}

void spin_unlock(spinlock_t* lock) { kcompat::unlock_common(lock); }
void spin_unlock_bh(spinlock_t* lock) { kcompat::unlock_common(lock); }
void spin_unlock_irq(spinlock_t* lock) { kcompat::unlock_common(lock); }

void spin_unlock_irqrestore(spinlock_t* lock, unsigned long flags) {
  (void)flags;
  kcompat::unlock_common(lock);
}

int spin_is_locked(spinlock_t* lock) { return __atomic_load_n(&lock->cmwq_locked, __ATOMIC_RELAXED) != 0; }

void cmwq_spin_assert_held(spinlock_t* lock, const char* func) {
  if (__atomic_load_n(&lock->cmwq_locked, __ATOMIC_RELAXED) == 0 || kcompat::owner_of(lock) != kcompat::current_tid())
    core::warn(__FILE__, __LINE__, func ? func : "assert_spin_locked", "assert_spin_locked(%s) failed: not held by the caller",
               kcompat::name_of(lock));
}

}  // extern "C"
