// include/cmwq/work.hpp - embeddable work items for the C++ API.
//
//   cmwq::work          one deferred call of a closure, embedded in the object it serves (like
//                       the kernel's struct work_struct): no allocation when queued.
//   cmwq::delayed_work  a work plus a timer, for queue::enqueue_delayed().
//
// States of an item (semantics.md R1):
//
//   state              | pending() | what happens next
//   -------------------+-----------+-----------------------------------------------------
//   idle               |   false   | enqueue() returns true and queues it
//   on timer           |   true    | the timer queues it; enqueue() returns false
//   pending            |   true    | a worker will run it once; enqueue() returns false
//   running            |   false   | enqueue() returns true: it runs once more, afterwards
//   running + pending  |   true    | it runs once more after the current run
//   disabled           |   false   | every enqueue() returns false until enable()
//   canceling          |   false   | cancel_sync() in progress: enqueue() returns false
//
// A work item runs on at most one worker at a time, system-wide (R5). Its destructor cancels it
// and waits for a running instance (cancel_sync), so an object that embeds one can be destroyed
// safely; destroying it from inside its own closure warns instead of waiting for itself.
// Items are neither copyable nor movable: the address is the item's identity.
#pragma once

#include <chrono>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include <cmwq/detail.hpp>
#include <cmwq/item_closure.hpp>

namespace cmwq {

class queue;

class work {
 public:
  // work::work() - an idle item that runs `fn` each time it is queued. Never blocks.
  template <class F>
  explicit work(F&& fn) {
    detail::work_init(&raw_, closure_.store<sizeof(detail::raw_work)>(std::forward<F>(fn)),
                      &detail::lockdep_class_of<std::decay_t<F>>::cls);
  }
  // work::~work() - cancel_sync(): no instance is pending or running afterwards.
  ~work();
  work(const work&) = delete;
  work& operator=(const work&) = delete;

  // work::flush() - waits until the instance pending or running now has finished. May block;
  // not from interrupt context. Returns false at once if the item was idle (R15-R16).
  bool flush() noexcept;
  // work::cancel() - removes a pending instance; never waits. True if one was pending (R26).
  bool cancel() noexcept;
  // work::cancel_sync() - cancel() and wait for a running instance; a closure that re-queues
  // itself is stopped. True if an instance was pending (R27). May block.
  bool cancel_sync() noexcept;
  // work::disable() / disable_sync() - like cancel, and every later enqueue fails until a
  // matching enable(). Counted up to 65535 (R38).
  bool disable() noexcept;
  bool disable_sync() noexcept;
  // work::enable() - undoes one disable(). True when the count is back at zero.
  bool enable() noexcept;
  // work::pending() - queued, on a timer, or being queued (racy snapshot).
  bool pending() const noexcept { return __atomic_load_n(&raw_.data, __ATOMIC_RELAXED) & 1; }
  // work::running() - a worker executes it now (racy snapshot).
  bool running() noexcept;

  // --- detail -----------------------------------------------------------------------------------
  detail::raw_work* raw() noexcept { return &raw_; }

 private:
  detail::raw_work raw_{};        // the engine's item; the closure follows it directly
  detail::item_closure closure_;  // what raw_.func calls (set once, never changed)
};

class delayed_work {
 public:
  template <class F>
  explicit delayed_work(F&& fn) {
    auto* c = ::new (static_cast<void*>(&raw_.timer.function)) detail::item_closure;
    detail::delayed_work_init(&raw_, c->store<closure_offset>(std::forward<F>(fn)),
                              &detail::lockdep_class_of<std::decay_t<F>>::cls);
  }
  // delayed_work::~delayed_work() - cancel_sync(): timer deleted, nothing pending or running.
  ~delayed_work();
  delayed_work(const delayed_work&) = delete;
  delayed_work& operator=(const delayed_work&) = delete;

  // Same contracts as work's; the timer counts as pending. flush() fires an armed timer now and
  // waits for that run (R17).
  bool flush() noexcept;
  bool cancel() noexcept;
  bool cancel_sync() noexcept;
  bool disable() noexcept;
  bool disable_sync() noexcept;
  bool enable() noexcept;
  bool pending() const noexcept { return __atomic_load_n(&raw_.work.data, __ATOMIC_RELAXED) & 1; }
  // delayed_work::running() - a worker executes it now (racy snapshot; work_busy()).
  bool running() noexcept;

  // --- detail -----------------------------------------------------------------------------------
  detail::raw_delayed_work* raw() noexcept { return &raw_; }

 private:
  // The closure lives in the timer's function word: a delayed item's timer always calls the
  // engine's delayed_work_timer_fn, so detail::delayed_work_init() marks the timer as such and
  // the engine never reads or writes that word (issue 14: 96 bytes instead of 104).
  static constexpr std::size_t closure_offset =
      offsetof(detail::raw_delayed_work, timer) + offsetof(detail::raw_timer, function);
  static_assert(sizeof(detail::raw_timer::function) == sizeof(detail::item_closure) &&
                closure_offset % alignof(detail::item_closure) == 0);
  detail::item_closure* closure() noexcept {
    return std::launder(reinterpret_cast<detail::item_closure*>(reinterpret_cast<char*>(&raw_) + closure_offset));
  }

  detail::raw_delayed_work raw_{};  // the engine's item, with the closure inside (set once)
};

}  // namespace cmwq
