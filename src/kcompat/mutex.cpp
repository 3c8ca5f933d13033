// src/kcompat/mutex.cpp - kernel mutexes on a futex word.
//
// The problem: struct mutex must be a plain C structure, usable zero-initialised and from
// DEFINE_MUTEX(), and a contended mutex_lock() must tell the concurrency manager that the caller
// blocks - but only when it really waits, since an uncontended lock is the common case.
//
// The approach: the classic three-state futex mutex (0 free, 1 locked, 2 locked and maybe
// waiters). The fast path is one CAS 0 -> 1. A contender swaps in 2 and sleeps on the futex while
// the word stays 2, inside blocking_begin()/blocking_end(); unlock swaps the word to 0 and, if it
// was 2, wakes one sleeper. A woken thread swaps in 2 again (it cannot know whether others still
// sleep), so a later unlock may make one unnecessary wake-up system call; that costs a little
// and never loses a wake-up.
//
// Memory ordering: the successful acquire (CAS or exchange, acquire) reads the value written by
// the previous owner's release exchange in mutex_unlock(), so that owner's critical section
// happens-before this one.
//
// Lockdep: every lock is announced to the validator (src/lockdep) before it may wait, a trylock
// after it succeeded, and each unlock by its owner; the class is the mutex_init() call site.
//
// Owner checks: cmwq_owner holds the owner's thread id (relaxed atomic: only the owner writes
// it; others only compare it with their own id). mutex_unlock() by a non-owner, of an unlocked
// mutex, recursive locking and destroying a locked mutex warn, as the kernel's debug checks do.
#include <linux/mutex.h>

#include "core/context.hpp"
#include "core/warn.hpp"
#include "kcompat/futex.hpp"
#include "lockdep/lockdep.hpp"
#include "kcompat/task.hpp"

namespace cmwq::kcompat {
namespace {

constexpr int unlocked = 0;
constexpr int locked = 1;
constexpr int contended = 2;

void set_owner(struct mutex* lock, int tid) noexcept { __atomic_store_n(&lock->cmwq_owner, tid, __ATOMIC_RELAXED); }
int owner_of(const struct mutex* lock) noexcept { return __atomic_load_n(&lock->cmwq_owner, __ATOMIC_RELAXED); }
const char* name_of(const struct mutex* lock) noexcept { return lock->cmwq_name ? lock->cmwq_name : "mutex"; }

// lockdep's view (validated before waiting, so a deadlock is reported before it happens).
void lockdep_acquire(struct mutex* lock, unsigned subclass, bool trylock, std::uintptr_t ip) noexcept {
  if (lockdep::active())
    lockdep::acquire(lock, lock->cmwq_key, name_of(lock), subclass, trylock, lockdep::mode::exclusive, ip);
}

void lock_common(struct mutex* lock, const char* who, unsigned subclass, std::uintptr_t ip) noexcept {
  (void)sleep_check(who);
  lockdep_acquire(lock, subclass, false, ip);
  const int me = current_tid();
  int c = unlocked;
  // Pairs with the release exchange in mutex_unlock().
  if (!__atomic_compare_exchange_n(&lock->cmwq_state, &c, locked, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
    if (owner_of(lock) == me)
      CMWQ_WARN("possible recursive locking detected: %s (%p) is already held by this thread; deadlock follows",
                name_of(lock), static_cast<void*>(lock));
    core::blocking_section blocking;  // contended: from here on the caller sleeps
    if (c != contended) c = __atomic_exchange_n(&lock->cmwq_state, contended, __ATOMIC_ACQUIRE);
    while (c != unlocked) {
      futex_wait(&lock->cmwq_state, contended, no_deadline);
      c = __atomic_exchange_n(&lock->cmwq_state, contended, __ATOMIC_ACQUIRE);
    }
  }
  set_owner(lock, me);
  note_lock_acquired();
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void cmwq_mutex_init(struct mutex* lock, const char* name, const void* key) {
  __atomic_store_n(&lock->cmwq_state, kcompat::unlocked, __ATOMIC_RELAXED);
  kcompat::set_owner(lock, 0);
  lock->cmwq_name = name;
  lock->cmwq_key = key;
}

void mutex_destroy(struct mutex* lock) {
  if (__atomic_load_n(&lock->cmwq_state, __ATOMIC_RELAXED) != kcompat::unlocked)
    CMWQ_WARN("mutex_destroy: %s (%p) is still locked", kcompat::name_of(lock), static_cast<void*>(lock));
}

void mutex_lock(struct mutex* lock) { kcompat::lock_common(lock, "mutex_lock", 0, CMWQ_RET_IP()); }

void mutex_lock_nested(struct mutex* lock, unsigned int subclass) {
  kcompat::lock_common(lock, "mutex_lock_nested", subclass, CMWQ_RET_IP());
}

void mutex_lock_io(struct mutex* lock) { kcompat::lock_common(lock, "mutex_lock_io", 0, CMWQ_RET_IP()); }

int mutex_lock_interruptible(struct mutex* lock) {
  kcompat::lock_common(lock, "mutex_lock_interruptible", 0, CMWQ_RET_IP());
  return 0;
}

int mutex_lock_killable(struct mutex* lock) {
  kcompat::lock_common(lock, "mutex_lock_killable", 0, CMWQ_RET_IP());
  return 0;
}

int mutex_trylock(struct mutex* lock) {
  int c = kcompat::unlocked;
  // Pairs with the release exchange in mutex_unlock().
  if (!__atomic_compare_exchange_n(&lock->cmwq_state, &c, kcompat::locked, false, __ATOMIC_ACQUIRE,
                                   __ATOMIC_RELAXED))
    return 0;
  kcompat::set_owner(lock, kcompat::current_tid());
  kcompat::note_lock_acquired();
  kcompat::lockdep_acquire(lock, 0, true, CMWQ_RET_IP());
  return 1;
}

void mutex_unlock(struct mutex* lock) {
  const int me = kcompat::current_tid();
  const int owner = kcompat::owner_of(lock);
  if (__atomic_load_n(&lock->cmwq_state, __ATOMIC_RELAXED) == kcompat::unlocked) {
    CMWQ_WARN("mutex_unlock: %s (%p) is not locked", kcompat::name_of(lock), static_cast<void*>(lock));
    return;
  }
  if (owner != me) {
    CMWQ_WARN("mutex_unlock: %s (%p) is owned by thread %d, not by the caller %d", kcompat::name_of(lock),
              static_cast<void*>(lock), owner, me);
  } else {
    kcompat::note_lock_released();
    if (lockdep::active()) lockdep::release(lock);
  }
  kcompat::set_owner(lock, 0);
  // Pairs with the acquiring CAS/exchange in lock_common() and mutex_trylock().
  if (__atomic_exchange_n(&lock->cmwq_state, kcompat::unlocked, __ATOMIC_RELEASE) == kcompat::contended)
    kcompat::futex_wake(&lock->cmwq_state, 1);
}

bool mutex_is_locked(struct mutex* lock) {
  return __atomic_load_n(&lock->cmwq_state, __ATOMIC_RELAXED) != kcompat::unlocked;
}

}  // extern "C"
