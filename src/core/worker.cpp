// src/core/worker.cpp - the worker loop, item execution and the rescuer loop.
//
// A worker sleeps on its semaphore while idle. Woken, it leaves the idle list; if it was the last
// idle worker it first becomes the pool's manager and makes a spare (so a worker that blocks can
// always be replaced), then runs items while keep_working() says one runnable worker is not
// enough or nobody else runs (section 5.5). process_one_work() clears PENDING immediately before
// the call (R3) and never touches the item after the call returns: the function may free it.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "barrier.hpp"
#include "concurrency.hpp"
#include "context.hpp"
#include "event.hpp"
#include "fault.hpp"
#include "pool_workqueue.hpp"
#include "runtime.hpp"
#include "sched_events.hpp"
#include "tracepoints.hpp"
#include "warn.hpp"
#include "work_private.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {


namespace {
CMWQ_TLS thread_local worker* t_worker = nullptr;
}

worker* current_worker() noexcept { return t_worker; }
void set_current_worker(worker* w) noexcept { t_worker = w; }

void publish_task_flags(const unsigned* flags) noexcept {
  if (t_worker) t_worker->task_flags.store(flags, std::memory_order_release);  // pairs: cm_visible()
}

std::uint64_t worker_cpu_time_ns(const worker* w) noexcept {
  timespec ts{};
  if (clock_gettime(w->cpu_clock, &ts) != 0) return 0;
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {

void worker_enter_idle(worker_pool* pool, worker* self) CMWQ_REQUIRES(pool->lock) {
  pool->update_worker(self, [&] { self->flags |= worker_flag::idle; });
  pool->nr_idle++;
  sched_events_idle(self);
  self->last_active = jiffies_now();
  list_add(&self->idle_node.node, &pool->idle_list);
  // timer_reduce (not "arm if idle"): an expiry armed before the timeout scale was lowered
  // must not hold reaping back until its old, longer deadline.
  if (pool->too_many_workers()) timer_reduce(&pool->idle_timer, jiffies_now() + idle_worker_timeout());
}

void worker_leave_idle(worker_pool* pool, worker* self) CMWQ_REQUIRES(pool->lock) {
  pool->update_worker(self, [&] { self->flags &= ~worker_flag::idle; });
  pool->nr_idle--;
  list_del_init(&self->idle_node.node);
}

// Sleeps up to `ms`, returning early once `stop` holds (checked every few milliseconds).
template <class Pred>
void cooldown_sleep(unsigned long ms, Pred stop) {
  const unsigned long until = jiffies_now() + ms;
  while (!stop() && static_cast<long>(jiffies_now() - until) < 0) {
    timespec ts{0, 2 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
}

// Section 5.6: keep trying to create a worker while one is needed; the mayday timer calls the
// rescuers meanwhile. Drops and retakes the pool lock.
void maybe_create_worker(worker_pool* pool) CMWQ_REQUIRES(pool->lock) {
  for (;;) {
    pool->lock.unlock();
    timer_mod(&pool->mayday_timer, jiffies_now() + mayday_initial_timeout());
    for (;;) {
      if (create_worker(pool)) break;
      auto still_needed = [pool] {
        lock_guard g(pool->lock);
        return pool->need_to_create_worker();
      };
      if (!still_needed()) break;
      // CREATE_COOLDOWN, as in the kernel (the mayday timer keeps calling rescuers meanwhile);
      // cut short only when the fault point that made creation fail is turned off.
      cooldown_sleep(create_cooldown(), [] { return !fault_armed(fault_point::worker_create); });
      if (!still_needed()) break;
    }
    // _sync, as the kernel's del_timer_sync(): a mayday callback running now re-arms the timer,
    // and it would then fire every MAYDAY_INTERVAL for good.
    timer_del_sync(&pool->mayday_timer);
    pool->lock.lock();
    if (!pool->need_to_create_worker()) return;
  }
}

bool manage_workers(worker_pool* pool, worker* self) CMWQ_REQUIRES(pool->lock) {
  if (pool->manager) return false;
  pool->manager = self;
  maybe_create_worker(pool);
  pool->manager = nullptr;
  return true;
}

void report_leaked_lock(worker* self, work_fn fn, int before, int after, int pc_before, int pc_after) {
  CMWQ_WARN("BUG: workqueue leaked atomic, lock or RCU: %s[%d]\n     preempt=0x%08x lock=%d->%d RCU=0->0 workfn=%p",
            self->name, self->tid, pc_after, before, after, reinterpret_cast<void*>(fn));
  (void)pc_before;
}

// The call itself, no lock held: lockdep's maps around it, the tracepoints, and the check that the
// function released every lock and preemption count it took.
void call_work_fn(worker* self, workqueue* wq, work* w) {
  const work_fn fn = self->current_func;
  const int locks_before = held_locks();
  const int pc_before = preempt_count();
  {
    // Lockdep (semantics.md 7.2): the queue's map, then a copy of the item's (the function may
    // free the item), held around the call; "at:" names the work function.
    const lockdep::map work_map = work_lockdep_map(w);
    const auto at = reinterpret_cast<std::uintptr_t>(fn);
    lockdep::scoped_map wq_held(&wq->lockdep_map, wq->lockdep_map, at);
    lockdep::scoped_map work_held(&work_map, work_map, at);
    tp_execute_start(w, fn);
    fn(as_work_struct(w));
    tp_execute_end(w, fn);  // `w` may be freed: its address only
  }
  const int locks_after = held_locks();
  const int pc_after = preempt_count();
  if (locks_after != locks_before || pc_after != pc_before)
    report_leaked_lock(self, fn, locks_before, locks_after, pc_before, pc_after);
}

// `now`: coarse_jiffies() read by the caller just before, the item's start stamp.
void process_one_work(worker_pool* pool, worker* self, work* w, unsigned long now) CMWQ_REQUIRES(pool->lock) {
  list_del_init(&w->entry);
  if (is_barrier(w)) {
    wq_barrier_signal(w);  // the waiter may free `w` from here on
    return;
  }
  const long d = work_data_ref(w).load(std::memory_order_relaxed);
  pool_workqueue* pwq = work_data_pwq(d);
  const int color = work_data::color(d);
  workqueue* wq = pwq->wq;

  self->current_work = w;
  self->current_func = w->func;
  self->current_pwq = pwq;
  self->current_color = color;
  self->current_start_ms = now;  // dumps; the sampler keeps its own fine stamp
  self->item_seq++;
  self->desc_valid = false;
  self->last_wq = wq;
  pool->hash_add(self);
  if (wq->flags.load(std::memory_order_relaxed) & wq_flag::cpu_intensive)
    pool->update_worker(self, [&] { self->flags |= worker_flag::cpu_intensive; });
  // Chains execution when this worker does not count as running (unbound, CPU-intensive); the
  // woken worker's system call is made after the unlock below.
  const void* wake = nullptr;
  pool->kick_deferred(&wake);
  // R3: record the pool and clear PENDING as the last touch before the call. A full barrier
  // (seq_cst exchange, which ThreadSanitizer also understands, unlike a fence) pairs with the
  // PENDING test-and-set in try_set_pending(): a queuer that still saw PENDING set had its stores
  // made before this point, so the function sees them; one that sets it after this point
  // produces a new run.
  work_data_ref(w).exchange(work_data::offq(pool->id, 0), std::memory_order_seq_cst);
  pwq->pool->lock.assert_held();  // the item's pwq is in this pool (a rescuer visits it)
  pwq->stat_inc_locked(pwq_stat_started);
  bool start_sampler = false;
  if (!pool->unbound()) {
    pool->nr_busy_items++;
    self->cpu_baseline_stale = true;  // the sampler reads the thread CPU clock at its next tick
    sched_events_skip(self);          // it runs now: older switch records say nothing
    start_sampler = sampler_note_busy();
  }
  pool->lock.unlock();
  if (wake) futex_wake(wake, 1);
  if (start_sampler) sampler_start();  // creates a thread: never under a pool lock

  call_work_fn(self, wq, w);

  pool->lock.lock();
  pwq->pool->lock.assert_held();
  pwq->stat_inc_locked(pwq_stat_completed);
  if (!pool->unbound()) pool->nr_busy_items--;
  pool->update_worker(self, [&] {
    self->flags &= ~worker_flag::cpu_intensive;
    self->observed_sleeping = false;
    self->sched_sleeping = false;
  });
  pool->hash_del(self);
  self->current_work = nullptr;
  self->current_func = nullptr;
  self->current_pwq = nullptr;
  if (const int slot = pwq_dec_nr_in_flight(pwq, color, true); slot != no_hand_off) {
    pool->lock.unlock();
    pwq_finish_hand_off(wq, slot);
    pool->lock.lock();
  }
}

}  // namespace

bool assign_work(worker_pool* pool, work* w, worker* self) {
  // R5: an item still running in this pool goes to the worker running it, behind the current run.
  if (!is_barrier(w)) {
    if (worker* busy = pool->find_worker_executing_work(w)) {
      move_linked_works(w, &busy->scheduled);
      return busy == self;
    }
  }
  move_linked_works(w, &self->scheduled);
  return true;
}

void process_scheduled_works(worker_pool* pool, worker* self) {
  // One clock read per item: the first one also stamps the pool's progress (the watchdog).
  bool first = true;
  while (!list_empty(&self->scheduled)) {
    const unsigned long now = coarse_jiffies();
    if (first) {
      pool->last_progress_ts = now;
      first = false;
    }
    process_one_work(pool, self, container_of<work>(self->scheduled.next, offsetof(work, entry)), now);
  }
}

void worker_main(worker* self) {
  t_worker = self;
  t_lock_wait_flag = &self->in_lock_wait;
  worker_pool* pool = self->pool;
  for (;;) {
    self->wake.park();
    pool->lock.lock();
    if (self->flags & worker_flag::die) {
      pool->lock.unlock();
      return;
    }
    if (!(self->flags & worker_flag::idle)) {  // a second wake-up while already awake
      pool->lock.unlock();
      continue;
    }
    worker_leave_idle(pool, self);
  recheck:
    if (pool->need_more_worker()) {
      if (!pool->may_start_working() && manage_workers(pool, self)) goto recheck;
      pool->update_worker(self, [&] { self->flags &= ~(worker_flag::prep | worker_flag::rebound); });
      do {
        work* w = container_of<work>(pool->worklist.next, offsetof(work, entry));
        if (assign_work(pool, w, self)) process_scheduled_works(pool, self);
      } while (pool->keep_working());
      pool->update_worker(self, [&] { self->flags |= worker_flag::prep; });
    }
    worker_enter_idle(pool, self);
    pool->lock.unlock();
  }
}

// Section 5.12. The rescuer serves the pwqs on its queue's mayday list: in each pool it runs the
// items of that pwq from the worklist itself, then kicks the pool and moves on.
void rescuer_main(worker* self) {
  t_worker = self;
  workqueue* wq = self->rescue_wq;
  for (;;) {
    self->wake.park();
    wq->mayday_lock.lock();
    const bool stop = (self->flags & worker_flag::die) != 0;
    while (!list_empty(&wq->maydays)) {
      pool_workqueue* pwq = owner_of<pool_workqueue>(wq->maydays.next);
      list_del_init(&pwq->mayday_node.node);
      pwq->on_mayday = false;
      wq->mayday_lock.unlock();

      worker_pool* pool = pwq->pool;
      self->pool = pool;
      pool->lock.lock();
      for (;;) {
        work* found = nullptr;
        for (list_node* n = pool->worklist.next; n != &pool->worklist; n = n->next) {
          work* w = container_of<work>(n, offsetof(work, entry));
          const long d = work_data_ref(w).load(std::memory_order_relaxed);
          if ((d & work_data::pwq) && work_data_pwq(d) == pwq) {
            found = w;
            break;
          }
        }
        if (!found) break;
        pwq->stat_inc(pwq_stat_rescued);
        if (assign_work(pool, found, self)) process_scheduled_works(pool, self);
      }
      pool->kick();
      pool->lock.unlock();
      wq->mayday_lock.lock();
    }
    wq->mayday_lock.unlock();
    if (stop) return;
  }
}

}  // namespace cmwq::core
