// src/core/worker_pool.hpp - a pool of workers serving one CPU (bound) or one attribute set
// (unbound), with its worklist, idle list, busy hash and nr_running.
//
// Bound pools (two per CPU: normal and high priority) are concurrency-managed: nr_running counts
// workers that are runnable, and the policy predicates below keep exactly one of them busy while
// work is available, waking another when the running one blocks (semantics.md section 5).
// Unbound pools mark every worker UNBOUND, so nr_running stays 0 and every item gets a worker.
// Pools are never freed: their ids are stored in idle work items (the last pool, R5).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <vector>

#include "guards.hpp"
#include "list.hpp"
#include "lock.hpp"
#include "timer_wheel.hpp"
#include "worker.hpp"

namespace cmwq::core {

struct pool_workqueue;
struct workqueue;

inline constexpr int busy_hash_size = 64;
inline constexpr int max_pool_workers = 4096;

struct pool_attrs {
  int nice = 0;
  std::vector<int> cpus;  // CPUs the workers may run on (sorted); one CPU for bound pools
  bool strict = false;
  bool bh = false;        // a BH pool: one softirq thread runs its items in softirq context (bh.cpp)
  bool operator==(const pool_attrs&) const = default;
};

struct worker_pool {
  mutex lock{lock_kind::spinlock};              // the pool lock; nests inside wq.mutex
  const int id;                                 // I: index in the pool registry
  const int cpu;                                // I: -1 for unbound pools
  const pool_attrs attrs;                       // I
  const int nice_obtained_hint;                 // I: nice asked for (workers record what they got)

  list_node worklist CMWQ_GUARDED_BY(lock);     // L: active items not yet taken by a worker
  list_node idle_list CMWQ_GUARDED_BY(lock);    // L: idle workers, most recently idle first
  list_node workers CMWQ_GUARDED_BY(lock);      // L (A): every attached worker
  std::array<worker*, busy_hash_size> busy_hash CMWQ_GUARDED_BY(lock){};  // L
  int nr_workers CMWQ_GUARDED_BY(lock) = 0;     // L
  int nr_idle CMWQ_GUARDED_BY(lock) = 0;        // L
  int nr_running CMWQ_GUARDED_BY(lock) = 0;     // L: runnable workers that count (section 5.2)
  int nr_busy_items CMWQ_GUARDED_BY(lock) = 0;  // L: workers executing an item (sampler)
  bool cm_watched CMWQ_GUARDED_BY(lock) = false;  // L: the manager listens to this pool's busy workers
  worker* manager CMWQ_GUARDED_BY(lock) = nullptr;  // L: the worker creating workers, if any
  unsigned long last_progress_ts CMWQ_GUARDED_BY(lock) = 0;  // L: coarse jiffies (watchdog)
  bool watchdog_reported CMWQ_GUARDED_BY(lock) = false;      // L: a stall was reported ...
  unsigned long watchdog_reported_ts CMWQ_GUARDED_BY(lock) = 0;  // L: ... at this progress stamp
  std::bitset<max_pool_workers> ids CMWQ_GUARDED_BY(lock);   // L: worker ids in use
  unsigned long cooldown_until CMWQ_GUARDED_BY(lock) = 0;    // L: no creation before this jiffy
  int refcnt CMWQ_GUARDED_BY(lock) = 0;         // L: pwqs using this pool

  timer idle_timer{};    // T: reaps excess idle workers (section 5.7)
  timer mayday_timer{};  // T: calls rescuers while creation is stuck (section 5.12)

  worker_pool(int pool_id, int bound_cpu, pool_attrs a);
  bool unbound() const { return cpu < 0; }
  bool is_bh() const { return attrs.bh; }

  // --- policy predicates (section 5.3), called with lock held --------------------------------
  bool need_more_worker() const CMWQ_REQUIRES(lock) { return !list_empty(&worklist) && nr_running == 0; }
  bool may_start_working() const CMWQ_REQUIRES(lock) { return nr_idle > 0; }
  bool keep_working() const CMWQ_REQUIRES(lock) { return !list_empty(&worklist) && nr_running <= 1; }
  bool need_to_create_worker() const CMWQ_REQUIRES(lock) { return need_more_worker() && !may_start_working(); }
  bool too_many_workers() const CMWQ_REQUIRES(lock);

  // Wakes the first idle worker if work needs one. Returns whether it woke a worker.
  bool kick() CMWQ_REQUIRES(lock);
  // kick() whose system call waits for the caller to drop the pool lock: if a sleeping worker
  // was chosen, *wake is set to the word to pass to futex_wake(*wake, 1) after unlocking (it may
  // belong to a worker that has exited by then, which futex_wake() tolerates). A woken worker
  // that preempts the kicker would otherwise find the pool lock held, sleep on it, and not run
  // again before the kicker blocks (W3 in docs/benchmarks.md).
  bool kick_deferred(const void** wake) CMWQ_REQUIRES(lock);
  worker* find_worker_executing_work(work* w) CMWQ_REQUIRES(lock);
  void hash_add(worker* wk) CMWQ_REQUIRES(lock);
  void hash_del(worker* wk) CMWQ_REQUIRES(lock);

  // Adjusts nr_running around a change of a worker's counting state (flags, sleeping...).
  template <class Fn>
  void update_worker(worker* wk, Fn&& change) CMWQ_REQUIRES(lock) {
    const bool before = wk->counted();
    change();
    const bool after = wk->counted();
    if (!unbound()) nr_running += static_cast<int>(after) - static_cast<int>(before);
  }
};

// Registry: pools by id, created on demand, never freed.
worker_pool* pool_by_id(int id) noexcept;
// `bh`: the CPU's BH pool of that priority instead of its thread pool (bh.cpp).
worker_pool* get_bound_pool(int cpu, bool highpri, bool bh = false);
worker_pool* find_bound_pool(int cpu, bool highpri, bool bh = false) noexcept;  // nullptr if not created yet
worker_pool* get_unbound_pool(const pool_attrs& attrs);

// Starts a worker thread in `pool` (honours fault_point::worker_create unless `force`).
// Called without the pool lock. Returns false if the thread could not be created.
bool create_worker(worker_pool* pool, bool force = false);

// Starts the thread of `wk` (pinned to `cpus` when not empty); false if it could not be created.
bool start_worker_thread(worker* wk, const std::vector<int>& cpus);

// " cpus=0-3 node=0 flags=0x0 nice=0" (the kernel's pr_cont_pool_info()); pool lock held.
void format_pool_info(const worker_pool* pool, char* buf, std::size_t size) noexcept;  // dump.cpp
// watchdog.cpp: called under pool->lock when an item lands on an empty worklist: stamps the
// pool's progress and arms the watchdog's timer if it sleeps (one load when it runs already).
void watchdog_worklist_starts(worker_pool* pool) noexcept;

// get_worker_counts(): engine.hpp. The worker threads' bodies: worker.hpp.
void bh_worker_main(worker* self);  // bh.cpp: the softirq thread of a BH pool
// bh.cpp: if `w` last ran in a BH pool, busy-waits until it is not running there (section 5.11:
// allowed from BH context; from hard-IRQ context it warns once and still waits) and returns true.
// Returns false at once for an item of a thread pool: the caller sleeps on a barrier instead.
bool bh_wait_for_running(work* w) noexcept;

// Item execution (worker.cpp, declared here rather than in worker.hpp because the contract names
// the pool's lock), with the pool lock held on entry and exit (it is dropped around each item's
// function). `pool` is self->pool, passed so that the analysis sees which lock.
void process_scheduled_works(worker_pool* pool, worker* self) CMWQ_REQUIRES(pool->lock);
bool assign_work(worker_pool* pool, work* w, worker* self) CMWQ_REQUIRES(pool->lock);

}  // namespace cmwq::core
