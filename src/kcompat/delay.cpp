// src/kcompat/delay.cpp - msleep() and friends (sleep), udelay() and friends (busy-wait).
//
// Sleeping calls are where the kernel's scheduler would switch away from a kworker, so each one
// checks might_sleep() and brackets the sleep with cmwq::core::blocking_begin()/blocking_end():
// a per-CPU pool then runs its next item meanwhile (semantics.md 5.15). The sleep itself is
// clock_nanosleep() on an absolute CLOCK_MONOTONIC deadline, restarted after signals, so it never
// ends early. Busy-waits read CLOCK_MONOTONIC in a loop and tell nobody, as in the kernel.
#include <time.h>

#include <cerrno>

#include <linux/delay.h>

#include "core/context.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/task.hpp"

namespace cmwq::kcompat {
namespace {

// Sleeps @ns nanoseconds at least, as a blocking section.
void sleep_ns(const char* who, unsigned long long ns) noexcept {
  (void)sleep_check(who);  // warns in atomic context; the sleep happens anyway, as in the kernel
  const long long deadline = mono_ns() + static_cast<long long>(ns);
  timespec ts;
  ts.tv_sec = static_cast<time_t>(deadline / 1000000000LL);
  ts.tv_nsec = static_cast<long>(deadline % 1000000000LL);
  const int saved_errno = errno;
  core::blocking_section blocking;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
  errno = saved_errno;
}

void spin_ns(unsigned long long ns) noexcept {
  const long long deadline = mono_ns() + static_cast<long long>(ns);
  while (mono_ns() < deadline) cpu_relax();
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void msleep(unsigned int msecs) { kcompat::sleep_ns("msleep", msecs * 1000000ULL); }

unsigned long msleep_interruptible(unsigned int msecs) {
  kcompat::sleep_ns("msleep_interruptible", msecs * 1000000ULL);
  return 0;  // signals never cut the sleep short
}

void ssleep(unsigned int seconds) { kcompat::sleep_ns("ssleep", seconds * 1000000000ULL); }

void usleep_range(unsigned long min, unsigned long max) {
  (void)max;  // sleeping exactly @min is within the allowed range
  kcompat::sleep_ns("usleep_range", min * 1000ULL);
}

void usleep_range_idle(unsigned long min, unsigned long max) {
  (void)max;
  kcompat::sleep_ns("usleep_range_idle", min * 1000ULL);
}

void fsleep(unsigned long usecs) {
  if (usecs <= 10)
    kcompat::spin_ns(usecs * 1000ULL);
  else
    kcompat::sleep_ns("fsleep", usecs * 1000ULL);
}

void ndelay(unsigned long nsecs) { kcompat::spin_ns(nsecs); }
void udelay(unsigned long usecs) { kcompat::spin_ns(usecs * 1000ULL); }
void mdelay(unsigned long msecs) { kcompat::spin_ns(msecs * 1000000ULL); }

}  // extern "C"
