// src/core/introspection.cpp - questions about the caller, queues, pools and workers:
// current_work(), workqueue_congested(), statistics (6.4), the list of live queues and worker
// names (6.1). The dumps are in dump.cpp, the watchdog in watchdog.cpp.
//
// Everything here is a racy snapshot, as in the kernel: useful for decisions that tolerate a
// stale answer, for monitors, tests and dumps. Counters are relaxed atomics read without a lock;
// list lengths and worker states are read under the pool lock so that each pool's numbers are
// consistent with each other.
#include <cstdio>
#include <cstring>
#include <string>

#include "context.hpp"
#include "observe.hpp"
#include "runtime.hpp"
#include "topology.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

work* current_work() noexcept {
  if (in_softirq()) return nullptr;  // BH items run in softirq context, not in a kworker
  worker* wk = current_worker();
  return wk ? wk->current_work : nullptr;
}

bool current_is_worker() noexcept { return current_worker() != nullptr; }

bool current_is_workqueue_rescuer() noexcept {
  worker* wk = current_worker();
  return wk && wk->rescue_wq && wk->current_work;
}

bool current_is_workqueue_mem_reclaim() noexcept {
  worker* wk = current_worker();
  if (!wk || !wk->current_pwq) return false;
  const unsigned f = wk->current_pwq->wq->flags.load(std::memory_order_relaxed);
  return (f & wq_flag::mem_reclaim) && !(f & wq_flag::legacy);
}

// Written under the pool lock (not only by the worker itself) so that dumps and
// wq_worker_comm() of another thread read it without a race.
void set_worker_desc(const char* desc) noexcept CMWQ_NO_TSA {
  worker* wk = current_worker();
  if (!wk || !wk->current_work) return;
  lock_guard g(wk->pool->lock);
  std::snprintf(wk->desc, sizeof wk->desc, "%s", desc);
  wk->desc_valid = true;
  wk->last_wq = wk->current_pwq->wq;
}

namespace {

// The description of `wk`'s current or last item: set_worker_desc() text, else the queue's name.
const char* worker_desc(const worker* wk) CMWQ_NO_TSA {
  if (wk->desc_valid) return wk->desc;
  if (wk->current_pwq) return wk->current_pwq->wq->name;
  return wk->last_wq ? wk->last_wq->name : "";
}

}  // namespace

void format_worker_comm(const worker* wk, char* buf, std::size_t size) noexcept CMWQ_NO_TSA {
  const char* desc = worker_desc(wk);
  std::snprintf(buf, size, "%s%s%s", wk->name, *desc ? (wk->current_work ? "+" : "-") : "", desc);
}

namespace {

// Calls fn(worker) with its pool's lock held for the pool worker whose thread id is `tid`.
// Returns whether it found one.
template <class Fn>
bool with_worker(pid_t tid, Fn&& fn) CMWQ_NO_TSA {
  for (int id = 0; worker_pool* pool = pool_by_id(id); id++) {
    lock_guard g(pool->lock);
    for (list_node* n = pool->workers.next; n != &pool->workers; n = n->next) {
      worker* wk = owner_of<worker>(n);
      if (wk->tid != tid) continue;
      fn(wk);
      return true;
    }
  }
  return false;
}

// The name of the rescuer whose thread id is `tid` (its current_* fields belong to the pool it
// visits, which it changes on its own: only the name is read), or false.
bool rescuer_name(pid_t tid, char* buf, std::size_t size) {
  struct find_ctx {
    pid_t tid;
    char* buf;
    std::size_t size;
    bool found;
  } ctx{tid, buf, size, false};
  for_each_workqueue([](workqueue* wq, void* c) {
    auto* f = static_cast<find_ctx*>(c);
    if (!wq->rescuer || wq->rescuer->tid != f->tid) return;
    std::snprintf(f->buf, f->size, "%s", wq->rescuer->name);
    f->found = true;
  }, &ctx);
  return ctx.found;
}

}  // namespace

void current_worker_comm(char* buf, std::size_t size) noexcept CMWQ_NO_TSA {
  worker* wk = current_worker();
  if (!buf || !size) return;
  if (!wk) {
    buf[0] = '\0';
    return;
  }
  format_worker_comm(wk, buf, size);
}

bool worker_comm_of(pid_t tid, char* buf, std::size_t size) noexcept {
  if (!buf || !size) return false;
  buf[0] = '\0';
  return with_worker(tid, [&](worker* wk) { format_worker_comm(wk, buf, size); }) || rescuer_name(tid, buf, size);
}

void print_worker_info(const char* log_lvl, pid_t tid) noexcept CMWQ_NO_TSA {
  (void)log_lvl;  // the log sink has no levels: log_line() takes every line
  char line[320] = {};
  with_worker(tid, [&](worker* wk) {
    if (!wk->current_func) return;
    char fn[96];
    symbol_name(reinterpret_cast<const void*>(wk->current_func), fn, sizeof fn);
    const char* name = wk->current_pwq->wq->name;
    const char* desc = worker_desc(wk);
    std::snprintf(line, sizeof line, "Workqueue: %s %s%s%s%s", name, fn, std::strcmp(name, desc) ? " (" : "",
                  std::strcmp(name, desc) ? desc : "", std::strcmp(name, desc) ? ")" : "");
  });
  if (line[0]) log_line("%s", line);
}

bool workqueue_congested(int cpu, wq_handle h) noexcept CMWQ_NO_TSA {
  wq_ref ref(h);
  if (!ref) return false;
  if (cpu == cpu_unbound || !cpu_online(cpu)) cpu = current_cpu();
  pool_workqueue* pwq = ref->pwq_for_cpu(cpu);
  lock_guard g(pwq->pool->lock);
  return !list_empty(&pwq->inactive_works);
}

unsigned workqueue_flags(wq_handle h) noexcept {
  wq_ref ref(h);
  return ref ? ref->flags.load(std::memory_order_relaxed) : 0;
}

const char* workqueue_name(wq_handle h, char* buf, std::size_t size) noexcept {
  wq_ref ref(h);
  std::snprintf(buf, size, "%s", ref ? ref->name : "");
  return buf;
}

bool workqueue_stats(wq_handle h, wq_stats* out) noexcept CMWQ_NO_TSA {
  wq_ref ref(h);
  if (!ref || !out) return false;
  *out = {};
  {
    lock_guard g(ref->mutex);
    out->max_active = ref->saved_max_active;
  }
  for (pool_workqueue* pwq : ref->pwqs) {
    for (int s = 0; s < pwq_nr_stats; s++) out->v[s] += pwq->stats[static_cast<std::size_t>(s)].load(std::memory_order_relaxed);
    lock_guard g(pwq->pool->lock);
    out->nr_active += pwq->nr_active;
    for (list_node* n = pwq->inactive_works.next; n != &pwq->inactive_works; n = n->next) out->nr_inactive++;
  }
  const std::uint64_t started = out->v[pwq_stat_started], completed = out->v[pwq_stat_completed];
  out->in_flight = started > completed ? started - completed : 0;  // counters are read apart
  out->flags = ref->flags.load(std::memory_order_relaxed);
  return true;
}

bool pool_stats_of(int id, pool_stats* out) noexcept CMWQ_NO_TSA {
  worker_pool* pool = pool_by_id(id);
  if (!pool || !out) return false;
  lock_guard g(pool->lock);
  *out = {};
  out->id = pool->id;
  out->cpu = pool->cpu;
  out->nice = pool->attrs.nice;
  out->nr_workers = pool->nr_workers;
  out->nr_idle = pool->nr_idle;
  out->nr_running = pool->nr_running;
  for (list_node* n = pool->workers.next; n != &pool->workers; n = n->next)
    out->nr_busy += owner_of<worker>(n)->current_work != nullptr;
  for (list_node* n = pool->worklist.next; n != &pool->worklist; n = n->next) out->nr_pending++;
  if (out->nr_pending) out->hung_ms = coarse_jiffies() - pool->last_progress_ts;
  return true;
}

std::size_t list_workqueues(wq_handle* out, std::size_t n) noexcept {
  struct list_ctx {
    wq_handle* out;
    std::size_t cap, count;
  } ctx{out, out ? n : 0, 0};
  for_each_workqueue([](workqueue* wq, void* c) {
    auto* l = static_cast<list_ctx*>(c);
    if (l->count < l->cap) l->out[l->count] = make_handle(wq->slot, wq->generation.load(std::memory_order_relaxed));
    l->count++;
  }, &ctx);
  return ctx.count;
}

}  // namespace cmwq::core
