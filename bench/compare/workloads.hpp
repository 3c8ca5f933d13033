// bench/compare/workloads.hpp - the workloads of cmwq_compare (docs/benchmarks.md explains each):
//
//   W1 fan-out         one producer, 1,000,000 empty tasks; tasks/s
//   W2 multi-producer  one producer per CPU, same total; tasks/s
//   W3 wake latency    idle pool, one task, time until it starts; p50/p99/max of 10,000 samples
//   W4 blocking mix    2,000 tasks of 200 us CPU, every 4th also sleeps 5 ms; makespan, peak threads
//   W5 timers          200,000 delayed tasks, delays uniform in [1 ms, 1 s], 90% cancelled
//   S scaling          W2 with 1, 2, 4, 8 producers per queue flavour, and timer arm + cancel;
//                      ns per item and the most waited-for locks (wait, hold, contention)
//   floor              cache-line ping-pong, futex wake, plain call: what the hardware allows
#pragma once

#include <vector>

#include "compare/compare.hpp"

namespace cmwq_bench {

// Every (workload, peer) of this run, in run order (cfg.only filters the workloads).
std::vector<job> all_jobs();

// Measures `jb` in this process and emits its lines on g_out. Leaves threads and peers running:
// the caller _exit()s.
void run_job_in_child(const job& jb);

}  // namespace cmwq_bench
