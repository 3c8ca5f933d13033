// src/kcompat/workqueue.cpp - the kernel-compatible C API of <linux/workqueue.h>, as thin calls
// into the engine (src/core). The C structs are the engine's structs: the static_asserts below
// keep the layouts identical, so a struct work_struct is used by the engine in place.
// The engine's headers come first: <linux/workqueue.h> defines function-like macros
// (flush_workqueue, work_pending) that must not rewrite the engine's declarations.
#include "core/context.hpp"
#include "core/runtime.hpp"
#include "core/cm_observer.hpp"
#include "core/engine.hpp"
#include "core/timer_wheel.hpp"
#include "core/warn.hpp"

#include <linux/workqueue.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

namespace core = cmwq::core;

static_assert(sizeof(work_struct) == sizeof(core::work));
static_assert(offsetof(work_struct, data) == offsetof(core::work, data));
static_assert(offsetof(work_struct, entry) == offsetof(core::work, entry));
static_assert(offsetof(work_struct, func) == offsetof(core::work, func));
static_assert(offsetof(work_struct, lockdep_map) == offsetof(core::work, lockdep_map));
static_assert(sizeof(timer_list) == sizeof(core::timer));
static_assert(offsetof(timer_list, expires) == offsetof(core::timer, expires));
static_assert(offsetof(timer_list, function) == offsetof(core::timer, function));
static_assert(offsetof(timer_list, flags) == offsetof(core::timer, flags));
static_assert(sizeof(delayed_work) == sizeof(core::delayed_work));
static_assert(offsetof(delayed_work, timer) == offsetof(core::delayed_work, t));
static_assert(offsetof(delayed_work, wq) == offsetof(core::delayed_work, wq));
static_assert(offsetof(delayed_work, cpu) == offsetof(core::delayed_work, cpu));
static_assert(WORK_CPU_UNBOUND == core::cpu_unbound);
static_assert(std::is_same_v<work_func_t, core::work_fn>);
static_assert(WQ_MAX_ACTIVE == core::wq_max_active && WQ_DFL_ACTIVE == core::wq_dfl_active);
// Every WQ_* flag linux/workqueue.h spells out is the engine's (core/engine.hpp holds the one definition).
static_assert(WQ_BH == core::wq_flag::bh);
static_assert(WQ_UNBOUND == core::wq_flag::unbound);
static_assert(WQ_FREEZABLE == core::wq_flag::freezable);
static_assert(WQ_MEM_RECLAIM == core::wq_flag::mem_reclaim);
static_assert(WQ_HIGHPRI == core::wq_flag::highpri);
static_assert(WQ_CPU_INTENSIVE == core::wq_flag::cpu_intensive);
static_assert(WQ_SYSFS == core::wq_flag::sysfs);
static_assert(WQ_POWER_EFFICIENT == core::wq_flag::power_efficient);
static_assert(WQ_PERCPU == core::wq_flag::percpu);
static_assert(WQ_MEM_WARN_ON_RECLAIM == core::wq_flag::mem_warn_on_reclaim);
static_assert(__WQ_DESTROYING == core::wq_flag::destroying);
static_assert(__WQ_DRAINING == core::wq_flag::draining);
static_assert(__WQ_ORDERED == core::wq_flag::ordered);
static_assert(__WQ_LEGACY == core::wq_flag::legacy);
static_assert(__WQ_DEPRECATED == core::wq_flag::deprecated);

namespace {

core::work* W(work_struct* w) { return reinterpret_cast<core::work*>(w); }
core::delayed_work* DW(delayed_work* dw) { return reinterpret_cast<core::delayed_work*>(dw); }
core::wq_handle H(workqueue_struct* wq) { return reinterpret_cast<core::wq_handle>(wq); }
workqueue_struct* WQ(core::wq_handle h) { return reinterpret_cast<workqueue_struct*>(h); }

}  // namespace

extern "C" {

struct workqueue_struct* system_percpu_wq = WQ(core::system_handle(core::sys_percpu));
struct workqueue_struct* system_wq = WQ(core::system_handle(core::sys_percpu));
struct workqueue_struct* system_highpri_wq = WQ(core::system_handle(core::sys_highpri));
struct workqueue_struct* system_long_wq = WQ(core::system_handle(core::sys_long));
struct workqueue_struct* system_dfl_wq = WQ(core::system_handle(core::sys_dfl));
struct workqueue_struct* system_unbound_wq = WQ(core::system_handle(core::sys_dfl));
struct workqueue_struct* system_freezable_wq = WQ(core::system_handle(core::sys_freezable));
struct workqueue_struct* system_power_efficient_wq = WQ(core::system_handle(core::sys_power_efficient));
struct workqueue_struct* system_freezable_power_efficient_wq =
    WQ(core::system_handle(core::sys_freezable_power_efficient));
struct workqueue_struct* system_dfl_long_wq = WQ(core::system_handle(core::sys_dfl_long));
struct workqueue_struct* system_bh_wq = WQ(core::system_handle(core::sys_bh));
struct workqueue_struct* system_bh_highpri_wq = WQ(core::system_handle(core::sys_bh_highpri));

void cmwq_init_work(struct work_struct* work, work_func_t func) {
  core::work_init(W(work), func);
}

void cmwq_init_delayed_work(struct delayed_work* dwork, work_func_t func, unsigned int timer_flags) {
  cmwq_init_delayed_work_map(dwork, func, timer_flags, nullptr);
}

void cmwq_init_work_map(struct work_struct* work, work_func_t func, const struct lockdep_map* map) {
  core::work_init(W(work), func, reinterpret_cast<const cmwq::lockdep::map*>(map));
}

// A C item's timer keeps its function word (drivers may read it): only TIMER_INIT_FLAGS pass, so
// the engine's internal timer flags (core::timer_flag_dwork) never reach it, as in timer_setup().
void cmwq_init_delayed_work_map(struct delayed_work* dwork, work_func_t func, unsigned int timer_flags,
                                const struct lockdep_map* map) {
  core::delayed_work_init(DW(dwork), func, (timer_flags & TIMER_INIT_FLAGS) | TIMER_IRQSAFE,
                          reinterpret_cast<const cmwq::lockdep::map*>(map));
}

void delayed_work_timer_fn(struct timer_list* t) { core::delayed_work_timer_fn(t); }

}  // extern "C"

namespace {
// The queue's name from alloc_workqueue()'s printf-style arguments (empty for a NULL format).
struct wq_name {
  char text[128];
  wq_name(const char* fmt, va_list ap) {
    if (fmt)
      std::vsnprintf(text, sizeof text, fmt, ap);
    else
      text[0] = '\0';
  }
};
}  // namespace

extern "C" {

struct workqueue_struct* alloc_workqueue(const char* fmt, unsigned int flags, int max_active, ...) {
  va_list ap;
  va_start(ap, max_active);
  const wq_name name(fmt, ap);
  va_end(ap);
  return WQ(core::alloc_workqueue(name.text, flags, max_active));
}

struct workqueue_struct* alloc_workqueue_lockdep_map(const char* fmt, unsigned int flags, int max_active,
                                                     struct lockdep_map* lockdep_map, ...) {
  va_list ap;
  va_start(ap, lockdep_map);
  const wq_name name(fmt, ap);
  va_end(ap);
  return WQ(core::alloc_workqueue(name.text, flags, max_active, -1, false,
                                  reinterpret_cast<const cmwq::lockdep::map*>(lockdep_map)));
}

void destroy_workqueue(struct workqueue_struct* wq) { core::destroy_workqueue(H(wq)); }

bool queue_work_on(int cpu, struct workqueue_struct* wq, struct work_struct* work) {
  return core::queue_work_on(cpu, H(wq), W(work));
}

bool queue_work_node(int node, struct workqueue_struct* wq, struct work_struct* work) {
  if (!(core::workqueue_flags(H(wq)) & WQ_UNBOUND))
    CMWQ_WARN_ONCE("queue_work_node: workqueue is not WQ_UNBOUND");
  (void)node;  // one node (U2): the local CPU is always on it
  return core::queue_work_on(WORK_CPU_UNBOUND, H(wq), W(work));
}

bool queue_delayed_work_on(int cpu, struct workqueue_struct* wq, struct delayed_work* dwork, unsigned long delay) {
  return core::queue_delayed_work_on(cpu, H(wq), DW(dwork), delay);
}

bool mod_delayed_work_on(int cpu, struct workqueue_struct* wq, struct delayed_work* dwork, unsigned long delay) {
  return core::mod_delayed_work_on(cpu, H(wq), DW(dwork), delay);
}

void __flush_workqueue(struct workqueue_struct* wq) { (core::flush_workqueue)(H(wq)); }
void drain_workqueue(struct workqueue_struct* wq) { core::drain_workqueue(H(wq)); }
bool flush_work(struct work_struct* work) { return core::flush_work(W(work)); }
bool flush_delayed_work(struct delayed_work* dwork) { return core::flush_delayed_work(DW(dwork)); }
void flush_scheduled_work(void) { (core::flush_workqueue)(core::system_handle(core::sys_percpu)); }

bool cancel_work(struct work_struct* work) { return core::cancel_work(W(work)); }
bool cancel_work_sync(struct work_struct* work) { return core::cancel_work_sync(W(work)); }
bool cancel_delayed_work(struct delayed_work* dwork) { return core::cancel_delayed_work(DW(dwork)); }
bool cancel_delayed_work_sync(struct delayed_work* dwork) { return core::cancel_delayed_work_sync(DW(dwork)); }
bool disable_work(struct work_struct* work) { return core::disable_work(W(work)); }
bool disable_work_sync(struct work_struct* work) { return core::disable_work_sync(W(work)); }
bool enable_work(struct work_struct* work) { return core::enable_work(W(work)); }
bool disable_delayed_work(struct delayed_work* dwork) { return core::disable_delayed_work(DW(dwork)); }
bool disable_delayed_work_sync(struct delayed_work* dwork) { return core::disable_delayed_work_sync(DW(dwork)); }
bool enable_delayed_work(struct delayed_work* dwork) { return core::enable_delayed_work(DW(dwork)); }

unsigned int work_busy(struct work_struct* work) { return core::work_busy(W(work)); }
struct work_struct* current_work(void) { return reinterpret_cast<work_struct*>(core::current_work()); }
bool current_is_workqueue_rescuer(void) { return core::current_is_workqueue_rescuer(); }
bool current_is_workqueue_mem_reclaim(void) { return core::current_is_workqueue_mem_reclaim(); }
bool workqueue_congested(int cpu, struct workqueue_struct* wq) { return core::workqueue_congested(cpu, H(wq)); }
void workqueue_set_max_active(struct workqueue_struct* wq, int max_active) {
  core::workqueue_set_max_active(H(wq), max_active);
}
void workqueue_set_min_active(struct workqueue_struct* wq, int min_active) {
  core::workqueue_set_min_active(H(wq), min_active);
}
bool workqueue_is_reclaim_annotated(struct workqueue_struct* wq) {
  const unsigned f = core::workqueue_flags(H(wq));
  return (f & WQ_MEM_RECLAIM) && (f & WQ_MEM_WARN_ON_RECLAIM);
}

void set_worker_desc(const char* fmt, ...) {
  char desc[WORKER_DESC_LEN];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(desc, sizeof desc, fmt, ap);
  va_end(ap);
  core::set_worker_desc(desc);
}

int schedule_on_each_cpu(work_func_t func) {
  // One item per online CPU on system_percpu_wq, then wait for all of them (may sleep).
  const std::vector<int>& cpus = core::online_cpus();
  std::unique_ptr<work_struct[]> items(new (std::nothrow) work_struct[cpus.size()]);
  if (!items) return -12;  // -ENOMEM
  for (std::size_t i = 0; i < cpus.size(); i++) {
    INIT_WORK(&items[i], func);
    schedule_work_on(cpus[i], &items[i]);
  }
  for (std::size_t i = 0; i < cpus.size(); i++) flush_work(&items[i]);
  return 0;
}

namespace {
struct work_on_cpu_call {
  work_struct work;  // first member: the work function converts back to the call
  long (*fn)(void*);
  void* arg;
  long ret;
};
void work_on_cpu_fn(work_struct* w) {
  auto* call = reinterpret_cast<work_on_cpu_call*>(w);
  call->ret = call->fn(call->arg);
}
}  // namespace

long work_on_cpu(int cpu, long (*fn)(void*), void* arg) {
  work_on_cpu_call call{{}, fn, arg, 0};
  INIT_WORK_ONSTACK(&call.work, work_on_cpu_fn);
  schedule_work_on(cpu, &call.work);
  flush_work(&call.work);
  destroy_work_on_stack(&call.work);
  return call.ret;
}

long work_on_cpu_key(int cpu, long (*fn)(void*), void* arg, struct lock_class_key*) { return work_on_cpu(cpu, fn, arg); }

long work_on_cpu_safe(int cpu, long (*fn)(void*), void* arg) {
  // (parenthesised: <linux/cpumask.h> makes cpu_online a macro)
  if (!(core::cpu_online)(cpu)) return -ENODEV;  // the kernel checks under cpus_read_lock()
  return work_on_cpu(cpu, fn, arg);
}

long work_on_cpu_safe_key(int cpu, long (*fn)(void*), void* arg, struct lock_class_key*) {
  return work_on_cpu_safe(cpu, fn, arg);
}

int execute_in_process_context(work_func_t fn, struct execute_work* ew) {
  if (!core::in_interrupt()) {
    fn(&ew->work);
    return 0;
  }
  INIT_WORK(&ew->work, fn);
  schedule_work(&ew->work);
  return 1;
}

void show_all_workqueues(void) { core::show_all_workqueues(); }
void show_one_workqueue(struct workqueue_struct* wq) { core::show_one_workqueue(H(wq)); }
void freeze_workqueues_begin(void) { core::freeze_workqueues_begin(); }
bool freeze_workqueues_busy(void) { return core::freeze_workqueues_busy(); }
void thaw_workqueues(void) { core::thaw_workqueues(); }

unsigned long cmwq_warn_count(void) { return core::warn_count(); }
void cmwq_set_log_hook(void (*hook)(const char* line, void* ctx), void* ctx) { core::set_log_hook(hook, ctx); }
void cmwq_set_power_efficient(bool on) { core::set_power_efficient(on); }
void cmwq_set_cpu_intensive_thresh_us(unsigned long usecs) { core::set_cpu_intensive_thresh_us(usecs); }
void cmwq_set_timeout_scale_permille(unsigned int permille) { core::set_timeout_scale_permille(permille); }
const char* cmwq_cm_observe(void) { return core::cm_observer_name(core::cm_observer_active()); }
size_t cmwq_live_workqueues(void) { return core::live_workqueues(); }

int cmwq_workqueue_stats(struct workqueue_struct* wq, struct cmwq_wq_stats* out) {
  core::wq_stats s;
  if (!out || !core::workqueue_stats(H(wq), &s)) return -22;  // -EINVAL
  out->started = s.v[core::pwq_stat_started];
  out->completed = s.v[core::pwq_stat_completed];
  out->cpu_time_us = s.v[core::pwq_stat_cpu_time];
  out->cpu_intensive = s.v[core::pwq_stat_cpu_intensive];
  out->cm_wakeup = s.v[core::pwq_stat_cm_wakeup];
  out->repatriated = s.v[core::pwq_stat_repatriated];
  out->mayday = s.v[core::pwq_stat_mayday];
  out->rescued = s.v[core::pwq_stat_rescued];
  out->max_active = s.max_active;
  out->nr_active = s.nr_active;
  out->nr_inactive = s.nr_inactive;
  return 0;
}

void cmwq_current_worker_comm(char* buf, size_t size) { core::current_worker_comm(buf, size); }

void cmwq_get_worker_counts(struct cmwq_worker_counts* out) {
  if (!out) return;
  const core::worker_counts c = core::get_worker_counts();
  out->created = c.created;
  out->exited = c.exited;
}

}  // extern "C"
