// src/core/bh.cpp - BH pools: the softirq thread that runs WQ_BH items, and the busy-wait that
// lets cancel_work_sync() wait for a BH item from BH context.
//
// The kernel runs a BH pool's items from the softirq of the CPU they were queued on: no thread of
// their own, never sleeping, one at a time, in queueing order (R45, section 5.11). User space has
// no softirqs, so each CPU gets one "softirq thread" per priority (U5): a worker of its BH pool,
// pinned to the CPU, asking for a high priority, that marks itself in softirq context around the
// items so that every sleeping compat call warns there. Being the pool's only worker makes it FIFO
// and non-reentrant for free; the ordinary R5 redirect (an item still running in its last pool is
// queued to that pool) keeps an item queued from another CPU behind its running instance. The
// thread is outside concurrency management (WORKER_UNBOUND, section 5.2), never managed, never
// reaped. One "softirq invocation" runs at most BH_WORKER_RESTARTS items or BH_WORKER_JIFFIES;
// leftovers are "re-raised": the thread yields the CPU and starts the next invocation. What this
// model leaves open is written down in docs/bh.md.
#include <sched.h>

#include "context.hpp"
#include "runtime.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"

namespace cmwq::core {

namespace {

constexpr int bh_worker_restarts = 10;       // BH_WORKER_RESTARTS: items per invocation
constexpr unsigned long bh_worker_jiffies = 2;  // BH_WORKER_JIFFIES: msecs_to_jiffies(2)

work* first_work(worker_pool* pool) CMWQ_REQUIRES(pool->lock) {
  return container_of<work>(pool->worklist.next, offsetof(work, entry));
}

// Runs softirq invocations until the pool's worklist is empty.
void run_softirq(worker_pool* pool, worker* self) CMWQ_REQUIRES(pool->lock) {
  while (!list_empty(&pool->worklist)) {
    const unsigned long end = jiffies_now() + bh_worker_jiffies;
    int restarts = bh_worker_restarts;
    softirq_enter();
    do {
      if (assign_work(pool, first_work(pool), self)) process_scheduled_works(pool, self);
    } while (!list_empty(&pool->worklist) && --restarts > 0 && static_cast<long>(jiffies_now() - end) < 0);
    softirq_exit();
    if (!list_empty(&pool->worklist)) {  // budget spent: let the CPU's other threads run first
      pool->lock.unlock();
      sched_yield();
      pool->lock.lock();
    }
  }
}

}  // namespace

void bh_worker_main(worker* self) {
  set_current_worker(self);
  worker_pool* pool = self->pool;
  for (;;) {
    self->wake.park();
    pool->lock.lock();
    if (!(self->flags & worker_flag::idle)) {  // a second wake-up while already awake
      pool->lock.unlock();
      continue;
    }
    self->flags &= ~(worker_flag::idle | worker_flag::prep);
    pool->nr_idle--;
    list_del_init(&self->idle_node.node);
    run_softirq(pool, self);
    // Idle again, where kick() finds it; with one worker the pool is never "too many" (no reaping).
    self->flags |= worker_flag::idle | worker_flag::prep;
    pool->nr_idle++;
    self->last_active = jiffies_now();
    list_add(&self->idle_node.node, &pool->idle_list);
    pool->lock.unlock();
  }
}

bool bh_wait_for_running(work* w) noexcept {
  worker_pool* pool = pool_by_id(work_data::offq_pool(work_data_ref(w).load(std::memory_order_acquire)));
  if (!pool || !pool->is_bh()) return false;
  if (in_hardirq())
    CMWQ_WARN_ONCE("workqueue: waiting for BH work item %p from hard-IRQ context", reinterpret_cast<void*>(w->func));
  for (;;) {
    {
      lock_guard g(pool->lock);
      if (!pool->find_worker_executing_work(w)) return true;
    }
    sched_yield();  // the item runs on another thread: yielding is all a busy-wait can do here
  }
}

}  // namespace cmwq::core
