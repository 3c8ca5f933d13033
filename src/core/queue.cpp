// src/core/queue.cpp - the queue path: taking PENDING, choosing a pwq, admitting or parking the
// item, and the delayed-work variants on the timer wheel.
//
// Whoever sets PENDING owns the item (R1). queue_work_owned() then picks the pwq of the target
// CPU, unless the item is still running in its last pool for this queue, in which case it goes
// to that pool so the same worker runs it next (R5). Under the pool lock it is tagged with the
// pwq's flush colour, and either appended to the worklist (a free max_active slot and nobody
// waiting before it) or parked on the pwq's inactive list (R11).
#include <sched.h>

#include <cinttypes>

#include "context.hpp"
#include "observe.hpp"
#include "runtime.hpp"
#include "topology.hpp"
#include "tracepoints.hpp"
#include "warn.hpp"
#include "work_private.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

namespace {

// Sets PENDING unless it is set already or the item is disabled (R2, R4).
bool try_set_pending(work* w) {
  auto ref = work_data_ref(w);
  long d = ref.load(std::memory_order_relaxed);
  for (;;) {
    if (d & work_data::pending) return false;
    if (work_data::offq_disable(d)) return false;
    // seq_cst pairs with the fence after PENDING is cleared in process_one_work().
    if (ref.compare_exchange_weak(d, d | work_data::pending, std::memory_order_seq_cst, std::memory_order_relaxed))
      return true;
  }
}

// Drops an item whose PENDING the caller owns, keeping its disable count and last pool.
void clear_pending(work* w) {
  auto ref = work_data_ref(w);
  const long d = ref.load(std::memory_order_relaxed);
  ref.store(d & ~work_data::pending, std::memory_order_release);
}

// D2: once per queue (R23's WARN_ONCE, per queue rather than per boot).
void warn_cannot_queue(workqueue* wq, work* w) {
  if (!wq->warned_cannot_queue.exchange(true, std::memory_order_relaxed))
    CMWQ_WARN("workqueue: cannot queue %p on wq %s", reinterpret_cast<void*>(w->func), wq->name);
}

bool is_chained_work(workqueue* wq) {
  worker* self = current_worker();
  return self && self->current_pwq && self->current_pwq->wq == wq;
}

// D2/R23: while draining or destroying, only chained items are accepted.
bool refuses_new_work(workqueue* wq) {
  return (wq->flags.load(std::memory_order_acquire) & (wq_flag::draining | wq_flag::destroying)) &&
         !is_chained_work(wq);
}

// `here`: the caller's CPU, read once per queueing (it also picks the op_refs slot).
int select_cpu(int req_cpu, int here) {
  if (req_cpu == cpu_unbound) return local_cpu(here);
  if (cpu_online(req_cpu)) return req_cpu;
  if (req_cpu < 0 || req_cpu >= cpu_unbound) {
    CMWQ_WARN_ONCE("workqueue: invalid CPU %d, queueing on the local CPU", req_cpu);
    return local_cpu(here);
  }
  // U2: an offline CPU behaves like the kernel's disassociated pool: the item still runs.
  return local_cpu(here);
}

}  // namespace

bool queue_work_owned(int req_cpu, wq_handle h, work* w) noexcept {
  const int here = ::sched_getcpu();
  wq_ref ref(h, here);
  if (!ref) {
    warn_queue_on_dead_handle(h, w);
    clear_pending(w);
    return false;
  }
  workqueue* wq = ref.get();
  if (refuses_new_work(wq)) {
    warn_cannot_queue(wq, w);
    clear_pending(w);
    return false;
  }
  pool_workqueue* pwq = wq->pwq_for_cpu(select_cpu(req_cpu, here));

  // R5: still running in its last pool for this queue? Then it goes there. `pool` always names
  // the pool whose lock is held, so the analysis follows the lock through the redirect.
  // The registry is only asked when the item last ran in another pool than the target's.
  worker_pool* pool = pwq->pool;
  const int last_id = work_data::offq_pool(work_data_ref(w).load(std::memory_order_relaxed));
  worker_pool* last = last_id < 0 || last_id == pool->id ? nullptr : pool_by_id(last_id);
  if (last && last != pool) {
    pool = last;
    pool->lock.lock();
    worker* busy = pool->find_worker_executing_work(w);
    if (busy && busy->current_pwq->wq == wq) {
      pwq = busy->current_pwq;
    } else {
      pool->lock.unlock();
      pool = pwq->pool;
      pool->lock.lock();
    }
  } else {
    pool->lock.lock();
  }
  // Every path above leaves pwq->pool == pool: say so to the analysis (checked in debug builds).
  pwq->pool->lock.assert_held();

  // Re-check under the pool lock: a queuer that passed the check above before drain or destroy
  // set its flag could otherwise insert after drain_wq() last looked at this pool (its busy
  // check takes this lock after setting the flag), and destroy would free the pwq under it.
  if (refuses_new_work(wq)) {
    pool->lock.unlock();
    warn_cannot_queue(wq, w);
    clear_pending(w);
    return false;
  }
  const int color = pwq->work_color;
  tp_queue_work(req_cpu, pwq, w);
  // nr_in_flight is L to write (pool_workqueue.hpp): this increment needs no locked add.
  inc_single_writer(pwq->nr_in_flight[static_cast<std::size_t>(color)]);
  const void* wake = nullptr;  // a worker to wake once the pool lock is dropped
  const long d = reinterpret_cast<long>(pwq) | work_data::pending | work_data::pwq |
                 (static_cast<long>(color) << work_data::color_shift);
  // Release (free on x86): pairs with the acquire load in start_flush_work() and the other
  // readers that dereference the pwq they find here, which may be the first they hear of it
  // (a system queue created lazily by this thread).
  if (list_empty(&pwq->inactive_works) && pwq_tryinc_nr_active(pwq)) {
    insert_work(pwq, w, d, &pool->worklist, std::memory_order_release, true);
    pool->kick_deferred(&wake);
  } else {
    insert_work(pwq, w, d | work_data::inactive, &pwq->inactive_works, std::memory_order_release, false);
  }
  pool->lock.unlock();
  if (wake) futex_wake(wake, 1);
  return true;
}

bool work_claim_pending(work* w) noexcept { return try_set_pending(w); }

bool queue_work_on(int cpu, wq_handle h, work* w) noexcept {
  if (!w) {
    CMWQ_WARN("queue_work_on: NULL work");
    return false;
  }
  // An item INIT_WORK never saw would make a worker call address 0: refuse it before PENDING is
  // taken, so nothing about it changes (the kernel's debugobjects catch it as "not available").
  if (!work_initialised(w, "queue_work_on")) return false;
  if (!try_set_pending(w)) return false;
  return queue_work_owned(cpu, h, w);
}

// --- delayed work (R35-R37) ------------------------------------------------------------------

namespace {

bool queue_delayed_owned(int cpu, wq_handle h, delayed_work* dw, unsigned long delay) {
  if (delay == 0) return queue_work_owned(cpu, h, &dw->w);  // R36: never via a timer tick
  if (cpu != cpu_unbound && !cpu_online(cpu))
    CMWQ_WARN_ONCE("workqueue: delayed work %p armed for offline CPU %d", reinterpret_cast<void*>(dw->w.func), cpu);
  dw->wq = h;
  dw->cpu = cpu;
  // Never before `delay` ms have passed (the kernel may run it up to a jiffy early); long delays
  // read the cheap coarse clock (timer_wheel.hpp).
  dw->t.expires = timer_expiry_after(delay);
  timer_add(&dw->t);
  return true;
}

// A delayed item needs its function and its timer's. After INIT_WORK alone (or on zero-filled
// memory) the timer has no function and the wheel never fires it: the item would stay pending for
// ever. The kernel warns (WARN_ON_ONCE(timer->function != delayed_work_timer_fn)); cmwq also
// refuses, before PENDING is taken.
bool delayed_work_initialised(const delayed_work* dw, const char* what) {
  if (!work_initialised(&dw->w, what)) return false;
  if (timer_has_callback(&dw->t)) return true;
  CMWQ_WARN("%s: delayed work %p has no timer function (INIT_WORK instead of INIT_DELAYED_WORK?)", what,
            static_cast<const void*>(dw));
  return false;
}

}  // namespace

void delayed_work_timer_fn(::timer_list* t) noexcept {
  auto* dw = reinterpret_cast<delayed_work*>(reinterpret_cast<char*>(timer_of(t)) - offsetof(delayed_work, t));
  queue_work_owned(dw->cpu, dw->wq, &dw->w);  // D3: warns and drops if the queue is gone
}

bool queue_delayed_work_on(int cpu, wq_handle h, delayed_work* dw, unsigned long delay) noexcept {
  if (!dw) {
    CMWQ_WARN("queue_delayed_work_on: NULL work");
    return false;
  }
  if (!delayed_work_initialised(dw, "queue_delayed_work_on")) return false;
  if (!try_set_pending(&dw->w)) return false;
  if (!workqueue_valid(h)) {
    CMWQ_WARN("queue_delayed_work_on: invalid or destroyed workqueue");
    clear_pending(&dw->w);
    return false;
  }
  return queue_delayed_owned(cpu, h, dw, delay);
}

bool mod_delayed_work_on(int cpu, wq_handle h, delayed_work* dw, unsigned long delay) noexcept {
  if (!dw) {
    CMWQ_WARN("mod_delayed_work_on: NULL work");
    return false;
  }
  if (!delayed_work_initialised(dw, "mod_delayed_work_on")) return false;
  const bool was_pending = work_grab_pending(&dw->w, true);
  if (work_data::offq_disable(work_data_ref(&dw->w).load(std::memory_order_relaxed))) {
    clear_pending(&dw->w);  // R39: a disabled item is not queued
    return was_pending;
  }
  if (!workqueue_valid(h)) {
    CMWQ_WARN("mod_delayed_work_on: invalid or destroyed workqueue");
    clear_pending(&dw->w);
    return was_pending;
  }
  queue_delayed_owned(cpu, h, dw, delay);
  return was_pending;
}

}  // namespace cmwq::core
