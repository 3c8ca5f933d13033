// src/kcompat/observe.cpp - the C door to what a running process shows about its queues: the
// kernel's dump and watchdog calls (show_freezable_workqueues, print_worker_info,
// wq_worker_comm, wq_watchdog_touch) and cmwq's statistics, queue list and pool counters, which
// the control socket and wqctl build on. Thin wrappers over src/core/observe.hpp.
#include "core/observe.hpp"
#include "core/timeline.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <linux/workqueue.h>

using namespace cmwq;

namespace {
core::wq_handle H(workqueue_struct* wq) { return reinterpret_cast<core::wq_handle>(wq); }
}  // namespace

extern "C" {

// Weak: the program's task layer (<linux/sched.h>) replaces it with one that reads task->pid.
__attribute__((weak)) int cmwq_task_tid(const struct task_struct* task) {
  return task ? -1 : static_cast<int>(gettid());
}

void show_freezable_workqueues(void) { core::show_freezable_workqueues(); }

void print_worker_info(const char* log_lvl, struct task_struct* task) {
  const int tid = cmwq_task_tid(task);
  if (tid > 0) core::print_worker_info(log_lvl, tid);
}

void wq_worker_comm(char* buf, size_t size, struct task_struct* task) {
  if (!buf || !size) return;
  buf[0] = '\0';
  const int tid = cmwq_task_tid(task);
  if (tid > 0) core::worker_comm_of(tid, buf, size);
}

void wq_watchdog_touch(int cpu) { core::watchdog_touch(cpu); }

int cmwq_workqueue_stats_ext(struct workqueue_struct* wq, struct cmwq_wq_stats_ext* out) {
  if (!out) return -22;  // -EINVAL
  const int err = cmwq_workqueue_stats(wq, &out->base);
  if (err) return err;
  core::wq_stats s;
  if (!core::workqueue_stats(H(wq), &s)) return -22;  // destroyed in between
  out->in_flight = s.in_flight;
  out->flags = s.flags;
  core::workqueue_name(H(wq), out->name, sizeof out->name);
  return 0;
}

size_t cmwq_list_workqueues(struct workqueue_struct** out, size_t n) {
  static_assert(sizeof(core::wq_handle) == sizeof(struct workqueue_struct*));
  return core::list_workqueues(reinterpret_cast<core::wq_handle*>(out), n);
}

int cmwq_pool_stats(int id, struct cmwq_pool_stats* out) {
  core::pool_stats s;
  if (!out) return -22;                            // -EINVAL
  if (!core::pool_stats_of(id, &s)) return -2;     // -ENOENT
  *out = {s.id, s.cpu, s.nice, s.nr_workers, s.nr_idle, s.nr_busy, s.nr_running, s.nr_pending, s.hung_ms};
  return 0;
}

void cmwq_show_all_workqueues_to(void (*sink)(const char* line, void* ctx), void* ctx) {
  core::show_all_workqueues_to(sink, ctx);
}

void cmwq_show_one_workqueue_to(struct workqueue_struct* wq, void (*sink)(const char* line, void* ctx), void* ctx) {
  core::show_one_workqueue_to(H(wq), sink, ctx);
}

int cmwq_worker_comm(char* buf, size_t size, int tid) { return core::worker_comm_of(tid, buf, size) ? 0 : -2; }

void cmwq_set_watchdog_thresh(unsigned int seconds) { core::watchdog_set_thresh(seconds); }
unsigned int cmwq_watchdog_thresh(void) { return core::watchdog_thresh(); }
unsigned long long cmwq_watchdog_stalls(void) { return core::watchdog_stall_count(); }

int cmwq_trace_start(const char* path, size_t capacity) {
  if (!path || !*path) return -22;  // -EINVAL
  return core::timeline_start(path, capacity) ? 0 : -12;  // -ENOMEM
}
void cmwq_trace_stop(void) { core::timeline_stop(); }
int cmwq_trace_write(const char* path) { return core::timeline_write(path); }

}  // extern "C"
