// src/kcompat/preempt.cpp - the C face of the calling thread's context: preemption count, held
// compat locks, hard-IRQ/softirq state, and the might_sleep() check.
//
// The engine keeps all of it (cmwq::core, context.hpp) so that its own checks - might_sleep() in
// flush_work(), the "leaked atomic, lock or RCU" check after each work item - see what
// kernel-style code did: spin_lock(), get_cpu() and preempt_disable() raise the engine's
// preemption count, compat mutexes and spinlocks its held-lock count, and the engine's
// might_sleep() warns when any of them (or hard-IRQ / softirq context) forbids sleeping.
//
// Everything is thread-local; nothing here needs a lock.
#include <sys/syscall.h>
#include <unistd.h>

#include "core/context.hpp"
#include "core/warn.hpp"
#include "kcompat/task.hpp"

#include <linux/preempt.h>

namespace cmwq::kcompat {
namespace {

thread_local int t_tid = 0;  // W: cached gettid(), 0 until first asked

}  // namespace

int current_tid() noexcept {
  if (t_tid == 0) t_tid = static_cast<int>(syscall(SYS_gettid));
  return t_tid;
}

void note_lock_acquired() noexcept { core::held_locks_add(); }

void note_lock_released() noexcept { core::held_locks_sub(); }

bool sleep_check(const char* func) noexcept { return core::might_sleep(func); }

}  // namespace cmwq::kcompat

using namespace cmwq;

extern "C" {

void cmwq_preempt_disable(void) { core::preempt_count_add(); }

void cmwq_preempt_enable(void) {
  if (core::preempt_count() <= 0) {
    CMWQ_WARN("preempt_enable() without preempt_disable() (preempt_count is already 0)");
    return;
  }
  core::preempt_count_sub();
}

int cmwq_preempt_count(void) { return core::preempt_count(); }

bool cmwq_in_hardirq(void) { return core::in_hardirq(); }
bool cmwq_in_softirq(void) { return core::in_softirq(); }
bool cmwq_in_interrupt(void) { return core::in_interrupt(); }

bool cmwq_might_sleep(const char* func) { return kcompat::sleep_check(func ? func : "might_sleep"); }

int cmwq_held_lock_count(void) { return core::held_locks(); }

}  // extern "C"
