// src/core/runtime.hpp - process-wide tunables (the kernel's module parameters) and CPU facts.
//
// Module parameters become environment variables CMWQ_<NAME> read once at first use, plus
// setters (U7). Long internal timeouts are scaled by timeout_scale_permille so that tests can
// run idle reaping, mayday and cool-down in milliseconds.
#pragma once

#include <atomic>
#include <vector>

namespace cmwq::core {

struct tunables_t {
  std::atomic<unsigned long> cpu_intensive_thresh_us{10000};  // 0 disables detection
  std::atomic<unsigned> timeout_scale_permille{1000};         // 1000 = kernel timeouts
  std::atomic<bool> power_efficient{false};                   // WQ_POWER_EFFICIENT -> unbound
  std::atomic<unsigned> observe_after_us{2000};               // sample thread state after this
};
tunables_t& tunables() noexcept;

// Kernel timeouts in jiffies (ms), scaled; never below 1.
unsigned long idle_worker_timeout() noexcept;   // 300 s
unsigned long mayday_initial_timeout() noexcept; // 10 ms
unsigned long mayday_interval() noexcept;        // 100 ms
unsigned long create_cooldown() noexcept;        // 1 s

// Milliseconds of CLOCK_MONOTONIC_COARSE (a few ns to read, a few ms resolution): for stamps
// taken on every item that only feed dumps and progress reports, never timers.
unsigned long coarse_jiffies() noexcept;

// CPUs the process may use at start-up, with their real ids (U2).
const std::vector<int>& online_cpus() noexcept;
int nr_cpu_ids() noexcept;
bool cpu_online(int cpu) noexcept;
// The caller's CPU: current_cpu() in topology.hpp.

inline constexpr int max_idle_workers_ratio = 4;

}  // namespace cmwq::core
