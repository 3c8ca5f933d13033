// src/core/concurrency.hpp - the concurrency manager's entry from the item path (core-private).
//
// concurrency.cpp keeps bound pools at one runnable worker (semantics.md section 5): the
// cooperative blocking hooks (blocking_begin()/blocking_end(), context.hpp, public to the doors)
// and the manager thread that samples workers blocked without telling us (sched_events.hpp).
#pragma once

namespace cmwq::core {

// sampler_note_busy - a bound worker starts an item: wakes the manager if it is parked.
// Context: pool lock held. Costs one relaxed load while the manager is ticking; the pool lock
// orders it against the manager's parking. Return: true when the manager thread was never
// started: the caller then calls sampler_start() once it has dropped the pool lock.
bool sampler_note_busy() noexcept;
// sampler_start - starts the manager thread unless another worker did. Context: no pool lock
// held (it creates a thread).
void sampler_start() noexcept;

}  // namespace cmwq::core
