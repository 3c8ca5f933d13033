// src/core/wq_lockdep.cpp - a workqueue's (wq_completion) pseudo-lock.
//
// The problem: waiting for a queue (flush, drain, destroy) waits for every item on it, so a
// caller that holds lock L while it waits deadlocks if any item takes L - even if, this time,
// no item happened to be running. The kernel tells lockdep so with a pseudo-lock per queue: every
// item runs holding it (worker.cpp), every wait for the queue acquires and releases it
// (flush.cpp, work.cpp). This file owns the map's life: its own class (a key inside the queue
// object, named "(wq_completion)<name>", unregistered at destroy because queue objects are
// recycled) or a caller's shared map (alloc_workqueue_lockdep_map()), and the reclaim taint of
// the seed patch: a queue with WQ_MEM_RECLAIM and WQ_MEM_WARN_ON_RECLAIM records
// fs_reclaim -> (wq_completion)<name> when it is allocated, so that an item of it that
// allocates with GFP_KERNEL closes a cycle and is reported.
#include <cstdio>

#include "lockdep/reclaim.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

void wq_lockdep_init(workqueue* wq) noexcept {
  std::snprintf(wq->lockdep_name, sizeof wq->lockdep_name, "(wq_completion)%s", wq->name);
  wq->lockdep_map = {&wq->own_lockdep_key, wq->lockdep_name};
}

void wq_lockdep_finish(workqueue* wq, const lockdep::map* caller_map) noexcept {
  if (caller_map) {
    lockdep::unregister_key(&wq->own_lockdep_key);
    wq->lockdep_map = *caller_map;
  }
  const unsigned f = wq->flags.load(std::memory_order_relaxed);
  if ((f & wq_flag::mem_reclaim) && (f & wq_flag::mem_warn_on_reclaim) && lockdep::active()) {
    const auto ip = reinterpret_cast<std::uintptr_t>(&wq_lockdep_finish);
    lockdep::fs_reclaim_acquire(ip);
    lockdep::touch_map(&wq->lockdep_map, wq->lockdep_map, ip);
    lockdep::fs_reclaim_release();
  }
}

void wq_lockdep_release(workqueue* wq) noexcept {
  if (wq->lockdep_map.key == &wq->own_lockdep_key) lockdep::unregister_key(&wq->own_lockdep_key);
}

void touch_wq_lockdep_map(workqueue* wq, std::uintptr_t ip) noexcept { lockdep::touch_map(&wq->lockdep_map, wq->lockdep_map, ip); }

}  // namespace cmwq::core
