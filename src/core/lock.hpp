// src/core/lock.hpp - the annotated mutex every src/core structure uses.
//
//   cmwq::core::mutex      a lock the thread-safety analysis can see, with assert_held(): a futex
//                          lock with a short spin (std::mutex under ThreadSanitizer).
//   cmwq::core::lock_guard RAII holder (scoped capability).
//   cmwq::core::unique_lock holder that can be released early and re-taken (condition waits).
#pragma once

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "futex.hpp"
#include "guards.hpp"

namespace cmwq::core {

// The lock word of core::mutex: a futex lock (0 free, 1 held, 2 held with sleepers) that spins
// briefly before it sleeps. Pool locks are held for a few hundred nanoseconds, so a waiter that
// spins for about as long usually gets the lock without two system calls (its futex_wait and the
// holder's futex_wake); with std::mutex the unbound pool's lock was W1's futex hot spot
// (docs/benchmarks.md). Under ThreadSanitizer std::mutex stays, so that its lock-order and
// deadlock checks keep seeing every core lock.
#if defined(__SANITIZE_THREAD__)
#define CMWQ_FUTEX_MUTEX 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CMWQ_FUTEX_MUTEX 0
#endif
#endif
#ifndef CMWQ_FUTEX_MUTEX
#define CMWQ_FUTEX_MUTEX 1
#endif

// What a core::mutex stands for in the kernel. A `spinlock` one (a pool lock, the try_spawn
// depot's) is held for a few hundred nanoseconds and never across a sleep: a worker that sleeps on
// it waits behind a holder that runs, which the kernel's spinlocks never show the scheduler at all.
enum class lock_kind : bool { mutex, spinlock };

// The calling worker's "asleep on a lock_kind::spinlock lock" flag (worker::in_lock_wait), or
// nullptr in other threads. Concurrency management does not count such a sleep as a block of the
// worker's item: handing its CPU to another worker would only add a contender for the same lock
// (docs/concurrency.md, "What counts as blocking").
extern CMWQ_TLS thread_local std::atomic<bool>* t_lock_wait_flag;

#if CMWQ_FUTEX_MUTEX
class spin_futex_lock {
 public:
  explicit spin_futex_lock(lock_kind kind = lock_kind::mutex) noexcept : spinlock_(kind == lock_kind::spinlock) {}
  void lock() noexcept {
    std::uint32_t c = 0;
    if (word_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
    lock_slow();
  }
  bool try_lock() noexcept {
    std::uint32_t c = 0;
    return word_.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed);
  }
  // Release: pairs with the acquire of the next lock().
  void unlock() noexcept {
    if (word_.exchange(0, std::memory_order_release) == 2) futex_wake(&word_, 1);
  }

 private:
  void lock_slow() noexcept;
  std::atomic<std::uint32_t> word_{0};  // X: the lock word itself
  const bool spinlock_;                 // I: lock_kind::spinlock
};
#endif

class CMWQ_CAPABILITY("mutex") mutex {
 public:
  mutex() = default;
#if CMWQ_FUTEX_MUTEX
  explicit mutex(lock_kind kind) noexcept : m_(kind) {}
#else
  explicit mutex(lock_kind) noexcept {}
#endif
  void lock() CMWQ_ACQUIRE() {
    m_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  void unlock() CMWQ_RELEASE() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    m_.unlock();
  }
  bool try_lock() CMWQ_TRY_ACQUIRE(true) {
    if (!m_.try_lock()) return false;
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    return true;
  }
  // Tells the analysis (and checks at run time, in debug builds) that the caller holds this.
  void assert_held() const CMWQ_ASSERT_CAPABILITY(this) {
#ifndef NDEBUG
    if (owner_.load(std::memory_order_relaxed) != std::this_thread::get_id()) __builtin_trap();
#endif
  }
  bool held_by_me() const { return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id(); }

 private:
#if CMWQ_FUTEX_MUTEX
  spin_futex_lock m_;
#else
  std::mutex m_;
#endif
  std::atomic<std::thread::id> owner_{};  // X: relaxed; only compared with the caller's own id
};

class CMWQ_SCOPED_CAPABILITY lock_guard {
 public:
  explicit lock_guard(mutex& m) CMWQ_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~lock_guard() CMWQ_RELEASE() { m_.unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

 private:
  mutex& m_;
};

// A unique_lock over core::mutex, usable with std::condition_variable_any.
class CMWQ_SCOPED_CAPABILITY unique_lock {
 public:
  explicit unique_lock(mutex& m) CMWQ_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~unique_lock() CMWQ_RELEASE() {
    if (owned_) m_.unlock();
  }
  void lock() CMWQ_ACQUIRE() {
    m_.lock();
    owned_ = true;
  }
  void unlock() CMWQ_RELEASE() {
    owned_ = false;
    m_.unlock();
  }
  unique_lock(const unique_lock&) = delete;
  unique_lock& operator=(const unique_lock&) = delete;

 private:
  mutex& m_;
  bool owned_ = true;
};

}  // namespace cmwq::core
