// src/core/work.hpp - a work item: one deferred call, and the state word that says where it is.
//
//   cmwq::core::work          layout-compatible with C `struct work_struct { data, entry, func }`.
//   cmwq::core::work_data     encoding helpers for the state word.
//   work_* functions          init, queue, flush, cancel, disable, enable, busy: the item-side API
//                             (queue.cpp queues, work.cpp does the rest). Delayed items are in
//                             delayed_work.hpp; the core-private item calls in work_private.hpp.
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
// PENDING is cleared again. work_grab_pending() (work_private.hpp) takes ownership from any
// pending state.
//
// Every call below is safe from any thread; a NULL item warns and the call returns false (D4).
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

/**
 * work_init - make @w an idle, enabled item that calls @fn
 * @w: the item (its memory may be uninitialised)
 * @fn: the function a worker calls with @w
 * @map: the item's lockdep class, a static descriptor; null: the function is the class (all
 *       items of one function share it) and its name is "(work_completion)"
 *
 * Re-initialising an item pending on a queue warns and cancels that instance first.
 * Context: any; not while @w runs.
 */
void work_init(work* w, work_fn fn, const lockdep::map* map = nullptr) noexcept;
/**
 * work_initialised - whether work_init() gave @w a function
 * @w: the item
 * @what: the caller's name, for the warning
 *
 * Otherwise warns "<what>: work item ... was never initialised (NULL func)": the caller refuses
 * the item (zero-filled memory). Return: true if @w has a function.
 */
void warn_uninitialised_work(const work* w, const char* what) noexcept;  // work.cpp: the warning
inline bool work_initialised(const work* w, const char* what) noexcept {
  if (w->func) return true;
  warn_uninitialised_work(w, what);
  return false;
}

// CPU argument meaning "the local CPU" (the kernel's WORK_CPU_UNBOUND).
inline constexpr int cpu_unbound = 4096;
/**
 * queue_work_on - queue @w on queue @wq, on CPU @cpu's pwq
 * @cpu: the CPU, or cpu_unbound for the local one (unbound queues: a hint for the pod)
 * @wq: the queue's handle
 * @w: the item
 *
 * Memory ordering: if the call returns true, every store the caller made before it is visible
 * to @w's function when it runs (the item is linked under its pool's lock, which the worker
 * takes to find it). Nothing is promised when it returns false.
 * Context: any, including interrupt context. Return: false if @w was already pending, is
 * disabled, or the queue is stale or draining (warned); true if this call queued it.
 */
bool queue_work_on(int cpu, std::uintptr_t wq, work* w) noexcept;
/**
 * work_claim_pending - take PENDING of an idle, enabled item for a caller that queues it later
 * @w: the item
 *
 * The caller owns @w until it queues it with queue_work_owned() (engine.hpp); rcu_work does,
 * after a grace period. Context: any. Return: false if @w is pending already or disabled.
 */
bool work_claim_pending(work* w) noexcept;
// work_is_disabled - Return: whether @w's disable count is above zero (racy snapshot).
inline bool work_is_disabled(work* w) noexcept {
  return work_data::offq_disable(work_data_ref(w).load(std::memory_order_relaxed)) != 0;
}

/**
 * flush_work - wait for the last queued instance of @w to finish
 * @w: the item
 *
 * Waits for the pending instance, or the running one if none is pending (R16). An item that
 * flushes itself, or one pending behind the flusher on its ordered queue, warns and returns.
 * Context: may sleep. Return: true if it waited, false if @w was idle.
 */
bool flush_work(work* w) noexcept;
/**
 * cancel_work - take a pending instance of @w off its queue
 * @w: the item
 *
 * Does not wait for a running instance. Context: any. Return: true if @w was pending.
 */
bool cancel_work(work* w) noexcept;
/**
 * cancel_work_sync - cancel @w and wait for its running instance to finish
 * @w: the item
 *
 * Requeues by the running instance are refused meanwhile (R27). From @w itself: warns, no wait.
 * Context: may sleep (a BH item from BH context busy-waits). Return: true if @w was pending.
 */
bool cancel_work_sync(work* w) noexcept;
/**
 * disable_work - cancel @w and raise its disable count: queueing it fails until enable_work()
 * @w: the item
 *
 * Context: any. Return: true if @w was pending.
 */
bool disable_work(work* w) noexcept;
/**
 * disable_work_sync - disable_work(), then wait for the running instance
 * @w: the item
 *
 * Context: may sleep. Return: true if @w was pending.
 */
bool disable_work_sync(work* w) noexcept;
/**
 * enable_work - lower @w's disable count (an underflow warns once)
 * @w: the item
 *
 * Context: any. Return: true if the count is now zero (the item may be queued again).
 */
bool enable_work(work* w) noexcept;

inline constexpr unsigned busy_pending = 1, busy_running = 2;
/**
 * work_busy - whether @w is pending and whether it is running
 * @w: the item
 *
 * Context: any. Return: busy_pending | busy_running bits, a racy snapshot for reports.
 */
unsigned work_busy(work* w) noexcept;
// work_is_pending - Return: whether @w's PENDING bit is set (racy snapshot).
inline bool work_is_pending(work* w) noexcept {
  return (work_data_ref(w).load(std::memory_order_relaxed) & work_data::pending) != 0;
}

}  // namespace cmwq::core
