// src/core/tracepoints.hpp - the kernel's workqueue trace events as USDT probes (semantics.md 6.7;
// docs/observability.md): provider "cmwq", probes named after the kernel's events, with their
// arguments.
//
//   workqueue_queue_work(work, function, workqueue name, req_cpu, cpu)   item queued
//   workqueue_activate_work(work, function)      item put on the pool's worklist (active)
//   workqueue_execute_start(work, function)      a worker calls the function
//   workqueue_execute_end(work, function)        the function returned (`work` may be freed)
//
// The same four points feed the CMWQ_TRACE timeline (timeline.hpp) while it records.
//
// `cpu` is the pool's CPU, -1 for unbound pools (the kernel's pool->cpu). Each probe is guarded by
// its semaphore: a tracer that attaches (bpftrace, perf, stap) raises it, so while none is
// attached a probe site costs one load and a not-taken branch. The call sites are one line each
// in queue.cpp, pool_workqueue.cpp and worker.cpp.
#pragma once

#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include "pool_workqueue.hpp"
#include "timeline.hpp"
#include "work.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

// Semaphores: defined in tracepoints.cpp, in the .probes section where tracers look for them.
extern "C" {
extern unsigned short cmwq_workqueue_queue_work_semaphore;
extern unsigned short cmwq_workqueue_activate_work_semaphore;
extern unsigned short cmwq_workqueue_execute_start_semaphore;
extern unsigned short cmwq_workqueue_execute_end_semaphore;
}

namespace cmwq::core {

// Relaxed by nature: a tracer writes the semaphore from outside the process (ptrace or
// /proc/PID/mem); a probe missed in the instant of attaching is the accepted cost.
#define CMWQ_TP_ENABLED(name) __builtin_expect(*static_cast<volatile unsigned short*>(&cmwq_##name##_semaphore) != 0, 0)

inline void tp_queue_work(int req_cpu, const pool_workqueue* pwq, const work* w) noexcept {
  if (CMWQ_TP_ENABLED(workqueue_queue_work))
    STAP_PROBE5(cmwq, workqueue_queue_work, w, w->func, pwq->wq->name, req_cpu, pwq->pool->cpu);
  if (g_timeline_on.load(std::memory_order_relaxed)) timeline_queue(w, pwq);
}
inline void tp_activate_work(const work* w) noexcept {
  if (CMWQ_TP_ENABLED(workqueue_activate_work)) STAP_PROBE2(cmwq, workqueue_activate_work, w, w->func);
}
inline void tp_execute_start(const work* w, work_fn fn) noexcept {
  if (CMWQ_TP_ENABLED(workqueue_execute_start)) STAP_PROBE2(cmwq, workqueue_execute_start, w, fn);
  if (g_timeline_on.load(std::memory_order_relaxed)) timeline_execute_start(w, fn);
}
inline void tp_execute_end(const work* w, work_fn fn) noexcept {
  if (CMWQ_TP_ENABLED(workqueue_execute_end)) STAP_PROBE2(cmwq, workqueue_execute_end, w, fn);
  if (g_timeline_on.load(std::memory_order_relaxed)) timeline_execute_end(w, fn);
}

}  // namespace cmwq::core
