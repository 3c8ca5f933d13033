// src/core/context.hpp - what kind of context the calling thread is in, and the blocking hooks.
//
//   cmwq::core::blocking_begin()/blocking_end()  the user-space stand-ins for the scheduler hooks
//       wq_worker_sleeping()/wq_worker_running(): every primitive that may block calls them around
//       the wait, so a per-CPU pool learns that its running worker sleeps and wakes another.
//       They nest; only the outermost pair reaches the pool. Outside a kworker they cost a
//       thread-local read.
//   cmwq::core::might_sleep(where)  warns (once per call site is the caller's business) when the
//       caller is in hard-interrupt or BH context, where the kernel forbids sleeping.
//   cmwq::core::hardirq_enter()/exit(), softirq_enter()/exit()  mark the calling thread's context.
#pragma once

namespace cmwq::core {

void blocking_begin() noexcept;
void blocking_end() noexcept;

// RAII pair of blocking_begin()/blocking_end().
class blocking_section {
 public:
  blocking_section() noexcept { blocking_begin(); }
  ~blocking_section() { blocking_end(); }
  blocking_section(const blocking_section&) = delete;
  blocking_section& operator=(const blocking_section&) = delete;
};

void hardirq_enter() noexcept;
void hardirq_exit() noexcept;
void softirq_enter() noexcept;
void softirq_exit() noexcept;
bool in_hardirq() noexcept;
bool in_softirq() noexcept;
inline bool in_interrupt() noexcept { return in_hardirq() || in_softirq(); }

// Atomic sections (spinlocks, preempt_disable): sleeping inside one warns like in an interrupt.
void preempt_count_add() noexcept;
void preempt_count_sub() noexcept;
int preempt_count() noexcept;

// Compat locks held by the calling thread (mutexes, spinlocks): the engine checks that a work
// item returns with as many as it started with ("BUG: workqueue leaked atomic, lock or RCU").
void held_locks_add() noexcept;
void held_locks_sub() noexcept;
int held_locks() noexcept;

// The calling thread's PF_MEMALLOC flag: set while it works to free memory (the kernel's memory
// reclaim), where flushing a queue without a rescuer may wait for ever (semantics.md 7.3).
// memalloc_save() sets the flag and returns its old value for memalloc_restore(), so scopes nest.
bool memalloc_save() noexcept;
void memalloc_restore(bool old) noexcept;
bool in_memalloc() noexcept;

// Warns ("BUG: sleeping function called from invalid context") when sleeping is not allowed here.
// Returns true if the context allows sleeping.
bool might_sleep(const char* func) noexcept;

}  // namespace cmwq::core
