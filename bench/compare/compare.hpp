// bench/compare/compare.hpp - what the parts of cmwq_compare share: the configuration, the small
// timing and system tools, the job a child process measures and its output (one JSON line per
// measurement), and the peer lists of each workload.
//
//   main.cpp       options, the parent (one child process per job, results.jsonl)
//   peers.*        the peers as executors (W1-W4) and as timer services (W5)
//   workloads.*    W1-W5, the floors, the job list and the child's dispatch
//   report.*       medians, table.md, the plot data and plots.gp
//   lockstat.*     lock wait and hold times, by mutex (the S workload)
//   tools.cpp      the definitions of what this header declares
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

namespace cmwq_bench {

struct config {
  std::string out_dir = "bench-out";
  int reps = 3;
  long w1_tasks = 1000000;
  int w3_samples = 10000;
  int w3_gap_us = 200;
  int w4_tasks = 2000;
  int w4_cpu_us = 200;
  int w4_sleep_every = 4;
  int w4_sleep_ms = 5;
  int w5_timers = 200000;
  std::vector<int> producers = {1, 2, 4, 8};  // S: producer counts
  std::set<std::string> only;   // workloads to run; empty = all
  std::set<std::string> peers;  // peers to run (floors always run); empty = all
  bool quick = false;
};
extern config cfg;

extern int g_ncpu;  // CPUs (hardware_concurrency); every fixed-size pool runs this many threads

// Prints the message and leaves the process with status 2.
[[noreturn]] void die(const char* fmt, ...);

// CLOCK_MONOTONIC and this thread's CPU time, in ns. Inline: the measured loops read them.
inline std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}
// The whole process's CPU time (user + system), in ns.
std::uint64_t process_cpu_ns();
// Burns `ns` of this thread's CPU time (preemption does not count).
void spin_cpu(std::uint64_t ns);
// Sleeps at least `ns` (absolute deadline, restarted after signals).
void sleep_for_ns(std::uint64_t ns);
// Pins the calling thread to `cpu`.
void pin_to(int cpu);
// Threads of this process; -1 if procfs cannot say.
int count_threads();
// Resident set size in bytes; -1 if procfs cannot say.
long rss_bytes();
// FUTEX_WAIT_PRIVATE while *w == val / FUTEX_WAKE_PRIVATE of one waiter. Inline: the floors
// measure them.
inline long futex(std::atomic<int>* w, int op, int val) {
  return syscall(SYS_futex, reinterpret_cast<int*>(w), op, val, nullptr, nullptr, 0);
}
inline void futex_wait(std::atomic<int>* w, int val) { futex(w, FUTEX_WAIT_PRIVATE, val); }
inline void futex_wake(std::atomic<int>* w) { futex(w, FUTEX_WAKE_PRIVATE, 1); }
// The p-th percentile (0..100, interpolated) of v; NaN if v is empty.
double percentile(std::vector<double> v, double p);
double median(std::vector<double> v);

// ---- a child's job and output ---------------------------------------------------------------------

struct job {
  std::string workload;
  std::string peer;
};

extern FILE* g_out;  // the child's output (a pipe to the parent, or stdout for --job)
extern job g_job;    // what this child measures
extern int g_rep;    // the repetition, for the output lines

// Prints one measurement of g_job as a JSON line on g_out.
void emit(const char* metric, double value, const char* unit);

// True for cmwq's own peers ("cmwq.*"), which get extra columns and are not "best peer".
bool is_cmwq(const std::string& peer);

// The peers of each workload, in table order (workloads.cpp).
extern const std::vector<std::string> k_pool_peers;  // W1, W2, W3 (W3 adds "thread")
extern const std::vector<std::string> k_w4_peers;
extern const std::vector<std::string> k_w5_peers;
extern const std::vector<std::string> k_scaling_flavours;  // S: each runs with cfg.producers

}  // namespace cmwq_bench
