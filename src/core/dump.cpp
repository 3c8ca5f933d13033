// src/core/dump.cpp - show_all_workqueues(), show_one_workqueue(), show_freezable_workqueues():
// the kernel's sysrq-t / watchdog dump of busy queues and pools (semantics.md 6.2).
//
// The problem: a dump must describe a process that may be wedged (that is when people want one)
// without wedging it further, and name the functions involved, not addresses. The approach: take
// each pool lock only long enough to copy what one pwq or pool line needs into strings, and hand
// the lines to the sink only after every lock is released, so that a slow sink (a socket, a
// terminal) never holds up a pool. Functions are named with dladdr() (demangled), which sees the
// symbols a program exports; for the others, as for static functions in an executable linked
// without -rdynamic, the dump prints "module+0xoffset", which addr2line -f resolves.
#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "barrier.hpp"
#include "observe.hpp"
#include "runtime.hpp"
#include "topology.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {


void symbol_name(const void* addr, char* buf, std::size_t size) noexcept {
  Dl_info info{};
  if (dladdr(addr, &info) && info.dli_sname) {
    int status = -1;
    char* pretty = abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status);
    std::snprintf(buf, size, "%s", status == 0 && pretty ? pretty : info.dli_sname);
    std::free(pretty);
    return;
  }
  if (info.dli_fname && info.dli_fbase) {
    const char* base = std::strrchr(info.dli_fname, '/');
    std::snprintf(buf, size, "%s+0x%lx", base ? base + 1 : info.dli_fname,
                  static_cast<unsigned long>(static_cast<const char*>(addr) - static_cast<const char*>(info.dli_fbase)));
    return;
  }
  std::snprintf(buf, size, "%p", addr);
}

namespace {

// POOL_* flags as the kernel prints them: unbound pools are never associated with a CPU.
constexpr unsigned pool_flag_manager_active = 1u << 1;
constexpr unsigned pool_flag_disassociated = 1u << 2;

using lines = std::vector<std::string>;

std::string func_name(work_fn fn) {
  char b[256];
  symbol_name(reinterpret_cast<const void*>(fn), b, sizeof b);
  return b;
}

// "0-3,6" (the kernel's %*pbl) for a sorted CPU list.
std::string cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) j++;
    if (!s.empty()) s += ',';
    s += std::to_string(cpus[i]);
    if (j > i) s += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return s;
}

// The NUMA node all of the pool's CPUs are on, or -1 (NUMA_NO_NODE) if they span several.
int pool_node(const worker_pool* pool) {
  const topology& topo = topology::get();
  int node = -1;
  for (int c : pool->attrs.cpus) {
    const int n = topo.cpu_to_node(c);
    if (node >= 0 && n != node) return -1;
    node = n;
  }
  return node;
}

std::string pool_info(const worker_pool* pool) CMWQ_NO_TSA {
  unsigned flags = pool->unbound() ? pool_flag_disassociated : 0;
  if (pool->manager) flags |= pool_flag_manager_active;
  std::string s = " cpus=" + cpu_list(pool->attrs.cpus);
  if (const int node = pool_node(pool); node >= 0) s += " node=" + std::to_string(node);
  char tail[48];
  std::snprintf(tail, sizeof tail, " flags=0x%x nice=%d", flags, pool->attrs.nice);
  return s + tail;
}

// Builds "func, 3*func, BAR(123)" lists: runs of one function collapse to N*func (6.2).
class item_list {
 public:
  explicit item_list(std::string& out, bool comma_first) : out_(out), comma_(comma_first) {}
  ~item_list() { flush(); }
  item_list(const item_list&) = delete;
  item_list& operator=(const item_list&) = delete;

  void add(const work* w) {
    if (is_barrier(w)) {
      flush();
      sep();
      out_ += "BAR(" + std::to_string(barrier_waiter(w)) + ")";
      return;
    }
    if (w->func != fn_) flush();
    fn_ = w->func;
    run_++;
  }

 private:
  void sep() {
    out_ += comma_ ? ", " : " ";
    comma_ = true;
  }
  void flush() {
    if (!run_) return;
    sep();
    if (run_ > 1) out_ += std::to_string(run_) + "*";
    out_ += func_name(fn_);
    run_ = 0;
    fn_ = nullptr;
  }
  std::string& out_;
  bool comma_;
  work_fn fn_ = nullptr;
  int run_ = 0;
};

std::string worker_id(const worker* wk) { return std::to_string(wk->tid) + (wk->rescue_wq ? "(RESCUER)" : ""); }

void show_pwq(pool_workqueue* pwq, lines& out) CMWQ_NO_TSA {
  worker_pool* pool = pwq->pool;
  lock_guard g(pool->lock);
  char head[64];
  std::snprintf(head, sizeof head, " active=%d refcnt=%d%s", pwq->nr_active, pool->refcnt,
                list_empty(&pwq->mayday_node.node) ? "" : " MAYDAY");
  out.push_back("  pwq " + std::to_string(pool->id) + ":" + pool_info(pool) + head);

  std::string in_flight;
  const unsigned long now = coarse_jiffies();
  for (worker* head_wk : pool->busy_hash) {
    for (worker* wk = head_wk; wk; wk = wk->hash_next) {
      if (wk->current_pwq != pwq) continue;
      in_flight += in_flight.empty() ? " " : ", ";
      in_flight += worker_id(wk) + ":" + func_name(wk->current_func) + " for " +
                   std::to_string((now - wk->current_start_ms) / 1000) + "s";
      item_list scheduled(in_flight, false);
      for (list_node* n = wk->scheduled.next; n != &wk->scheduled; n = n->next)
        scheduled.add(container_of<work>(n, offsetof(work, entry)));
    }
  }
  if (!in_flight.empty()) out.push_back("    in-flight:" + in_flight);

  std::string pending;
  {
    item_list items(pending, false);
    for (list_node* n = pool->worklist.next; n != &pool->worklist; n = n->next) {
      work* w = container_of<work>(n, offsetof(work, entry));
      const long d = work_data_ref(w).load(std::memory_order_relaxed);
      if ((d & work_data::pwq) && work_data_pwq(d) == pwq) items.add(w);
    }
  }
  if (!pending.empty()) out.push_back("    pending:" + pending);

  std::string inactive;
  {
    item_list items(inactive, false);
    for (list_node* n = pwq->inactive_works.next; n != &pwq->inactive_works; n = n->next)
      items.add(container_of<work>(n, offsetof(work, entry)));
  }
  if (!inactive.empty()) out.push_back("    inactive:" + inactive);
}

bool pwq_busy(pool_workqueue* pwq) {
  lock_guard g(pwq->pool->lock);
  return pwq->nr_active || !list_empty(&pwq->inactive_works);
}

void show_wq(workqueue* wq, lines& out) {
  bool busy = false;
  for (pool_workqueue* pwq : wq->pwqs) busy = busy || pwq_busy(pwq);
  if (!busy) return;
  char head[96];
  std::snprintf(head, sizeof head, "workqueue %s: flags=0x%x", wq->name, wq->flags.load(std::memory_order_relaxed));
  out.push_back(head);
  for (pool_workqueue* pwq : wq->pwqs)
    if (pwq_busy(pwq)) show_pwq(pwq, out);
}

// The kernel's show_one_worker_pool(), plus a cmwq line naming each busy worker with its
// wq_worker_comm() text (the worker's set_worker_desc()), which the kernel shows in ps instead.
void show_pool(worker_pool* pool, lines& out) CMWQ_NO_TSA {
  lock_guard g(pool->lock);
  if (pool->nr_workers == pool->nr_idle) return;
  const unsigned long hung = list_empty(&pool->worklist) ? 0 : (coarse_jiffies() - pool->last_progress_ts) / 1000;
  std::string line = "pool " + std::to_string(pool->id) + ":" + pool_info(pool) + " hung=" + std::to_string(hung) +
                     "s workers=" + std::to_string(pool->nr_workers);
  if (pool->manager) line += " manager: " + std::to_string(pool->manager->tid);
  bool first = true;
  for (list_node* n = pool->idle_list.next; n != &pool->idle_list; n = n->next) {
    line += first ? " idle: " : " ";
    line += worker_id(owner_of<worker>(n));
    first = false;
  }
  out.push_back(std::move(line));
  std::string busy;
  for (list_node* n = pool->workers.next; n != &pool->workers; n = n->next) {
    worker* wk = owner_of<worker>(n);
    if (!wk->current_func) continue;
    char comm[96];
    format_worker_comm(wk, comm, sizeof comm);
    busy += (busy.empty() ? " " : ", ") + std::to_string(wk->tid) + " " + comm + ":" + func_name(wk->current_func);
  }
  if (!busy.empty()) out.push_back("    busy:" + busy);
}

void emit(const lines& out, dump_sink sink, void* ctx) {
  for (const std::string& l : out) {
    if (sink) sink(l.c_str(), ctx);
    else log_line("%s", l.c_str());
  }
}

struct collect_ctx {
  lines* out;
  unsigned need_flags;
};

void collect_wq(workqueue* wq, void* c) {
  auto* cc = static_cast<collect_ctx*>(c);
  if ((wq->flags.load(std::memory_order_relaxed) & cc->need_flags) == cc->need_flags) show_wq(wq, *cc->out);
}

}  // namespace

void show_all_workqueues_to(dump_sink sink, void* ctx) noexcept {
  lines out{"Showing busy workqueues and worker pools:"};
  collect_ctx cc{&out, 0};
  for_each_workqueue(collect_wq, &cc);
  for (int id = 0; worker_pool* pool = pool_by_id(id); id++) show_pool(pool, out);
  emit(out, sink, ctx);
}

void show_one_workqueue_to(wq_handle h, dump_sink sink, void* ctx) noexcept {
  wq_ref ref(h);
  if (!ref) return;
  lines out;
  show_wq(ref.get(), out);
  ref.reset();
  emit(out, sink, ctx);
}

void show_all_workqueues() noexcept { show_all_workqueues_to(nullptr, nullptr); }
void show_one_workqueue(wq_handle h) noexcept { show_one_workqueue_to(h, nullptr, nullptr); }

void show_freezable_workqueues() noexcept {
  lines out{"Showing freezable workqueues that are still busy:"};
  collect_ctx cc{&out, wq_flag::freezable};
  for_each_workqueue(collect_wq, &cc);
  emit(out, nullptr, nullptr);
}

void format_pool_info(const worker_pool* pool, char* buf, std::size_t size) noexcept {
  std::snprintf(buf, size, "%s", pool_info(pool).c_str());
}

}  // namespace cmwq::core
