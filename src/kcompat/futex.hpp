// src/kcompat/futex.hpp - the compat layer's view of the futex, and clock helpers.
//
//   cmwq::kcompat::futex_wait()    sleep while a 32-bit word holds an expected value, until woken
//                                  or an absolute CLOCK_MONOTONIC deadline (core::futex_wait()).
//   cmwq::kcompat::futex_wake()    wake up to n sleepers on a word.
//   cmwq::kcompat::mono_ns()       CLOCK_MONOTONIC in nanoseconds.
//   cmwq::kcompat::deadline_after_jiffies()  a deadline in mono_ns() terms (no_deadline if huge).
//   cmwq::kcompat::cpu_relax()     the pause hint inside spin loops.
//
// Why futexes: the C structures (struct completion, struct mutex, wait_queue_head_t) must work
// zero-initialised and statically declared in C, hold no resources and need no destructor. A
// futex needs nothing but an aligned 32-bit word. Synchronisation itself always goes through
// atomic read-modify-writes on those words (which ThreadSanitizer understands); the futex only
// puts the thread to sleep, so a spurious or missed return is harmless: every caller re-checks
// its word in a loop (and the fault points spurious_wakeup and signal make sure of it).
#pragma once

#include <climits>

#include "core/futex.hpp"

namespace cmwq::kcompat {

using core::cpu_relax;
using core::futex_wake;
using core::mono_ns;
using core::no_deadline;

// The mono_ns() value @timeout jiffies (milliseconds) from now; no_deadline for LONG_MAX-sized timeouts
// (anything beyond ~290 years cannot be represented and is taken as "for ever").
inline long long deadline_after_jiffies(unsigned long timeout) noexcept {
  constexpr unsigned long max_ms = 1ULL << 43;  // ~278 years
  if (timeout >= max_ms) return no_deadline;
  return mono_ns() + static_cast<long long>(timeout) * 1000000LL;
}

// Jiffies left until @deadline, rounded up; 0 if it has passed.
inline unsigned long jiffies_until(long long deadline) noexcept {
  long long left = deadline - mono_ns();
  if (left <= 0) return 0;
  return static_cast<unsigned long>((left + 999999) / 1000000);
}

// Sleeps while *word == expected, until woken (or spuriously, or by a signal) or until @deadline
// (mono_ns(); no_deadline = no limit). Returns false only if the deadline has passed.
inline bool futex_wait(const unsigned int* word, unsigned int expected, long long deadline) noexcept {
  return core::futex_wait(word, expected, deadline);
}

inline void futex_wait(const int* word, int expected, long long deadline) noexcept {
  (void)core::futex_wait(word, static_cast<unsigned int>(expected), deadline);
}

}  // namespace cmwq::kcompat
