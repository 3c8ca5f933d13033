// src/core/fault.hpp - fault injection: named points where cmwq can be made to fail, stall or be
// interrupted on purpose, all off by default (after the kernel's fault-injection framework,
// Documentation/fault-injection/fault-injection.rst).
//
//   cmwq::core::fault_point       the points, listed below
//   cmwq::core::should_fail()     asked at a point: inject a failure now?
//   cmwq::core::fault_stall()     at a stall point: sleep for the configured delay, sometimes
//   cmwq::core::fault_configure() apply a text spec (the CMWQ_FAULT_INJECT syntax, docs/faults.md)
//   cmwq::core::fault_set()       apply one point's settings
//   cmwq::core::fault_reset()     every point off
//   cmwq::core::fault_injected()  how many faults a point has injected
//
// Each point has the kernel's attributes: `probability` (percent, fractions allowed), `interval`
// (only every Nth call may fail), `times` (how many failures in all; -1 = no limit) and
// `verbose` (log each injected failure), plus `delay_us` for the stall and `period_us` for the
// signal point. A point whose probability is 0 or whose `times` is used up costs its callers one
// relaxed load: injection is compiled in, always, so that what is tested is what ships.
//
// The environment variable CMWQ_FAULT_INJECT, read at the first check or configuration, holds a
// spec applied before anything else (a bad one is reported with a WARNING and ignored).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace cmwq::core {

enum class fault_point : unsigned {
  worker_create,    // a pool cannot start a worker thread (not a pool's very first worker)
  wq_alloc,         // alloc_workqueue(): the queue, a pwq, the rescuer or its thread cannot be made
  spawn_alloc,      // try_spawn(): the closure cannot be allocated
  devres,           // a devres registration cannot be allocated
  slab,             // kmalloc() and friends return NULL (the kernel's failslab); not __GFP_NOFAIL
  timer_stall,      // the timer thread stalls for delay_us before it handles expiries or a callback
  spurious_wakeup,  // futex_wait() returns at once, as if woken
  signal,           // every period_us, signals threads of the process: their waits see EINTR
  perf_open,        // perf_event_open() of a worker's scheduler events is refused (EACCES)
  nr,
};

inline constexpr unsigned nr_fault_points = static_cast<unsigned>(fault_point::nr);

// One point's configuration. Defaults: always fail, no interval, no limit, quiet.
struct fault_settings {
  std::uint32_t probability_ppm = 1'000'000;  // parts per million of the eligible calls
  std::uint32_t interval = 1;                 // only every interval-th call is eligible
  long times = -1;                            // failures left to inject; -1 = unlimited
  std::uint32_t delay_us = 100'000;           // timer_stall: length of one stall
  std::uint32_t period_us = 1'000;            // signal: time between two rounds of signals
  bool verbose = false;                       // log_line() each injected failure

  static fault_settings off() noexcept {
    fault_settings s;
    s.probability_ppm = 0;
    return s;
  }
};

namespace detail {
// Bit n set: point n may inject. Bit 31: CMWQ_FAULT_INJECT not read yet, so the first check of
// any point takes the slow path once. X: relaxed; a check racing with a configuration sees the
// old or the new setting, either is fine.
extern std::atomic<std::uint32_t> g_fault_armed;
bool should_fail_slow(fault_point p) noexcept;
void sleep_us(std::uint32_t us) noexcept;  // sleeps that long, whatever signals arrive
}  // namespace detail

// should_fail - whether to inject a failure at @p now (counted in fault_injected()).
// Any thread, any context; never blocks; one relaxed load while the point is off.
inline bool should_fail(fault_point p) noexcept {
  const std::uint32_t armed = detail::g_fault_armed.load(std::memory_order_relaxed);
  if (!(armed & ((1u << static_cast<unsigned>(p)) | (1u << 31)))) [[likely]]
    return false;
  return detail::should_fail_slow(p);
}

// fault_armed - whether @p may still inject (configured on, `times` not used up).
bool fault_armed(fault_point p) noexcept;

// fault_stall - if should_fail(@p), sleeps for the point's delay_us (ignoring signals) and
// returns true. For stall points (timer_stall); the caller must hold no lock.
bool fault_stall(fault_point p) noexcept;

// fault_configure - applies @spec: items "point[:key=value]..." separated by commas, semicolons
// or blanks; "off" turns every point off. Each named point is set in full (keys not given take
// their defaults); points not named keep their settings. All or nothing: on a bad spec nothing
// changes, *@error (if given) says what is wrong, and the call returns false.
bool fault_configure(std::string_view spec, std::string* error = nullptr) noexcept;

// fault_inject - fault_configure() for the front doors: on a bad spec it logs
// "fault injection: <what is wrong>" (a log line, not a WARNING) and returns false.
bool fault_inject(std::string_view spec) noexcept;

// fault_set - the settings of one point, and their counters restarted (the interval count and
// the number injected).
void fault_set(fault_point p, const fault_settings& s) noexcept;

// fault_reset - every point off and every counter zero.
void fault_reset() noexcept;

// fault_injected - failures (stalls, spurious wake-ups, signals sent) injected at @p since it
// was last set.
std::uint64_t fault_injected(fault_point p) noexcept;

// Point names as used in specs ("worker_create", ...). fault_point_by_name returns false for an
// unknown name.
const char* fault_point_name(fault_point p) noexcept;
bool fault_point_by_name(std::string_view name, fault_point* out) noexcept;

}  // namespace cmwq::core
