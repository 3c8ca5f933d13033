// src/core/workqueue.cpp - allocating and destroying queues, the handle table, the system
// queues, max_active and freezing.
//
// A queue is created with its pwqs fixed: one per CPU on bound pools, one per pod on unbound
// pools (affinity scopes, section 5.9), or a single one for ordered queues (R8). Destruction
// (R30) marks the queue DESTROYING, drains it, stops the rescuer, invalidates the handle's
// generation and waits for every call still inside the queue before freeing the pwqs. The
// workqueue object itself is recycled for a later queue, never freed, so stale handles are safe.
#include "workqueue.hpp"

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_set>

#include "context.hpp"
#include "event.hpp"
#include "fault.hpp"
#include "runtime.hpp"
#include "topology.hpp"
#include "warn.hpp"
#include "worker_pool.hpp"
#include "wq_sysfs.hpp"

namespace cmwq::core {

namespace {

constexpr std::uint32_t max_slots = 1u << 16;
constexpr int rescuer_nice = -20;

struct wq_registry {
  mutex lock CMWQ_ACQUIRED_BEFORE(workqueue::mutex);            // R: slots, list, freezing
  std::atomic<workqueue*> table[max_slots] = {};                // X: release on publish
  std::vector<std::uint32_t> free_slots CMWQ_GUARDED_BY(lock);  // R
  std::uint32_t next_slot CMWQ_GUARDED_BY(lock) = sys_nr_plus_one;  // R
  std::vector<workqueue*> live CMWQ_GUARDED_BY(lock);           // R: every live queue
  bool freezing CMWQ_GUARDED_BY(lock) = false;                  // R
};

wq_registry& registry() {
  static wq_registry* r = new wq_registry;  // never freed (see file comment)
  return *r;
}

std::uint32_t handle_slot(wq_handle h) { return static_cast<std::uint32_t>((h >> 4) & 0xfffffff); }
std::uint32_t handle_gen(wq_handle h) { return static_cast<std::uint32_t>(h >> 32); }

workqueue* create_system_queue(std::uint32_t slot);

}  // namespace

// --- op references and handles ---------------------------------------------------------------

int op_refs::get() noexcept { return get(sched_getcpu()); }

long op_refs::sum() const noexcept {
  long s = 0;
  for (const auto& x : slots_) s += x.n.load(std::memory_order_acquire);
  return s;
}

namespace {

// The queue object a handle's slot holds (creating a system queue on first use), or null for a
// malformed handle. Its generation still has to be compared with the handle's.
workqueue* object_of_handle(wq_handle h) {
  if ((h & 0xf) != 0x9) return nullptr;
  const std::uint32_t slot = handle_slot(h);
  if (slot == 0 || slot >= max_slots) return nullptr;
  workqueue* wq = registry().table[slot].load(std::memory_order_acquire);
  if (!wq && slot < sys_nr_plus_one && handle_gen(h) == 1) wq = create_system_queue(slot);
  return wq;
}

}  // namespace

wq_ref::wq_ref(wq_handle h) noexcept : wq_ref(h, sched_getcpu()) {}

wq_ref::wq_ref(wq_handle h, int cpu) noexcept {
  workqueue* wq = object_of_handle(h);
  if (!wq) return;
  const int s = wq->ops.get(cpu);
  // Dekker with destroy_workqueue(): it bumps the generation and then sums the op counts; we
  // count ourselves in and then read the generation. Both seq_cst, so either destroy sees us
  // (and waits) or we see the new generation (and back out).
  if (wq->generation.load(std::memory_order_seq_cst) != handle_gen(h)) {
    wq->ops.put(s);
    return;
  }
  wq_ = wq;
  slot_ = s;
}

// A snapshot, like wq_ref's check but without taking an op reference: the caller keeps none, so
// the two atomic read-modify-writes on this CPU's op slot would buy nothing (arming a delayed
// item pays this check on every call; an item whose queue dies later is dropped by D3).
bool workqueue_valid(wq_handle h) noexcept {
  const workqueue* wq = object_of_handle(h);
  return wq && wq->generation.load(std::memory_order_acquire) == handle_gen(h);
}

workqueue* workqueue_of_slot(wq_handle h) noexcept {
  if ((h & 0xf) != 0x9) return nullptr;
  const std::uint32_t slot = handle_slot(h);
  if (slot == 0 || slot >= max_slots) return nullptr;
  return registry().table[slot].load(std::memory_order_acquire);
}

std::uint32_t wq_handle_gen(wq_handle h) noexcept { return handle_gen(h); }

void for_each_workqueue_object(void (*fn)(workqueue*)) noexcept {
  auto& r = registry();
  std::uint32_t n;
  {
    lock_guard g(r.lock);
    n = r.next_slot;
  }
  for (std::uint32_t slot = 1; slot < n; slot++)
    if (workqueue* wq = r.table[slot].load(std::memory_order_acquire)) fn(wq);
}

// --- allocation ------------------------------------------------------------------------------

namespace {

// Section 3.4, rules 1-7. Returns false if the queue must not be created.
bool sanitize_flags(const char* name, unsigned* flags, int* max_active) {
  unsigned f = *flags;
  if (f & wq_flag::bh) {
    if (f & ~wq_flag::bh_allows) {
      CMWQ_WARN("workqueue: %s: WQ_BH allows only WQ_HIGHPRI and WQ_PERCPU (flags 0x%x)", name, f);
      return false;
    }
    if (*max_active != 0) {
      CMWQ_WARN("workqueue: %s: WQ_BH requires max_active 0, got %d", name, *max_active);
      return false;
    }
  }
  if ((f & wq_flag::power_efficient) && tunables().power_efficient.load(std::memory_order_relaxed)) {
    f &= ~wq_flag::percpu;
    f |= wq_flag::unbound;
  }
  if (!(f & (wq_flag::percpu | wq_flag::unbound))) {
    CMWQ_WARN_ONCE("workqueue: %s is using neither WQ_PERCPU or WQ_UNBOUND. Setting WQ_PERCPU.", name);
    f |= wq_flag::percpu;
  } else if ((f & wq_flag::percpu) && (f & wq_flag::unbound)) {
    CMWQ_WARN_ONCE("workqueue: %s uses both WQ_PERCPU and WQ_UNBOUND. Dropped WQ_PERCPU, keeping WQ_UNBOUND.", name);
    f &= ~wq_flag::percpu;
  }
  int ma = *max_active;
  if (f & wq_flag::bh) ma = INT_MAX;  // R13: BH queues have no limit
  if (ma == 0) ma = wq_dfl_active;
  if (!(f & wq_flag::bh) && (ma < 1 || ma > wq_max_active)) {
    log_line("workqueue: max_active %d requested for %s is out of range, clamping between %d and %d", ma, name, 1,
             wq_max_active);
    ma = std::clamp(ma, 1, wq_max_active);
  }
  if (f & wq_flag::ordered) ma = 1;
  *flags = f & ~(wq_flag::destroying | wq_flag::draining);
  *max_active = ma;
  return true;
}

// Every pwq alive now, so that INIT_WORK on an item that may still be queued can tell a real
// pwq pointer in its state word from stale memory (work_init()).
struct live_pwq_set {
  std::mutex lock;
  std::unordered_set<const pool_workqueue*> set;
};
live_pwq_set& live_pwqs() {
  static auto* s = new live_pwq_set;  // never freed
  return *s;
}

// Whether to fail one of @wq's allocations on purpose (fault_point::wq_alloc). System queues are
// exempt: they are created once, on first use, and a failure there could never be retried.
bool inject_alloc_failure(const workqueue* wq) {
  return wq->slot >= sys_nr_plus_one && should_fail(fault_point::wq_alloc);
}

// Creates the pwqs of `wq`. Returns false on allocation failure (pwqs made so far are freed).
bool alloc_pwqs(workqueue* wq, unsigned flags, int max_active, int scope_arg, bool strict) CMWQ_NO_TSA {
  if (flags & wq_flag::unbound) {
    wq_attrs attrs = default_wq_attrs();
    attrs.nice = (flags & wq_flag::highpri) ? -20 : 0;
    attrs.scope = scope_arg < 0 ? affinity_scope::dfl : static_cast<affinity_scope>(scope_arg);
    attrs.strict = strict;
    wq->unbound_attrs = attrs;
    return install_unbound_pwqs(wq, attrs) == 0;
  }
  for (int cpu : online_cpus()) {
    worker_pool* pool = get_bound_pool(cpu, flags & wq_flag::highpri, flags & wq_flag::bh);
    pool_workqueue* pwq = pool ? new_pwq(pool, wq, max_active) : nullptr;
    if (!pwq) return false;
    wq->cpu_pwqs[static_cast<std::size_t>(cpu)].store(pwq, std::memory_order_relaxed);
    wq->pwqs.push_back(pwq);
  }
  // CPU ids that are not online (holes) borrow the first online CPU's pwq.
  pool_workqueue* fallback = wq->pwq_for_cpu(online_cpus().front());
  for (int cpu = 0; cpu < nr_cpu_ids(); ++cpu)
    if (!wq->pwq_for_cpu(cpu)) wq->cpu_pwqs[static_cast<std::size_t>(cpu)].store(fallback, std::memory_order_relaxed);
  return true;
}

void free_pwqs(workqueue* wq) {
  for (pool_workqueue* pwq : wq->pwqs) release_pwq(pwq);
  wq->pwqs.clear();
  for (int cpu = 0; cpu < nr_cpu_ids(); ++cpu) wq->cpu_pwqs[static_cast<std::size_t>(cpu)].store(nullptr, std::memory_order_relaxed);
}

// Applies max_active and min_active (both 0 while the queue is frozen: wq_adjust_max_active())
// to every pwq, or to every node of an unbound queue, and activates what now fits.
void apply_limits(workqueue* wq, bool frozen) CMWQ_REQUIRES(wq->mutex) {
  const int limit = frozen ? 0 : wq->saved_max_active;
  wq->max_active = limit;
  wq->min_active = frozen ? 0 : wq->saved_min_active;
  if (wq->is_unbound()) {
    for (pool_workqueue* pwq : wq->pwqs) {
      lock_guard g(pwq->pool->lock);
      if (!list_empty(&pwq->inactive_works)) {
        lock_guard n(wq->node_lock);
        if (list_empty(&pwq->pending_node.node))
          list_add_tail(&pwq->pending_node.node, &wq->node_slot(pwq->node_slot).pending_pwqs);
      }
    }
    update_node_max_active(wq, wq->node_limit_cpus);
    return;
  }
  for (pool_workqueue* pwq : wq->pwqs) {
    lock_guard g(pwq->pool->lock);
    pwq->max_active = limit;
    bool moved = false;
    while (pwq_activate_first_inactive(pwq)) moved = true;
    if (moved) pwq->pool->kick();
  }
}

void wait_for_exit(event* e) {
  blocking_section b;
  e->wait();
}

bool create_rescuer(workqueue* wq, event* exited) {
  auto* r = inject_alloc_failure(wq) ? nullptr : new (std::nothrow) worker();
  if (!r) {
    log_line("workqueue: Failed to allocate a rescuer for wq \"%s\"", wq->name);
    return false;
  }
  r->rescue_wq = wq;
  r->id = -1;
  r->nice = rescuer_nice;
  r->flags = worker_flag::prep;
  r->exit_event = exited;
  list_init(&r->scheduled);
  list_init(&r->idle_node.node);
  list_init(&r->pool_node.node);
  std::snprintf(r->name, sizeof r->name, "kworker/R-%s", wq->name);
  wq->rescuer = r;
  if (inject_alloc_failure(wq) || !start_worker_thread(r, {})) {
    wq->rescuer = nullptr;
    delete r;
    log_line("workqueue: Failed to create a rescuer kthread for wq \"%s\": -ENOMEM", wq->name);
    return false;
  }
  r->started.wait(false, std::memory_order_acquire);  // its tid is read by lookups: as create_worker()
  return true;
}

// Fills a fresh or recycled object. Returns false on failure (the caller recycles it).
bool init_workqueue(workqueue* wq, const char* name, unsigned flags, int max_active, int scope = -1,
                    bool strict = false) CMWQ_NO_TSA {
  std::snprintf(wq->name, sizeof wq->name, "%s", name);
  wq_lockdep_init(wq);
  wq->flags.store(flags, std::memory_order_relaxed);
  wq->warned_cannot_queue.store(false, std::memory_order_relaxed);
  wq->saved_max_active = max_active;
  wq->saved_min_active = std::min(max_active, wq_dfl_min_active);
  wq->max_active = wq->saved_max_active;
  wq->min_active = wq->saved_min_active;
  wq->nr_drainers = 0;
  for (int i = 0; i < wq->nr_node_slots; ++i) wq->node_slot(i).nr = 0;  // limits: install_unbound_pwqs()
  wq->work_color = 0;
  wq->flush_color = 0;
  wq->rescuer = nullptr;
  if (!alloc_pwqs(wq, flags, max_active, scope, strict)) {
    free_pwqs(wq);
    return false;
  }
  if (flags & wq_flag::mem_reclaim) {
    wq->rescuer_exited = new (std::nothrow) event;
    if (!wq->rescuer_exited || !create_rescuer(wq, wq->rescuer_exited)) {
      delete wq->rescuer_exited;
      wq->rescuer_exited = nullptr;
      free_pwqs(wq);
      return false;
    }
  }
  return true;
}

void publish(workqueue* wq) CMWQ_NO_TSA {
  auto& r = registry();
  lock_guard g(r.lock);
  r.live.push_back(wq);
  if (r.freezing && (wq->flags.load(std::memory_order_relaxed) & wq_flag::freezable)) {
    lock_guard m(wq->mutex);
    apply_limits(wq, true);
  }
}

struct system_queue_def {
  const char* name;
  unsigned flags;
  int max_active;
};

const system_queue_def system_defs[sys_nr_plus_one] = {
    {"", 0, 0},
    {"events", wq_flag::percpu, 0},
    {"events_highpri", wq_flag::highpri | wq_flag::percpu, 0},
    {"events_long", wq_flag::percpu, 0},
    {"events_unbound", wq_flag::unbound, wq_max_active},
    {"events_freezable", wq_flag::freezable | wq_flag::percpu, 0},
    {"events_power_efficient", wq_flag::power_efficient | wq_flag::percpu, 0},
    {"events_freezable_pwr_efficient", wq_flag::freezable | wq_flag::power_efficient | wq_flag::percpu, 0},
    {"events_dfl_long", wq_flag::unbound, wq_max_active},
    {"events_bh", wq_flag::bh | wq_flag::percpu, 0},
    {"events_bh_highpri", wq_flag::bh | wq_flag::highpri | wq_flag::percpu, 0},
};

workqueue* create_system_queue(std::uint32_t slot) {
  static std::once_flag once[sys_nr_plus_one];
  std::call_once(once[slot], [slot] {
    const system_queue_def& def = system_defs[slot];
    unsigned flags = def.flags;
    int max_active = def.max_active;
    sanitize_flags(def.name, &flags, &max_active);
    auto* wq = new workqueue(nr_cpu_ids(), topology::get().nr_node_ids);
    wq->slot = slot;
    wq->generation.store(1, std::memory_order_relaxed);
    if (!init_workqueue(wq, def.name, flags, max_active)) {
      CMWQ_WARN("workqueue: cannot create system workqueue %s", def.name);
      return;
    }
    publish(wq);
    registry().table[slot].store(wq, std::memory_order_release);
  });
  return registry().table[slot].load(std::memory_order_acquire);
}

}  // namespace

pool_workqueue* new_pwq(worker_pool* pool, workqueue* wq, int max_active) {
  if (inject_alloc_failure(wq)) return nullptr;
  auto* pwq = new (std::nothrow) pool_workqueue(pool, wq, max_active);
  if (!pwq) return nullptr;
  pwq->node_slot = pool_node_slot(pool, wq);
  {
    std::lock_guard<std::mutex> g(live_pwqs().lock);
    live_pwqs().set.insert(pwq);
  }
  lock_guard g(pool->lock);
  pool->refcnt++;
  return pwq;
}

void release_pwq(pool_workqueue* pwq) {
  {
    lock_guard g(pwq->pool->lock);
    pwq->pool->refcnt--;
  }
  {
    std::lock_guard<std::mutex> g(live_pwqs().lock);
    live_pwqs().set.erase(pwq);
  }
  delete pwq;
}

bool pwq_is_live(const pool_workqueue* pwq) noexcept {
  std::lock_guard<std::mutex> g(live_pwqs().lock);
  return live_pwqs().set.count(pwq) != 0;
}

wq_handle alloc_workqueue(const char* fmt_name, unsigned flags, int max_active, int scope, bool strict,
                          const lockdep::map* lockdep_map) noexcept {
  char name[wq_name_len];
  std::snprintf(name, sizeof name, "%s", fmt_name ? fmt_name : "");
  if (fmt_name && std::strlen(fmt_name) >= wq_name_len) {
    CMWQ_WARN_ONCE("workqueue: name exceeds WQ_NAME_LEN. Truncating to: %s", name);
  }
  if (!sanitize_flags(name, &flags, &max_active)) return 0;
  // 6.6: a WQ_SYSFS queue is a sysfs directory, and two cannot share a name.
  if ((flags & wq_flag::sysfs) && sysfs_name_taken(name)) {
    log_line("sysfs: cannot create duplicate filename '/devices/virtual/workqueue/%s'", name);
    return 0;
  }

  auto& r = registry();
  workqueue* wq = nullptr;
  std::uint32_t slot = 0;
  {
    lock_guard g(r.lock);
    if (!r.free_slots.empty()) {
      slot = r.free_slots.back();
      r.free_slots.pop_back();
      wq = r.table[slot].load(std::memory_order_relaxed);
    } else if (r.next_slot < max_slots) {
      slot = r.next_slot++;
    } else {
      return 0;
    }
  }
  if (!wq) {
    wq = should_fail(fault_point::wq_alloc) ? nullptr : new (std::nothrow) workqueue(nr_cpu_ids(), topology::get().nr_node_ids);
    if (!wq) {
      lock_guard g(r.lock);
      r.free_slots.push_back(slot);
      return 0;
    }
    wq->slot = slot;
    r.table[slot].store(wq, std::memory_order_release);
  }
  if (scope < -1 || scope > static_cast<int>(affinity_scope::system)) {
    CMWQ_WARN("workqueue: %s: invalid affinity scope %d, using the default", name, scope);
    scope = -1;
  }
  if (!init_workqueue(wq, name, flags, max_active, scope, strict)) {
    wq_lockdep_release(wq);
    lock_guard g(r.lock);
    r.free_slots.push_back(slot);
    return 0;
  }
  wq_lockdep_finish(wq, lockdep_map);
  // The new generation makes the handle valid; old handles of this object stay invalid.
  const std::uint32_t gen = wq->generation.fetch_add(1, std::memory_order_seq_cst) + 1;
  publish(wq);
  return make_handle(slot, gen);
}

void destroy_workqueue(wq_handle h) noexcept {
  wq_ref ref(h);
  if (!ref) {
    CMWQ_WARN("destroy_workqueue: invalid or already destroyed workqueue handle %#lx", static_cast<unsigned long>(h));
    return;
  }
  workqueue* wq = ref.get();
  if (wq->slot < sys_nr_plus_one) {
    CMWQ_WARN("destroy_workqueue: %s is a system workqueue and is never destroyed", wq->name);
    return;
  }
  worker* self = current_worker();
  if (self && self->current_pwq && self->current_pwq->wq == wq) {
    CMWQ_WARN("destroy_workqueue: %s destroyed from its own work item, which would deadlock; ignored", wq->name);
    return;
  }
  if (!might_sleep(__func__)) return;
  {
    lock_guard g(wq->mutex);
    if (wq->flags.load(std::memory_order_relaxed) & wq_flag::destroying) {
      CMWQ_WARN("destroy_workqueue: %s is already being destroyed", wq->name);
      return;
    }
    wq->flags.fetch_or(wq_flag::destroying, std::memory_order_seq_cst);
  }
  drain_wq(wq);

  if (wq->rescuer) {
    {
      lock_guard g(wq->mayday_lock);
      wq->rescuer->flags |= worker_flag::die;
      wq->rescuer->wake.unpark();
    }
    wait_for_exit(wq->rescuer_exited);
    delete wq->rescuer_exited;
    wq->rescuer_exited = nullptr;
    wq->rescuer = nullptr;
  }

  for (pool_workqueue* pwq : wq->pwqs) {
    lock_guard g(pwq->pool->lock);
    if (pwq->nr_active || !list_empty(&pwq->inactive_works)) {
      CMWQ_WARN("destroy_workqueue: %s has the following busy pwq (nr_active=%d); leaking it", wq->name,
                pwq->nr_active);
      return;  // R33: leaked, stays DESTROYING
    }
  }

  note_destroyed(wq, handle_gen(h));
  wq->generation.fetch_add(1, std::memory_order_seq_cst);  // pairs with wq_ref::wq_ref()
  ref.reset();
  {
    blocking_section b;
    while (wq->ops.sum() != 0 || wq->nr_handoffs.load(std::memory_order_acquire) != 0) {
      timespec ts{0, 100 * 1000};
      nanosleep(&ts, nullptr);
    }
  }
  // Leave the live list first: freezing, thawing and dumps walk the pwqs of live queues.
  auto& r = registry();
  {
    lock_guard g(r.lock);
    r.live.erase(std::find(r.live.begin(), r.live.end(), wq));
  }
  {
    lock_guard g(wq->node_lock);
    for (int i = 0; i < wq->nr_node_slots; ++i) list_init(&wq->node_slot(i).pending_pwqs);
  }
  free_pwqs(wq);
  wq_lockdep_release(wq);
  wq->flags.store(0, std::memory_order_relaxed);
  lock_guard g(r.lock);
  r.free_slots.push_back(wq->slot);
}

std::size_t live_workqueues() noexcept {
  auto& r = registry();
  lock_guard g(r.lock);
  std::size_t n = 0;
  for (workqueue* wq : r.live) n += wq->slot >= sys_nr_plus_one;
  return n;
}

// --- limits ----------------------------------------------------------------------------------

void workqueue_set_max_active(wq_handle h, int max_active) noexcept {
  wq_ref ref(h);
  if (!ref) {
    CMWQ_WARN("workqueue_set_max_active: invalid or destroyed workqueue");
    return;
  }
  workqueue* wq = ref.get();
  if (wq->is_ordered()) {
    CMWQ_WARN("workqueue_set_max_active: %s is ordered; max_active stays 1", wq->name);
    return;
  }
  if (wq->is_bh()) {
    CMWQ_WARN("workqueue_set_max_active: %s is a BH workqueue, which has no limit; ignored", wq->name);
    return;
  }
  if (max_active < 1 || max_active > wq_max_active) {
    log_line("workqueue: max_active %d requested for %s is out of range, clamping between %d and %d", max_active,
             wq->name, 1, wq_max_active);
    max_active = std::clamp(max_active, 1, wq_max_active);
  }
  // The freezing state is read and applied under both locks, in freeze_workqueues_begin()'s
  // order, so a freeze cannot slip in between and be undone by the old limit (5.13).
  auto& r = registry();
  lock_guard rg(r.lock);
  lock_guard g(wq->mutex);
  const bool frozen = r.freezing && (wq->flags.load(std::memory_order_relaxed) & wq_flag::freezable);
  wq->saved_max_active = max_active;
  wq->saved_min_active = std::min(wq->saved_min_active, max_active);
  apply_limits(wq, frozen);
}

void workqueue_set_min_active(wq_handle h, int min_active) noexcept {
  wq_ref ref(h);
  if (!ref) {
    CMWQ_WARN("workqueue_set_min_active: invalid or destroyed workqueue");
    return;
  }
  workqueue* wq = ref.get();
  if (!wq->is_unbound() || wq->is_ordered()) {
    CMWQ_WARN("workqueue_set_min_active: %s is not an unbound, unordered workqueue", wq->name);
    return;
  }
  // As workqueue_set_max_active(): the freezing state read and applied under both locks.
  auto& r = registry();
  lock_guard rg(r.lock);
  lock_guard g(wq->mutex);
  const bool frozen = r.freezing && (wq->flags.load(std::memory_order_relaxed) & wq_flag::freezable);
  wq->saved_min_active = std::clamp(min_active, 0, wq->saved_max_active);
  apply_limits(wq, frozen);
}

// --- freezing (section 5.13) -----------------------------------------------------------------

namespace {

// Sets the global freezing state and applies it to every freezable queue.
void set_freezing(bool frozen) CMWQ_NO_TSA {
  auto& r = registry();
  lock_guard g(r.lock);
  r.freezing = frozen;
  for (workqueue* wq : r.live) {
    if (!(wq->flags.load(std::memory_order_relaxed) & wq_flag::freezable)) continue;
    lock_guard m(wq->mutex);
    apply_limits(wq, frozen);
  }
}

}  // namespace

void freeze_workqueues_begin() noexcept { set_freezing(true); }
void thaw_workqueues() noexcept { set_freezing(false); }

bool freeze_workqueues_busy() noexcept CMWQ_NO_TSA {
  auto& r = registry();
  lock_guard g(r.lock);
  for (workqueue* wq : r.live) {
    if (!(wq->flags.load(std::memory_order_relaxed) & wq_flag::freezable)) continue;
    for (pool_workqueue* pwq : wq->pwqs) {
      lock_guard p(pwq->pool->lock);
      if (pwq->nr_active > 0) return true;
    }
  }
  return false;
}

// Calls fn(wq) for every live queue, with the registry lock held (dumps, stats).
void for_each_workqueue(void (*fn)(workqueue*, void*), void* ctx) noexcept {
  auto& r = registry();
  lock_guard g(r.lock);
  for (workqueue* wq : r.live) fn(wq, ctx);
}

}  // namespace cmwq::core
