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
#include "engine.hpp"
#include "guards.hpp"
#include "event.hpp"
#include "list.hpp"
#include "lock.hpp"
#include "pool_workqueue.hpp"
#include "worker.hpp"

namespace cmwq::core {

// A per-CPU-padded reference count: cheap to take from many threads, summed rarely.
class op_refs {
 public:
  explicit op_refs(int n) : slots_(static_cast<std::size_t>(n)) {}
  int get() noexcept;  // returns the slot to pass to put()
  // The same, for a caller that read its CPU (sched_getcpu()) already. Inline: every queueing.
  int get(int cpu) noexcept {
    // One slot per possible CPU: the modulo (a division) is only for an id beyond them.
    const int n = static_cast<int>(slots_.size());
    const int slot = cpu < 0 ? 0 : cpu < n ? cpu : cpu % n;
    // seq_cst: pairs with the generation bump in destroy_workqueue() (see wq_ref::wq_ref()).
    slots_[static_cast<std::size_t>(slot)].n.fetch_add(1, std::memory_order_seq_cst);
    return slot;
  }
  void put(int slot) noexcept { slots_[static_cast<std::size_t>(slot)].n.fetch_sub(1, std::memory_order_release); }
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
  core::mutex mutex CMWQ_ACQUIRED_BEFORE(worker_pool::lock);  // WQ: pwqs, limits, drainers
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
  core::mutex node_lock CMWQ_ACQUIRED_AFTER(mutex, worker_pool::lock);  // N: nests inside pool locks
  std::unique_ptr<node_nr_active[]> node_active;  // I: the array (nr_node_slots); N: its contents
  int nr_node_slots;                              // I: topology's nr_node_ids + 1
  cpu_set node_limit_cpus CMWQ_GUARDED_BY(mutex); // WQ: CPUs of the attrs in force (node limits)

  // Flush colours (R19, R20).
  core::mutex flush_mutex CMWQ_ACQUIRED_AFTER(mutex) CMWQ_ACQUIRED_BEFORE(worker_pool::lock);  // FL
  std::condition_variable_any flush_cv;          // FL: colour freed or a counter reached zero
  int work_color CMWQ_GUARDED_BY(flush_mutex) = 0;   // FL: colour of items queued now
  int flush_color CMWQ_GUARDED_BY(flush_mutex) = 0;  // FL: oldest colour not yet retired
  std::atomic<int> nr_flushers{0};               // X: seq_cst; pairs with pwq_dec_nr_in_flight()
  core::mutex flush_wait_lock CMWQ_ACQUIRED_AFTER(worker_pool::lock, node_lock);  // FW: innermost
  std::condition_variable_any flush_wait_cv;     // FW

  // Rescuer (WQ_MEM_RECLAIM).
  worker* rescuer = nullptr;                     // I
  event* rescuer_exited = nullptr;               // I: signalled by the rescuer as it exits
  core::mutex mayday_lock CMWQ_ACQUIRED_AFTER(mutex, worker_pool::lock);  // M
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
  // The same, with the caller's CPU as sched_getcpu() gave it (the item path reads it once).
  wq_ref(wq_handle h, int cpu) noexcept;
  ~wq_ref() { reset(); }
  wq_ref(const wq_ref&) = delete;
  wq_ref& operator=(const wq_ref&) = delete;
  workqueue* get() const { return wq_; }
  workqueue* operator->() const { return wq_; }
  explicit operator bool() const { return wq_ != nullptr; }
  void reset() noexcept {
    if (wq_) wq_->ops.put(slot_);
    wq_ = nullptr;
  }

 private:
  workqueue* wq_ = nullptr;
  int slot_ = 0;
};

// --- lockdep of a queue (wq_lockdep.cpp) -------------------------------------------------------

void wq_lockdep_init(workqueue* wq) noexcept;  // its own class, named after the queue
// Adopts @caller_map if given, then taints a reclaim-annotated queue (fs_reclaim -> the map).
void wq_lockdep_finish(workqueue* wq, const lockdep::map* caller_map) noexcept;
void wq_lockdep_release(workqueue* wq) noexcept;  // forgets an own class (at destroy)
// "This call waits for every item of @wq": acquire and release its map.
void touch_wq_lockdep_map(workqueue* wq, std::uintptr_t ip) noexcept;

// --- internal, shared between core files (the pwq's calls: pool_workqueue.hpp) -----------------

// semantics.md 7.3: warns (once per process each) when the caller is in memory reclaim (PF_MEMALLOC)
// or runs an item of a WQ_MEM_RECLAIM queue, and waits on `target`, which has no rescuer and so
// may need a new worker, hence memory, to make progress. `target_func`: the flushed item's
// function, nullptr for a whole-queue flush. Called only when there is something to wait for.
void check_flush_dependency(const workqueue* target, work_fn target_func) noexcept;
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
// Calls fn(wq, ctx) for every live queue (registry lock held: fn must not make or destroy one).
void for_each_workqueue(void (*fn)(workqueue*, void*), void* ctx) noexcept;

// flush.cpp: the bodies of flush_workqueue() and drain_workqueue(), on a queue the caller holds.
void flush_wq(workqueue* wq);
void drain_wq(workqueue* wq);

}  // namespace cmwq::core
