// src/core/delayed_work.hpp - a delayed item: a work plus the timer that queues it (R35-R37).
//
// The timer fires delayed_work_timer_fn(), which queues the item on the queue and CPU recorded
// when it was armed. The owner of PENDING writes `wq` and `cpu`; while the timer is armed the
// item is "on timer" (PENDING set, no pwq: see the state table in work.hpp). The calls are
// defined beside the plain item's (queue.cpp queues and modifies, work.cpp initialises, flushes
// and cancels): they share those files' PENDING helpers.
#pragma once

#include <cstdint>

#include "timer_wheel.hpp"
#include "work.hpp"

namespace cmwq::core {

struct delayed_work {
  work w;
  timer t;
  std::uintptr_t wq;  // handle of the target queue, written by the owner of PENDING
  int cpu;            // target CPU, written by the owner of PENDING
};

/**
 * delayed_work_init - work_init() for @dw plus its timer
 * @dw: the delayed item
 * @fn: the function a worker calls
 * @timer_flags: flags of the timer (TIMER_* of linux/timer.h)
 * @map: the lockdep class, as for work_init()
 *
 * An armed timer is cancelled first, with a warning. Context: any; not while @dw runs.
 */
void delayed_work_init(delayed_work* dw, work_fn fn, unsigned int timer_flags,
                       const lockdep::map* map = nullptr) noexcept;
// delayed_work_timer_fn - the timer function of every delayed item: queues it (a stale queue
// handle warns and drops it, D3). Context: the timer wheel's thread.
void delayed_work_timer_fn(::timer_list* t) noexcept;
/**
 * queue_delayed_work_on - queue @dw on @wq after @delay jiffies (milliseconds)
 * @cpu: the CPU, or cpu_unbound
 * @wq: the queue's handle
 * @dw: the delayed item
 * @delay: 0 queues at once, never through a timer tick (R36)
 *
 * Context: any. Return: false if @dw was already pending (on its timer or a queue) or disabled.
 */
bool queue_delayed_work_on(int cpu, std::uintptr_t wq, delayed_work* dw, unsigned long delay) noexcept;
/**
 * mod_delayed_work_on - queue @dw after @delay, whether or not it was pending
 * @cpu: the CPU, or cpu_unbound
 * @wq: the queue's handle
 * @dw: the delayed item
 * @delay: the new delay, from now
 *
 * A pending instance is taken back and requeued with the new delay; a disabled item is not
 * queued. Context: any. Return: true if @dw was pending before.
 */
bool mod_delayed_work_on(int cpu, std::uintptr_t wq, delayed_work* dw, unsigned long delay) noexcept;
/**
 * flush_delayed_work - queue @dw now if its timer is armed, then flush_work() it
 * @dw: the delayed item
 *
 * Context: may sleep. Return: true if the timer was armed or flush_work() waited.
 */
bool flush_delayed_work(delayed_work* dw) noexcept;
// cancel_delayed_work / _sync, disable_delayed_work / _sync, enable_delayed_work: as the plain
// item's calls in work.hpp, also stopping an armed timer. Same contexts and return values.
bool cancel_delayed_work(delayed_work* dw) noexcept;
bool cancel_delayed_work_sync(delayed_work* dw) noexcept;
bool disable_delayed_work(delayed_work* dw) noexcept;
bool disable_delayed_work_sync(delayed_work* dw) noexcept;
bool enable_delayed_work(delayed_work* dw) noexcept;

}  // namespace cmwq::core
