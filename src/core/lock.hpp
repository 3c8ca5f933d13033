// src/core/lock.hpp - the annotated mutex every src/core structure uses.
//
//   cmwq::core::mutex      a std::mutex the thread-safety analysis can see, with assert_held().
//   cmwq::core::lock_guard RAII holder (scoped capability).
//   cmwq::core::unique_lock holder that can be released early and re-taken (condition waits).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "guards.hpp"

namespace cmwq::core {

class CMWQ_CAPABILITY("mutex") mutex {
 public:
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
  std::mutex& native() { return m_; }

 private:
  std::mutex m_;
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
