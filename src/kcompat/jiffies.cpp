// src/kcompat/jiffies.cpp - `jiffies` and the time conversions (semantics.md U1: HZ = 1000).
//
// The clock is the timer wheel's (cmwq::core::jiffies_now()), so a timeout computed here and an
// expiry armed on the wheel agree. With one jiffy per millisecond the conversions are mostly the
// identity; they round up, and inputs that are negative when read as int saturate at
// MAX_JIFFY_OFFSET, as the kernel's do.
#include <linux/jiffies.h>

#include "core/timer_wheel.hpp"

extern "C" {

unsigned long cmwq_jiffies(void) { return cmwq::core::jiffies_now(); }

u64 get_jiffies_64(void) { return cmwq::core::jiffies_now(); }

unsigned long msecs_to_jiffies(const unsigned int m) {
  if (static_cast<int>(m) < 0) return MAX_JIFFY_OFFSET;
  return m;  // HZ == MSEC_PER_SEC
}

unsigned long usecs_to_jiffies(const unsigned int u) {
  if (static_cast<int>(u) < 0) return MAX_JIFFY_OFFSET;
  return (static_cast<unsigned long>(u) + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
}

unsigned long nsecs_to_jiffies(u64 n) {
  const u64 j = (n + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
  return j > static_cast<u64>(MAX_JIFFY_OFFSET) ? MAX_JIFFY_OFFSET : static_cast<unsigned long>(j);
}

unsigned int jiffies_to_msecs(const unsigned long j) { return static_cast<unsigned int>(j); }

unsigned int jiffies_to_usecs(const unsigned long j) { return static_cast<unsigned int>(j * USEC_PER_MSEC); }

u64 jiffies_to_nsecs(const unsigned long j) { return static_cast<u64>(j) * NSEC_PER_MSEC; }

u64 jiffies64_to_msecs(u64 j) { return j; }

}  // extern "C"
