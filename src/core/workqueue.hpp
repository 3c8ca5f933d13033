// src/core/workqueue.hpp - a workqueue: name, flags, pwqs, rescuer and flush machinery, and the
// generation-checked handles callers hold.
//
// Handles: a caller never holds a workqueue pointer. It holds a handle (slot index + generation).
// workqueue objects are recycled, never freed, so a stale handle always reads valid memory and
// fails the generation check instead (D3). Every operation that goes through a handle holds an
// op reference (a per-CPU counter) while it uses the queue; destroy_workqueue() invalidates the
// generation and then waits for the op references to drain before it frees the pwqs.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <vector>

#include "attrs.hpp"
#include "guards.hpp"
#include "event.hpp"
#include "list.hpp"
#include "lock.hpp"
#include "pool_workqueue.hpp"
#include "work.hpp"
#include "worker.hpp"

namespace cmwq::core {

using wq_handle = std::uintptr_t;

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

// A per-CPU-padded reference count: cheap to take from many threads, summed rarely.
class op_refs {
 public:
  explicit op_refs(int n) : slots_(static_cast<std::size_t>(n)) {}
  int get() noexcept;  // returns the slot to pass to put()
  void put(int slot) noexcept;
  long sum() const noexcept;

 private:
  struct alignas(64) slot {
    std::atomic<long> n{0};
  };
  std::vector<slot> slots_;
};

// Every pwq a queue has had since it was made, each once. Append-only while the queue lives, so
// flushers, dumps and statistics may walk it without a lock: apply_workqueue_attrs() adds the
// pwqs of new attributes and the old ones stay (their items finish there) until destroy, which
// frees them all. Bounded: a queue reuses its pwq of a pool it has served before, and at most
// `capacity` distinct pools are allowed (apply then fails with -ENOMEM).
class pwq_set {
 public:
  using slot = std::atomic<pool_workqueue*>;
  explicit pwq_set(std::size_t capacity) : slots_(capacity) {}
  // WQ (or construction): returns false when full.
  bool push_back(pool_workqueue* pwq) noexcept {
    const std::size_t n = size_.load(std::memory_order_relaxed);
    if (n == slots_.size()) return false;
    slots_[n].store(pwq, std::memory_order_relaxed);
    size_.store(n + 1, std::memory_order_release);  // pairs with the acquire in end()
    return true;
  }
  // I: destroy only, when no reader is left.
  void clear() noexcept { size_.store(0, std::memory_order_relaxed); }
  const slot* begin() const noexcept { return slots_.data(); }
  const slot* end() const noexcept { return slots_.data() + size_.load(std::memory_order_acquire); }
  bool empty() const noexcept { return size_.load(std::memory_order_acquire) == 0; }
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }

 private:
  std::vector<slot> slots_;            // X: written before size_ covers them
  std::atomic<std::size_t> size_{0};  // X: release on append
};

// The active items of one unbound queue on one NUMA node (the kernel's wq_node_nr_active). Every
// field is N: guarded by the queue's node_lock (an array element cannot name it for the analysis).
struct node_nr_active {
  int nr = 0;              // N: active items of the queue's pwqs on this node
  int max = 0;             // N: the node's limit (0 while frozen)
  list_node pending_pwqs;  // N: this node's pwqs waiting for a slot, served round robin
};

struct workqueue {
  core::mutex mutex;                             // WQ: pwqs, limits, drainers
  char name[wq_name_len] = {};                   // I
  std::atomic<unsigned> flags{0};                // WR: DRAINING/DESTROYING change under WQ
  std::atomic<bool> warned_cannot_queue{false};  // X: the "cannot queue" warning was given
  std::atomic<int> nr_handoffs{0};               // X: completions handing a slot on without a
                                                 //    pool lock (pwq_dec_nr_in_flight); destroy waits
  std::atomic<std::uint32_t> generation{0};      // X: bumped (seq_cst) when destroyed
  std::uint32_t slot = 0;                        // I
  // Late items (delayed items whose timer fires after the queue was destroyed): one WARNING per
  // destroyed generation, the rest counted (late_work.cpp).
  core::mutex late_lock;                          // LT
  std::uint32_t dead_gen CMWQ_GUARDED_BY(late_lock) = 0;      // LT: last destroyed generation
  char dead_name[wq_name_len] CMWQ_GUARDED_BY(late_lock) = {};  // LT: its name
  std::uint32_t late_gen CMWQ_GUARDED_BY(late_lock) = 0;      // LT: generation being counted (0: none)
  long late_suppressed CMWQ_GUARDED_BY(late_lock) = 0;        // LT: its late items not printed
  op_refs ops;                                   // X: see the file comment

  int saved_max_active CMWQ_GUARDED_BY(mutex) = 0;  // WQ: as requested (clamped)
  int saved_min_active CMWQ_GUARDED_BY(mutex) = 0;  // WQ
  int max_active CMWQ_GUARDED_BY(mutex) = 0;        // WQ: in force: saved, or 0 while frozen
  int min_active CMWQ_GUARDED_BY(mutex) = 0;        // WQ: in force: saved, or 0 while frozen
  int nr_drainers CMWQ_GUARDED_BY(mutex) = 0;       // WQ

  // X: pwq serving each CPU id (index = cpu). Written under WQ with release when attributes
  // change (a pwq is fully built first); the queue path reads it with acquire.
  std::unique_ptr<std::atomic<pool_workqueue*>[]> cpu_pwqs;
  pwq_set pwqs;                                  // X: see pwq_set
  wq_attrs unbound_attrs CMWQ_GUARDED_BY(mutex); // WQ: unbound queues, as requested

  // Unbound queues: max_active split across NUMA nodes (R12, docs/attrs.md M1-M5), one counter
  // per node id plus a last slot for pools whose CPUs span nodes (wq_node_nr_active).
  core::mutex node_lock;                          // N: nests inside pool locks
  std::unique_ptr<node_nr_active[]> node_active;  // I: the array (nr_node_slots); N: its contents
  int nr_node_slots;                              // I: topology's nr_node_ids + 1
  cpu_set node_limit_cpus CMWQ_GUARDED_BY(mutex); // WQ: CPUs of the attrs in force (node limits)

  // Flush colours (R19, R20).
  core::mutex flush_mutex;                       // FL
  std::condition_variable_any flush_cv;          // FL: colour freed or a counter reached zero
  int work_color CMWQ_GUARDED_BY(flush_mutex) = 0;   // FL: colour of items queued now
  int flush_color CMWQ_GUARDED_BY(flush_mutex) = 0;  // FL: oldest colour not yet retired
  std::atomic<int> nr_flushers{0};               // X: seq_cst; pairs with pwq_dec_nr_in_flight()
  core::mutex flush_wait_lock;                   // FW: innermost; only to sleep and wake flushers
  std::condition_variable_any flush_wait_cv;     // FW

  // Rescuer (WQ_MEM_RECLAIM).
  worker* rescuer = nullptr;                     // I
  event* rescuer_exited = nullptr;               // I: signalled by the rescuer as it exits
  core::mutex mayday_lock;                       // M
  list_node maydays CMWQ_GUARDED_BY(mayday_lock);    // M: pwqs asking for help

  // Lockdep (semantics.md 7.1, wq_lockdep.cpp): the (wq_completion) pseudo-lock, held while any
  // item runs and taken by flushes. Its key is own_lockdep_key's address unless the caller gave
  // a map; an own key is unregistered when the queue is destroyed.
  lockdep::map lockdep_map{};                    // I
  char lockdep_name[wq_name_len + 16] = {};      // I
  char own_lockdep_key = 0;                      // I: only its address matters

  workqueue(int nr_cpus, int nr_nodes)
      : ops(nr_cpus),
        cpu_pwqs(new std::atomic<pool_workqueue*>[static_cast<std::size_t>(nr_cpus)]()),
        pwqs(static_cast<std::size_t>(nr_cpus) + max_extra_pwqs),
        node_active(new node_nr_active[static_cast<std::size_t>(nr_nodes) + 1]),
        nr_node_slots(nr_nodes + 1) {
    for (int i = 0; i < nr_node_slots; ++i) list_init(&node_active[static_cast<std::size_t>(i)].pending_pwqs);
    list_init(&maydays);
  }
  node_nr_active& node_slot(int i) const { return node_active[static_cast<std::size_t>(i)]; }
  bool is_unbound() const { return flags.load(std::memory_order_relaxed) & wq_flag::unbound; }
  bool is_ordered() const { return flags.load(std::memory_order_relaxed) & wq_flag::ordered; }
  bool is_bh() const { return flags.load(std::memory_order_relaxed) & wq_flag::bh; }
  // Acquire: pairs with the release store of install_unbound_pwqs().
  pool_workqueue* pwq_for_cpu(int cpu) const {
    return cpu_pwqs[static_cast<std::size_t>(cpu)].load(std::memory_order_acquire);
  }
  // Beyond one pwq per CPU, the pools a queue may be moved to by attribute changes (pwq_set).
  static constexpr std::size_t max_extra_pwqs = 64;
};

// --- handles ------------------------------------------------------------------------------------

// Holds an op reference on a live queue for the duration of a call.
class wq_ref {
 public:
  wq_ref() = default;
  explicit wq_ref(wq_handle h) noexcept;
  ~wq_ref() { reset(); }
  wq_ref(const wq_ref&) = delete;
  wq_ref& operator=(const wq_ref&) = delete;
  workqueue* get() const { return wq_; }
  workqueue* operator->() const { return wq_; }
  explicit operator bool() const { return wq_ != nullptr; }
  void reset() noexcept;

 private:
  workqueue* wq_ = nullptr;
  int slot_ = 0;
};

// Number of system queues; their handles are constants (slots 1..n, generation 1).
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

// --- the engine's queue API ------------------------------------------------------------------

// name: already formatted. Returns 0 on invalid flags or failure. Unbound queues take their
// affinity scope (-1: the default scope, else a value of enum class affinity_scope) and
// strictness (section 5.9).
// @lockdep_map: a caller's (wq_completion) class to share (alloc_workqueue_lockdep_map()), or null
// for the queue's own.
wq_handle alloc_workqueue(const char* name, unsigned flags, int max_active, int affinity_scope = -1,
                          bool affinity_strict = false, const lockdep::map* lockdep_map = nullptr) noexcept;
void destroy_workqueue(wq_handle h) noexcept;

// wq_lockdep.cpp: the queue's (wq_completion) map.
void wq_lockdep_init(workqueue* wq) noexcept;  // its own class, named after the queue
// Adopts @caller_map if given, then taints a reclaim-annotated queue (fs_reclaim -> the map).
void wq_lockdep_finish(workqueue* wq, const lockdep::map* caller_map) noexcept;
void wq_lockdep_release(workqueue* wq) noexcept;  // forgets an own class (at destroy)
// "This call waits for every item of @wq": acquire and release its map.
void touch_wq_lockdep_map(workqueue* wq, std::uintptr_t ip) noexcept;
void flush_workqueue(wq_handle h) noexcept;
void drain_workqueue(wq_handle h) noexcept;
void workqueue_set_max_active(wq_handle h, int max_active) noexcept;
void workqueue_set_min_active(wq_handle h, int min_active) noexcept;
bool workqueue_congested(int cpu, wq_handle h) noexcept;
bool workqueue_valid(wq_handle h) noexcept;
unsigned workqueue_flags(wq_handle h) noexcept;
const char* workqueue_name(wq_handle h, char* buf, std::size_t size) noexcept;
std::size_t live_workqueues() noexcept;

struct wq_stats {
  std::uint64_t v[pwq_nr_stats];
  int max_active, nr_active, nr_inactive;
  std::uint64_t in_flight;  // max(started - completed, 0): items executing now (wq_monitor's infl)
  unsigned flags;           // wq_flag bits (unbound, mem_reclaim... pick the monitor's columns)
};
bool workqueue_stats(wq_handle h, wq_stats* out) noexcept;

void freeze_workqueues_begin() noexcept;
bool freeze_workqueues_busy() noexcept;
void thaw_workqueues() noexcept;

work* current_work() noexcept;
bool current_is_workqueue_rescuer() noexcept;
bool current_is_workqueue_mem_reclaim() noexcept;
void set_worker_desc(const char* desc) noexcept;
void current_worker_comm(char* buf, std::size_t size) noexcept;
void show_all_workqueues() noexcept;
void show_one_workqueue(wq_handle h) noexcept;

// --- internal, shared between core files ------------------------------------------------------

// Queues an item whose PENDING bit the caller owns. Returns false if it was dropped (PENDING
// is cleared then).
bool queue_work_owned(int cpu, wq_handle h, work* w) noexcept;
void pwq_activate_work(pool_workqueue* pwq, work* w) CMWQ_NO_TSA;
bool pwq_activate_first_inactive(pool_workqueue* pwq) CMWQ_NO_TSA;
bool pwq_tryinc_nr_active(pool_workqueue* pwq) CMWQ_NO_TSA;
// Called at completion/steal with pool lock held; returns a pwq of another pool to activate
// after the lock is dropped (unbound queues), or nullptr.
void pwq_dec_nr_in_flight(pool_workqueue* pwq, int color, bool was_active) CMWQ_NO_TSA;
// Hands free slots of node slot `node` to its waiting pwqs (round robin); takes pool locks, so the
// caller holds none.
void activate_pending_unbound(workqueue* wq, int node) noexcept;
// wq_update_node_max_active(): each node's limit from the limits in force and `cpus` (the CPUs of
// the attrs in force, which it records), then activates what now fits. WQ held, no pool lock.
void update_node_max_active(workqueue* wq, const cpu_set& cpus) noexcept;
// The node slot a pwq of `pool` counts in: the pool's node, or the last slot when its CPUs span
// several nodes (or it is not unbound).
int pool_node_slot(const worker_pool* pool, const workqueue* wq) noexcept;
// semantics.md 7.3: warns (once per process each) when the caller is in memory reclaim (PF_MEMALLOC)
// or runs an item of a WQ_MEM_RECLAIM queue, and waits on `target`, which has no rescuer and so
// may need a new worker, hence memory, to make progress. `target_func`: the flushed item's
// function, nullptr for a whole-queue flush. Called only when there is something to wait for.
void check_flush_dependency(const workqueue* target, work_fn target_func) noexcept;
void send_mayday(pool_workqueue* pwq) noexcept;
// late_work.cpp: an item could not be queued on handle `h` (invalid or destroyed). For a destroyed
// queue: WARN once per destroyed queue and count the rest; else WARN. Always counted.
void warn_queue_on_dead_handle(wq_handle h, const work* w) noexcept;
// late_work.cpp: records the name of the generation `gen` of `wq` that destroy_workqueue() ends.
void note_destroyed(workqueue* wq, std::uint32_t gen) noexcept;
// late_work.cpp: prints, for every destroyed queue whose late items were counted and not printed,
// how many there were (and forgets them). Runs at exit too.
void report_late_work() noexcept;
// workqueue.cpp: the queue object behind `h`'s slot whatever its generation, or nullptr.
workqueue* workqueue_of_slot(wq_handle h) noexcept;
std::uint32_t wq_handle_gen(wq_handle h) noexcept;
void for_each_workqueue_object(void (*fn)(workqueue*)) noexcept;
bool pwq_is_live(const pool_workqueue* pwq) noexcept;
// A new pwq linking `wq` to `pool` (counted in the pool's refcnt); nullptr on failure.
pool_workqueue* new_pwq(worker_pool* pool, workqueue* wq, int max_active);
// Undoes new_pwq(); the pwq must be empty and unreachable (no slot, no item).
void release_pwq(pool_workqueue* pwq);

}  // namespace cmwq::core
