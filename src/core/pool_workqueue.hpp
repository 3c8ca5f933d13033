// src/core/pool_workqueue.hpp - the link between a workqueue and a worker_pool (a "pwq").
//
// A pwq enforces max_active for its queue in its pool: items beyond the limit wait on
// inactive_works and are activated in FIFO order as active ones finish (R11). It also counts
// in-flight items per flush colour so flush_workqueue() can wait for exactly the items queued
// before it (R19). Aligned to 256 bytes because its address is stored in a work's state word
// above the eight flag bits.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "engine.hpp"
#include "guards.hpp"
#include "list.hpp"
#include "work.hpp"
#include "worker_pool.hpp"  // the pwq calls name their pool's lock

namespace cmwq::core {

// Adds one to a counter whose every writer holds the same lock (readers load it relaxed, without
// the lock): a load and a store, no locked read-modify-write.
template <class T>
inline void inc_single_writer(std::atomic<T>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

class cpu_set;
struct worker_pool;
struct workqueue;

struct alignas(256) pool_workqueue {
  worker_pool* const pool;                 // I
  workqueue* const wq;                     // I
  int work_color = 0;                      // L: colour given to newly queued items
  // L to write, X to read: queued or running items per colour. flush_workqueue() reads them
  // without the pool lock; the seq_cst decrement pairs with wq.nr_flushers (pwq_dec_nr_in_flight).
  std::array<std::atomic<int>, work_data::nr_colors> nr_in_flight{};
  int nr_active = 0;                       // L: items on the worklist or executing
  int max_active;                          // L: per-CPU limit (0 while frozen); unbound: unused
  int node_slot = 0;                       // I: unbound: its slot in wq.node_active (new_pwq)
  list_node inactive_works;                // L: items waiting for an active slot, FIFO
  owned_node<pool_workqueue> pending_node{{}, this};  // N: on its node's pending_pwqs, waiting
  owned_node<pool_workqueue> mayday_node{{}, this};   // M: on wq.maydays asking for the rescuer
  bool on_mayday = false;                  // M
  // X: relaxed counters. started and completed are L to write (stat_inc_locked()): every writer
  // holds the pool lock, so they need no locked read-modify-write; the others may be written
  // without it (mayday under M, the manager's counters).
  std::array<std::atomic<std::uint64_t>, pwq_nr_stats> stats{};

  pool_workqueue(worker_pool* p, workqueue* q, int max) : pool(p), wq(q), max_active(max) {
    list_init(&inactive_works);
    list_init(&pending_node.node);
    list_init(&mayday_node.node);
  }
  void stat_inc(pwq_stat s, std::uint64_t by = 1) { stats[s].fetch_add(by, std::memory_order_relaxed); }
  // For a counter whose every writer holds the pool lock: a load and a store, no lock prefix.
  void stat_inc_locked(pwq_stat s) CMWQ_REQUIRES(pool->lock) {
    inc_single_writer(stats[s]);
  }
};

inline pool_workqueue* work_data_pwq(long d) {
  return reinterpret_cast<pool_workqueue*>(d & ~work_data::flag_mask);
}

// --- pool_workqueue.cpp: activation and completion, pool lock held ------------------------------

// The kernel's insert_work() (pool_workqueue.cpp): the one way an item enters a list of `pwq`'s pool -
// queueing (worklist or inactive list), a flush barrier, activation. Stores `data` as the item's
// state word with `order`, then links the item at the tail of `head` (pass `pos->next` to link
// right behind `pos`). With `activate` (`head` is the pool's worklist) the item becomes active:
// the watchdog learns that the list starts, the tracepoint fires. Kicking a worker is the
// caller's: queueing kicks at once, activation once per batch, barriers never.
void insert_work(pool_workqueue* pwq, work* w, long data, list_node* head, std::memory_order order, bool activate)
    CMWQ_REQUIRES(pwq->pool->lock);
// Moves an inactive item (and its LINKED barriers) to the pool's worklist.
void pwq_activate_work(pool_workqueue* pwq, work* w) CMWQ_REQUIRES(pwq->pool->lock);
bool pwq_activate_first_inactive(pool_workqueue* pwq) CMWQ_REQUIRES(pwq->pool->lock);
bool pwq_tryinc_nr_active(pool_workqueue* pwq) CMWQ_REQUIRES(pwq->pool->lock);
// What pwq_dec_nr_in_flight() returns when no slot must be handed on.
inline constexpr int no_hand_off = -1;
// Called at completion or steal with the pwq's pool lock held: retires the item's colour and, if
// it was active, frees its slot. Returns the node slot whose freed slot an unbound queue must hand
// to another pwq, which may need another pool's lock, or no_hand_off: the caller then calls
// pwq_finish_hand_off(pwq->wq, slot) once it has dropped its pool lock (pool locks never nest).
// The hand-off is already counted in wq.nr_handoffs, so destroy waits for it.
[[nodiscard]] int pwq_dec_nr_in_flight(pool_workqueue* pwq, int color, bool was_active)
    CMWQ_REQUIRES(pwq->pool->lock);
// The hand-off pwq_dec_nr_in_flight() asked for; called holding no pool lock.
void pwq_finish_hand_off(workqueue* wq, int node_slot) noexcept;
// Hands free slots of node slot `node` to its waiting pwqs (round robin); takes pool locks, so the
// caller holds none.
void activate_pending_unbound(workqueue* wq, int node) noexcept;
// wq_update_node_max_active(): each node's limit from the limits in force and `cpus` (the CPUs of
// the attrs in force, which it records), then activates what now fits. WQ held, no pool lock.
void update_node_max_active(workqueue* wq, const cpu_set& cpus) noexcept;
// The node slot a pwq of `pool` counts in: the pool's node, or the last slot when its CPUs span
// several nodes (or it is not unbound).
int pool_node_slot(const worker_pool* pool, const workqueue* wq) noexcept;
void send_mayday(pool_workqueue* pwq) noexcept;

// --- workqueue.cpp: a pwq's life ------------------------------------------------------------------

bool pwq_is_live(const pool_workqueue* pwq) noexcept;
// A new pwq linking `wq` to `pool` (counted in the pool's refcnt); nullptr on failure.
pool_workqueue* new_pwq(worker_pool* pool, workqueue* wq, int max_active);
// Undoes new_pwq(); the pwq must be empty and unreachable (no slot, no item).
void release_pwq(pool_workqueue* pwq);

}  // namespace cmwq::core
