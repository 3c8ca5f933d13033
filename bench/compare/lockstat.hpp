// bench/compare/lockstat.hpp - how long the threads of this process wait for and hold their
// pthread mutexes (std::mutex and cmwq::core::mutex are pthread mutexes), for the scaling
// workload S.
//
//   lockstat_enable()  start counting (off at start: every lock then costs one extra call)
//   lockstat_reset()   forget what was counted
//   lockstat_top()     the mutexes with the most waiting, named by the function that locked them
//
// cmwq_compare defines pthread_mutex_lock/unlock itself (the executable's symbols win over libc's
// for every caller, the static libcmwq included) and forwards to libc's. While enabled, a lock
// that is free is taken with trylock and costs nothing more; one that is not is timed from the
// call to the acquisition (wait). Every 16th acquisition of a thread is also timed until its
// unlock (hold), so that reading the clock does not dominate short critical sections.
// Condition-variable waits re-take their mutex inside libc, unseen: holds that span one are
// not sampled correctly (cmwq's engine waits on futexes, not condition variables, on its hot
// paths).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cmwq_bench {

struct lock_stats {
  std::string name;            // demangled function that first locked it (needs -rdynamic)
  std::uint64_t acquisitions;  // lock calls
  std::uint64_t contended;     // ... that found it taken
  std::uint64_t wait_ns;       // total time from lock call to acquisition, contended calls
  std::uint64_t hold_samples;  // sampled acquisitions timed until their unlock
  std::uint64_t hold_ns;       // total held time of those samples
};

void lockstat_enable(bool on);
void lockstat_reset();
// Up to n mutexes, most total wait first (ties: most acquisitions).
std::vector<lock_stats> lockstat_top(std::size_t n);

}  // namespace cmwq_bench
