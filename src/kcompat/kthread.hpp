// src/kcompat/kthread.hpp - the kthread record behind a struct task_struct handle.
//
//   cmwq::kcompat::kthread                 one kernel-style thread (kthread.cpp)
//   cmwq::kcompat::kthread_lookup()        the live record of a handle, or nullptr (misuse)
//   cmwq::kcompat::current_kthread()       the caller's record, or nullptr outside kthreads
#pragma once

struct task_struct;

namespace cmwq::kcompat {

struct kthread;

kthread* kthread_lookup(struct task_struct* handle) noexcept;
kthread* current_kthread() noexcept;

}  // namespace cmwq::kcompat
