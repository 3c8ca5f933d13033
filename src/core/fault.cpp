// src/core/fault.cpp - fault points: the decision, the settings, the spec parser, the environment.
//
// The decision follows the kernel's should_fail(): a point with `times` used up never fails; with
// an `interval` of N only every Nth call is eligible; an eligible call fails with `probability`.
// Settings live in relaxed atomics and are written under one configuration mutex, so a check
// racing with a reconfiguration may mix old and new values of one point for that one call - a
// harmless blur for a test facility, and the price of keeping checks lock-free.
#include "fault.hpp"

#include <time.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

#include "fault_signals.hpp"
#include "futex.hpp"
#include "warn.hpp"

namespace cmwq::core {

namespace detail {
std::atomic<std::uint32_t> g_fault_armed{1u << 31};
}  // namespace detail

namespace {

constexpr std::uint32_t env_unread = 1u << 31;
constexpr std::uint32_t ppm_all = 1'000'000;

const char* const point_names[nr_fault_points] = {
    "worker_create", "wq_alloc", "spawn_alloc", "devres", "slab", "timer_stall", "spurious_wakeup", "signal",
    "perf_open",
};

struct point_state {
  // X: all relaxed; written under config_lock(), read by should_fail_slow() without it.
  std::atomic<std::uint32_t> probability_ppm{0};
  std::atomic<std::uint32_t> interval{1};
  std::atomic<long> times{-1};
  std::atomic<std::uint32_t> delay_us{0};
  std::atomic<bool> verbose{false};
  std::atomic<std::uint64_t> calls{0};     // calls counted for `interval`
  std::atomic<std::uint64_t> injected{0};  // failures injected since the last fault_set()
};

point_state g_points[nr_fault_points];

std::mutex& config_lock() {
  static auto* m = new std::mutex;  // never freed: checks may run during process exit
  return *m;
}

point_state& state_of(fault_point p) { return g_points[static_cast<unsigned>(p)]; }
std::uint32_t bit_of(fault_point p) { return 1u << static_cast<unsigned>(p); }

// A cheap per-thread generator (splitmix64); seeds differ per thread and per run.
std::uint64_t next_random() noexcept {
  static std::atomic<std::uint64_t> seeds{static_cast<std::uint64_t>(mono_ns())};
  thread_local std::uint64_t x = seeds.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed);
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Takes one failure from a `times` budget; false when it is used up (-1 never is).
bool take_one(std::atomic<long>& times) noexcept {
  long t = times.load(std::memory_order_relaxed);
  while (t != -1) {
    if (t <= 0) return false;
    if (times.compare_exchange_weak(t, t - 1, std::memory_order_relaxed)) return true;
  }
  return true;
}

void set_locked(fault_point p, const fault_settings& s) {
  point_state& st = state_of(p);
  detail::g_fault_armed.fetch_and(~bit_of(p), std::memory_order_relaxed);
  st.probability_ppm.store(std::min(s.probability_ppm, ppm_all), std::memory_order_relaxed);
  st.interval.store(s.interval ? s.interval : 1, std::memory_order_relaxed);
  st.times.store(s.times < -1 ? -1 : s.times, std::memory_order_relaxed);
  st.delay_us.store(s.delay_us, std::memory_order_relaxed);
  st.verbose.store(s.verbose, std::memory_order_relaxed);
  st.calls.store(0, std::memory_order_relaxed);
  st.injected.store(0, std::memory_order_relaxed);
  const bool armed = s.probability_ppm > 0 && s.times != 0;
  if (armed) detail::g_fault_armed.fetch_or(bit_of(p), std::memory_order_relaxed);
  if (p == fault_point::signal) detail::signal_injector_update(armed, s.period_us ? s.period_us : 1);
}

void reset_locked() {
  for (unsigned i = 0; i < nr_fault_points; i++) set_locked(static_cast<fault_point>(i), fault_settings::off());
}

// --- the spec parser ---------------------------------------------------------------------------

struct parsed_item {
  bool all_off = false;  // the item "off"
  fault_point point = fault_point::nr;
  fault_settings settings;
};

bool fail(std::string* error, std::string msg) {
  if (error) *error = std::move(msg);
  return false;
}

// Parses a whole decimal number in [lo, hi] (a double when `real`).
bool parse_number(std::string_view text, double lo, double hi, bool real, double* out) {
  const std::string s(text);
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double v = real ? std::strtod(s.c_str(), &end) : static_cast<double>(std::strtoll(s.c_str(), &end, 10));
  if (*end != '\0' || errno == ERANGE || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

bool parse_key(parsed_item& item, std::string_view key, std::string_view value, std::string* error) {
  const std::string where = std::string(point_names[static_cast<unsigned>(item.point)]) + ":" + std::string(key);
  fault_settings& s = item.settings;
  double v = 0;
  auto number = [&](double lo, double hi, bool real, const char* range) {
    if (parse_number(value, lo, hi, real, &v)) return true;
    return fail(error, where + "=" + std::string(value) + ": expected " + range);
  };
  if (key == "probability") {
    if (!number(0, 100, true, "a percentage from 0 to 100")) return false;
    // Rounded by hand: std::lround would make every static consumer link libm.
    s.probability_ppm = static_cast<std::uint32_t>(v * 10'000 + 0.5);
  } else if (key == "interval") {
    if (!number(1, 4294967295.0, false, "a whole number >= 1")) return false;
    s.interval = static_cast<std::uint32_t>(v);
  } else if (key == "times") {
    if (!number(-1, 1e15, false, "-1 (no limit) or a whole number >= 0")) return false;
    s.times = static_cast<long>(v);
  } else if (key == "verbose") {
    if (!number(0, 1, false, "0 or 1")) return false;
    s.verbose = v != 0;
  } else if (key == "delay_us" && item.point == fault_point::timer_stall) {
    if (!number(0, 60e6, false, "microseconds from 0 to 60000000")) return false;
    s.delay_us = static_cast<std::uint32_t>(v);
  } else if (key == "period_us" && item.point == fault_point::signal) {
    if (!number(10, 60e6, false, "microseconds from 10 to 60000000")) return false;
    s.period_us = static_cast<std::uint32_t>(v);
  } else {
    return fail(error, where + ": unknown key (probability, interval, times, verbose; delay_us for "
                               "timer_stall; period_us for signal)");
  }
  return true;
}

bool parse_item(std::string_view text, parsed_item* item, std::string* error) {
  std::size_t colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  if (name == "off") {
    if (colon != std::string_view::npos) return fail(error, "off takes no keys");
    item->all_off = true;
    return true;
  }
  if (!fault_point_by_name(name, &item->point))
    return fail(error, "unknown fault point '" + std::string(name) + "'");
  while (colon != std::string_view::npos) {
    text.remove_prefix(colon + 1);
    colon = text.find(':');
    const std::string_view kv = text.substr(0, colon);
    const std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos) {
      // Appended, not "'" + std::string(kv) + ...: g++ 12 at -O3 warns falsely (-Wrestrict) on that.
      std::string msg = "'";
      msg.append(kv).append("' is not key=value");
      return fail(error, msg);
    }
    if (!parse_key(*item, kv.substr(0, eq), kv.substr(eq + 1), error)) return false;
  }
  return true;
}

bool parse_spec(std::string_view spec, std::vector<parsed_item>* items, std::string* error) {
  constexpr std::string_view separators = ",; \t\n";
  while (!spec.empty()) {
    const std::size_t start = spec.find_first_not_of(separators);
    if (start == std::string_view::npos) break;
    spec.remove_prefix(start);
    const std::size_t end = std::min(spec.find_first_of(separators), spec.size());
    parsed_item item;
    if (!parse_item(spec.substr(0, end), &item, error)) return false;
    items->push_back(item);
    spec.remove_prefix(end);
  }
  return true;
}

bool apply_spec_locked(std::string_view spec, std::string* error) {
  std::vector<parsed_item> items;
  if (!parse_spec(spec, &items, error)) return false;
  for (const parsed_item& it : items) {
    if (it.all_off)
      reset_locked();
    else
      set_locked(it.point, it.settings);
  }
  return true;
}

// CMWQ_FAULT_INJECT, applied once, before any other configuration and before the first check.
void read_environment_once() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    std::lock_guard<std::mutex> g(config_lock());
    if (const char* spec = std::getenv("CMWQ_FAULT_INJECT"); spec && *spec) {
      std::string error;
      if (!apply_spec_locked(spec, &error)) CMWQ_WARN("CMWQ_FAULT_INJECT=\"%s\" ignored: %s", spec, error.c_str());
    }
    detail::g_fault_armed.fetch_and(~env_unread, std::memory_order_relaxed);
  });
}

}  // namespace

void detail::sleep_us(std::uint32_t us) noexcept {
  const long long end = mono_ns() + static_cast<long long>(us) * 1000;
  timespec ts{static_cast<time_t>(end / 1'000'000'000), static_cast<long>(end % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

bool detail::should_fail_slow(fault_point p) noexcept {
  if (g_fault_armed.load(std::memory_order_relaxed) & env_unread) read_environment_once();
  if (!(g_fault_armed.load(std::memory_order_relaxed) & bit_of(p))) return false;
  point_state& st = state_of(p);
  if (st.times.load(std::memory_order_relaxed) == 0) return false;
  const std::uint32_t interval = st.interval.load(std::memory_order_relaxed);
  if (interval > 1 && (st.calls.fetch_add(1, std::memory_order_relaxed) + 1) % interval != 0) return false;
  const std::uint32_t ppm = st.probability_ppm.load(std::memory_order_relaxed);
  if (ppm < ppm_all && next_random() % ppm_all >= ppm) return false;
  if (!take_one(st.times)) return false;
  st.injected.fetch_add(1, std::memory_order_relaxed);
  if (st.verbose.load(std::memory_order_relaxed))
    log_line("FAULT_INJECTION: forcing a failure at %s", point_names[static_cast<unsigned>(p)]);
  return true;
}

bool fault_armed(fault_point p) noexcept {
  if (p >= fault_point::nr) return false;
  if (!(detail::g_fault_armed.load(std::memory_order_relaxed) & bit_of(p))) return false;
  return state_of(p).times.load(std::memory_order_relaxed) != 0;
}

bool fault_stall(fault_point p) noexcept {
  if (!should_fail(p)) return false;
  detail::sleep_us(state_of(p).delay_us.load(std::memory_order_relaxed));
  return true;
}

bool fault_configure(std::string_view spec, std::string* error) noexcept {
  read_environment_once();
  std::lock_guard<std::mutex> g(config_lock());
  return apply_spec_locked(spec, error);
}

bool fault_inject(std::string_view spec) noexcept {
  std::string error;
  if (fault_configure(spec, &error)) return true;
  log_line("fault injection: %s", error.c_str());
  return false;
}

void fault_set(fault_point p, const fault_settings& s) noexcept {
  if (p >= fault_point::nr) return;
  read_environment_once();
  std::lock_guard<std::mutex> g(config_lock());
  set_locked(p, s);
}

void fault_reset() noexcept {
  read_environment_once();
  std::lock_guard<std::mutex> g(config_lock());
  reset_locked();
}

std::uint64_t fault_injected(fault_point p) noexcept {
  if (p >= fault_point::nr) return 0;
  return state_of(p).injected.load(std::memory_order_relaxed);
}

const char* fault_point_name(fault_point p) noexcept {
  return p < fault_point::nr ? point_names[static_cast<unsigned>(p)] : "?";
}

bool fault_point_by_name(std::string_view name, fault_point* out) noexcept {
  for (unsigned i = 0; i < nr_fault_points; i++) {
    if (name == point_names[i]) {
      *out = static_cast<fault_point>(i);
      return true;
    }
  }
  return false;
}

}  // namespace cmwq::core
