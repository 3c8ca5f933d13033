// src/core/observe.hpp - what a running process shows about its queues and pools: per-pool
// statistics, the list of live queues, the kernel-format dumps and the lockup watchdog
// (semantics.md section 6; docs/observability.md).
//
//   pool_stats_of()           one pool's worker counts, by pool id (ids are dense from 0).
//   list_workqueues()         handles of every live queue, system queues included.
//   show_*_workqueues_to()    the dumps of 6.2, line by line to a sink (the log by default).
//   worker_comm_of()          wq_worker_comm(): "kworker/1:2+events" for a worker thread id.
//   watchdog_*()              the lockup watchdog of 6.3 (watchdog.cpp).
//
// Everything is a racy snapshot, as in the kernel: good for monitors, dumps and tests.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include <sys/types.h>

#include "engine.hpp"

namespace cmwq::core {

struct pool_stats {
  int id;
  int cpu;             // -1 for unbound pools
  int nice;
  int nr_workers;      // attached workers (the rescuer visiting it is not counted)
  int nr_idle;         // workers on the idle list
  int nr_busy;         // workers executing an item now ("running" in wqctl)
  int nr_running;      // concurrency-counted runnable workers (always 0 for unbound pools)
  int nr_pending;      // items on the worklist, not yet taken by a worker
  unsigned long hung_ms;  // ms since the last forward progress while work is pending, else 0
};
bool pool_stats_of(int id, pool_stats* out) noexcept;

// Copies up to `n` handles of live queues to `out`; returns how many queues are live (may be > n).
std::size_t list_workqueues(wq_handle* out, std::size_t n) noexcept;

using dump_sink = void (*)(const char* line, void* ctx);
void show_all_workqueues_to(dump_sink sink, void* ctx) noexcept;
void show_one_workqueue_to(wq_handle h, dump_sink sink, void* ctx) noexcept;
void show_freezable_workqueues() noexcept;
// The symbol of a code address ("func", else "module+0xoff", else "0x..."), as %ps prints it.
void symbol_name(const void* addr, char* buf, std::size_t size) noexcept;

// wq_worker_comm(): the full name of worker thread `tid` with "+desc" while it runs an item or
// "-desc" for its last one. Returns false (and an empty string) if `tid` is not a worker.
bool worker_comm_of(pid_t tid, char* buf, std::size_t size) noexcept;
// print_worker_info(): "Workqueue: <wq> <func>[ (<desc>)]" if `tid` is a worker that ran an item.
void print_worker_info(const char* log_lvl, pid_t tid) noexcept;

// --- the lockup watchdog (watchdog.cpp) ---------------------------------------------------------

// watchdog_thresh in seconds (CMWQ_WATCHDOG_THRESH, default 30; 0 disables).
unsigned watchdog_thresh() noexcept;
void watchdog_set_thresh(unsigned seconds) noexcept;
// wq_watchdog_touch(cpu): the CPU (and, at most every thresh/4, everything) made progress.
void watchdog_touch(int cpu) noexcept;
// Stalls reported since start-up (one per pool per stall).
std::uint64_t watchdog_stall_count() noexcept;
// Whether the watchdog's timer is armed (tests: it sleeps while every worklist is empty).
bool watchdog_timer_armed() noexcept;

}  // namespace cmwq::core
