// src/core/fault_signals.hpp - the signal fault point's injector thread (core-private: fault.cpp
// configures it, fault_signals.cpp runs it).
#pragma once

#include <cstdint>

namespace cmwq::core::detail {

// signal_injector_update - starts, retunes or stops the thread that signals workers every
// @period_us while @on. Context: fault_set()'s configuration lock held.
void signal_injector_update(bool on, std::uint32_t period_us) noexcept;

}  // namespace cmwq::core::detail
