// src/kcompat/wait.cpp - wait queues: wait_event*() and wake_up*() on a futex word.
//
// The problem: wait_event(wq, cond) must sleep until another thread makes @cond true and calls
// wake_up(&wq), with no lost wake-up, on a plain C structure that works zero-initialised. The
// approach: the head holds a wake-up sequence number (the futex word) and a count of waiters.
// A waiter registers (waiters++), reads the sequence, tests its condition, and sleeps only while
// the sequence is unchanged. wake_up() bumps the sequence and, if anyone is registered, wakes all
// sleepers (cmwq's waiters are all non-exclusive).
//
// Lost wake-ups: the waiter's waiters++ and sequence read, and wake_up()'s sequence bump and
// waiters read, are seq_cst. If wake_up() reads waiters == 0, the waiter registered later, so its
// sequence read (and then its condition test) comes after the bump and after the waker's writes.
// Otherwise wake_up() wakes the futex, and a waiter not yet asleep finds the sequence changed.
//
// Memory ordering: the bump is a seq_cst RMW (release) and the waiter's read of the sequence is
// seq_cst (acquire), so the waker's writes before wake_up() are visible to the condition test that
// follows a sequence read that saw the bump.
//
// wake_up_process() (kthread_stop()) also ends the sleep, as in the kernel where the waiter's
// task state is a sleeping one: the sleeper registers the queue with its task state
// (task_state.hpp), so the waker bumps the queue, and a wake-up that came between preparing and
// registering is seen through the task's wake count.
#include <climits>

#include <linux/sched.h>
#include <linux/wait.h>

#include "core/context.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/task.hpp"
#include "kcompat/task_state.hpp"

using namespace cmwq;

extern "C" {

void cmwq_init_waitqueue_head(struct wait_queue_head* wq_head) {
  __atomic_store_n(&wq_head->cmwq_seq, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&wq_head->cmwq_waiters, 0u, __ATOMIC_RELAXED);
}

void cmwq_wake_up(struct wait_queue_head* wq_head) {
  // Pairs with the waiters++ and sequence read in cmwq_wait_prepare(): see the file comment.
  __atomic_fetch_add(&wq_head->cmwq_seq, 1u, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&wq_head->cmwq_waiters, __ATOMIC_SEQ_CST) != 0) kcompat::futex_wake(&wq_head->cmwq_seq, INT_MAX);
}

bool waitqueue_active(struct wait_queue_head* wq_head) {
  return __atomic_load_n(&wq_head->cmwq_waiters, __ATOMIC_RELAXED) != 0;
}

unsigned int cmwq_wait_prepare(struct wait_queue_head* wq_head, const char* func) {
  (void)func;  // the caller's wait_event*() has checked might_sleep() already
  kcompat::task_state& task = kcompat::current_task_state();
  task.wakes_at_prepare = __atomic_load_n(&task.wakes, __ATOMIC_RELAXED);
  // Pairs with the sequence bump and waiters read in cmwq_wake_up().
  __atomic_fetch_add(&wq_head->cmwq_waiters, 1u, __ATOMIC_SEQ_CST);
  return __atomic_load_n(&wq_head->cmwq_seq, __ATOMIC_SEQ_CST);
}

bool cmwq_wait_sleep(struct wait_queue_head* wq_head, unsigned int seq, const long long* deadline) {
  const long long limit = deadline ? *deadline : kcompat::no_deadline;
  core::blocking_section blocking;
  kcompat::wait_queue_sleep_scope registered(wq_head);
  if (registered.woken_since_prepare()) return true;  // wake_up_process() came before the scope
  while (__atomic_load_n(&wq_head->cmwq_seq, __ATOMIC_SEQ_CST) == seq) {
    if (!kcompat::futex_wait(&wq_head->cmwq_seq, seq, limit)) return false;
  }
  return true;
}

void cmwq_wait_finish(struct wait_queue_head* wq_head) {
  __atomic_fetch_sub(&wq_head->cmwq_waiters, 1u, __ATOMIC_RELAXED);
}

long long cmwq_wait_deadline(long timeout) {
  if (timeout < 0) timeout = 0;
  return kcompat::deadline_after_jiffies(static_cast<unsigned long>(timeout));
}

long cmwq_wait_remaining(const long long* deadline) {
  if (*deadline == kcompat::no_deadline) return MAX_SCHEDULE_TIMEOUT;
  return static_cast<long>(kcompat::jiffies_until(*deadline));
}

}  // extern "C"
