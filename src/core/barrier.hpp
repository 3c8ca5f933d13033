// src/core/barrier.hpp - flush barriers: the items flush_work() queues behind the instance it
// waits for (the kernel's wq_barrier). Core-private.
//
// A barrier is a work item whose function does nothing; the worker that completes it signals
// the flusher sleeping on it. It is linked (LINKED bit) behind the item it waits for, so the two
// move between lists together (move_linked_works(), work_private.hpp). The barrier type and
// start_flush_work() live in work.cpp, beside the flush paths that build them.
#pragma once

#include <sys/types.h>

#include "work.hpp"

namespace cmwq::core {

// barrier_fn - the function of every barrier (it does nothing). Named here only so that
// is_barrier(), asked up to four times per item on the item path, is one inline comparison.
void barrier_fn(::work_struct*) noexcept;
// is_barrier - Return: whether @w is a flush barrier (dumps show them as BAR(<tid>)).
inline bool is_barrier(const work* w) noexcept { return w->func == barrier_fn; }
// wq_barrier_signal - wakes the flusher waiting on barrier @w. Called by the worker that
// completed it, after it has let go of @w (the flusher's stack frame holds it).
void wq_barrier_signal(work* w) noexcept;
// barrier_waiter - Return: the thread id of the flusher waiting on barrier @w (dumps).
pid_t barrier_waiter(const work* w) noexcept;

}  // namespace cmwq::core
