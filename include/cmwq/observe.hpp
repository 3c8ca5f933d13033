// include/cmwq/observe.hpp - seeing a running process: statistics, dumps, the lockup watchdog.
//
//   cmwq::queue::stats()        per-queue counters (queue.hpp): the wq_monitor.py set.
//   cmwq::pools()               every worker pool's worker counts.
//   cmwq::queues()              every live queue, system queues included.
//   cmwq::dump()                show_all_workqueues() as text: busy queues, then busy pools.
//   cmwq::worker_comm()         what ps would call a worker: "kworker/1:2+events".
//   cmwq::watchdog              the lockup watchdog's threshold, stall count and touch.
//   cmwq::timeline              the CMWQ_TRACE timeline: start, stop, write.
//
// Formats and rules: docs/observability.md. Every answer is a snapshot taken without stopping
// the process: numbers of different pools or queues are not taken at one instant.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <cmwq/queue.hpp>

namespace cmwq {

struct pool_stats {
  int id;
  int cpu;          // -1 for an unbound pool
  int nice;
  int workers;      // attached worker threads
  int idle;         // of which idle
  int running;      // of which executing an item now
  int nr_running;   // concurrency-counted runnable workers (per-CPU pools only; else 0)
  int pending;      // items waiting on the worklist for a worker
  std::chrono::milliseconds hung;  // time without forward progress while items wait, else 0
};

// pools() - every worker pool, by id.
std::vector<pool_stats> pools();
// queues() - every live queue (handles: valid() turns false once one is destroyed).
std::vector<queue> queues();
// dump() - the text of show_all_workqueues(), one line per '\n'; empty lines are never produced.
std::string dump();
// dump(q) - the text of show_one_workqueue(q) (empty if q is idle or destroyed).
std::string dump(const queue& q);
// worker_comm(tid) - the display name of worker thread `tid`, or "" if it is not a worker.
std::string worker_comm(pid_t tid);

namespace watchdog {
// The threshold (CMWQ_WATCHDOG_THRESH at start-up, default 30 s); zero disables the watchdog.
std::chrono::seconds thresh() noexcept;
void set_thresh(std::chrono::seconds s) noexcept;
// Lockups reported since start (each stalled pool once per stall).
std::uint64_t stalls() noexcept;
// wq_watchdog_touch(): `cpu` makes progress in a way the pools cannot see.
void touch(int cpu) noexcept;
}  // namespace watchdog

// The timeline (docs/observability.md): queueing and execution per thread, in the Chrome trace
// event format (Perfetto). CMWQ_TRACE=path.json starts it at start-up.
namespace timeline {
// start() - records into a ring of `capacity` events (0: 65536), written to `path` at exit,
// on SIGUSR2 and by write(). Returns false for an empty path or when memory is short.
bool start(const std::string& path, std::size_t capacity = 0) noexcept;
void stop() noexcept;
// write() - writes the ring now (empty path: the one given to start()). Returns 0 or -errno.
int write(const std::string& path = {}) noexcept;
}  // namespace timeline

}  // namespace cmwq
