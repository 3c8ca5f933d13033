// src/core/futex.hpp - the one sleeping system call under every wait in cmwq.
//
//   cmwq::core::futex_wait()  sleep while a 32-bit word holds an expected value.
//   cmwq::core::futex_wake()  wake up to n sleepers on a word.
//   cmwq::core::mono_ns()     CLOCK_MONOTONIC in nanoseconds (the deadlines' clock).
//   cmwq::core::cpu_relax()   the pause hint inside the spin loops that come before a futex_wait().
//
// Every waiter in the engine and in the C API (events, parkers, the timer thread, completions,
// mutexes, wait queues, spinlock slow paths) sleeps through futex_wait(), so that one place
// decides what a wake-up is: a futex_wake(), a timeout, a signal (EINTR), or nothing at all. That
// last case is real - futexes wake spuriously - and the fault point `spurious_wakeup`
// (fault.hpp) makes it happen on demand, so every caller's re-check loop is exercised.
#pragma once

#include <time.h>

#include <climits>
#include <cstdint>

namespace cmwq::core {

inline constexpr long long no_deadline = LLONG_MAX;

inline long long mono_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield" ::: "memory");
#else
  __asm__ __volatile__("" ::: "memory");
#endif
}

// futex_wait - sleep while the 32-bit word at @word equals @expected, until futex_wake() on it,
// the absolute CLOCK_MONOTONIC @deadline in nanoseconds (no_deadline: none), a signal, or for no
// reason at all. Never blocks if the word already differs.
//
// Returns false only when the deadline has passed. Any true return says nothing about the
// caller's condition: callers re-check it in a loop (that is the whole contract of a futex).
// Preserves errno: kernel-style callers do not expect a wait to change it.
bool futex_wait(const void* word, std::uint32_t expected, long long deadline = no_deadline) noexcept;

// futex_wake - wake up to @n threads sleeping on @word. The address need not be live any more:
// the system call only compares addresses, so a waiter's stack word that has just gone away costs
// at most a spurious wake-up of some unrelated waiter (event::signal() relies on this).
void futex_wake(const void* word, int n) noexcept;

// futex_interrupted_waits - how many futex_wait() calls a signal has interrupted (EINTR) since
// start: the evidence that the `signal` fault point reached a waiter.
std::uint64_t futex_interrupted_waits() noexcept;

}  // namespace cmwq::core
