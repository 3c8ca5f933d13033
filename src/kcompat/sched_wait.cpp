// src/kcompat/sched_wait.cpp - prepare_to_wait(), finish_wait(): the open-coded wait loop.
//
// The problem: kernel code writes the wait loop by hand (DEFINE_WAIT, prepare_to_wait(), test,
// schedule(), finish_wait()) and must not lose a wake_up() that comes between its test and its
// schedule(). The approach reuses the wait queue's wake-up sequence (wait.cpp): prepare_to_wait()
// registers the task as a waiter once and records the sequence on every call; schedule() then
// sleeps while the sequence is unchanged, so a wake_up() after the last prepare_to_wait() ends it.
// wake_up_process() ends it too (the queue is registered with the task state, task_state.hpp).
// The entry prepared last is the calling thread's (one per task, as in the kernel).
#include <climits>

#include <linux/sched.h>
#include <linux/wait.h>

#include "core/warn.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/sched_wait.hpp"
#include "kcompat/task_state.hpp"

namespace cmwq::kcompat {
namespace {

thread_local wait_queue_entry* t_pending = nullptr;  // W: the entry prepared and not finished

}  // namespace

bool sched_wait_pending() noexcept { return t_pending && t_pending->cmwq_head; }

void sched_wait_sleep(long long deadline) noexcept {
  wait_queue_head* wq = t_pending->cmwq_head;
  const unsigned int seq = t_pending->cmwq_seq;
  task_state& task = current_task_state();
  wait_queue_sleep_scope registered(wq);
  for (;;) {
    // A wake_up_process() before the scope left TASK_RUNNING behind; after it, it bumps @wq.
    if (__atomic_load_n(&task.state, __ATOMIC_SEQ_CST) == TASK_RUNNING) return;
    // Pairs with the sequence bump in cmwq_wake_up().
    if (__atomic_load_n(&wq->cmwq_seq, __ATOMIC_SEQ_CST) != seq) return;
    if (!futex_wait(&wq->cmwq_seq, seq, deadline)) return;
  }
}

}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void prepare_to_wait(struct wait_queue_head* wq_head, struct wait_queue_entry* wq_entry, int state) {
  if (kcompat::t_pending && kcompat::t_pending != wq_entry && kcompat::t_pending->cmwq_head) {
    CMWQ_WARN("prepare_to_wait: the task already waits with another entry; finish_wait() it first");
    return;
  }
  if (wq_entry->cmwq_head && wq_entry->cmwq_head != wq_head) finish_wait(wq_entry->cmwq_head, wq_entry);
  cmwq_set_current_state(static_cast<unsigned int>(state));
  if (!wq_entry->cmwq_head) {
    wq_entry->cmwq_head = wq_head;
    wq_entry->cmwq_seq = cmwq_wait_prepare(wq_head, "prepare_to_wait");
  } else {
    // Already a waiter: only move the sequence on, so that older wake-ups do not count.
    wq_entry->cmwq_seq = __atomic_load_n(&wq_head->cmwq_seq, __ATOMIC_SEQ_CST);  // partner: cmwq_wake_up()
  }
  kcompat::t_pending = wq_entry;
}

bool prepare_to_wait_exclusive(struct wait_queue_head* wq_head, struct wait_queue_entry* wq_entry, int state) {
  wq_entry->flags |= WQ_FLAG_EXCLUSIVE;
  prepare_to_wait(wq_head, wq_entry, state);
  return true;
}

void finish_wait(struct wait_queue_head* wq_head, struct wait_queue_entry* wq_entry) {
  (void)wq_head;
  cmwq_set_current_state(TASK_RUNNING);
  if (wq_entry->cmwq_head) {
    cmwq_wait_finish(wq_entry->cmwq_head);
    wq_entry->cmwq_head = nullptr;
  }
  if (kcompat::t_pending == wq_entry) kcompat::t_pending = nullptr;
}

}  // extern "C"
