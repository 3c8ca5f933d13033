// src/lockdep/lockdep.hpp - the lock dependency validator's engine-side interface.
//
//   cmwq::lockdep::active()     one relaxed load: is the validator on? Every annotation tests it
//                                first, so a lock operation costs one predictable branch when off.
//   cmwq::lockdep::enable()     turns it on or off (CMWQ_LOCKDEP=1 turns it on at start-up).
//   cmwq::lockdep::acquire()    a lock (or pseudo-lock) of class (key, subclass) is being taken.
//   cmwq::lockdep::release()    ... and given back.
//   cmwq::lockdep::touch()      acquire + release: "this call may wait for whoever holds it".
//   cmwq::lockdep::is_held()    does the calling thread hold this instance?
//   cmwq::lockdep::unregister_key()  forget a dynamic key's class and every edge that names it.
//   cmwq::lockdep::map          key + name of a pseudo-lock, layout-equal to C's struct lockdep_map.
//
// A lock class is (key, subclass): key is the address of a static object (one per init site, a
// struct lock_class_key, or a dynamic key that is unregistered before its memory is reused). A
// lock with a null key is not tracked. What is reported and why: docs/lockdep.md.
#pragma once

#include <cstdint>

extern "C" {
// 1 while the validator is on. Read with a relaxed __atomic load (also from the C header).
extern int cmwq_lockdep_on_flag;
}

namespace cmwq::lockdep {

// How a lock is taken, as in the kernel's lock_acquire(): exclusive, a shared (non-recursive)
// reader such as down_read(), or a recursive reader such as read_lock().
enum class mode : unsigned char { exclusive = 0, shared = 1, recursive_read = 2 };

struct map {
  const void* key;   // the class key; nullptr: not tracked
  const char* name;  // the class name printed in reports
};

// Limits (docs/lockdep.md): when one is reached, one "BUG: ... too low!" line and lockdep turns
// itself off, as the kernel does.
inline constexpr unsigned max_classes = 8192;     // MAX_LOCKDEP_KEYS
inline constexpr unsigned max_edges = 32768;      // MAX_LOCKDEP_ENTRIES
inline constexpr unsigned max_lock_depth = 48;    // MAX_LOCK_DEPTH: locks one thread holds
inline constexpr unsigned max_reported = 4096;    // dependencies remembered as already reported

inline bool active() noexcept { return __builtin_expect(__atomic_load_n(&cmwq_lockdep_on_flag, __ATOMIC_RELAXED), 0); }

void enable(bool on) noexcept;
// Forgets every class, edge and report, and every thread's held locks (tests start clean).
void reset() noexcept;
// Lockdep reports printed since start (each also counts in warn_count()).
unsigned long report_count() noexcept;

// The slow paths; call them only when active(). @ip is the caller's address for "at:" lines.
void acquire(const void* instance, const void* key, const char* name, unsigned subclass, bool trylock, mode m,
             std::uintptr_t ip) noexcept;
void release(const void* instance) noexcept;
void touch(const void* instance, const void* key, const char* name, mode m, std::uintptr_t ip) noexcept;
bool is_held(const void* instance) noexcept;
void unregister_key(const void* key) noexcept;

// Warns (a kernel-style WARNING) when the assertion fails; nothing when lockdep is off.
void assert_held(const void* instance, const char* what, const char* file, int line) noexcept;
void assert_not_held(const void* instance, const char* what, const char* file, int line) noexcept;

// RAII: holds @m (exclusive) for the scope, when lockdep is on. The engine's pseudo-locks.
class scoped_map {
 public:
  scoped_map(const void* instance, const map& m, std::uintptr_t ip) noexcept : instance_(active() ? instance : nullptr) {
    if (instance_) acquire(instance_, m.key, m.name, 0, false, mode::exclusive, ip);
  }
  ~scoped_map() {
    if (instance_) release(instance_);
  }
  scoped_map(const scoped_map&) = delete;
  scoped_map& operator=(const scoped_map&) = delete;

 private:
  const void* instance_;
};

inline void touch_map(const void* instance, const map& m, std::uintptr_t ip) noexcept {
  if (active()) touch(instance, m.key, m.name, mode::exclusive, ip);
}

}  // namespace cmwq::lockdep

#define CMWQ_RET_IP() reinterpret_cast<std::uintptr_t>(__builtin_return_address(0))
