// src/core/attrs.cpp - changing the attributes of a live unbound queue, and the global unbound
// cpumask.
//
// The kernel builds a whole new set of pwqs for the new attributes, switches the queue to them,
// and lets each old pwq go once its last item is done (RCU and pwq refcounts). cmwq keeps the
// switch and drops the reclaim: a queue's pwq list is append-only (pwq_set), so that flushers,
// dumps and statistics can keep walking it without a lock, and an old pwq stays on it until the
// queue is destroyed. That is bounded because pools are never freed anyway and a queue reuses its
// own pwq of a pool it served before: flipping a queue between two settings creates nothing new.
//
// Ordering of the switch: the new pwqs are made first; then, under the flush mutex, each gets the
// queue's current flush colour and joins the list (so no flush can miss it or wait on a colour it
// never had); only then are the per-CPU slots the queue path reads pointed at them (release).
// A queuer that read an old slot just before still queues to the old pwq, which is fine: it is
// alive and on the list until destroy. Items that run while the attributes change and requeue
// themselves follow R5 and stay on their old pool (semantics.md 5.9).
//
// Ordered queues are refused: two pwqs could run two of their items at once. The kernel plugs the
// new pwq until the old one is empty; cmwq keeps an ordered queue's one pwq for life instead
// (docs/attrs.md).
#include "attrs.hpp"

#include <cerrno>
#include <mutex>
#include <vector>

#include "runtime.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "workqueue.hpp"

namespace cmwq::core {


namespace {

struct global_mask {
  mutex lock;                           // UM: innermost but for pool locks
  cpu_set mask CMWQ_GUARDED_BY(lock);   // UM: wq_unbound_cpumask
};

global_mask& unbound_mask() {
  static global_mask* g = [] {
    auto* m = new global_mask;  // never freed: workers may read it during exit
    lock_guard l(m->lock);
    m->mask = topology::get().online;
    return m;
  }();
  return *g;
}

// The CPUs an unbound queue with `attrs` may use: requested ∩ global ∩ online, else the global.
cpu_set effective_cpumask(const wq_attrs& attrs) {
  const cpu_set& online = topology::get().online;
  const cpu_set global = unbound_cpumask() & online;
  cpu_set eff = attrs.cpumask.empty() ? global : attrs.cpumask & global;
  if (eff.empty()) eff = global.empty() ? online : global;
  return eff;
}

pool_attrs pod_pool_attrs(const wq_attrs& attrs, affinity_scope scope, const cpu_set& eff, int cpu) {
  const topology& topo = topology::get();
  cpu_set pod = topo.pod_cpus(scope, topo.pod_of(scope, cpu)) & eff;
  if (pod.empty()) pod = eff;  // 5.9: a pod without an online CPU of the mask uses the whole mask
  pool_attrs pa;
  pa.nice = attrs.nice;
  pa.strict = attrs.strict;
  for (int c : pod) pa.cpus.push_back(c);
  return pa;
}

pool_workqueue* find_pwq(const std::vector<pool_workqueue*>& v, const pool_attrs& pa) {
  for (pool_workqueue* p : v)
    if (p->pool->attrs == pa) return p;
  return nullptr;
}

void release_unpublished(const std::vector<pool_workqueue*>& fresh) {
  for (pool_workqueue* pwq : fresh) release_pwq(pwq);  // never reachable: not listed, in no slot
}

// Joins `fresh` to the list with the current flush colour (see the file comment).
void publish_pwqs(workqueue* wq, const std::vector<pool_workqueue*>& fresh) CMWQ_NO_TSA {
  lock_guard fl(wq->flush_mutex);
  for (pool_workqueue* pwq : fresh) {
    lock_guard g(pwq->pool->lock);
    pwq->work_color = wq->work_color;
    wq->pwqs.push_back(pwq);  // capacity checked by the caller
  }
}

}  // namespace

wq_attrs default_wq_attrs() noexcept { return wq_attrs{}; }

cpu_set unbound_cpumask() noexcept {
  global_mask& g = unbound_mask();
  lock_guard l(g.lock);
  return g.mask;
}

int install_unbound_pwqs(workqueue* wq, const wq_attrs& attrs) noexcept CMWQ_NO_TSA {
  affinity_scope scope = attrs.scope == affinity_scope::dfl ? default_affinity_scope() : attrs.scope;
  if (wq->is_ordered()) scope = affinity_scope::system;  // one pwq: order survives
  const cpu_set eff = effective_cpumask(attrs);
  std::vector<pool_workqueue*> existing(wq->pwqs.begin(), wq->pwqs.end());
  std::vector<pool_workqueue*> fresh;
  std::vector<pool_workqueue*> per_cpu(static_cast<std::size_t>(nr_cpu_ids()), nullptr);
  for (int cpu : online_cpus()) {
    const pool_attrs pa = pod_pool_attrs(attrs, scope, eff, cpu);
    pool_workqueue* pwq = find_pwq(existing, pa);
    if (!pwq) pwq = find_pwq(fresh, pa);
    if (!pwq) {
      worker_pool* pool = get_unbound_pool(pa);
      pwq = pool ? new_pwq(pool, wq, wq->saved_max_active) : nullptr;
      if (!pwq || existing.size() + fresh.size() >= static_cast<std::size_t>(nr_cpu_ids()) + workqueue::max_extra_pwqs) {
        if (pwq) fresh.push_back(pwq);
        release_unpublished(fresh);
        log_line("workqueue: %s: cannot allocate a pwq for the new attributes (-ENOMEM)", wq->name);
        return -ENOMEM;
      }
      fresh.push_back(pwq);
    }
    per_cpu[static_cast<std::size_t>(cpu)] = pwq;
  }
  publish_pwqs(wq, fresh);
  // CPU ids that are not online (holes) borrow the first online CPU's pwq.
  pool_workqueue* fallback = per_cpu[static_cast<std::size_t>(online_cpus().front())];
  for (std::size_t cpu = 0; cpu < per_cpu.size(); ++cpu)
    wq->cpu_pwqs[cpu].store(per_cpu[cpu] ? per_cpu[cpu] : fallback, std::memory_order_release);  // pairs with pwq_for_cpu()
  return 0;
}

int update_workqueue_attrs(wq_handle h, int (*edit)(wq_attrs*, const void*), const void* arg) noexcept {
  wq_ref ref(h);
  if (!ref || !ref->is_unbound() || ref->is_ordered()) return -EINVAL;
  workqueue* wq = ref.get();
  lock_guard g(wq->mutex);
  if (wq->flags.load(std::memory_order_relaxed) & wq_flag::destroying) return -ENODEV;
  wq_attrs attrs = wq->unbound_attrs;
  if (const int err = edit(&attrs, arg)) return err;
  if (attrs.nice < min_nice || attrs.nice > max_nice) return -EINVAL;
  const int scope = static_cast<int>(attrs.scope);
  if (scope < 0 || scope >= nr_affinity_scopes) return -EINVAL;
  const int err = install_unbound_pwqs(wq, attrs);
  if (err == 0) wq->unbound_attrs = attrs;
  return err;
}

int apply_workqueue_attrs(wq_handle h, const wq_attrs& attrs) noexcept {
  return update_workqueue_attrs(
      h,
      [](wq_attrs* a, const void* arg) {
        *a = *static_cast<const wq_attrs*>(arg);
        return 0;
      },
      &attrs);
}

bool get_workqueue_attrs(wq_handle h, wq_attrs* out) noexcept {
  wq_ref ref(h);
  if (!ref || !ref->is_unbound()) return false;
  lock_guard g(ref->mutex);
  *out = ref->unbound_attrs;
  return true;
}

int set_unbound_cpumask(const cpu_set& mask) noexcept {
  const cpu_set m = mask & topology::get().possible;
  if (m.empty()) return -EINVAL;
  {
    global_mask& g = unbound_mask();
    lock_guard l(g.lock);
    g.mask = m;
  }
  // Snapshot the handles, then re-apply without the registry lock (pools and workers get made).
  std::vector<wq_handle> handles;
  for_each_workqueue(
      [](workqueue* wq, void* ctx) {
        if (!wq->is_unbound() || wq->is_ordered()) return;
        const auto gen = wq->generation.load(std::memory_order_relaxed);
        static_cast<std::vector<wq_handle>*>(ctx)->push_back(make_handle(wq->slot, gen));
      },
      &handles);
  for (wq_handle h : handles) {
    wq_ref ref(h);
    if (!ref) continue;  // destroyed meanwhile
    lock_guard g(ref->mutex);
    if (!(ref->flags.load(std::memory_order_relaxed) & wq_flag::destroying)) install_unbound_pwqs(ref.get(), ref->unbound_attrs);
  }
  return 0;
}

}  // namespace cmwq::core
