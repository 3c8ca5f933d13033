// src/core/context.cpp - execution-context flags of a thread and the might_sleep() check.
//
// Interrupt and softirq context exist only as thread-local counters here: the simulated
// interrupt thread and the timer thread raise them around handlers, spinlocks raise the preempt
// count. A sleeping primitive called while any of them is non-zero warns like the kernel's
// might_sleep() (and still works: nothing aborts, D4).
#include "context.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include "guards.hpp"
#include "warn.hpp"

namespace cmwq::core {

namespace {
CMWQ_TLS thread_local int t_hardirq = 0;
CMWQ_TLS thread_local int t_softirq = 0;
CMWQ_TLS thread_local int t_preempt = 0;
CMWQ_TLS thread_local int t_locks = 0;
CMWQ_TLS thread_local bool t_memalloc = false;
}  // namespace

void hardirq_enter() noexcept { t_hardirq++; }
void hardirq_exit() noexcept { t_hardirq--; }
void softirq_enter() noexcept { t_softirq++; }
void softirq_exit() noexcept { t_softirq--; }
bool in_hardirq() noexcept { return t_hardirq > 0; }
bool in_softirq() noexcept { return t_softirq > 0; }

void preempt_count_add() noexcept { t_preempt++; }
void preempt_count_sub() noexcept { t_preempt--; }
int preempt_count() noexcept { return t_preempt; }

void held_locks_add() noexcept { t_locks++; }
void held_locks_sub() noexcept { t_locks--; }
int held_locks() noexcept { return t_locks; }

bool memalloc_save() noexcept {
  const bool old = t_memalloc;
  t_memalloc = true;
  return old;
}
void memalloc_restore(bool old) noexcept { t_memalloc = old; }
bool in_memalloc() noexcept { return t_memalloc; }

bool might_sleep(const char* func) noexcept {
  if (t_hardirq == 0 && t_softirq == 0 && t_preempt == 0) return true;
  CMWQ_WARN("BUG: sleeping function called from invalid context at %s\nin_atomic(): %d, in_hardirq(): %d, "
            "in_softirq(): %d, pid: %ld",
            func, t_preempt > 0, t_hardirq > 0, t_softirq > 0, static_cast<long>(syscall(SYS_gettid)));
  return false;
}

}  // namespace cmwq::core
