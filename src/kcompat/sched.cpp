// src/kcompat/sched.cpp - task states, schedule_timeout*() and cond_resched().
//
// There is no scheduler to hand the task to and no wake_up_process(), so a task state is only
// remembered (thread-locally) to decide whether schedule_timeout() sleeps at all: in
// TASK_RUNNING it returns at once, as the kernel's does in practice; in any sleeping state it
// sleeps the whole timeout as a blocking section (semantics.md 5.15) and returns 0.
#include <time.h>

#include <cerrno>
#include <climits>

#include <linux/sched.h>

#include "core/context.hpp"
#include "core/warn.hpp"
#include "kcompat/futex.hpp"
#include "kcompat/task.hpp"

namespace cmwq::kcompat {
namespace {

thread_local unsigned int t_state = TASK_RUNNING;  // W: this thread only

long sleep_timeout(const char* who, long timeout) noexcept {
  (void)sleep_check(who);
  if (timeout < 0) {  // the kernel complains and does not sleep
    core::log_line("schedule_timeout: wrong timeout value %lx", static_cast<unsigned long>(timeout));
    t_state = TASK_RUNNING;
    return 0;
  }
  const long long deadline = deadline_after_jiffies(static_cast<unsigned long>(timeout));
  const int saved_errno = errno;
  {
    core::blocking_section blocking;
    if (deadline == no_deadline) {
      for (;;) pause();  // MAX_SCHEDULE_TIMEOUT with nobody to wake us: sleep for ever
    }
    timespec ts;
    ts.tv_sec = static_cast<time_t>(deadline / 1000000000LL);
    ts.tv_nsec = static_cast<long>(deadline % 1000000000LL);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
  }
  errno = saved_errno;
  t_state = TASK_RUNNING;
  return 0;
}

}  // namespace
}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void cmwq_set_current_state(unsigned int state) { kcompat::t_state = state; }

unsigned int cmwq_get_current_state(void) { return kcompat::t_state; }

long schedule_timeout(long timeout) {
  if (kcompat::t_state == TASK_RUNNING) return timeout;  // not asked to sleep
  return kcompat::sleep_timeout("schedule_timeout", timeout);
}

long schedule_timeout_interruptible(long timeout) {
  return kcompat::sleep_timeout("schedule_timeout_interruptible", timeout);
}

long schedule_timeout_killable(long timeout) { return kcompat::sleep_timeout("schedule_timeout_killable", timeout); }

long schedule_timeout_uninterruptible(long timeout) {
  return kcompat::sleep_timeout("schedule_timeout_uninterruptible", timeout);
}

long schedule_timeout_idle(long timeout) { return kcompat::sleep_timeout("schedule_timeout_idle", timeout); }

int cond_resched(void) {
  (void)kcompat::sleep_check("cond_resched");
  return 0;
}

}  // extern "C"
