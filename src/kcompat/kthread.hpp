// src/kcompat/kthread.hpp - the kthread record behind a struct task_struct handle.
//
//   cmwq::kcompat::kthread                 one kernel-style thread (kthread.cpp)
//   cmwq::kcompat::kthread_lookup()        the live record of a handle, or nullptr (misuse)
//   cmwq::kcompat::current_kthread()       the caller's record, or nullptr outside kthreads
//   cmwq::kcompat::kthread_create_v()      kthread_create() with a va_list for its name
#pragma once

#include <cstdarg>

struct task_struct;

namespace cmwq::kcompat {

struct kthread;

kthread* kthread_lookup(struct task_struct* handle) noexcept;
kthread* current_kthread() noexcept;
struct task_struct* kthread_create_v(int (*fn)(void*), void* data, const char* namefmt, va_list ap) noexcept
    __attribute__((format(printf, 3, 0)));

}  // namespace cmwq::kcompat
