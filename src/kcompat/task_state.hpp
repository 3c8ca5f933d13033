// src/kcompat/task_state.hpp - a task's state word and how another thread wakes it.
//
//   cmwq::kcompat::task_state            TASK_* state (a futex word) and the wait queue it sleeps on
//   cmwq::kcompat::current_task_state()  the calling thread's (its kthread record's, in a kthread)
//   cmwq::kcompat::install_task_state()  a kthread makes its record's state the current one
//   cmwq::kcompat::wake_task()           wake_up_process(): TASK_RUNNING, and wake its sleep
//   cmwq::kcompat::wait_queue_sleep_scope  marks the caller asleep on a wait queue for wake_task()
//
// Why a lock: wake_task() bumps the wait queue its target sleeps on, and that queue may live on
// the sleeper's stack; the sleeper clears waiting_on under the same lock before it returns, so a
// waker never touches a queue that is gone.
#pragma once

#include <linux/sched.h>
#include <linux/wait.h>

#include "core/lock.hpp"

namespace cmwq::kcompat {

struct task_state {
  core::mutex lock;
  // X: a futex word. The owner stores TASK_* states (seq_cst, partner: the exchange in
  // wake_task()); wakers exchange in TASK_RUNNING and then wake the word.
  unsigned int state = TASK_RUNNING;
  wait_queue_head* waiting_on CMWQ_GUARDED_BY(lock) = nullptr;  // the queue it sleeps on, if any
  // X: wake_task() calls so far, bumped under lock; the owner reads it (relaxed) after taking
  // lock itself, which orders it after any wake_task() that ran before.
  unsigned int wakes = 0;
  unsigned int wakes_at_prepare = 0;  // W: wakes when the caller last prepared a wait_event*()
};

task_state& current_task_state() noexcept;
void install_task_state(task_state* state) noexcept;
// Returns true if @t was not running (it was woken).
bool wake_task(task_state& t) noexcept;

// RAII: between construction and destruction, wake_task() on the caller also wakes @wq.
class wait_queue_sleep_scope {
 public:
  explicit wait_queue_sleep_scope(wait_queue_head* wq) noexcept;
  ~wait_queue_sleep_scope();
  // True if wake_task() woke the caller since its last wait_event*() preparation.
  bool woken_since_prepare() const noexcept;
  wait_queue_sleep_scope(const wait_queue_sleep_scope&) = delete;
  wait_queue_sleep_scope& operator=(const wait_queue_sleep_scope&) = delete;

 private:
  task_state& task_;
};

}  // namespace cmwq::kcompat
