// src/core/work.hpp - a work item: one deferred call, and the state word that says where it is.
//
//   cmwq::core::work          layout-compatible with C `struct work_struct { data, entry, func }`.
//   cmwq::core::work_data     encoding helpers for the state word.
//   cmwq::core::grab          outcome of try_grab_pending().
//   work_* functions          init, flush, cancel, disable, enable, busy: the item-side API.
//
// States of an item (semantics.md R1) and what its state word holds:
//
//   state                 | PENDING | PWQ | word holds
//   ----------------------+---------+-----+--------------------------------------------------
//   idle                  |    0    |  0  | disable count, id of the pool it last ran in
//   on timer / hand-off   |    1    |  0  | as idle; the owner of PENDING is arming or queueing
//   pending on a queue    |    1    |  1  | pwq pointer, colour, INACTIVE when over max_active
//   running               |    0    |  0  | as idle (PENDING is cleared just before the call)
//   running and pending   |    1    |  1  | the new instance's pwq
//   disabled              |    0    |  0  | disable count > 0: every queue attempt fails
//
// Whoever sets PENDING owns the item until it is linked on a list (then the pool lock rules) or
// PENDING is cleared again. try_grab_pending() takes ownership from any pending state.
#pragma once

#include <atomic>
#include <cstdint>

#include "list.hpp"
#include "lockdep/lockdep.hpp"
#include "timer_wheel.hpp"

// The C type of work items: work functions are typed on it for the reason given for
// timer_list in timer_wheel.hpp (calls must match the type a function was defined with).
struct work_struct;

namespace cmwq::core {

struct work;
using work_fn = void (*)(::work_struct*);
inline ::work_struct* as_work_struct(work* w) noexcept { return reinterpret_cast<::work_struct*>(w); }
inline work* work_of(::work_struct* w) noexcept { return reinterpret_cast<work*>(w); }

struct work {
  long data;        // X: only through work_data_ref(); see the table above
  list_node entry;  // L: the list of the pwq/pool/worker it is queued on
  work_fn func;     // I: set by work_init(); the engine never writes it afterwards
  // I: the (work_completion) class (semantics.md 7.1): a static descriptor of the init site, or
  // null, and then the function is the class. A pointer keeps delayed_work within 100 bytes.
  const lockdep::map* lockdep_map;
};

// The lockdep class an item runs and is waited for under.
inline lockdep::map work_lockdep_map(const work* w) noexcept {
  return w->lockdep_map ? *w->lockdep_map : lockdep::map{reinterpret_cast<const void*>(w->func), "(work_completion)"};
}

struct delayed_work {
  work w;
  timer t;
  std::uintptr_t wq;  // handle of the target queue, written by the owner of PENDING
  int cpu;            // target CPU, written by the owner of PENDING
};

namespace work_data {
inline constexpr long pending = 1L << 0;
inline constexpr long inactive = 1L << 1;
inline constexpr long pwq = 1L << 2;
inline constexpr long linked = 1L << 3;
inline constexpr int color_shift = 4;
inline constexpr long color_mask = 0xfL << color_shift;
inline constexpr long flag_mask = 0xffL;
inline constexpr int nr_colors = 16;
inline constexpr int disable_shift = 8;
inline constexpr long disable_mask = 0xffffL << disable_shift;
inline constexpr long disable_max = 0xffff;
inline constexpr int pool_shift = 32;  // off-queue: pool id + 1 (0 = never ran)

inline long offq(int pool_id, long disable) {
  return (static_cast<long>(pool_id + 1) << pool_shift) | (disable << disable_shift);
}
inline int offq_pool(long d) { return static_cast<int>(d >> pool_shift) - 1; }
inline long offq_disable(long d) { return (d & disable_mask) >> disable_shift; }
inline int color(long d) { return static_cast<int>((d & color_mask) >> color_shift); }
}  // namespace work_data

inline std::atomic_ref<long> work_data_ref(work* w) { return std::atomic_ref<long>(w->data); }

// @map: the item's lockdep class, a static descriptor; null: the function is the class (all items
// of one function share it) and its name is "(work_completion)".
void work_init(work* w, work_fn fn, const lockdep::map* map = nullptr) noexcept;
void delayed_work_init(delayed_work* dw, work_fn fn, unsigned int timer_flags,
                       const lockdep::map* map = nullptr) noexcept;
// True if work_init() gave `w` a function. Otherwise warns "<what>: work item ... was never
// initialised (NULL func)" and returns false: the caller refuses the item (zero-filled memory).
bool work_initialised(const work* w, const char* what) noexcept;
void delayed_work_timer_fn(::timer_list* t) noexcept;

// Queue side (workqueue.cpp). `wq` is a queue handle; cpu == cpu_unbound picks the local CPU.
inline constexpr int cpu_unbound = 4096;
bool queue_work_on(int cpu, std::uintptr_t wq, work* w) noexcept;
bool queue_delayed_work_on(int cpu, std::uintptr_t wq, delayed_work* dw, unsigned long delay) noexcept;
bool mod_delayed_work_on(int cpu, std::uintptr_t wq, delayed_work* dw, unsigned long delay) noexcept;
// Takes PENDING of an idle, enabled item for a caller that queues it later itself (rcu_work: after
// a grace period) with queue_work_owned(). False if it is pending already or disabled.
bool work_claim_pending(work* w) noexcept;
inline bool work_is_disabled(work* w) noexcept {
  return work_data::offq_disable(work_data_ref(w).load(std::memory_order_relaxed)) != 0;
}

// Item side (work.cpp).
bool flush_work(work* w) noexcept;
bool flush_delayed_work(delayed_work* dw) noexcept;
bool cancel_work(work* w) noexcept;
bool cancel_work_sync(work* w) noexcept;
bool cancel_delayed_work(delayed_work* dw) noexcept;
bool cancel_delayed_work_sync(delayed_work* dw) noexcept;
bool disable_work(work* w) noexcept;
bool disable_work_sync(work* w) noexcept;
bool enable_work(work* w) noexcept;
bool disable_delayed_work(delayed_work* dw) noexcept;
bool disable_delayed_work_sync(delayed_work* dw) noexcept;
bool enable_delayed_work(delayed_work* dw) noexcept;

inline constexpr unsigned busy_pending = 1, busy_running = 2;
unsigned work_busy(work* w) noexcept;
inline bool work_is_pending(work* w) noexcept {
  return (work_data_ref(w).load(std::memory_order_relaxed) & work_data::pending) != 0;
}

}  // namespace cmwq::core
