// src/core/work.cpp - the item side: init, grabbing PENDING, cancel, disable/enable, flush_work
// and work_busy.
//
// try_grab_pending() is the one way to take an item away from whatever state it is in (R26,
// R35): it deletes an armed timer, steals the item from a worklist or inactive list under its
// pool lock, or claims an idle item by setting PENDING. An item between states (the queuer or
// the timer callback owns PENDING but has not linked it yet) answers `retry`; that window is a
// few instructions long, so callers spin with a yield.
//
// flush_work() (R15) inserts a barrier item right behind the pending instance, or at the head of
// the scheduled list of the worker running it, and sleeps until a worker runs the barrier.
#include <sched.h>
#include <unistd.h>

#include <cstring>

#include "barrier.hpp"
#include "context.hpp"
#include "event.hpp"
#include "runtime.hpp"
#include "warn.hpp"
#include "work_private.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

// --- barriers ---------------------------------------------------------------------------------

namespace {

struct wq_barrier {
  work w;  // first member: a work* of a barrier converts back to its wq_barrier
  event done;
  pid_t waiter = 0;  // I: thread id of the flusher, for dumps ("BAR(<tid>)")
};

}  // namespace

void barrier_fn(::work_struct*) noexcept {}

void wq_barrier_signal(work* w) noexcept { reinterpret_cast<wq_barrier*>(w)->done.signal(); }
pid_t barrier_waiter(const work* w) noexcept { return reinterpret_cast<const wq_barrier*>(w)->waiter; }

// Moves `w` and the chain of LINKED items behind it (flush barriers) to the tail of `head`.
void move_linked_works(work* w, list_node* head) {
  list_node* n = &w->entry;
  for (;;) {
    work* cur = container_of<work>(n, offsetof(work, entry));
    list_node* next = n->next;
    list_move_tail(n, head);
    if (!(work_data_ref(cur).load(std::memory_order_relaxed) & work_data::linked)) break;
    n = next;
  }
}

// --- init ---------------------------------------------------------------------------------------

void work_init(work* w, work_fn fn, const lockdep::map* map) noexcept {
  // The memory may be uninitialised: only a state word that names a live pwq is trusted.
  const long d = work_data_ref(w).load(std::memory_order_relaxed);
  if ((d & work_data::pending) && (d & work_data::pwq) && pwq_is_live(work_data_pwq(d))) {
    CMWQ_WARN("INIT_WORK on pending work item %p: its pending instance is cancelled", static_cast<void*>(w));
    work_grab_pending(w, false);  // unlink it rather than corrupt the list it is on
  }
  work_data_ref(w).store(0, std::memory_order_relaxed);
  list_init(&w->entry);
  w->func = fn;
  w->lockdep_map = map;
}

namespace {

// True if `dw` is armed on the timer wheel now: PENDING owned by the timer (no pwq) and its timer
// linked in the wheel. The memory may be uninitialised, so the wheel is searched for the timer
// rather than its own links trusted, as work_init() trusts only a live pwq. Any timer function
// counts: DECLARE_DELAYED_WORK() sets the C entry point, INIT_DELAYED_WORK() the engine's.
bool armed_on_timer(delayed_work* dw) {
  const long d = work_data_ref(&dw->w).load(std::memory_order_relaxed);
  return (d & work_data::pending) && !(d & work_data::pwq) && timer_armed_checked(&dw->t);
}

}  // namespace

void delayed_work_init(delayed_work* dw, work_fn fn, unsigned int timer_flags, const lockdep::map* map) noexcept {
  // Re-initialising the timer while it is linked in a wheel slot would cut the slot's list: the
  // timers behind it would never fire (lost work). Take it off the wheel first, as work_init()
  // does for an item pending on a queue.
  if (armed_on_timer(dw)) {
    CMWQ_WARN("INIT_DELAYED_WORK on pending delayed work %p: its armed timer is cancelled", static_cast<void*>(dw));
    work_grab_pending(&dw->w, true);
  }
  work_init(&dw->w, fn, map);
  timer_init(&dw->t, delayed_work_timer_fn, timer_flags);
  dw->wq = 0;
  dw->cpu = 0;
}

// --- grabbing PENDING -------------------------------------------------------------------------

namespace {

enum class grab { claimed_idle, stolen, retry };

worker_pool* work_pool(long d) {
  if (d & work_data::pwq) return work_data_pwq(d)->pool;
  return pool_by_id(work_data::offq_pool(d));
}

grab try_grab_pending(work* w, bool is_dwork) {
  if (is_dwork) {
    auto* dw = reinterpret_cast<delayed_work*>(w);
    if (timer_del(&dw->t)) return grab::stolen;  // the timer owned PENDING; now we do
  }
  auto ref = work_data_ref(w);
  long d = ref.load(std::memory_order_relaxed);
  if (!(d & work_data::pending)) {
    if (ref.compare_exchange_strong(d, d | work_data::pending, std::memory_order_seq_cst)) return grab::claimed_idle;
    return grab::retry;
  }
  if (!(d & work_data::pwq)) return grab::retry;  // being armed or queued right now

  worker_pool* pool = work_data_pwq(d)->pool;
  workqueue* hand_off = nullptr;
  int hand_off_slot = no_hand_off;
  {
    lock_guard g(pool->lock);
    d = ref.load(std::memory_order_relaxed);
    if (!(d & work_data::pwq) || work_data_pwq(d)->pool != pool) return grab::retry;
    pool_workqueue* pwq = work_data_pwq(d);
    pwq->pool->lock.assert_held();  // the same lock: checked just above
    list_del_init(&w->entry);
    // Keep PENDING (ours now); remember the pool for non-reentrancy.
    ref.store(work_data::offq(pool->id, 0) | work_data::pending, std::memory_order_relaxed);
    hand_off_slot = pwq_dec_nr_in_flight(pwq, work_data::color(d), !(d & work_data::inactive));
    if (hand_off_slot != no_hand_off) hand_off = pwq->wq;
  }
  if (hand_off) pwq_finish_hand_off(hand_off, hand_off_slot);
  return grab::stolen;
}

}  // namespace

// Takes PENDING from any state. Returns true if the item was pending (and is now stolen).
bool work_grab_pending(work* w, bool is_dwork) {
  for (;;) {
    const grab r = try_grab_pending(w, is_dwork);
    if (r != grab::retry) return r == grab::stolen;
    sched_yield();
  }
}

namespace {

// Releases PENDING taken by work_grab_pending(), setting the disable count to `disable`.
void release_pending(work* w, long disable) {
  auto ref = work_data_ref(w);
  const long d = ref.load(std::memory_order_relaxed);
  ref.store(work_data::offq(work_data::offq_pool(d), disable), std::memory_order_release);
}

long disable_count(work* w) { return work_data::offq_disable(work_data_ref(w).load(std::memory_order_relaxed)); }

bool cancel_common(work* w, bool is_dwork) {
  const bool was_pending = work_grab_pending(w, is_dwork);
  release_pending(w, disable_count(w));
  return was_pending;
}

bool disable_common(work* w, bool is_dwork) {
  const bool was_pending = work_grab_pending(w, is_dwork);
  long count = disable_count(w);
  if (count == work_data::disable_max)
    CMWQ_WARN_ONCE("workqueue: work disable count overflowed");  // R38: saturates
  else
    count++;
  release_pending(w, count);
  return was_pending;
}

bool enable_common(work* w, bool is_dwork) {
  work_grab_pending(w, is_dwork);
  long count = disable_count(w);
  if (count == 0)
    CMWQ_WARN_ONCE("workqueue: work disable count underflowed");
  else
    count--;
  release_pending(w, count);
  return count == 0;
}

}  // namespace

bool work_executing_on_self(const work* w) noexcept {
  worker* self = current_worker();
  return self && self->current_work == w && self->current_func == w->func;
}

namespace {

// Queues a barrier behind the instance of `w` that is pending or running now. Returns false if
// there is none (the item is idle), or if only a timer is armed (R18). With `running_only`, a
// pending instance is ignored (cancel paths have stolen it already) and, as in the kernel, the
// flush dependency is not checked (semantics.md 7.3).
bool start_flush_work(work* w, wq_barrier* barr, bool running_only, workqueue** target) {
  const long d0 = work_data_ref(w).load(std::memory_order_acquire);
  worker_pool* pool = work_pool(d0);
  if (!pool) return false;
  lock_guard g(pool->lock);
  const long d = work_data_ref(w).load(std::memory_order_relaxed);
  list_init(&barr->w.entry);
  barr->w.func = barrier_fn;
  if (!running_only && (d & work_data::pwq) && work_data_pwq(d)->pool == pool) {
    // Pending here: the barrier follows it in the same list and moves with it (LINKED).
    pool_workqueue* pwq = work_data_pwq(d);
    pwq->pool->lock.assert_held();  // the same lock: checked just above
    const long linked = d & work_data::linked;
    insert_work(pwq, &barr->w, (d & ~(work_data::flag_mask)) | work_data::pwq | work_data::pending | linked,
                w->entry.next, std::memory_order_relaxed, false);
    work_data_ref(w).store(d | work_data::linked, std::memory_order_relaxed);
    *target = pwq->wq;
    check_flush_dependency(pwq->wq, w->func);
    return true;
  }
  worker* busy = pool->find_worker_executing_work(w);
  if (!busy) return false;
  pool_workqueue* pwq = busy->current_pwq;
  *target = pwq->wq;
  if (!running_only) check_flush_dependency(pwq->wq, w->func);
  pwq->pool->lock.assert_held();  // a worker of this pool executes an item of this pwq
  // Runs right after the current run.
  insert_work(pwq, &barr->w, work_data::pending, busy->scheduled.next, std::memory_order_relaxed, false);
  return true;
}

// Lockdep (semantics.md 7.2): waiting for an item "takes" its map; flush_work() (not cancel) on an
// ordered, max_active 1 or rescuer queue also takes the queue's map, since the item may wait
// behind any other item of it. The barrier keeps the queue alive until we return.
void lockdep_flush_work(work* w, workqueue* wq, bool from_cancel, std::uintptr_t ip) {
  if (!lockdep::active()) return;
  lockdep::touch_map(w, work_lockdep_map(w), ip);
  if (from_cancel) return;
  bool single;
  {
    lock_guard g(wq->mutex);
    single = wq->saved_max_active == 1;
  }
  if (single || wq->rescuer) touch_wq_lockdep_map(wq, ip);
}

bool flush_common(work* w, bool running_only, std::uintptr_t ip) {
  if (!might_sleep("flush_work")) return false;
  wq_barrier barr{};
  barr.waiter = static_cast<pid_t>(gettid());
  workqueue* target = nullptr;
  if (!start_flush_work(w, &barr, running_only, &target)) return false;
  lockdep_flush_work(w, target, running_only, ip);
  blocking_section b;
  barr.done.wait();
  return true;
}

// An item of an ordered queue flushing another item pending on that queue waits for an item
// that cannot start before the flusher returns: a certain deadlock (the pattern lockdep reports
// in the kernel, semantics.md 7.2). An ordered queue has one pwq, so "pending on the flusher's
// own pwq" is the test, and it needs no pointer but our own.
bool flushes_own_ordered_queue(work* w) {
  worker* self = current_worker();
  if (!self || !self->current_pwq || !self->current_pwq->wq->is_ordered()) return false;
  const long d = work_data_ref(w).load(std::memory_order_acquire);
  return (d & work_data::pending) && (d & work_data::pwq) && work_data_pwq(d) == self->current_pwq;
}

}  // namespace

void warn_uninitialised_work(const work* w, const char* what) noexcept {
  CMWQ_WARN("%s: work item %p was never initialised (NULL func)", what, static_cast<const void*>(w));
}

// --- public item-side API -------------------------------------------------------------------------

namespace {
// Misuse: a NULL item warns and the call returns false (D4).
bool valid_item(const void* w, const char* func) {
  if (w) return true;
  CMWQ_WARN("%s: NULL work item", func);
  return false;
}
}  // namespace

bool flush_work(work* w) noexcept {
  if (!valid_item(w, __func__) || !work_initialised(w, "flush_work")) return false;
  const std::uintptr_t ip = CMWQ_RET_IP();
  if (work_executing_on_self(w)) {
    lockdep::touch_map(w, work_lockdep_map(w), ip);  // recursion on the running item's class
    CMWQ_WARN("flush_work: work item %p flushes itself, which would deadlock; ignored", static_cast<void*>(w));
    return false;
  }
  if (flushes_own_ordered_queue(w)) {
    // What the kernel's lockdep sees before it deadlocks: the item's map, then the queue's,
    // which the flusher holds (possible recursive locking on (wq_completion)<name>).
    lockdep::touch_map(w, work_lockdep_map(w), ip);
    touch_wq_lockdep_map(current_worker()->current_pwq->wq, ip);
    CMWQ_WARN("flush_work: work item %p is pending behind the flusher on its ordered queue, which would deadlock; "
              "ignored", static_cast<void*>(w));
    return false;
  }
  return flush_common(w, false, ip);
}

bool flush_delayed_work(delayed_work* dw) noexcept {
  if (!valid_item(dw, __func__) || !work_initialised(&dw->w, "flush_delayed_work")) return false;
  // R17. The _sync form waits for a timer callback that is queueing the item right now, so
  // that flush_work() below sees the instance it queues.
  // Returns true whenever the timer was armed: the instance it queues may finish before
  // flush_work() looks, and then flush_work() alone would say "idle".
  const bool armed = timer_del_sync(&dw->t);
  if (armed) queue_work_owned(dw->cpu, dw->wq, &dw->w);
  return flush_work(&dw->w) || armed;
}

bool cancel_work(work* w) noexcept { return valid_item(w, __func__) && cancel_common(w, false); }
bool cancel_delayed_work(delayed_work* dw) noexcept { return valid_item(dw, __func__) && cancel_common(&dw->w, true); }
bool disable_work(work* w) noexcept { return valid_item(w, __func__) && disable_common(w, false); }
bool disable_delayed_work(delayed_work* dw) noexcept { return valid_item(dw, __func__) && disable_common(&dw->w, true); }
bool enable_work(work* w) noexcept { return valid_item(w, __func__) && enable_common(w, false); }
bool enable_delayed_work(delayed_work* dw) noexcept { return valid_item(dw, __func__) && enable_common(&dw->w, true); }

namespace {

// R27: disable (stealing any pending instance), wait for the running one, then undo our disable.
bool cancel_or_disable_sync(work* w, bool is_dwork, bool keep_disabled, const char* what) {
  if (!work_initialised(w, what)) return false;
  const bool was_pending = disable_common(w, is_dwork);
  if (work_executing_on_self(w))
    CMWQ_WARN("%s: work item %p waits for itself, which would deadlock; not waiting", what, static_cast<void*>(w));
  else if (!in_interrupt() || !bh_wait_for_running(w))  // section 5.11: BH items busy-wait
    flush_common(w, true, CMWQ_RET_IP());
  if (!keep_disabled) enable_common(w, is_dwork);
  return was_pending;
}

}  // namespace

bool cancel_work_sync(work* w) noexcept { return valid_item(w, __func__) && cancel_or_disable_sync(w, false, false, "cancel_work_sync"); }
bool cancel_delayed_work_sync(delayed_work* dw) noexcept {
  return valid_item(dw, __func__) && cancel_or_disable_sync(&dw->w, true, false, "cancel_delayed_work_sync");
}
bool disable_work_sync(work* w) noexcept { return valid_item(w, __func__) && cancel_or_disable_sync(w, false, true, "disable_work_sync"); }
bool disable_delayed_work_sync(delayed_work* dw) noexcept {
  return valid_item(dw, __func__) && cancel_or_disable_sync(&dw->w, true, true, "disable_delayed_work_sync");
}

unsigned work_busy(work* w) noexcept {
  if (!valid_item(w, __func__)) return 0;
  const long d = work_data_ref(w).load(std::memory_order_acquire);
  unsigned ret = (d & work_data::pending) ? busy_pending : 0;
  if (worker_pool* pool = work_pool(d)) {
    lock_guard g(pool->lock);
    if (pool->find_worker_executing_work(w)) ret |= busy_running;
  }
  return ret;
}

}  // namespace cmwq::core
