// src/core/worker.hpp - one worker thread (a "kworker") and its flags.
//
// A worker belongs to one worker_pool (a rescuer visits pools in turn). It sleeps on its own
// semaphore while idle; kick_pool() wakes it. Its current_* fields say what it executes; the
// pool's busy hash maps a work address to the worker executing it (non-reentrancy, R5).
#pragma once

#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <cstdint>

#include "engine.hpp"
#include "event.hpp"
#include "guards.hpp"
#include "list.hpp"
#include "sched_events.hpp"
#include "work.hpp"

namespace cmwq::core {

struct worker_pool;
struct pool_workqueue;
struct workqueue;

namespace worker_flag {
inline constexpr unsigned die = 1u << 1;
inline constexpr unsigned idle = 1u << 2;
inline constexpr unsigned prep = 1u << 3;
inline constexpr unsigned cpu_intensive = 1u << 6;
inline constexpr unsigned unbound = 1u << 7;
inline constexpr unsigned rebound = 1u << 8;
// A worker with any of these does not count in pool.nr_running.
inline constexpr unsigned not_running = prep | cpu_intensive | unbound | rebound;
}  // namespace worker_flag

inline constexpr int worker_desc_len = 32;

struct worker {
  owned_node<worker> idle_node{{}, this};  // L: on pool.idle_list while idle (LIFO)
  owned_node<worker> pool_node{{}, this};  // L: on pool.workers while attached
  worker* hash_next = nullptr;  // L: busy-hash chain while executing
  list_node scheduled{};    // L: items this worker runs next (linked chains, redirects, barriers)

  work* current_work = nullptr;      // L: written by the worker under L
  work_fn current_func = nullptr;    // L
  pool_workqueue* current_pwq = nullptr;  // L
  int current_color = 0;             // L
  std::uint64_t current_at_ns = 0;   // L
  bool cpu_baseline_stale = false;   // L: current_at_ns must be re-read (after a sleep)
  std::uint64_t sampled_seq = 0;     // L: item_seq of the last CPU-time sample (sampler only)
  std::uint64_t sampled_cpu_ns = 0;  // L: thread CPU time at that sample: thread CPU time at item start / last wake-up
  std::uint64_t current_start_ms = 0;  // L: coarse jiffies at item start (dumps)
  std::uint64_t first_seen_ms = 0;   // L: jiffies when the sampler first saw the current item
  std::uint64_t item_seq = 0;        // L: items started, to notice a change between samples

  unsigned flags = 0;                // L: worker_flag bits
  bool sleeping = false;             // L: inside a cooperative blocking section
  bool observed_sleeping = false;    // L: the sampler saw the thread blocked in the kernel
  bool sched_sleeping = false;       // L: its last scheduler event was a blocking switch-out
  bool sched_enabled = false;        // L: its event is enabled (by the manager, or by the worker itself)
  unsigned long last_active = 0;     // L: jiffies when it last went idle

  worker_pool* pool = nullptr;       // W for rescuers (which move between pools), else I
  workqueue* rescue_wq = nullptr;    // I: the queue a rescuer serves, else nullptr
  event* exit_event = nullptr;      // I: rescuers signal it as they exit
  int id = 0;                        // I: id within the pool (-1 for rescuers)
  pid_t tid = 0;                     // I once started (the creator waits for it)
  clockid_t cpu_clock = CLOCK_THREAD_CPUTIME_ID;  // I once started
  int stat_fd = -1;                  // I once started: /proc/self/task/TID/stat, or -1
  sched_ring ring;                   // L: scheduler events, opened by the manager on first need
  // X: the thread's task flags (kcompat `current->flags`), published with release by the thread
  // itself the first time it asks for `current`; nullptr until then (PF_WQ_WORKER set).
  std::atomic<const unsigned*> task_flags{nullptr};
  int nice = 0;                      // I: the nice level actually obtained
  char name[48] = {};                // I: kworker/... id
  char desc[worker_desc_len] = {};   // L (written by the worker): set_worker_desc() text
  bool desc_valid = false;           // L (written by the worker)
  workqueue* last_wq = nullptr;      // L: queue of the current or last item (queues are recycled,
                                     //    never freed: a stale one only names the wrong queue)

  parker wake;                       // X: unparked by kick_pool(), creation and the reaper
  std::atomic<bool> in_lock_wait{false};  // X: set by the worker around a sleep on its pool lock (lock.hpp)
  std::atomic<bool> started{false};  // X: release by the thread once tid etc. are set; the creator waits for it

  bool counted() const {
    return !(flags & (worker_flag::not_running | worker_flag::idle)) && !sleeping && !observed_sleeping &&
           !sched_sleeping;
  }
  // Whether concurrency management sees its blocks: PF_WQ_WORKER is set (the kernel's
  // wq_worker_sleeping() ignores a task without it).
  bool cm_visible() const noexcept {
    const unsigned* f = task_flags.load(std::memory_order_acquire);  // pairs: publish_task_flags()
    return !f || (__atomic_load_n(f, __ATOMIC_RELAXED) & pf_wq_worker);  // X: C's _Atomic flags
  }
};

// publish_task_flags() (where a worker's task flags live) and pf_wq_worker: engine.hpp.

// The worker the calling thread is, or nullptr.
worker* current_worker() noexcept;
// Makes the calling thread `w` (once, as it starts: worker loops outside worker.cpp).
void set_current_worker(worker* w) noexcept;

// wq_worker_comm() text of `wk` ("kworker/1:2+events"); its pool's lock held (introspection.cpp).
void format_worker_comm(const worker* wk, char* buf, std::size_t size) noexcept;

// Thread CPU time of `w` in nanoseconds (0 if unavailable).
std::uint64_t worker_cpu_time_ns(const worker* w) noexcept;

// --- worker.cpp: the worker threads' bodies -----------------------------------------------------

// The body of every worker thread and of rescuers.
void worker_main(worker* self);
void rescuer_main(worker* self);
// process_scheduled_works(), assign_work(): worker_pool.hpp (their contract names the pool lock).

}  // namespace cmwq::core
