// src/core/lock.cpp - the contended path of core::mutex (lock.hpp).
#include "lock.hpp"

namespace cmwq::core {

#if CMWQ_FUTEX_MUTEX
namespace {

// About 2 to 5 microseconds of pause instructions: longer than a pool lock is held, shorter than
// the two system calls and the context switches that sleeping costs.
constexpr int lock_spins = 100;

}  // namespace

void spin_futex_lock::lock_slow() noexcept {
  for (int i = 0; i < lock_spins; i++) {
    cpu_relax();
    std::uint32_t c = word_.load(std::memory_order_relaxed);
    if (c == 0 && word_.compare_exchange_weak(c, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
  }
  // Sleep, marking the word "held with sleepers" so that unlock() wakes one of us. A thread woken
  // here leaves the mark behind: at worst one futex_wake() too many, never one too few.
  std::atomic<bool>* const waiting = spinlock_ ? t_lock_wait_flag : nullptr;
  if (waiting) waiting->store(true, std::memory_order_release);  // before its switch-out record
  while (word_.exchange(2, std::memory_order_acquire) != 0) futex_wait(&word_, 2);
  if (waiting) waiting->store(false, std::memory_order_relaxed);
}
#endif

CMWQ_TLS thread_local std::atomic<bool>* t_lock_wait_flag = nullptr;

}  // namespace cmwq::core
