// src/core/sched_events.hpp - learning from the scheduler itself that a bound worker blocked
// (docs/concurrency.md, "Scheduler events").
//
//   cm_observer / cm_observer_active()  which mechanism observes unannotated blocking: perf
//       (scheduler events), proc (the /proc sampler) or off; CMWQ_CM_OBSERVE picks one, otherwise
//       perf where perf_event_open(2) is allowed, else proc. Falls back to proc at run time, with
//       one note, the first time a worker's event cannot be opened.
//   sched_ring                  one worker's perf software event and its mapped ring buffer.
//   sched_events_open()/detach()  open a worker's event (the manager, on first need) / close it
//                               (the worker itself, as it exits).
//   sched_events_skip()         forget a worker's records (it runs now: at item start), and
//                               turn its event on if its pool is watched.
//   sched_events_idle()         turn a worker's event off as it goes idle.
//   sched_events_state()        the worker's state after its new records: blocked, running or
//                               unknown (no switch record since the last look).
//   sched_watch_*               how the manager thread (concurrency.cpp) sleeps: the records of
//                               every worker wake it while "armed", a plain timeout otherwise.
#pragma once

#include <cstdint>

#include "cm_observer.hpp"

namespace cmwq::core {

struct worker;

// cm_observer, cm_observer_active(), cm_observer_name(): cm_observer.hpp (public to the doors).

struct sched_ring {
  int fd = -1;             // L: the event, or -1 (set once, by the manager)
  void* base = nullptr;    // L: the mapping (control page + data pages)
  std::uint64_t size = 0;  // L: bytes of the mapping
};

// Opens the event of `wk` (the manager, pool lock held), enabled. False if perf is not the active
// mechanism or the kernel refused (then the process falls back to proc with one note).
bool sched_events_open(worker* wk) noexcept;
// Closes it: called by the worker's own thread as it exits, off every pool list.
void sched_events_detach(worker* self) noexcept;

enum class sched_state : int { unknown, running, blocked };

// Enables (on) or disables the event of `wk` (pool lock held). Returns success.
bool sched_events_enable(worker* wk, bool on) noexcept;

// Pool lock of `wk` held (it orders the two consumers of one ring: the worker and the manager).
void sched_events_skip(worker* wk) noexcept;
sched_state sched_events_state(worker* wk) noexcept;
// Called by a worker entering the idle list (pool lock held): turns its own event off, so that
// the manager does not (its ioctl on another thread's event costs an IPI to that thread's CPU),
// and so that the idle worker's switches write no records. sched_events_skip() turns it on again
// at the worker's next item.
void sched_events_idle(worker* self) noexcept;

// The manager waits here for at most `timeout_ms` (-1: no limit): for any worker's record while
// `armed`, else only for the timeout or sched_watch_poke(). Returns true if records or a poke
// woke it.
bool sched_watch_wait(bool armed, int timeout_ms) noexcept;
// Wakes the manager (a pool it does not watch has work pending behind a running worker). Never
// lost: one poke stays outstanding until the manager's next wait returns, and that wait's pass
// sees the pool. Called with a pool lock held; one relaxed load while a poke is outstanding.
void sched_watch_poke() noexcept;

}  // namespace cmwq::core
