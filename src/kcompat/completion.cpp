// src/kcompat/completion.cpp - completions on a futex word.
//
// The problem: struct completion must be a plain C structure that works zero-initialised, so it
// cannot embed a C++ mutex or condition variable. The approach: `done` is the event count and the
// futex word; `cmwq_waiters` counts threads inside a wait so that complete() can skip the wake-up
// system call when nobody sleeps.
//
// Lost wake-ups: a waiter increments cmwq_waiters and then reads done; complete() increments done
// and then reads cmwq_waiters. All four accesses are seq_cst, so at least one side sees the
// other's write: either the waiter sees the new count (and does not sleep), or complete() sees the
// waiter (and wakes it; if the wake comes before the waiter reaches the futex, the futex sees done
// != 0 and returns at once). A woken waiter always re-reads done, and a thread only leaves the
// futex's sleeper list by being woken, timing out or seeing a changed word - in each case it
// re-reads done before giving up - so a wake-up is never wasted while an event is left.
//
// Memory ordering: complete()'s increment is a release (seq_cst) RMW and the consuming CAS (or the
// load that sees UINT_MAX) is an acquire, so the completer's earlier writes happen-before the
// waiter's return.
#include <climits>

#include <linux/completion.h>
#include <linux/sched.h>

#include "core/context.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/task.hpp"

namespace cmwq::kcompat {
namespace {

constexpr unsigned int all_done = UINT_MAX;  // complete_all() was called

// Consumes one event if there is one. Pairs with the increment in complete().
bool try_consume(struct completion* x) noexcept {
  unsigned int d = __atomic_load_n(&x->done, __ATOMIC_SEQ_CST);
  for (;;) {
    if (d == 0) return false;
    if (d == all_done) return true;  // complete_all(): stays done, nothing to consume
    if (__atomic_compare_exchange_n(&x->done, &d, d - 1, true, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) return true;
  }
}

// Waits until an event is consumed or @deadline (mono_ns(); no_deadline = never) passes.
// Returns true if it consumed one.
bool wait_common(struct completion* x, long long deadline, const char* who) noexcept {
  (void)sleep_check(who);
  if (try_consume(x)) return true;
  // Pairs with the load of cmwq_waiters in complete()/complete_all(): see the file comment.
  __atomic_fetch_add(&x->cmwq_waiters, 1, __ATOMIC_SEQ_CST);
  bool got = false;
  bool blocking = false;  // tell the pool only once we really go to sleep
  for (;;) {
    if (try_consume(x)) {
      got = true;
      break;
    }
    if (!blocking) {
      core::blocking_begin();
      blocking = true;
    }
    if (!futex_wait(&x->done, 0, deadline)) {
      got = try_consume(x);  // an event may have arrived right at the deadline
      break;
    }
  }
  if (blocking) core::blocking_end();
  __atomic_fetch_sub(&x->cmwq_waiters, 1, __ATOMIC_RELAXED);
  return got;
}

unsigned long wait_timeout(struct completion* x, unsigned long timeout, const char* who) noexcept {
  if (timeout >= static_cast<unsigned long>(MAX_SCHEDULE_TIMEOUT)) {
    (void)wait_common(x, no_deadline, who);
    return timeout;
  }
  const long long deadline = deadline_after_jiffies(timeout);
  if (!wait_common(x, deadline, who)) return 0;
  const unsigned long left = jiffies_until(deadline);
  return left ? left : 1;
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void init_completion(struct completion* x) {
  __atomic_store_n(&x->done, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&x->cmwq_waiters, 0u, __ATOMIC_RELAXED);
}

void reinit_completion(struct completion* x) { __atomic_store_n(&x->done, 0u, __ATOMIC_RELEASE); }

void complete(struct completion* x) {
  unsigned int d = __atomic_load_n(&x->done, __ATOMIC_RELAXED);
  do {
    if (d >= kcompat::all_done - 1) break;  // complete_all() already, or saturated just below it
  } while (!__atomic_compare_exchange_n(&x->done, &d, d + 1, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
  // Pairs with the increment of cmwq_waiters in wait_common().
  if (__atomic_load_n(&x->cmwq_waiters, __ATOMIC_SEQ_CST) != 0) kcompat::futex_wake(&x->done, 1);
}

void complete_all(struct completion* x) {
  __atomic_store_n(&x->done, kcompat::all_done, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&x->cmwq_waiters, __ATOMIC_SEQ_CST) != 0) kcompat::futex_wake(&x->done, INT_MAX);
}

void wait_for_completion(struct completion* x) {
  (void)kcompat::wait_common(x, kcompat::no_deadline, "wait_for_completion");
}

void wait_for_completion_io(struct completion* x) {
  (void)kcompat::wait_common(x, kcompat::no_deadline, "wait_for_completion_io");
}

unsigned long wait_for_completion_timeout(struct completion* x, unsigned long timeout) {
  return kcompat::wait_timeout(x, timeout, "wait_for_completion_timeout");
}

unsigned long wait_for_completion_io_timeout(struct completion* x, unsigned long timeout) {
  return kcompat::wait_timeout(x, timeout, "wait_for_completion_io_timeout");
}

int wait_for_completion_interruptible(struct completion* x) {
  (void)kcompat::wait_common(x, kcompat::no_deadline, "wait_for_completion_interruptible");
  return 0;
}

int wait_for_completion_killable(struct completion* x) {
  (void)kcompat::wait_common(x, kcompat::no_deadline, "wait_for_completion_killable");
  return 0;
}

int wait_for_completion_state(struct completion* x, unsigned int state) {
  (void)state;
  (void)kcompat::wait_common(x, kcompat::no_deadline, "wait_for_completion_state");
  return 0;
}

long wait_for_completion_interruptible_timeout(struct completion* x, unsigned long timeout) {
  return static_cast<long>(kcompat::wait_timeout(x, timeout, "wait_for_completion_interruptible_timeout"));
}

long wait_for_completion_killable_timeout(struct completion* x, unsigned long timeout) {
  return static_cast<long>(kcompat::wait_timeout(x, timeout, "wait_for_completion_killable_timeout"));
}

bool try_wait_for_completion(struct completion* x) { return kcompat::try_consume(x); }

bool completion_done(struct completion* x) { return __atomic_load_n(&x->done, __ATOMIC_ACQUIRE) != 0; }

}  // extern "C"
