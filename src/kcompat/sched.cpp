// src/kcompat/sched.cpp - task states, schedule(), schedule_timeout*(), wake_up_process() and
// cond_resched().
//
// The problem: kernel code sleeps by setting its task state and calling schedule(), and is woken
// by wake_up_process() (kthread_stop() does exactly that), with no lost wake-up between the state
// change and the sleep. The approach mirrors the kernel: the state is a per-task futex word. The
// sleeper stores a sleeping state, tests its condition, and sleeps while the word still holds a
// sleeping state; wake_up_process() exchanges TASK_RUNNING into the word and wakes it. A wake-up
// that lands before the sleep leaves TASK_RUNNING behind, so the sleep does not start. Every
// sleep is a blocking section (semantics.md 5.15): a per-CPU pool runs other items meanwhile.
//
// A task that prepared to wait on a wait queue (prepare_to_wait()) sleeps on that queue's
// sequence instead, and wake_up_process() bumps the queue (task_state.hpp says why under a lock).
// Plain threads get a thread-local task state; a kthread uses the one in its record, so that
// wake_up_process(task) can reach it from any thread.
#include <sched.h>
#include <time.h>

#include <cerrno>
#include <climits>

#include <linux/kthread.h>
#include <linux/sched.h>

#include "core/context.hpp"
#include "core/warn.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/sched_wait.hpp"
#include "kcompat/task.hpp"
#include "kcompat/task_state.hpp"

namespace cmwq::kcompat {
namespace {

thread_local task_state t_own_state;              // W: a plain thread's task state
thread_local task_state* t_state = nullptr;       // W: the caller's task state (own or kthread's)

bool sleeping(unsigned int state) noexcept { return state != TASK_RUNNING; }

// Sleeps until woken or @deadline (mono_ns(); no_deadline: for ever) in the state already set.
// Returns to TASK_RUNNING either way.
void sleep_in_state(task_state& t, long long deadline) noexcept {
  const int saved_errno = errno;
  {
    core::blocking_section blocking;
    if (sched_wait_pending()) {
      sched_wait_sleep(deadline);  // a wake_up() of the queue or wake_task() ends it
    } else {
      for (;;) {
        // Pairs with the exchange in wake_task().
        const unsigned int s = __atomic_load_n(&t.state, __ATOMIC_SEQ_CST);
        if (!sleeping(s)) break;
        if (!futex_wait(&t.state, s, deadline)) break;
      }
    }
  }
  errno = saved_errno;
  __atomic_store_n(&t.state, TASK_RUNNING, __ATOMIC_SEQ_CST);
}

long sleep_timeout(const char* who, long timeout) noexcept {
  (void)sleep_check(who);
  task_state& t = current_task_state();
  if (timeout < 0) {  // the kernel complains and does not sleep
    core::log_line("schedule_timeout: wrong timeout value %lx", static_cast<unsigned long>(timeout));
    __atomic_store_n(&t.state, TASK_RUNNING, __ATOMIC_SEQ_CST);
    return 0;
  }
  const long long deadline = deadline_after_jiffies(static_cast<unsigned long>(timeout));
  sleep_in_state(t, deadline);
  if (deadline == no_deadline) return MAX_SCHEDULE_TIMEOUT;
  return static_cast<long>(jiffies_until(deadline));
}

long sleep_timeout_in(unsigned int state, const char* who, long timeout) noexcept {
  __atomic_store_n(&current_task_state().state, state, __ATOMIC_SEQ_CST);
  return sleep_timeout(who, timeout);
}

}  // namespace

task_state& current_task_state() noexcept {
  if (!t_state) t_state = &t_own_state;
  return *t_state;
}

void install_task_state(task_state* state) noexcept { t_state = state; }

bool wake_task(task_state& t) noexcept {
  core::lock_guard guard(t.lock);
  // Pairs with the sleeper's seq_cst load of its state before each futex wait.
  const unsigned int was = __atomic_exchange_n(&t.state, TASK_RUNNING, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&t.wakes, 1u, __ATOMIC_RELAXED);  // ordered by lock: see task_state.hpp
  futex_wake(&t.state, INT_MAX);
  if (t.waiting_on) cmwq_wake_up(t.waiting_on);  // still asleep on it: see task_state.hpp
  return sleeping(was);
}

wait_queue_sleep_scope::wait_queue_sleep_scope(wait_queue_head* wq) noexcept : task_(current_task_state()) {
  core::lock_guard guard(task_.lock);
  task_.waiting_on = wq;
}

bool wait_queue_sleep_scope::woken_since_prepare() const noexcept {
  return __atomic_load_n(&task_.wakes, __ATOMIC_RELAXED) != task_.wakes_at_prepare;
}

wait_queue_sleep_scope::~wait_queue_sleep_scope() {
  core::lock_guard guard(task_.lock);
  task_.waiting_on = nullptr;
}

}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void cmwq_set_current_state(unsigned int state) {
  // Pairs with the exchange in wake_task(): a wake-up after this store is never lost.
  __atomic_store_n(&kcompat::current_task_state().state, state, __ATOMIC_SEQ_CST);
}

unsigned int cmwq_get_current_state(void) {
  return __atomic_load_n(&kcompat::current_task_state().state, __ATOMIC_RELAXED);
}

void schedule(void) {
  kcompat::task_state& t = kcompat::current_task_state();
  if (!kcompat::sleeping(__atomic_load_n(&t.state, __ATOMIC_SEQ_CST))) return;
  (void)kcompat::sleep_check("schedule");
  kcompat::sleep_in_state(t, kcompat::no_deadline);
}

void io_schedule(void) { schedule(); }

long io_schedule_timeout(long timeout) { return schedule_timeout(timeout); }

void yield(void) {
  (void)kcompat::sleep_check("yield");
  sched_yield();
}

long schedule_timeout(long timeout) {
  if (!kcompat::sleeping(cmwq_get_current_state())) return timeout;  // not asked to sleep
  return kcompat::sleep_timeout("schedule_timeout", timeout);
}

long schedule_timeout_interruptible(long timeout) {
  return kcompat::sleep_timeout_in(TASK_INTERRUPTIBLE, "schedule_timeout_interruptible", timeout);
}

long schedule_timeout_killable(long timeout) {
  return kcompat::sleep_timeout_in(TASK_KILLABLE, "schedule_timeout_killable", timeout);
}

long schedule_timeout_uninterruptible(long timeout) {
  return kcompat::sleep_timeout_in(TASK_UNINTERRUPTIBLE, "schedule_timeout_uninterruptible", timeout);
}

long schedule_timeout_idle(long timeout) {
  return kcompat::sleep_timeout_in(TASK_IDLE, "schedule_timeout_idle", timeout);
}

int cond_resched(void) {
  (void)kcompat::sleep_check("cond_resched");
  return 0;
}

}  // extern "C"
