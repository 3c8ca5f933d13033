// src/core/flush.cpp - flush_workqueue() with flush colours, and drain_workqueue().
//
// R19: a flush waits for exactly the items queued before it. Every item is tagged with its pwq's
// current colour; a flusher takes the current colour, moves every pwq on to the next one, and
// waits until no pwq has an item of its colour or of any older colour not yet retired. Items
// queued later (also by the items being flushed) get the new colour, so a flush cannot be
// livelocked. Sixteen colours form a ring; when all are in use new flushers wait for the oldest
// to retire (R20). Concurrent flushers that share no colour wait independently and complete
// together when their colours drain.
//
// Lock order: flush_mutex -> pool lock -> flush_wait_lock. Flushers sleep on flush_wait_lock
// alone; completions (pwq_dec_nr_in_flight) wake them while holding a pool lock.
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "context.hpp"
#include "runtime.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

namespace {

int next_color(int c) { return (c + 1) % work_data::nr_colors; }

bool color_idle(const workqueue* wq, int c) {
  for (const pool_workqueue* pwq : wq->pwqs)
    if (pwq->nr_in_flight[static_cast<std::size_t>(c)].load(std::memory_order_seq_cst) != 0) return false;
  return true;
}

// True when no item of a colour in [oldest, last] (on the ring) is in flight.
bool colors_idle(const workqueue* wq, int oldest, int last) {
  for (int c = oldest;; c = next_color(c)) {
    if (!color_idle(wq, c)) return false;
    if (c == last) return true;
  }
}

// Callers the flush-dependency check is about: in memory reclaim, or running an item of a
// WQ_MEM_RECLAIM queue. Tested before anything costlier, so that other flushes pay two reads.
bool reclaiming_caller() { return in_memalloc() || current_is_workqueue_mem_reclaim(); }

// The kernel prints these functions with %ps; an address is what user space has (0x0 for none).
unsigned long func_address(work_fn fn) { return reinterpret_cast<unsigned long>(fn); }

bool flushing_own_queue(workqueue* wq, const char* what) {
  worker* self = current_worker();
  if (self && self->current_pwq && self->current_pwq->wq == wq) {
    CMWQ_WARN("workqueue: %s() of %s from one of its own work items would deadlock; ignored", what, wq->name);
    return true;
  }
  return false;
}

bool wq_busy(workqueue* wq) {
  for (pool_workqueue* pwq : wq->pwqs) {
    lock_guard g(pwq->pool->lock);
    if (pwq->nr_active || !list_empty(&pwq->inactive_works)) return true;
  }
  return false;
}

}  // namespace

void check_flush_dependency(const workqueue* target, work_fn target_func) noexcept {
  if (target->flags.load(std::memory_order_relaxed) & wq_flag::mem_reclaim) return;
  if (in_memalloc()) {
    char comm[16] = {};
    prctl(PR_GET_NAME, comm);
    CMWQ_WARN_ONCE("workqueue: PF_MEMALLOC task %ld(%s) is flushing !WQ_MEM_RECLAIM %s:0x%lx",
                   static_cast<long>(syscall(SYS_gettid)), comm, target->name, func_address(target_func));
  }
  if (current_is_workqueue_mem_reclaim()) {
    const worker* self = current_worker();
    CMWQ_WARN_ONCE("workqueue: WQ_MEM_RECLAIM %s:0x%lx is flushing !WQ_MEM_RECLAIM %s:0x%lx", self->current_pwq->wq->name,
                   func_address(self->current_func), target->name, func_address(target_func));
  }
}

void flush_wq(workqueue* wq) {
  // Waits for every item of the queue: lockdep learns it even when the queue is empty (7.2).
  touch_wq_lockdep_map(wq, CMWQ_RET_IP());
  blocking_section blocking;
  unique_lock fl(wq->flush_mutex);
  while (next_color(wq->work_color) == wq->flush_color) wq->flush_cv.wait(fl);
  const int oldest = wq->flush_color;
  const int mine = wq->work_color;
  wq->work_color = next_color(mine);
  for (pool_workqueue* pwq : wq->pwqs) {
    lock_guard g(pwq->pool->lock);
    pwq->work_color = wq->work_color;
  }
  fl.unlock();
  // As in the kernel, only a flush that has something to wait for is checked.
  if (reclaiming_caller() && !colors_idle(wq, oldest, mine)) check_flush_dependency(wq, nullptr);

  // Pairs with the seq_cst decrement in pwq_dec_nr_in_flight().
  wq->nr_flushers.fetch_add(1, std::memory_order_seq_cst);
  {
    unique_lock fw(wq->flush_wait_lock);
    wq->flush_wait_cv.wait(fw, [&] { return colors_idle(wq, oldest, mine); });
  }
  wq->nr_flushers.fetch_sub(1, std::memory_order_relaxed);

  fl.lock();
  while (wq->flush_color != wq->work_color && color_idle(wq, wq->flush_color))
    wq->flush_color = next_color(wq->flush_color);
  wq->flush_cv.notify_all();
}

// R22-R25.
void drain_wq(workqueue* wq) {
  {
    lock_guard g(wq->mutex);
    if (wq->nr_drainers++ == 0) wq->flags.fetch_or(wq_flag::draining, std::memory_order_seq_cst);
  }
  for (unsigned tries = 0;;) {
    flush_wq(wq);
    if (!wq_busy(wq)) break;
    ++tries;
    if (tries == 10 || (tries % 100 == 0 && tries <= 1000))
      log_line("workqueue %s: %s() isn't complete after %u tries", wq->name, "drain_workqueue", tries);
  }
  lock_guard g(wq->mutex);
  if (--wq->nr_drainers == 0) wq->flags.fetch_and(~wq_flag::draining, std::memory_order_seq_cst);
}

void flush_workqueue(wq_handle h) noexcept {
  wq_ref ref(h);
  if (!ref) {
    CMWQ_WARN("flush_workqueue: invalid or destroyed workqueue");
    return;
  }
  touch_wq_lockdep_map(ref.get(), CMWQ_RET_IP());  // before the refusal: lockdep reports it too
  if (!might_sleep(__func__) || flushing_own_queue(ref.get(), "flush_workqueue")) return;
  if (ref->slot < sys_nr_plus_one)
    log_line("workqueue: Flushing system-wide workqueues will be prohibited in near future. (%s)", ref->name);
  flush_wq(ref.get());
}

void drain_workqueue(wq_handle h) noexcept {
  wq_ref ref(h);
  if (!ref) {
    CMWQ_WARN("drain_workqueue: invalid or destroyed workqueue");
    return;
  }
  touch_wq_lockdep_map(ref.get(), CMWQ_RET_IP());
  if (!might_sleep(__func__) || flushing_own_queue(ref.get(), "drain_workqueue")) return;
  drain_wq(ref.get());
}

}  // namespace cmwq::core
