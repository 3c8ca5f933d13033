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

namespace cmwq::core {

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
  list_node inactive_works;                // L: items waiting for an active slot, FIFO
  owned_node<pool_workqueue> pending_node{{}, this};  // N: on wq.pending_pwqs waiting for a slot
  owned_node<pool_workqueue> mayday_node{{}, this};   // M: on wq.maydays asking for the rescuer
  bool on_mayday = false;                  // M
  std::array<std::atomic<std::uint64_t>, pwq_nr_stats> stats{};  // X: relaxed counters

  pool_workqueue(worker_pool* p, workqueue* q, int max) : pool(p), wq(q), max_active(max) {
    list_init(&inactive_works);
    list_init(&pending_node.node);
    list_init(&mayday_node.node);
  }
  void stat_inc(pwq_stat s, std::uint64_t by = 1) { stats[s].fetch_add(by, std::memory_order_relaxed); }
};

inline pool_workqueue* work_data_pwq(long d) {
  return reinterpret_cast<pool_workqueue*>(d & ~work_data::flag_mask);
}

// --- pool_workqueue.cpp: activation and completion, pool lock held ------------------------------

void pwq_activate_work(pool_workqueue* pwq, work* w) CMWQ_NO_TSA;
bool pwq_activate_first_inactive(pool_workqueue* pwq) CMWQ_NO_TSA;
bool pwq_tryinc_nr_active(pool_workqueue* pwq) CMWQ_NO_TSA;
// Called at completion/steal with the pool lock held: retires the item's colour and, if it was
// active, hands its slot on (unbound queues: possibly to a pwq of another pool).
void pwq_dec_nr_in_flight(pool_workqueue* pwq, int color, bool was_active) CMWQ_NO_TSA;
void activate_pending_unbound(workqueue* wq) noexcept;
void send_mayday(pool_workqueue* pwq) noexcept;

// --- workqueue.cpp: a pwq's life ------------------------------------------------------------------

bool pwq_is_live(const pool_workqueue* pwq) noexcept;
// A new pwq linking `wq` to `pool` (counted in the pool's refcnt); nullptr on failure.
pool_workqueue* new_pwq(worker_pool* pool, workqueue* wq, int max_active);
// Undoes new_pwq(); the pwq must be empty and unreachable (no slot, no item).
void release_pwq(pool_workqueue* pwq);

}  // namespace cmwq::core
