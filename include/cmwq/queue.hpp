// include/cmwq/queue.hpp - workqueues for the C++ API.
//
//   cmwq::queue         a non-owning, generation-checked handle (cheap to copy). Using it after
//                       its queue was destroyed warns and fails; it never touches freed memory.
//   cmwq::queue_ref     the same type, under the name that says "I do not own this".
//   cmwq::owned_queue   sole owner: its destructor drains and destroys the queue. Move-only.
//   cmwq::builder       how queues are made (flags as named methods; see builder.hpp).
//   cmwq::system(), system_highpri(), ...   the system queues, created on first use.
//   cmwq::blocking_scope  tells the pool that the calling worker is about to block.
//   cmwq::reclaim_scope   marks the calling thread as freeing memory (flush checks, 7.3).
//
// Traps: flushing or draining a queue from one of its own items would deadlock and is refused
// with a warning; items that a memory-reclaim path waits for belong on a mem_reclaim() queue.
#pragma once

#include <chrono>
#include <cstdint>
#include <new>
#include <string>
#include <system_error>
#include <utility>

#include <cmwq/detail.hpp>
#include <cmwq/work.hpp>

namespace cmwq {

inline constexpr int any_cpu = 4096;  // WORK_CPU_UNBOUND: the local CPU (or its pod)

struct queue_stats {
  std::uint64_t started, completed, cpu_time_us, cpu_intensive, cm_wakeup, repatriated, mayday, rescued;
  int max_active, nr_active, nr_inactive;
  std::uint64_t in_flight;  // items executing now: max(started - completed, 0)
  unsigned flags;           // the queue's WQ_* flags (unbound, mem_reclaim... pick monitor columns)
};

class queue {
 public:
  queue() = default;
  // --- detail: wraps an engine handle (also the C API's struct workqueue_struct *) ------------
  explicit queue(std::uintptr_t handle) noexcept : h_(handle) {}
  std::uintptr_t handle() const noexcept { return h_; }

  // queue::valid() - the queue exists (not destroyed, not empty).
  bool valid() const noexcept;
  explicit operator bool() const noexcept { return valid(); }

  // queue::enqueue() - queues `w` on the local CPU's pwq unless it is already pending. Never
  // blocks or allocates; callable from any thread, an item of this queue included.
  // Returns true if `w` was idle and is now pending here; false if it was already pending or is
  // disabled (nothing changes). On a draining or destroyed queue (from outside): warns, false.
  // Memory ordering: writes made before a call that returns true happen-before the start of the
  // run it guarantees.
  bool enqueue(work& w) const noexcept { return enqueue_on(any_cpu, w); }
  bool enqueue_on(int cpu, work& w) const noexcept;

  // queue::enqueue_delayed() - arms `w` to be queued after `delay` (0: queued now, R36). False if
  // it was already pending; its deadline is then unchanged. Same ordering as enqueue().
  template <class Rep, class Period>
  bool enqueue_delayed(delayed_work& w, std::chrono::duration<Rep, Period> delay) const noexcept {
    return enqueue_delayed_ms(any_cpu, w, to_ms(delay));
  }
  // queue::enqueue_delayed_on() - enqueue_delayed() onto `cpu`'s pwq when the timer fires
  // (queue_delayed_work_on). A CPU outside the process warns once and runs it locally (U2).
  template <class Rep, class Period>
  bool enqueue_delayed_on(int cpu, delayed_work& w, std::chrono::duration<Rep, Period> delay) const noexcept {
    return enqueue_delayed_ms(cpu, w, to_ms(delay));
  }
  // queue::modify_delayed_on() - modify_delayed() onto `cpu` (mod_delayed_work_on).
  template <class Rep, class Period>
  bool modify_delayed_on(int cpu, delayed_work& w, std::chrono::duration<Rep, Period> delay) const noexcept {
    return modify_delayed_ms(cpu, w, to_ms(delay));
  }
  // queue::modify_delayed() - (re)arms `w` with a new delay whatever its state (mod_delayed_work).
  // Returns true if it was pending before.
  template <class Rep, class Period>
  bool modify_delayed(delayed_work& w, std::chrono::duration<Rep, Period> delay) const noexcept {
    return modify_delayed_ms(any_cpu, w, to_ms(delay));
  }

  // queue::try_spawn() - runs `fn` once on this queue, in a heap-allocated item freed after
  // the run. Never blocks. Returns errc::not_enough_memory (dropping `fn`) if allocation fails,
  // errc::invalid_argument (with a warning) if the queue is destroyed or draining.
  template <class F>
  std::error_code try_spawn(F&& fn) const noexcept;

  // queue::flush() - waits for every item queued before the call (R19). May block.
  void flush() const noexcept;
  // queue::drain() - waits until the queue is empty, chained items included (R22). May block.
  void drain() const noexcept;
  // queue::set_max_active() - clamps to [1, 2048] with a warning; refused on ordered queues.
  void set_max_active(int max_active) const noexcept;
  // queue::set_min_active() - unbound, unordered queues only (else a warning, nothing changes);
  // clamped to [0, max_active] (workqueue_set_min_active).
  void set_min_active(int min_active) const noexcept;
  // queue::reclaim_annotated() - built with mem_reclaim() and mem_warn_on_reclaim()
  // (workqueue_is_reclaim_annotated); false for a destroyed queue.
  bool reclaim_annotated() const noexcept;
  // queue::congested() - items are waiting for max_active on `cpu`'s pwq (racy snapshot).
  bool congested(int cpu = any_cpu) const noexcept;
  std::string name() const;
  bool stats(queue_stats* out) const noexcept;

 private:
  static unsigned long to_ms(std::chrono::nanoseconds d) noexcept {
    if (d.count() <= 0) return 0;
    return static_cast<unsigned long>((d.count() + 999999) / 1000000);  // round up: never early
  }
  bool enqueue_delayed_ms(int cpu, delayed_work& w, unsigned long ms) const noexcept;
  bool modify_delayed_ms(int cpu, delayed_work& w, unsigned long ms) const noexcept;
  bool spawn_raw(detail::raw_work* w) const noexcept;
  std::uintptr_t h_ = 0;
};

using queue_ref = queue;

// Owns one queue; its destructor drains and destroys it (blocks until its items finished).
class owned_queue {
 public:
  owned_queue() = default;
  explicit owned_queue(queue q) noexcept : q_(q) {}
  ~owned_queue() { reset(); }
  owned_queue(owned_queue&& o) noexcept : q_(std::exchange(o.q_, queue{})) {}
  owned_queue& operator=(owned_queue&& o) noexcept {
    if (this != &o) {
      reset();
      q_ = std::exchange(o.q_, queue{});
    }
    return *this;
  }
  owned_queue(const owned_queue&) = delete;
  owned_queue& operator=(const owned_queue&) = delete;

  const queue* operator->() const noexcept { return &q_; }
  const queue& operator*() const noexcept { return q_; }
  queue_ref ref() const noexcept { return q_; }
  explicit operator bool() const noexcept { return q_.handle() != 0; }
  // owned_queue::reset() - drains and destroys the queue now. May block. Called from one of the
  // queue's own items it would wait for itself: it warns, and the queue stays owned (the
  // destructor, or a later reset() from outside, destroys it).
  void reset() noexcept;

 private:
  queue q_;
};

// The system queues (semantics.md 2.9), created on first use and never destroyed.
queue system();                             // events: per-CPU, short items (= system_percpu())
queue system_percpu();
queue system_highpri();                     // events_highpri: nice -20 pools
queue system_long();                        // events_long: items that may run long
queue system_unbound();                     // events_unbound (= system_dfl())
queue system_dfl();
queue system_freezable();                   // events_freezable
queue system_power_efficient();             // events_power_efficient
queue system_freezable_power_efficient();   // events_freezable_pwr_efficient
queue system_dfl_long();                    // events_dfl_long: unbound, long-running items
// BH queues (docs/bh.md): items run in softirq context on the queueing CPU, one at a time in
// queueing order, and must not block (blocking calls warn there).
queue system_bh();                          // events_bh
queue system_bh_highpri();                  // events_bh_highpri

// Freezing (semantics.md 5.13): freeze_begin() makes every freezable queue hold newly queued
// items back; freeze_busy() says whether any of them still runs an item; thaw() releases them.
void freeze_begin() noexcept;
bool freeze_busy() noexcept;
void thaw() noexcept;

// set_worker_desc() - from inside an item: describe what the worker does; current_worker_comm()
// shows it as "<worker>+<desc>" while the item runs, "-<desc>" afterwards (section 6.1). Outside
// a worker the first does nothing and the second returns "".
void set_worker_desc(const std::string& desc) noexcept;
std::string current_worker_comm();

// blocking_scope - declare a blocking section in a work item (a wait the library cannot see:
// a raw system call, a third-party lock). A per-CPU pool then runs its other items meanwhile,
// exactly where the kernel's scheduler hooks would fire. Nests; free outside workers.
class blocking_scope {
 public:
  blocking_scope() noexcept;
  ~blocking_scope();
  blocking_scope(const blocking_scope&) = delete;
  blocking_scope& operator=(const blocking_scope&) = delete;
};

// reclaim_scope - mark the calling thread as freeing memory for the scope's life (the kernel's
// memalloc_noreclaim_save(), PF_MEMALLOC). Waiting there for a queue that is not mem_reclaim() may
// deadlock, since that queue can need a new worker, hence memory; flush() or drain() of one with
// work to wait for warns once per process ("workqueue: PF_MEMALLOC task ... is flushing
// !WQ_MEM_RECLAIM ..."). Nests; any thread.
class reclaim_scope {
 public:
  reclaim_scope() noexcept;
  ~reclaim_scope();
  reclaim_scope(const reclaim_scope&) = delete;
  reclaim_scope& operator=(const reclaim_scope&) = delete;

 private:
  bool outer_;  // the thread was in a scope already
};

// The item the calling worker executes, or nullptr (also outside workers).
const void* current_work() noexcept;
// WARNINGs printed since start.
unsigned long warn_count() noexcept;

// How concurrency management learns of blocking that no blocking_scope announces: scheduler
// events (perf_event_open), the /proc sampler, or not at all. Chosen once per process
// (CMWQ_CM_OBSERVE=perf|proc|off, else perf where allowed, else proc); it turns to proc if a
// worker's events cannot be opened later. docs/concurrency.md.
enum class cm_observer { off, proc, perf };
cm_observer cm_observe() noexcept;

// --- inline template parts ------------------------------------------------------------------------

namespace detail {
template <class F>
struct spawned {
  raw_work raw;  // first member
  F fn;
  static void run(::work_struct* w) {
    auto* self = reinterpret_cast<spawned*>(w);
    self->fn();
    self->~spawned();
    spawn_free(self, sizeof(spawned), alignof(spawned));
  }
};
}  // namespace detail

template <class F>
std::error_code queue::try_spawn(F&& fn) const noexcept {
  using node = detail::spawned<std::decay_t<F>>;
  void* mem = detail::spawn_alloc(sizeof(node), alignof(node));
  if (!mem) return std::make_error_code(std::errc::not_enough_memory);
  auto* n = new (mem) node{{}, std::forward<F>(fn)};
  detail::work_init(&n->raw, &node::run, &detail::lockdep_class_of<std::decay_t<F>>::cls);
  if (!spawn_raw(&n->raw)) {
    n->~node();
    detail::spawn_free(mem, sizeof(node), alignof(node));
    return std::make_error_code(std::errc::invalid_argument);
  }
  return {};
}

}  // namespace cmwq
