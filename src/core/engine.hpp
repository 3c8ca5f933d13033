// src/core/engine.hpp - the workqueue engine's whole interface to the front doors.
//
// The C++ API (src/cxx/), the kernel-compatible C API (src/kcompat/) and the module runner
// (src/kmod/) reach the engine through this header and the item headers it includes
// (work.hpp, delayed_work.hpp); docs/engine.md is the one-screen map. The queue, pwq, pool and
// worker structures (workqueue.hpp, pool_workqueue.hpp, worker_pool.hpp, worker.hpp) are private
// to src/core/: tests/engine_includes.cmake fails CI when a door includes one of them.
//
// A queue is named by a handle (slot + generation), never by a pointer: a stale or forged handle
// fails its generation check and the call does nothing (D3). Unless a contract says otherwise,
// every call here is safe from any thread and takes no lock the caller can hold.
#pragma once

#include <cstddef>
#include <cstdint>

#include "delayed_work.hpp"
#include "work.hpp"

namespace cmwq::core {

using wq_handle = std::uintptr_t;

// The WQ_* flags: the one definition. linux/workqueue.h and include/cmwq/builder.hpp repeat the
// values a C or installed header must spell out, and src/kcompat/workqueue.cpp and
// src/cxx/queue.cpp static_assert each of them against these.
namespace wq_flag {
inline constexpr unsigned bh = 1u << 0;
inline constexpr unsigned unbound = 1u << 1;
inline constexpr unsigned freezable = 1u << 2;
inline constexpr unsigned mem_reclaim = 1u << 3;
inline constexpr unsigned highpri = 1u << 4;
inline constexpr unsigned cpu_intensive = 1u << 5;
inline constexpr unsigned sysfs = 1u << 6;
inline constexpr unsigned power_efficient = 1u << 7;
inline constexpr unsigned percpu = 1u << 8;
inline constexpr unsigned mem_warn_on_reclaim = 1u << 9;
inline constexpr unsigned destroying = 1u << 15;
inline constexpr unsigned draining = 1u << 16;
inline constexpr unsigned ordered = 1u << 17;
inline constexpr unsigned legacy = 1u << 18;
inline constexpr unsigned deprecated = 1u << 19;
inline constexpr unsigned bh_allows = bh | highpri | percpu;
}  // namespace wq_flag

inline constexpr int wq_max_active = 2048;
inline constexpr int wq_dfl_active = wq_max_active / 2;
inline constexpr int wq_dfl_min_active = 8;
inline constexpr int wq_name_len = 32;

// The system queues; their handles are constants (slots 1..n, generation 1).
enum system_queue : int {
  sys_percpu = 1,
  sys_highpri,
  sys_long,
  sys_dfl,
  sys_freezable,
  sys_power_efficient,
  sys_freezable_power_efficient,
  sys_dfl_long,
  sys_bh,
  sys_bh_highpri,
  sys_nr_plus_one,
};
constexpr wq_handle make_handle(std::uint32_t slot, std::uint32_t gen) {
  return (static_cast<wq_handle>(gen) << 32) | (static_cast<wq_handle>(slot) << 4) | 0x9;
}
constexpr wq_handle system_handle(system_queue q) { return make_handle(static_cast<std::uint32_t>(q), 1); }

// --- queues ---------------------------------------------------------------------------------------

/**
 * alloc_workqueue - make a queue
 * @name: the queue's name, already formatted (longer than wq_name_len - 1: truncated, warned)
 * @flags: wq_flag bits; invalid combinations are refused with a warning
 * @max_active: items of this queue active at once per CPU (unbound: in total); 0 = default,
 *              out of [1, wq_max_active] clamped with a warning
 * @affinity_scope: unbound queues: -1 for the default scope, else a value of affinity_scope
 * @affinity_strict: unbound queues: confine workers to their pod (semantics.md 5.9)
 * @lockdep_map: a caller's (wq_completion) class to share, or null for the queue's own
 *
 * Context: may sleep (starts workers, a rescuer with mem_reclaim).
 * Return: the handle, or 0 on invalid flags or failure.
 */
wq_handle alloc_workqueue(const char* name, unsigned flags, int max_active, int affinity_scope = -1,
                          bool affinity_strict = false, const lockdep::map* lockdep_map = nullptr) noexcept;
/**
 * destroy_workqueue - drain a queue and free it
 * @h: the queue; a stale handle warns and does nothing
 *
 * Drains first (items may requeue themselves on it meanwhile), then invalidates the handle and
 * waits for every call still using it. Context: may sleep; not from an item of @h.
 */
void destroy_workqueue(wq_handle h) noexcept;
/**
 * flush_workqueue - wait for every item queued on @h before this call
 * @h: the queue
 *
 * Items queued after the call starts are not waited for (flush colours, R19).
 * Context: may sleep.
 */
void flush_workqueue(wq_handle h) noexcept;
/**
 * drain_workqueue - flush @h until it is empty; meanwhile only its own items may queue on it
 * @h: the queue
 *
 * Context: may sleep.
 */
void drain_workqueue(wq_handle h) noexcept;
/**
 * workqueue_set_max_active - change the active limit of @h
 * @h: the queue; an ordered or BH queue warns and keeps its limit
 * @max_active: the new limit, clamped to [1, wq_max_active] with a log line
 *
 * Context: may sleep. Items over the new limit activate at once.
 */
void workqueue_set_max_active(wq_handle h, int max_active) noexcept;
/**
 * workqueue_set_min_active - set the per-node minimum of an unbound queue
 * @h: the queue (unbound and not ordered, else warns)
 * @min_active: the minimum, clamped to [1, max_active]
 *
 * Context: may sleep.
 */
void workqueue_set_min_active(wq_handle h, int min_active) noexcept;
/**
 * workqueue_congested - whether items of @h wait for an active slot
 * @cpu: the CPU whose pwq to test; cpu_unbound or an offline CPU: the caller's
 * @h: the queue
 *
 * Context: any. Return: a racy snapshot, true if @h has inactive items there.
 */
bool workqueue_congested(int cpu, wq_handle h) noexcept;
// workqueue_valid - Return: whether @h names a live queue (racy: it may be destroyed just after).
bool workqueue_valid(wq_handle h) noexcept;
// workqueue_flags - Return: the wq_flag bits of @h, 0 for a stale handle.
unsigned workqueue_flags(wq_handle h) noexcept;
// workqueue_name - copies the name of @h into @buf (@size bytes, NUL-terminated; empty for a
// stale handle). Return: @buf.
const char* workqueue_name(wq_handle h, char* buf, std::size_t size) noexcept;
// live_workqueues - Return: how many queues exist now, system queues included.
std::size_t live_workqueues() noexcept;

// --- statistics (semantics.md 6.4) ------------------------------------------------------------

enum pwq_stat {
  pwq_stat_started,
  pwq_stat_completed,
  pwq_stat_cpu_time,
  pwq_stat_cpu_intensive,
  pwq_stat_cm_wakeup,
  pwq_stat_repatriated,
  pwq_stat_mayday,
  pwq_stat_rescued,
  pwq_nr_stats,
};

struct wq_stats {
  std::uint64_t v[pwq_nr_stats];
  int max_active, nr_active, nr_inactive;
  std::uint64_t in_flight;  // max(started - completed, 0): items executing now (wq_monitor's infl)
  unsigned flags;           // wq_flag bits (unbound, mem_reclaim... pick the monitor's columns)
};
/**
 * workqueue_stats - the counters of @h summed over its pwqs
 * @h: the queue
 * @out: filled on success
 *
 * Context: any; takes each pool lock in turn. Return: false for a stale handle.
 */
bool workqueue_stats(wq_handle h, wq_stats* out) noexcept;

// Process-wide worker counts (for reports and the module runner).
struct worker_counts {
  std::uint64_t created;  // worker threads started since start-up, rescuers included
  std::uint64_t exited;   // worker threads that have ended (reaped, or rescuers stopped)
};
// get_worker_counts - Context: any. Return: a snapshot of the counts.
worker_counts get_worker_counts() noexcept;

// --- freezing (semantics.md 6.3) --------------------------------------------------------------

// freeze_workqueues_begin - freezable queues stop activating items (max_active 0). May sleep.
void freeze_workqueues_begin() noexcept;
// freeze_workqueues_busy - Return: whether a freezable queue still runs items.
bool freeze_workqueues_busy() noexcept;
// thaw_workqueues - undoes freeze_workqueues_begin() and activates what waited. May sleep.
void thaw_workqueues() noexcept;

// --- the calling thread -----------------------------------------------------------------------

// current_work - Return: the item the calling worker executes, or nullptr (not a worker, or
// softirq context).
work* current_work() noexcept;
/**
 * work_executing_on_self - whether the calling thread is the worker executing @w now
 * @w: the item
 *
 * Same function and same address: a recycled address with another function is not @w.
 * Context: any. Return: true only inside @w's own call.
 */
bool work_executing_on_self(const work* w) noexcept;
// current_is_workqueue_rescuer - Return: whether the caller is a rescuer executing an item.
bool current_is_workqueue_rescuer() noexcept;
// current_is_workqueue_mem_reclaim - Return: whether the caller runs an item of a (non-legacy)
// WQ_MEM_RECLAIM queue.
bool current_is_workqueue_mem_reclaim() noexcept;
// current_is_worker - Return: whether the calling thread is a worker or rescuer of the engine.
bool current_is_worker() noexcept;
// The kernel's PF_WQ_WORKER bit in task flags (linux/sched.h has the same value).
inline constexpr unsigned pf_wq_worker = 0x00000020;
// publish_task_flags - called by a worker thread for itself: where its task flags (kcompat's
// `current->flags`) live from now on. The engine reads PF_WQ_WORKER there.
void publish_task_flags(const unsigned* flags) noexcept;
// set_worker_desc - the calling worker's description, shown in dumps (ignored unless the
// caller is a worker executing an item).
void set_worker_desc(const char* desc) noexcept;
// current_worker_comm - the calling worker's name as dumps show it (NUL-terminated; empty off a
// worker).
void current_worker_comm(char* buf, std::size_t size) noexcept;

// --- dumps -----------------------------------------------------------------------------------

// show_all_workqueues / show_one_workqueue - print busy queues and pools to the log (6.1).
void show_all_workqueues() noexcept;
void show_one_workqueue(wq_handle h) noexcept;

// --- items a door queues itself -------------------------------------------------------------

/**
 * queue_work_owned - queue an item whose PENDING bit the caller owns (work_claim_pending())
 * @cpu: the CPU, or cpu_unbound
 * @h: the queue
 * @w: the item
 *
 * Context: any. Return: false if it was dropped (stale handle, disabled, draining); PENDING is
 * cleared then.
 */
bool queue_work_owned(int cpu, wq_handle h, work* w) noexcept;

// --- tunables (the kernel's module parameters, U7) --------------------------------------------

// set_power_efficient - WQ_POWER_EFFICIENT queues made from now on are unbound when on.
void set_power_efficient(bool on) noexcept;
// set_cpu_intensive_thresh_us - run time after which an item stops counting for concurrency
// management (0 disables the detection).
void set_cpu_intensive_thresh_us(unsigned long usecs) noexcept;
// set_timeout_scale_permille - scales the long internal timeouts (1000 = the kernel's).
void set_timeout_scale_permille(unsigned permille) noexcept;

}  // namespace cmwq::core
