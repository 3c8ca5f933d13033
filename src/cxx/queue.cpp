// src/cxx/queue.cpp - cmwq::queue, owned_queue, builder, the system queues, blocking_scope and
// reclaim_scope.
#include <cmwq/builder.hpp>
#include <cmwq/queue.hpp>

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/cm_observer.hpp"
#include "core/context.hpp"
#include "core/fault.hpp"
#include "core/engine.hpp"
#include "core/topology.hpp"
#include "core/warn.hpp"

namespace core = cmwq::core;

static_assert(static_cast<int>(cmwq::affinity::system) == static_cast<int>(core::affinity_scope::system));
static_assert(static_cast<int>(cmwq::affinity::cache_shard) == static_cast<int>(core::affinity_scope::cache_shard));
// Every flag builder.hpp spells out is the engine's (core/engine.hpp holds the one definition).
static_assert(cmwq::detail::wq_flags::unbound == core::wq_flag::unbound);
static_assert(cmwq::detail::wq_flags::freezable == core::wq_flag::freezable);
static_assert(cmwq::detail::wq_flags::mem_reclaim == core::wq_flag::mem_reclaim);
static_assert(cmwq::detail::wq_flags::highpri == core::wq_flag::highpri);
static_assert(cmwq::detail::wq_flags::cpu_intensive == core::wq_flag::cpu_intensive);
static_assert(cmwq::detail::wq_flags::sysfs == core::wq_flag::sysfs);
static_assert(cmwq::detail::wq_flags::power_efficient == core::wq_flag::power_efficient);
static_assert(cmwq::detail::wq_flags::percpu == core::wq_flag::percpu);
static_assert(cmwq::detail::wq_flags::ordered == core::wq_flag::ordered);

namespace cmwq {

namespace {
core::work* W(detail::raw_work* w) { return reinterpret_cast<core::work*>(w); }
core::delayed_work* DW(detail::raw_delayed_work* w) { return reinterpret_cast<core::delayed_work*>(w); }
}  // namespace

// Closures with ordinary alignment take the plain (much cheaper) allocator path.
void* detail::spawn_alloc(std::size_t size, std::size_t align) noexcept {
  if (core::should_fail(core::fault_point::spawn_alloc)) return nullptr;
  if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(size, std::nothrow);
  return ::operator new(size, std::align_val_t(align), std::nothrow);
}
void detail::spawn_free(void* p, std::size_t, std::size_t align) noexcept {
  if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
    ::operator delete(p);
  else
    ::operator delete(p, std::align_val_t(align));
}

bool queue::valid() const noexcept { return h_ && core::workqueue_valid(h_); }
bool queue::enqueue_on(int cpu, work& w) const noexcept { return core::queue_work_on(cpu, h_, W(w.raw())); }
bool queue::enqueue_delayed_ms(int cpu, delayed_work& w, unsigned long ms) const noexcept {
  return core::queue_delayed_work_on(cpu, h_, DW(w.raw()), ms);
}
bool queue::modify_delayed_ms(int cpu, delayed_work& w, unsigned long ms) const noexcept {
  return core::mod_delayed_work_on(cpu, h_, DW(w.raw()), ms);
}
bool queue::spawn_raw(detail::raw_work* w) const noexcept { return core::queue_work_on(any_cpu, h_, W(w)); }
void queue::flush() const noexcept { core::flush_workqueue(h_); }
void queue::drain() const noexcept { core::drain_workqueue(h_); }
void queue::set_max_active(int n) const noexcept { core::workqueue_set_max_active(h_, n); }
void queue::set_min_active(int n) const noexcept { core::workqueue_set_min_active(h_, n); }
bool queue::congested(int cpu) const noexcept { return core::workqueue_congested(cpu, h_); }
std::string queue::name() const {
  char buf[core::wq_name_len];
  return core::workqueue_name(h_, buf, sizeof buf);
}
bool queue::stats(queue_stats* out) const noexcept {
  core::wq_stats s;
  if (!out || !core::workqueue_stats(h_, &s)) return false;
  *out = {s.v[core::pwq_stat_started], s.v[core::pwq_stat_completed],   s.v[core::pwq_stat_cpu_time],
          s.v[core::pwq_stat_cpu_intensive], s.v[core::pwq_stat_cm_wakeup], s.v[core::pwq_stat_repatriated],
          s.v[core::pwq_stat_mayday],  s.v[core::pwq_stat_rescued],     s.max_active,
          s.nr_active,                 s.nr_inactive,                     s.in_flight,
          s.flags};
  return true;
}

void owned_queue::reset() noexcept {
  if (!q_.handle()) return;
  core::destroy_workqueue(q_.handle());
  // Refused (with a warning) when called from one of the queue's own items: then the queue stays
  // owned, and a later reset() or the destructor destroys it instead of leaking it.
  if (!core::workqueue_valid(q_.handle())) q_ = queue{};
}

owned_queue builder::build(std::string_view name, std::error_code& ec) const noexcept {
  std::string n(name);
  const int scope = scope_ == affinity::dfl ? -1 : static_cast<int>(scope_);
  const core::wq_handle h = core::alloc_workqueue(n.c_str(), flags_, max_active_, scope, strict_);
  // The builder cannot express a flag combination the engine refuses (WQ_BH), so a refusal here
  // means that the queue, a pwq or the rescuer could not be allocated.
  ec = h ? std::error_code{} : std::make_error_code(std::errc::not_enough_memory);
  return owned_queue(queue(h));
}
owned_queue builder::build(std::string_view name) const noexcept {
  std::error_code ec;
  return build(name, ec);
}

queue system() { return queue(core::system_handle(core::sys_percpu)); }
queue system_percpu() { return queue(core::system_handle(core::sys_percpu)); }
queue system_highpri() { return queue(core::system_handle(core::sys_highpri)); }
queue system_long() { return queue(core::system_handle(core::sys_long)); }
queue system_unbound() { return queue(core::system_handle(core::sys_dfl)); }
queue system_dfl() { return queue(core::system_handle(core::sys_dfl)); }
queue system_freezable() { return queue(core::system_handle(core::sys_freezable)); }
queue system_power_efficient() { return queue(core::system_handle(core::sys_power_efficient)); }
queue system_freezable_power_efficient() { return queue(core::system_handle(core::sys_freezable_power_efficient)); }

queue system_dfl_long() { return queue(core::system_handle(core::sys_dfl_long)); }
queue system_bh() { return queue(core::system_handle(core::sys_bh)); }
queue system_bh_highpri() { return queue(core::system_handle(core::sys_bh_highpri)); }

void freeze_begin() noexcept { core::freeze_workqueues_begin(); }
bool freeze_busy() noexcept { return core::freeze_workqueues_busy(); }
void thaw() noexcept { core::thaw_workqueues(); }

void set_worker_desc(const std::string& desc) noexcept { core::set_worker_desc(desc.c_str()); }
std::string current_worker_comm() {
  char buf[96];
  core::current_worker_comm(buf, sizeof buf);
  return buf;
}

blocking_scope::blocking_scope() noexcept { core::blocking_begin(); }
blocking_scope::~blocking_scope() { core::blocking_end(); }

reclaim_scope::reclaim_scope() noexcept : outer_(core::memalloc_save()) {}
reclaim_scope::~reclaim_scope() { core::memalloc_restore(outer_); }

const void* current_work() noexcept { return core::current_work(); }
unsigned long warn_count() noexcept { return core::warn_count(); }

cm_observer cm_observe() noexcept {
  switch (core::cm_observer_active()) {
    case core::cm_observer::perf: return cm_observer::perf;
    case core::cm_observer::proc: return cm_observer::proc;
    case core::cm_observer::off: break;
  }
  return cm_observer::off;
}

}  // namespace cmwq
