// include/cmwq/rcu_work.hpp - RCU from C++: work queued only after a grace period.
//
//   cmwq::rcu_work  a work item that rcu_work::enqueue() queues on a queue once every RCU
//                   read-side critical section running at the call has ended (queue_rcu_work):
//                   its closure may free what those readers could still see.
//   cmwq::rcu_read_guard   an RCU read-side critical section for its scope (rcu_read_lock()).
//   cmwq::synchronize_rcu() waits for a grace period.
//
// These are the C API's RCU (docs/rcu.md, U9-1..U9-6): liburcu's membarrier flavour, shared with
// kernel-style code in the same process, so a C reader holds back a C++ rcu_work and the other
// way round. They live in cmwq::kcompat (pkg-config cmwq-kcompat), which carries liburcu; a
// program that uses them links that library too.
#pragma once

#include <type_traits>
#include <utility>

#include <cmwq/detail.hpp>
#include <cmwq/queue.hpp>
#include <cmwq/unique_function.hpp>

namespace cmwq {

class rcu_work {
 public:
  // rcu_work::rcu_work() - an idle item that runs `fn` each time it is queued. Never blocks.
  template <class F>
  explicit rcu_work(F&& fn) : fn_(std::forward<F>(fn)) {
    detail::work_init(&node_.raw.work, &trampoline, &detail::lockdep_class_of<std::decay_t<F>>::cls);
  }
  // rcu_work::~rcu_work() - waits for a grace period still in flight for it (the item is then on
  // its queue), then cancels and waits for a running instance (cancel_sync). May block.
  ~rcu_work();
  rcu_work(const rcu_work&) = delete;
  rcu_work& operator=(const rcu_work&) = delete;

  // rcu_work::enqueue() - queues the item on `q` after a full RCU grace period
  // (queue_rcu_work()). Never blocks. False if it was already pending (it still runs once), or,
  // with a WARNING, if it is disabled. Callable inside a read-side critical section.
  bool enqueue(queue q) noexcept;
  // rcu_work::flush() - waits for the grace period of a pending item, then for its run
  // (flush_rcu_work()). May block; never inside a read-side critical section. True if it was
  // pending or running.
  bool flush() noexcept;
  // rcu_work::pending() - waiting for its grace period, queued, or being queued (racy snapshot).
  bool pending() const noexcept { return __atomic_load_n(&node_.raw.work.data, __ATOMIC_RELAXED) & 1; }

  // --- detail -----------------------------------------------------------------------------------
  detail::raw_rcu_work* raw() noexcept { return &node_.raw; }

 private:
  struct node {
    detail::raw_rcu_work raw;  // first: the work_struct* the engine passes converts back
    rcu_work* self;
  };
  static void trampoline(::work_struct* w) { reinterpret_cast<node*>(w)->self->fn_(); }
  node node_{{}, this};
  unique_function<void()> fn_;
};

// rcu_read_guard - rcu_read_lock() for the guard's scope. Never blocks; the scope must not sleep
// (a sleep there WARNs, U9-4). Nests.
class rcu_read_guard {
 public:
  rcu_read_guard() noexcept;
  ~rcu_read_guard();
  rcu_read_guard(const rcu_read_guard&) = delete;
  rcu_read_guard& operator=(const rcu_read_guard&) = delete;
};

// synchronize_rcu() - returns once every read-side critical section that began before the call
// has ended. May block; inside one it WARNs and returns at once (U9-4).
void synchronize_rcu() noexcept;

}  // namespace cmwq
