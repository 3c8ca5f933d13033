// src/kcompat/tasklet.cpp - tasklets as BH work items, the conversion mainline is heading for.
//
// The problem. A tasklet promises four things: it runs in softirq context on the CPU that
// scheduled it; scheduling it n times before it runs runs it once; it never runs concurrently
// with itself; while disabled it does not run, yet a schedule made meanwhile is not lost.
//
// The approach. Each tasklet embeds a work item; tasklet_schedule() takes the SCHED bit and, if
// it was free, queues the item on system_bh_wq (tasklet_hi_schedule(): system_bh_highpri_wq) on
// the calling CPU, so the BH engine (src/core/bh.cpp) gives context, CPU and order. The item's
// function takes the RUN bit (the two queues could otherwise run one tasklet on two softirq
// threads at once), then: if the tasklet is disabled it leaves SCHED set and returns, and the
// tasklet_enable() that brings the count to 0 queues it again; otherwise it clears SCHED (so the
// callback may reschedule itself) and calls the callback. The ordering argument for disable is
// short: SCHED is set before the item runs and stays set when it backs off, and both the runner's
// read of the count and enable's decrement-then-read-SCHED are seq_cst, so either the runner sees
// the count at 0 or enable sees SCHED and requeues.
#include <sched.h>
#include <time.h>

#include <atomic>

#include <linux/interrupt.h>

#include "core/context.hpp"
#include "core/warn.hpp"

namespace {

// A private state bit: the last schedule asked for the high-priority queue (a requeue uses it).
constexpr unsigned long tasklet_state_hi = 2;

std::atomic_ref<unsigned long> state_of(tasklet_struct* t) { return std::atomic_ref<unsigned long>(t->state); }
std::atomic_ref<int> count_of(tasklet_struct* t) { return std::atomic_ref<int>(t->count.counter); }

bool test_and_set(tasklet_struct* t, unsigned long bit) {
  return state_of(t).fetch_or(1UL << bit, std::memory_order_seq_cst) & (1UL << bit);
}
bool test_bit(tasklet_struct* t, unsigned long bit) {
  return state_of(t).load(std::memory_order_seq_cst) & (1UL << bit);
}

workqueue_struct* queue_of(tasklet_struct* t) {
  return test_bit(t, tasklet_state_hi) ? system_bh_highpri_wq : system_bh_wq;
}

// Waits until @done holds: sleeping in short steps where the caller may sleep, else yielding.
template <class Pred>
void wait_until(Pred done, bool may_sleep) {
  while (!done()) {
    if (may_sleep) {
      cmwq::core::blocking_section b;
      timespec ts{0, 50 * 1000};
      nanosleep(&ts, nullptr);
    } else {
      sched_yield();
    }
  }
}

void schedule_on(tasklet_struct* t, bool hi) {
  if (test_and_set(t, TASKLET_STATE_SCHED)) return;  // scheduled already: it runs once
  if (hi)
    state_of(t).fetch_or(1UL << tasklet_state_hi, std::memory_order_relaxed);
  else
    state_of(t).fetch_and(~(1UL << tasklet_state_hi), std::memory_order_relaxed);
  queue_work(queue_of(t), &t->work);
}

void init_common(tasklet_struct* t) {
  t->next = nullptr;
  t->state = 0;
  t->count.counter = 0;
  t->data = 0;
  INIT_WORK(&t->work, cmwq_tasklet_work_fn);
}

}  // namespace

extern "C" {

void cmwq_tasklet_work_fn(struct work_struct* work) {
  auto* t = reinterpret_cast<tasklet_struct*>(reinterpret_cast<char*>(work) - offsetof(tasklet_struct, work));
  if (!tasklet_trylock(t)) {  // running on the other BH queue's thread: come back after it
    queue_work(queue_of(t), &t->work);
    return;
  }
  if (count_of(t).load(std::memory_order_seq_cst) != 0) {  // disabled: tasklet_enable() requeues
    tasklet_unlock(t);
    return;
  }
  if (!(state_of(t).fetch_and(~(1UL << TASKLET_STATE_SCHED), std::memory_order_seq_cst) &
        (1UL << TASKLET_STATE_SCHED)))
    CMWQ_WARN("tasklet %p ran without being scheduled", static_cast<void*>(t));
  if (t->use_callback)
    t->callback(t);
  else
    t->func(t->data);
  tasklet_unlock(t);
}

void tasklet_init(struct tasklet_struct* t, void (*func)(unsigned long), unsigned long data) {
  init_common(t);
  t->use_callback = false;
  t->func = func;
  t->data = data;
}

void tasklet_setup(struct tasklet_struct* t, void (*callback)(struct tasklet_struct*)) {
  init_common(t);
  t->use_callback = true;
  t->callback = callback;
}

void tasklet_schedule(struct tasklet_struct* t) { schedule_on(t, false); }
void tasklet_hi_schedule(struct tasklet_struct* t) { schedule_on(t, true); }

bool tasklet_trylock(struct tasklet_struct* t) { return !test_and_set(t, TASKLET_STATE_RUN); }

void tasklet_unlock(struct tasklet_struct* t) {
  state_of(t).fetch_and(~(1UL << TASKLET_STATE_RUN), std::memory_order_release);  // pairs with the waiters' loads
}

void tasklet_unlock_wait(struct tasklet_struct* t) {
  wait_until([t] { return !test_bit(t, TASKLET_STATE_RUN); }, cmwq::core::might_sleep("tasklet_unlock_wait"));
}

void tasklet_unlock_spin_wait(struct tasklet_struct* t) {
  wait_until([t] { return !test_bit(t, TASKLET_STATE_RUN); }, false);
}

void tasklet_disable_nosync(struct tasklet_struct* t) { count_of(t).fetch_add(1, std::memory_order_seq_cst); }

void tasklet_disable(struct tasklet_struct* t) {
  tasklet_disable_nosync(t);
  tasklet_unlock_wait(t);
}

void tasklet_disable_in_atomic(struct tasklet_struct* t) {
  tasklet_disable_nosync(t);
  tasklet_unlock_spin_wait(t);
}

void tasklet_enable(struct tasklet_struct* t) {
  int c = count_of(t).load(std::memory_order_relaxed);
  do {
    if (c == 0) {
      CMWQ_WARN("tasklet_enable: tasklet %p is not disabled; ignored", static_cast<void*>(t));
      return;
    }
  } while (!count_of(t).compare_exchange_weak(c, c - 1, std::memory_order_seq_cst));
  if (c == 1 && test_bit(t, TASKLET_STATE_SCHED)) queue_work(queue_of(t), &t->work);
}

void tasklet_kill(struct tasklet_struct* t) {
  if (cmwq::core::in_interrupt()) {
    CMWQ_WARN("tasklet_kill: attempt to kill tasklet %p from interrupt; ignored", static_cast<void*>(t));
    return;
  }
  // Take SCHED ourselves: once it is ours, nobody can schedule the tasklet any more.
  while (test_and_set(t, TASKLET_STATE_SCHED)) {
    if (count_of(t).load(std::memory_order_seq_cst) != 0) {
      CMWQ_WARN("tasklet_kill: tasklet %p is scheduled but disabled, so it would never run; its run is dropped",
                static_cast<void*>(t));
      cancel_work_sync(&t->work);
      break;  // SCHED stays set: ours now
    }
    // Scheduled and enabled: its run is queued (or about to be); wait for it.
    if (!flush_work(&t->work)) sched_yield();  // between SCHED and queue_work(): a moment
  }
  tasklet_unlock_wait(t);
  state_of(t).fetch_and(~(1UL << TASKLET_STATE_SCHED), std::memory_order_seq_cst);
}

}  // extern "C"
