// src/kcompat/ktime.cpp - ktime_get() and the other clocks of linux/ktime.h.
//
// The kernel reads its clocksources directly; user space reads the same clocks through
// clock_gettime(), which the vDSO serves without a system call for all four ids used here, so a
// read costs tens of nanoseconds and may be made from any context. The arithmetic on ktime_t is
// inline in the header.
#include <time.h>

#include <linux/ktime.h>

namespace {

ktime_t read_clock(clockid_t id) noexcept {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<ktime_t>(ts.tv_sec) * NSEC_PER_SEC + ts.tv_nsec;
}

}  // namespace

extern "C" {

ktime_t ktime_get(void) { return read_clock(CLOCK_MONOTONIC); }
ktime_t ktime_get_real(void) { return read_clock(CLOCK_REALTIME); }
ktime_t ktime_get_boottime(void) { return read_clock(CLOCK_BOOTTIME); }
ktime_t ktime_get_raw(void) { return read_clock(CLOCK_MONOTONIC_RAW); }

}  // extern "C"
