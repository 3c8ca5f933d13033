// src/core/futex.cpp - futex_wait() and futex_wake(), with the spurious wake-up fault point.
#include "futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "fault.hpp"

namespace cmwq::core {
namespace {
std::atomic<std::uint64_t> g_interrupted{0};  // X: relaxed counter
}  // namespace

bool futex_wait(const void* word, std::uint32_t expected, long long deadline) noexcept {
  timespec ts;
  const timespec* tsp = nullptr;
  if (deadline != no_deadline) {
    if (deadline <= mono_ns()) return false;
    ts.tv_sec = static_cast<time_t>(deadline / 1000000000LL);
    ts.tv_nsec = static_cast<long>(deadline % 1000000000LL);
    tsp = &ts;
  }
  // Injected: return as if woken, without sleeping. Every caller must cope (see the header).
  if (should_fail(fault_point::spurious_wakeup)) return true;
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, so retries keep the same deadline.
  const int saved_errno = errno;
  const long rc = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp, nullptr,
                          FUTEX_BITSET_MATCH_ANY);
  const bool timed_out = rc == -1 && errno == ETIMEDOUT;
  if (rc == -1 && errno == EINTR) g_interrupted.fetch_add(1, std::memory_order_relaxed);
  errno = saved_errno;
  return !timed_out;  // woken, value changed (EAGAIN) or interrupted (EINTR): the caller re-checks
}

void futex_wake(const void* word, int n) noexcept {
  const int saved_errno = errno;
  syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, nullptr, nullptr, 0);
  errno = saved_errno;
}

std::uint64_t futex_interrupted_waits() noexcept { return g_interrupted.load(std::memory_order_relaxed); }

}  // namespace cmwq::core
