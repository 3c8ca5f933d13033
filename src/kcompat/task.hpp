// src/kcompat/task.hpp - per-thread facts the compat layer keeps about the calling "task".
//
//   cmwq::kcompat::current_tid()          the calling thread's kernel thread id (cached).
//   cmwq::kcompat::note_lock_acquired()   a compat mutex or spinlock was taken by this thread.
//   cmwq::kcompat::note_lock_released()   ... and released (cmwq_held_lock_count() reads the sum).
//   cmwq::kcompat::sleep_check()          might_sleep() for the compat layer's own sleeping calls.
//
// All of it is thread-local: nothing here synchronises with other threads.
#pragma once

namespace cmwq::kcompat {

int current_tid() noexcept;
void note_lock_acquired() noexcept;
void note_lock_released() noexcept;

// Warns (once per call, counted) if the caller may not sleep here; @func names the sleeping call.
// Returns true if sleeping is allowed.
bool sleep_check(const char* func) noexcept;

}  // namespace cmwq::kcompat
