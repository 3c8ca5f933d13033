// src/core/introspection.cpp - questions about the caller, queues and items: current_work(),
// workqueue_congested(), statistics, worker names and the show_all_workqueues() dump (6.1, 6.2).
//
// Everything here is a racy snapshot, as in the kernel: useful for decisions that tolerate a
// stale answer, for tests and for dumps.
#include <cstdio>
#include <cstring>
#include <string>

#include "context.hpp"
#include "runtime.hpp"
#include "topology.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {

void for_each_workqueue(void (*fn)(workqueue*, void*), void* ctx) noexcept;  // workqueue.cpp

work* current_work() noexcept {
  if (in_softirq()) return nullptr;  // BH items run in softirq context, not in a kworker
  worker* wk = current_worker();
  return wk ? wk->current_work : nullptr;
}

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

void set_worker_desc(const char* desc) noexcept {
  worker* wk = current_worker();
  if (!wk || !wk->current_work) return;
  std::snprintf(wk->desc, sizeof wk->desc, "%s", desc);
  wk->desc_valid = true;
}

void current_worker_comm(char* buf, std::size_t size) noexcept {
  worker* wk = current_worker();
  if (!buf || !size) return;
  if (!wk) {
    buf[0] = '\0';
    return;
  }
  const char* desc = wk->desc_valid ? wk->desc : (wk->current_pwq ? wk->current_pwq->wq->name : "");
  std::snprintf(buf, size, "%s%s%s", wk->name, *desc ? (wk->current_work ? "+" : "-") : "", desc);
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
  return true;
}

// --- dumps (6.2) ---------------------------------------------------------------------------------

namespace {

std::string func_name(work_fn fn) {
  char b[32];
  std::snprintf(b, sizeof b, "%p", reinterpret_cast<void*>(fn));
  return b;
}

// Appends "func" items of a list, collapsing runs of the same function as N*func.
void append_list(std::string& out, list_node* head) {
  work_fn prev = nullptr;
  int run = 0;
  bool first = true;
  auto flush_run = [&] {
    if (!run) return;
    out += first ? " " : ", ";
    first = false;
    if (run > 1) out += std::to_string(run) + "*";
    out += func_name(prev);
  };
  for (list_node* n = head->next; n != head; n = n->next) {
    work* w = container_of<work>(n, offsetof(work, entry));
    if (w->func == prev) {
      run++;
      continue;
    }
    flush_run();
    prev = w->func;
    run = 1;
  }
  flush_run();
}

void show_pwq(pool_workqueue* pwq) CMWQ_NO_TSA {
  worker_pool* pool = pwq->pool;
  lock_guard g(pool->lock);
  std::string in_flight, pending;
  for (list_node* n = pool->workers.next; n != &pool->workers; n = n->next) {
    worker* wk = owner_of<worker>(n);
    if (wk->current_pwq != pwq) continue;
    in_flight += in_flight.empty() ? " " : ", ";
    in_flight += std::to_string(wk->tid) + ":" + func_name(wk->current_func) + " for " +
                 std::to_string((jiffies_now() - wk->current_start_ms) / 1000) + "s";
  }
  for (list_node* n = pool->worklist.next; n != &pool->worklist; n = n->next) {
    work* w = container_of<work>(n, offsetof(work, entry));
    const long d = work_data_ref(w).load(std::memory_order_relaxed);
    if ((d & work_data::pwq) && work_data_pwq(d) == pwq) {
      pending += pending.empty() ? " " : ", ";
      pending += func_name(w->func);
    }
  }
  std::string inactive;
  append_list(inactive, &pwq->inactive_works);
  log_line("  pwq %d: cpus=%s flags=0x0 nice=%d active=%d refcnt=%d", pool->id,
           pool->unbound() ? "unbound" : std::to_string(pool->cpu).c_str(), pool->attrs.nice, pwq->nr_active,
           pool->refcnt);
  if (!in_flight.empty()) log_line("    in-flight:%s", in_flight.c_str());
  if (!pending.empty()) log_line("    pending:%s", pending.c_str());
  if (!inactive.empty()) log_line("    inactive:%s", inactive.c_str());
}

bool pwq_busy(pool_workqueue* pwq) CMWQ_NO_TSA {
  lock_guard g(pwq->pool->lock);
  return pwq->nr_active || !list_empty(&pwq->inactive_works);
}

void show_wq(workqueue* wq, void*) {
  bool busy = false;
  for (pool_workqueue* pwq : wq->pwqs) busy = busy || pwq_busy(pwq);
  if (!busy) return;
  log_line("workqueue %s: flags=0x%x", wq->name, wq->flags.load(std::memory_order_relaxed));
  for (pool_workqueue* pwq : wq->pwqs)
    if (pwq_busy(pwq)) show_pwq(pwq);
}

}  // namespace

void show_all_workqueues() noexcept {
  log_line("Showing busy workqueues and worker pools:");
  for_each_workqueue(show_wq, nullptr);
}

void show_one_workqueue(wq_handle h) noexcept {
  wq_ref ref(h);
  if (ref) show_wq(ref.get(), nullptr);
}

}  // namespace cmwq::core
