// tests/work_data_probe.hpp - reads an item's work data word, for tests that must see what the
// engine did to an item (a flush linking its barrier to it, a cancel disabling it) instead of
// guessing from timing. `item` is a struct work_struct, a cmwq::detail::raw_work or a
// cmwq::core::work: all three have the same layout (the engine static_asserts it).
//
// Include it first: the kernel headers' container_of() macro would break core/work.hpp.
#pragma once

#include <atomic>

#include "core/work.hpp"

namespace work_data_probe {

inline long data_of(void* item) {
  return cmwq::core::work_data_ref(static_cast<cmwq::core::work*>(item)).load(std::memory_order_acquire);
}

// True once a flush has linked its barrier to pending `item`; flush_work() does that and its
// flush-dependency check under one hold of the pool lock, which the item needs before it can run.
inline bool barrier_linked(void* item) { return data_of(item) & cmwq::core::work_data::linked; }

// True once cancel_work_sync() has disabled running `item` (before it waits for it).
inline bool being_cancelled(void* item) { return cmwq::core::work_data::offq_disable(data_of(item)) > 0; }

}  // namespace work_data_probe
