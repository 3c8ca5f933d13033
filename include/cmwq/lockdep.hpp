// include/cmwq/lockdep.hpp - the lock dependency validator (lockdep) through the C++ door.
//
//   cmwq::lockdep::enable(), enabled(), reset(), report_count()   the run-time switch and counters
//   cmwq::lockdep::lock_class_key   an explicit lock class: give locks that share one the same key
//   cmwq::mutex          a std::mutex that lockdep validates (class: its construction site)
//   cmwq::shared_mutex   a std::shared_mutex likewise; lock_shared() is a (non-recursive) read
//   cmwq::annotated_lock<L>  validates a lock you already have (a std::mutex of your own)
//
// Off (the default; CMWQ_LOCKDEP=1 or enable(true) turns it on) every lock operation costs one
// predictable branch more than the bare std:: lock. On, each acquisition is checked against the
// lock orders seen before, in any thread, and against the work items and queues the thread
// waits for (flush, cancel_sync); a possible deadlock is reported once, in the kernel's format,
// and counted by cmwq_warn_count(). docs/lockdep.md explains how to read a report.
//
// Classes: a cmwq::mutex built without a key gets the class of its construction site (file and
// line; shown as "name/line"), so all mutexes made by one line of code share one class - the
// kernel's rule for mutex_init(). Locks of one class must never nest unless you give the inner
// one its own lock_class_key.
#pragma once

#include <cstdint>
#include <mutex>
#include <shared_mutex>

extern "C" {
extern int cmwq_lockdep_on_flag;  // 1 while lockdep is on; relaxed loads only
}

namespace cmwq {

namespace lockdep {

// lock_class_key - a class of locks; only its address matters, so give it static storage.
struct lock_class_key {
  char unused = 0;
};

// lockdep::enable() - turn the validator on or off, at once, for every thread.
void enable(bool on) noexcept;
// lockdep::enabled() - true while it is on (reaching a documented limit turns it off).
bool enabled() noexcept;
// lockdep::reset() - forget every class, dependency and report (for tests).
void reset() noexcept;
// lockdep::report_count() - reports printed since start.
unsigned long report_count() noexcept;

}  // namespace lockdep

namespace detail {
inline bool lockdep_on() noexcept { return __builtin_expect(__atomic_load_n(&cmwq_lockdep_on_flag, __ATOMIC_RELAXED), 0); }
// mode: 0 exclusive, 1 shared reader, 2 recursive reader.
void lockdep_acquire(const void* lock, const void* key, const char* name, unsigned subclass, bool trylock, int mode,
                     std::uintptr_t ip) noexcept;
void lockdep_release(const void* lock) noexcept;
bool lockdep_held(const void* lock) noexcept;
void lockdep_check_held(const void* lock, const char* name, bool held, const char* file, unsigned line) noexcept;
inline std::uintptr_t caller_ip() noexcept { return reinterpret_cast<std::uintptr_t>(__builtin_return_address(0)); }
}  // namespace detail

// annotated_lock<L> - lockdep's view of a Lockable you own (a std::mutex, a spin lock ...).
// Use it instead of the bare lock: it meets the same Lockable requirements (std::lock_guard,
// std::unique_lock). It does not own `lock`; `name` and `key` must outlive it.
template <class Lockable>
class annotated_lock {
 public:
  annotated_lock(Lockable& lock, const char* name, const lockdep::lock_class_key& key) noexcept
      : lock_(lock), name_(name), key_(&key), subclass_(0) {}
  // The class of the construction site: file and line (__builtin_FILE/LINE, which clang 14 with
  // libstdc++ 12 offers where the standard's source-location type is missing).
  annotated_lock(Lockable& lock, const char* name, const char* file = __builtin_FILE(),
                 unsigned line = __builtin_LINE()) noexcept
      : lock_(lock), name_(name), key_(file), subclass_(line) {}

  // lock() - validated before it may wait, so a deadlock is reported before it happens.
  void lock() {
    if (detail::lockdep_on()) detail::lockdep_acquire(&lock_, key_, name_, subclass_, false, 0, detail::caller_ip());
    lock_.lock();
  }
  // try_lock() - a trylock cannot wait, so it is recorded but never reported.
  bool try_lock() {
    if (!lock_.try_lock()) return false;
    if (detail::lockdep_on()) detail::lockdep_acquire(&lock_, key_, name_, subclass_, true, 0, detail::caller_ip());
    return true;
  }
  void unlock() {
    if (detail::lockdep_on()) detail::lockdep_release(&lock_);
    lock_.unlock();
  }
  // assert_held() / assert_not_held() - WARN when wrong; nothing while lockdep is off.
  void assert_held(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) const noexcept {
    if (detail::lockdep_on()) detail::lockdep_check_held(&lock_, name_, true, file, line);
  }
  void assert_not_held(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) const noexcept {
    if (detail::lockdep_on()) detail::lockdep_check_held(&lock_, name_, false, file, line);
  }
  Lockable& native() noexcept { return lock_; }

 protected:
  Lockable& lock_;
  const char* name_;
  const void* key_;
  unsigned subclass_;
};

// mutex - a std::mutex validated by lockdep. Same contract as std::mutex.
class mutex : public annotated_lock<std::mutex> {
 public:
  explicit mutex(const char* name = "cmwq::mutex", const char* file = __builtin_FILE(),
                 unsigned line = __builtin_LINE()) noexcept
      : annotated_lock(m_, name, file, line) {}
  mutex(const char* name, const lockdep::lock_class_key& key) noexcept : annotated_lock(m_, name, key) {}
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

 private:
  std::mutex m_;
};

// shared_mutex - a std::shared_mutex validated by lockdep; readers are non-recursive (a reader
// waits behind a waiting writer), like the kernel's rw_semaphore.
class shared_mutex : public annotated_lock<std::shared_mutex> {
 public:
  explicit shared_mutex(const char* name = "cmwq::shared_mutex", const char* file = __builtin_FILE(),
                        unsigned line = __builtin_LINE()) noexcept
      : annotated_lock(m_, name, file, line) {}
  shared_mutex(const char* name, const lockdep::lock_class_key& key) noexcept : annotated_lock(m_, name, key) {}
  shared_mutex(const shared_mutex&) = delete;
  shared_mutex& operator=(const shared_mutex&) = delete;

  void lock_shared() {
    if (detail::lockdep_on()) detail::lockdep_acquire(&lock_, key_, name_, subclass_, false, 1, detail::caller_ip());
    m_.lock_shared();
  }
  bool try_lock_shared() {
    if (!m_.try_lock_shared()) return false;
    if (detail::lockdep_on()) detail::lockdep_acquire(&lock_, key_, name_, subclass_, true, 1, detail::caller_ip());
    return true;
  }
  void unlock_shared() {
    if (detail::lockdep_on()) detail::lockdep_release(&lock_);
    m_.unlock_shared();
  }

 private:
  std::shared_mutex m_;
};

}  // namespace cmwq
